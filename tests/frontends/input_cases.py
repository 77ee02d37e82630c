"""Bad and unusual inputs that every array frontend must treat as the numpy frontend does.

A frontend's test module subclasses :class:`FrontendInputChecks` (no ``Test`` prefix, so it is
collected only through its subclasses) and says how to make its arrays:

- ``module``: the frontend module; ``backends``: the backends to check NaN/inf on;
- ``native(x)``: a numpy array as the frontend's own array (same values, dtype as close as the
  framework allows), ``to_numpy(y)``: an output array as numpy;
- ``expected_dtype(dtype)``: the output dtype for input values of numpy ``dtype``;
- ``refused``: ``(label, make(signal_shape) -> input, exception type, message fragments)``;
- ``layouts``: ``(label, make(x) -> input holding x's values in another layout)``.

The expectations (exception types, what messages name) are the numpy frontend's; the numbers are
the numpy frontend's on the numpy backend, within 1e-5 x max|reference|.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numbascat.numpy as nsn
from numbascat.registry import BackendUnavailableError, get_backend

#: A cheap transform per dimension: (class name, constructor arguments, signal shape).
CONFIGS = {
    1: ("Scattering1D", dict(J=2, shape=64, Q=1), (64,)),
    2: ("Scattering2D", dict(J=1, shape=(8, 8), L=2), (8, 8)),
    3: ("HarmonicScattering3D", dict(J=1, shape=(6, 6, 6), L=1), (6, 6, 6)),
}

#: Wrong input shapes per dimension: (input shape, exception, fragments the message contains:
#: what is expected and the shape received). Kymatio's types: ValueError 1D, RuntimeError 2D/3D.
SHAPE_ERRORS = {
    1: [((), ValueError, ["at least one axis"]),
        # Kymatio's type and text: it finds a wrong length when multiplying by the filters.
        ((65,), RuntimeError, ["not compatible for multiplication", "N=64", "(65,)"]),
        ((2, 63), RuntimeError, ["N=64", "(2, 63)"]),
        ((64, 1), RuntimeError, ["N=64", "(64, 1)"])],
    2: [((), RuntimeError, ["at least two dimensions", "()"]),
        ((8,), RuntimeError, ["at least two dimensions", "(8,)"]),
        ((8, 9), RuntimeError, ["(8, 8)", "(8, 9)"]),
        ((2, 9, 8), RuntimeError, ["(8, 8)", "(2, 9, 8)"])],
    3: [((6, 6), RuntimeError, ["at least three dimensions", "(6, 6)"]),
        ((6, 6, 7), RuntimeError, ["(6, 6, 6)", "(6, 6, 7)"]),
        ((2, 7, 6, 6), RuntimeError, ["(6, 6, 6)", "(2, 7, 6, 6)"])],
}

#: Input dtypes every frontend accepts, with numpy's output dtype for each.
ACCEPTED = {np.int32: np.float64, np.int64: np.float64, np.uint8: np.float64,
            np.bool_: np.float64, np.float16: np.float32, np.float32: np.float32,
            np.float64: np.float64}


def _longdouble_cases():
    if np.dtype(np.longdouble).itemsize <= 8:  # longdouble is float64 on this platform
        return []
    name = np.dtype(np.longdouble).name
    return [(name, lambda s: np.ones(s, np.longdouble), TypeError, [name, "float32 or float64"])]


#: What the numpy frontend refuses, and so every frontend that takes numpy arrays.
NUMPY_REFUSED = [
    ("complex64", lambda s: np.ones(s, np.complex64), TypeError,
     ["x must be real-valued", "complex64", "x.real"]),
    ("complex128", lambda s: np.ones(s, np.complex128), TypeError,
     ["x must be real-valued", "complex128"]),
    ("object", lambda s: np.ones(s).astype(object), TypeError,
     ["x must be a real numeric array", "object"]),
    ("str", lambda s: np.full(s, "a"), TypeError, ["x must be a real numeric array", "<U1"]),
    ("datetime64", lambda s: np.zeros(s, "datetime64[s]"), TypeError, ["x", "datetime64"]),
    ("None", lambda s: None, TypeError, ["x must be a real array", "None"]),
] + _longdouble_cases()


def _strided(x):
    wide = np.zeros(x.shape + (2,), x.dtype)
    wide[..., 0] = x
    return wide[..., 0]


def _reversed(x):
    flipped = np.ascontiguousarray(x[..., ::-1])
    return flipped[..., ::-1]


def _read_only(x):
    x = x.copy()
    x.setflags(write=False)
    return x


#: numpy arrays holding the same values in another memory layout or byte order.
NUMPY_LAYOUTS = [
    ("strided view", _strided),
    ("Fortran order", np.asfortranarray),
    ("negative strides", _reversed),
    ("read-only", _read_only),
    ("big-endian", lambda x: x.astype(x.dtype.newbyteorder(">"))),
    ("list", lambda x: x.tolist()),
]


def usable(names):
    """The backends of ``names`` that load here (the others are skipped, not failed)."""
    out = []
    for name in names:
        try:
            get_backend(name)
        except BackendUnavailableError:
            continue
        out.append(name)
    return out


def reference(dim, x):
    """The numpy frontend's output on the numpy backend for numpy input ``x``."""
    cls, kwargs, _ = CONFIGS[dim]
    return getattr(nsn, cls)(**kwargs, backend="numpy")(x)


def assert_close(out, ref, what=""):
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    assert out.shape == ref.shape, (what, out.shape, ref.shape)
    scale = max(np.abs(ref).max(initial=0), 1e-30)
    err = np.abs(out - ref).max(initial=0) / scale
    assert err <= 1e-5, f"{what}: max error {err:.2e} x max|ref| exceeds 1e-5"


def assert_raises(exc, fragments, call, what=""):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (what, fragment, message)


def signals(shape, seed=0, batch=(2,)):
    return np.random.default_rng(seed).standard_normal(batch + shape)


class FrontendInputChecks:
    """The input checks, run once per dimension by each frontend's subclass."""

    module = None
    backends: tuple[str, ...] = ()
    refused: list = NUMPY_REFUSED
    layouts: list = NUMPY_LAYOUTS

    # ------------------------------------------------------------------ per frontend
    def native(self, x):
        return x

    def to_numpy(self, y):
        return np.asarray(y)

    def expected_dtype(self, dtype):
        return np.dtype(ACCEPTED[np.dtype(dtype).type])

    def make(self, dim, **extra):
        cls, kwargs, _ = CONFIGS[dim]
        return getattr(self.module, cls)(**kwargs, **extra)

    # ------------------------------------------------------------------ the checks
    @pytest.mark.parametrize("dim", [1, 2, 3])
    def test_wrong_ndim_and_size_raise_naming_the_shapes(self, dim):
        S = self.make(dim)
        for shape, exc, fragments in SHAPE_ERRORS[dim]:
            x = self.native(np.zeros(shape, np.float32))
            assert_raises(exc, fragments, lambda x=x: S(x), shape)

    @pytest.mark.parametrize("dim", [1, 2, 3])
    def test_refused_inputs_raise_naming_the_dtype(self, dim):
        S = self.make(dim)
        shape = CONFIGS[dim][2]
        for label, make, exc, fragments in self.refused:
            assert_raises(exc, fragments, lambda make=make: S(make((2,) + shape)), label)

    @pytest.mark.parametrize("dim", [1, 2, 3])
    def test_integer_bool_and_float_dtypes_are_computed_as_documented(self, dim):
        S = self.make(dim)
        shape = CONFIGS[dim][2]
        values = np.random.default_rng(dim).integers(-3, 4, (2,) + shape)
        for dtype in ACCEPTED:
            x = (values > 0) if dtype is np.bool_ else np.abs(values) if dtype is np.uint8 \
                else values
            x = x.astype(dtype)
            out = S(self.native(x))
            what = f"{np.dtype(dtype).name} input"
            assert self.to_numpy(out).dtype == self.expected_dtype(dtype), what
            assert_close(self.to_numpy(out), reference(dim, x.astype(np.float64)), what)

    @pytest.mark.parametrize("dim", [1, 2, 3])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_empty_batches_keep_shape_and_dtype(self, dim, dtype):
        S = self.make(dim)
        shape = CONFIGS[dim][2]
        for batch in [(0,), (0, 2), (3, 0)]:
            x = np.zeros(batch + shape, dtype)
            out = self.to_numpy(S(self.native(x)))
            ref = reference(dim, x)
            assert out.shape == ref.shape and out.size == 0, (batch, out.shape, ref.shape)
            assert out.dtype == self.expected_dtype(dtype), batch

    @pytest.mark.parametrize("dim", [1, 2, 3])
    def test_other_layouts_give_the_same_coefficients(self, dim):
        S = self.make(dim)
        for dtype in (np.float32, np.float64):
            x = signals(CONFIGS[dim][2], seed=dim, batch=(3,)).astype(dtype)
            want = reference(dim, x)
            for label, make in self.layouts:
                out = self.to_numpy(S(make(x)))
                expected = self.expected_dtype(np.float64 if label == "list" else dtype)
                assert out.dtype == expected, (label, out.dtype)
                assert_close(out, want, f"{label} {np.dtype(dtype).name}")

    @pytest.mark.parametrize("dim", [1, 2, 3])
    def test_nan_and_inf_stay_in_their_own_signal(self, dim):
        names = usable(self.backends)
        assert names, f"none of {self.backends} is usable"
        for backend in names:
            S = self.make(dim, backend=backend)
            x = signals(CONFIGS[dim][2], seed=dim, batch=(3,)).astype(np.float32)
            clean = self.to_numpy(S(self.native(x[[0, 2]])))
            for bad in (np.nan, np.inf, -np.inf):
                y = x.copy()
                y[1].flat[5] = bad
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf inside FFTs
                    out = self.to_numpy(S(self.native(y)))
                what = f"{backend} {bad}"
                assert not np.isfinite(out[1]).any(), what  # every coefficient of signal 1
                assert np.isfinite(out[[0, 2]]).all(), what
                assert_close(out[[0, 2]], clean, what)
