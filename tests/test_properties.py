"""Property tests: random valid parameters never crash and match the numpy reference on every
usable numpy-array backend; random invalid parameters raise the documented exceptions, whose
messages name the parameter.

CI runs the "ci" hypothesis profile (a dozen examples per test). The soak run: 3 x 3400 random
valid configurations (>= 10 000), and the invalid-parameter space searched exhaustively:

    HYPOTHESIS_PROFILE=long NUMBASCAT_FFTW_PLANNER=estimate \
        python -m pytest tests/test_properties.py
"""
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import numbascat.numpy as nsn  # noqa: E402
from numbascat.registry import BackendUnavailableError, backend_infos, get_backend  # noqa: E402


def _other_backends():
    names = []
    for name, info in sorted(backend_infos().items()):
        if name == "numpy" or "numpy" not in info.array_kinds or info.priority < 0:
            continue
        try:
            get_backend(name)
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


OTHERS = _other_backends()


def _check_against_reference(make, x, tolerance=1e-5):
    """Every other backend agrees with the numpy reference to ``tolerance`` x the largest
    reference coefficient, or is at least as accurate as the reference is against the float64
    truth (fractional integral powers near zero amplify float32 rounding in every backend)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 1D border-effect warning on tiny N
        ref = _leaves(make("numpy")(x))
        truth = ref if x.dtype == np.float64 else _leaves(make("numpy")(x.astype(np.float64)))
        scale = max(max(np.abs(r).max(initial=0) for r in ref), 1e-30)
        ref_error = max(np.abs(r - t).max(initial=0) for r, t in zip(ref, truth, strict=True))
        for name in OTHERS:
            out = _leaves(make(name)(x))
            assert len(out) == len(ref), name
            for o, r in zip(out, ref, strict=True):
                assert o.shape == r.shape and o.dtype == r.dtype, name
                assert np.isfinite(o).all() == np.isfinite(r).all(), name
            diff = max(np.abs(o - r).max(initial=0) for o, r in zip(out, ref, strict=True))
            if diff <= tolerance * scale:
                continue
            error = max(np.abs(o - t).max(initial=0) for o, t in zip(out, truth, strict=True))
            assert error <= 2 * ref_error, (name, diff / scale, error, ref_error)


def _leaves(out):
    """The output's arrays in a fixed order (array, dict values, or list entries' coef)."""
    if isinstance(out, dict):
        return [np.asarray(v) for v in out.values()]
    if isinstance(out, list):
        return [np.asarray(entry["coef"]) for entry in out]
    return [np.asarray(out)]


batch_shapes = st.sampled_from([(), (1,), (2,), (2, 1)])
dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def params_1d(draw):
    J = draw(st.integers(1, 6))
    N = draw(st.integers(2 ** J, 2 ** J * 4))
    Q = draw(st.one_of(st.integers(1, 8), st.tuples(st.integers(1, 8), st.integers(1, 2))))
    averaged = draw(st.booleans())
    if averaged:
        T = draw(st.one_of(st.none(), st.integers(1, N)))
        out_type = draw(st.sampled_from(["array", "list", "dict"]))
    else:
        T, out_type = 0, draw(st.sampled_from(["list", "dict"]))
    return dict(J=J, shape=N, Q=Q, T=T, max_order=draw(st.integers(1, 2)),
                oversampling=draw(st.integers(0, 2)), out_type=out_type)


@given(params_1d(), batch_shapes, dtypes, st.integers(0, 2 ** 31))
def test_scattering1d_valid(params, batch, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(batch + (params["shape"],)).astype(dtype)
    _check_against_reference(lambda b: nsn.Scattering1D(backend=b, **params), x)


@given(st.integers(1, 3), st.integers(0, 30), st.integers(0, 30), st.integers(1, 6),
       st.integers(1, 2), batch_shapes, dtypes, st.integers(0, 2 ** 31))
def test_scattering2d_valid(J, dm, dn, L, max_order, batch, dtype, seed):
    shape = (2 ** J + dm, 2 ** J + dn)
    x = np.random.default_rng(seed).standard_normal(batch + shape).astype(dtype)
    _check_against_reference(
        lambda b: nsn.Scattering2D(J, shape, L=L, max_order=max_order, backend=b), x)


@given(st.integers(0, 2), st.tuples(*[st.integers(5, 10)] * 3), st.integers(0, 2),
       st.floats(0.6, 2.0), st.booleans(), st.integers(1, 2),
       st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=1, max_size=3, unique=True),
       batch_shapes, dtypes, st.integers(0, 2 ** 31))
def test_harmonic3d_valid(J, shape, L, sigma_0, covariant, max_order, powers, batch, dtype,
                          seed):
    # A wavelet wider than the grid leaves a modulus made of float32 rounding noise, and a
    # fractional power of noise differs between any two float32 implementations (the numpy
    # reference included, against float64): keep to wavelets that fit in the grid.
    assume(sigma_0 * 2 ** J <= min(shape) / 2)
    x = np.random.default_rng(seed).standard_normal(batch + shape).astype(dtype)
    _check_against_reference(
        lambda b: nsn.HarmonicScattering3D(J, shape, L=L, sigma_0=sigma_0, max_order=max_order,
                                           rotation_covariant=covariant,
                                           integral_powers=tuple(powers), backend=b), x)


JUNK = [None, "3", 2.5, True, -1, 0, [2], float("nan")]
ERRORS = (TypeError, ValueError, RuntimeError)

VALID = {
    nsn.Scattering1D: dict(J=3, shape=64, Q=1, max_order=2, oversampling=0, out_type="array"),
    nsn.Scattering2D: dict(J=2, shape=(16, 16), L=4, max_order=2, out_type="array"),
    nsn.HarmonicScattering3D: dict(J=1, shape=(8, 8, 8), L=1, sigma_0=1.0, max_order=2,
                                   integral_powers=(1.0,)),
}

# (class, parameter, junk value) combinations that are in fact valid are excluded.
ALLOWED = {
    (nsn.Scattering1D, "oversampling", "0"), (nsn.HarmonicScattering3D, "L", "0"),
    (nsn.HarmonicScattering3D, "J", "0"), (nsn.HarmonicScattering3D, "integral_powers", "[2]"),
    (nsn.HarmonicScattering3D, "sigma_0", "2.5"),
}


@given(st.sampled_from(sorted(VALID, key=lambda c: c.__name__)), st.data(),
       st.sampled_from(JUNK))
def test_invalid_parameters_raise_documented_errors(cls, data, junk):
    params = dict(VALID[cls])
    name = data.draw(st.sampled_from(sorted(params)))
    assume((cls, name, repr(junk)) not in ALLOWED)
    params[name] = junk
    with pytest.raises(ERRORS) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            S = cls(backend="numpy", **params)
            shape = (params["shape"],) if isinstance(params["shape"], int) else params["shape"]
            S(np.zeros(tuple(shape), np.float32))
    message = str(info.value)
    assert name in message or name.replace("_", " ") in message, (name, junk, message)
