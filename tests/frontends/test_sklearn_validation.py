"""numbascat.sklearn: bad X, parameter round trips and late validation (issue 9).

sklearn's conventions win over the array frontends' where they differ: every bad ``X`` raises
``ValueError`` (complex data included), and NaN/inf and empty ``X`` are refused as sklearn's
``check_array`` refuses them (``check_estimator`` requires it). Invalid constructor parameters
are stored as given and raise at ``fit``/``transform`` with the numpy frontend's message.
"""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from input_cases import CONFIGS, NUMPY_LAYOUTS, assert_close, assert_raises  # noqa: E402
from input_cases import reference as numpy_reference  # noqa: E402
from sklearn.base import clone  # noqa: E402

import numbascat.sklearn  # noqa: E402

DIMS = [1, 2, 3]


def make(dim, **extra):
    cls, kwargs, _ = CONFIGS[dim]
    return getattr(numbascat.sklearn, cls)(**{**kwargs, **extra})


def n_features(dim):
    return int(np.prod(CONFIGS[dim][2]))


def data(dim, n=3, seed=0):
    return np.random.default_rng(seed).standard_normal((n, n_features(dim)))


def reference(dim, X):
    X = np.asarray(X)
    return numpy_reference(dim, X.reshape((len(X),) + CONFIGS[dim][2])).reshape(len(X), -1)


def _bad_X(dim):
    """(label, X, message fragments): every one raises ValueError from fit and transform."""
    n = n_features(dim)
    X = data(dim)
    with_nan, with_inf = X.copy(), X.copy()
    with_nan[1, 2], with_inf[0, 0] = np.nan, np.inf
    return [
        ("1-D X", X[0], ["Expected 2D array, got 1D array"]),
        ("3-D X", X[:, None], ["dim 3"]),
        ("scalar", 1.0, ["Expected 2D array, got scalar"]),
        ("None", None, ["X must be an array-like", f"(n_samples, {n})", "None"]),
        ("too few features", X[:, :-1], [f"n_features = {n - 1}", f"expecting {n}"]),
        ("too many features", np.hstack([X, X[:, :1]]), [f"n_features = {n + 1}"]),
        ("complex", X.astype(np.complex128), ["Complex data not supported"]),
        ("strings", np.full((2, n), "a"), ["could not convert string to float", "'a'"]),
        ("ragged list", [[0.0] * n, [0.0] * (n - 1)], ["inhomogeneous"]),
        ("NaN", with_nan, ["Input X contains NaN"]),
        ("inf", with_inf, ["Input X contains infinity"]),
        ("no samples", X[:0], ["0 sample(s)", f"(0, {n})"]),
    ]


@pytest.mark.parametrize("dim", DIMS)
def test_bad_X_raises_value_error_naming_the_problem(dim):
    for label, X, fragments in _bad_X(dim):
        assert_raises(ValueError, fragments, lambda X=X: make(dim).fit(X), f"fit {label}")
        assert_raises(ValueError, fragments, lambda X=X: make(dim).transform(X), label)


@pytest.mark.parametrize("dim", DIMS)
def test_accepted_X_dtypes_and_layouts(dim):
    est = make(dim).fit(data(dim))
    X = data(dim, seed=dim)
    want = reference(dim, X)
    for label, make_layout in NUMPY_LAYOUTS:
        out = est.transform(make_layout(X))
        assert out.dtype == np.float64, label
        assert_close(out, want, label)
    out32 = est.transform(X.astype(np.float32))
    assert out32.dtype == np.float32
    assert_close(out32, reference(dim, X.astype(np.float32)), "float32")
    ints = np.round(X * 2)
    for dtype in (np.int32, np.int64, np.uint8, np.bool_, np.float16, object):
        Xd = (ints > 0) if dtype is np.bool_ else np.abs(ints) if dtype is np.uint8 else ints
        Xd = Xd.astype(dtype)
        out = est.transform(Xd)
        assert out.dtype == np.float64, dtype  # sklearn's check_array: float64 unless float32
        assert_close(out, reference(dim, Xd.astype(np.float64)), str(dtype))


#: (parameter, invalid value, exception, message fragments) per dimension: each is stored by
#: the constructor and raised by fit and transform.
INVALID = {
    1: [("J", "2", TypeError, ["J must be an integer", "'2'"]),
        ("J", 0, ValueError, ["J must be >= 1", "0"]),
        ("shape", None, ValueError, ["shape must be an integer or a 1-tuple", "None"]),
        ("Q", 0, ValueError, ["Q should always be >= 1", "0"]),
        ("T", 1000, ValueError, ["cannot exceed input length", "1000 > 64"]),
        ("max_order", 3, ValueError, ["max_order must be <= 2", "3"]),
        ("oversampling", -1, ValueError, ["oversampling must be nonnegative", "-1"]),
        ("backend", "nope", ValueError, ["No numbascat backend named 'nope'"])],
    2: [("J", 2.0, TypeError, ["J must be an integer", "2.0"]),
        ("J", 4, RuntimeError, ["larger than 2^J", "J=4"]),
        ("shape", (8,), ValueError, ["shape must be a tuple of 2", "(8,)"]),
        ("L", 0, ValueError, ["L must be >= 1", "0"]),
        ("max_order", 0, ValueError, ["max_order must be one of 1, 2", "0"]),
        ("pre_pad", "yes", ValueError, ["pre_pad must be one of", "'yes'"])],
    3: [("J", True, TypeError, ["J must be an integer", "True"]),
        ("shape", (6, 6), ValueError, ["shape must be a tuple of 3", "(6, 6)"]),
        ("L", -1, ValueError, ["L must be >= 0", "-1"]),
        ("sigma_0", 0, ValueError, ["sigma_0 must be > 0", "0"]),
        ("method", "standard", ValueError, ["method must be 'integral'", "'standard'"]),
        ("integral_powers", (), ValueError, ["integral_powers must hold at least one"]),
        ("rotation_covariant", "no", TypeError, ["rotation_covariant must be True or False"])],
}


@pytest.mark.parametrize("dim", DIMS)
def test_invalid_parameters_are_stored_then_raise_at_fit_and_transform(dim):
    X = data(dim)
    good = make(dim).transform(X)
    for name, value, exc, fragments in INVALID[dim]:
        est = make(dim, **{name: value})  # sklearn convention: __init__ validates nothing
        assert est.get_params()[name] is value
        assert_raises(exc, fragments, lambda est=est: est.fit(X), f"fit {name}={value!r}")
        assert_raises(exc, fragments, lambda est=est: est.transform(X), f"{name}={value!r}")
        assert_raises(exc, fragments, lambda est=est: clone(est).fit_transform(X), name)
        # set_params to the bad value on a working estimator, then back: the transform follows.
        est = make(dim)
        est.transform(X)
        est.set_params(**{name: value})
        assert_raises(exc, fragments, lambda est=est: est.transform(X), f"set {name}")
        est.set_params(**{name: make(dim).get_params()[name]})
        np.testing.assert_array_equal(est.transform(X), good)


ROUND_TRIP = {
    1: dict(Q=(4, 2), T=4, max_order=1, oversampling=1, backend="numpy"),
    2: dict(L=3, max_order=1, pre_pad=False, backend="numpy"),
    3: dict(L=2, sigma_0=0.8, max_order=1, rotation_covariant=False,
            integral_powers=[1.0, 2.0], backend="numpy"),
}


@pytest.mark.parametrize("dim", DIMS)
def test_get_params_set_params_clone_round_trips(dim):
    est = make(dim, **ROUND_TRIP[dim])
    X = data(dim)
    params = est.get_params()
    for name, value in ROUND_TRIP[dim].items():
        assert params[name] == value, name
    want = est.fit_transform(X)
    twin = clone(est)
    assert twin.get_params() == params and twin is not est
    np.testing.assert_array_equal(twin.transform(X), want)
    other = make(dim).set_params(**params)
    assert other.get_params() == params
    np.testing.assert_array_equal(other.transform(X), want)
    assert_raises(ValueError, ["Invalid parameter 'nope'"], lambda: est.set_params(nope=1))
    assert eval(repr(est), vars(numbascat.sklearn)).get_params() == params
