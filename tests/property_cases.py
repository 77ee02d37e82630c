"""Shared pieces of the hypothesis property tests (test_properties*.py): strategies for valid
parameters, the junk values and valid baselines of the invalid-parameter searches, and the
comparison with the numpy reference."""
import numpy as np
from hypothesis import strategies as st

batch_shapes = st.sampled_from([(), (1,), (2,), (2, 1)])
dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def params_1d(draw, max_J=6, max_factor=4):
    """Scattering1D keyword arguments: ``N`` in ``[2^J, max_factor 2^J]``."""
    J = draw(st.integers(1, max_J))
    N = draw(st.integers(2 ** J, 2 ** J * max_factor))
    Q = draw(st.one_of(st.integers(1, 8), st.tuples(st.integers(1, 8), st.integers(1, 2))))
    averaged = draw(st.booleans())
    if averaged:
        T = draw(st.one_of(st.none(), st.integers(1, N)))
        out_type = draw(st.sampled_from(["array", "list", "dict"]))
    else:
        T, out_type = 0, draw(st.sampled_from(["list", "dict"]))
    return dict(J=J, shape=N, Q=Q, T=T, max_order=draw(st.integers(1, 2)),
                oversampling=draw(st.integers(0, 2)), out_type=out_type)


@st.composite
def params_2d(draw, max_J=3, max_extra=30):
    """Scattering2D keyword arguments: each side in ``[2^J, 2^J + max_extra]``."""
    J = draw(st.integers(1, max_J))
    shape = (2 ** J + draw(st.integers(0, max_extra)), 2 ** J + draw(st.integers(0, max_extra)))
    return dict(J=J, shape=shape, L=draw(st.integers(1, 6)), max_order=draw(st.integers(1, 2)),
                out_type=draw(st.sampled_from(["array", "list"])))


@st.composite
def params_3d(draw, max_J=2, sides=(5, 10)):
    """HarmonicScattering3D keyword arguments whose wavelets fit the grid (see
    test_properties.test_harmonic3d_valid for why)."""
    J = draw(st.integers(0, max_J))
    shape = draw(st.tuples(*[st.integers(*sides)] * 3))
    sigma_0 = draw(st.floats(0.6, 2.0))
    if sigma_0 * 2 ** J > min(shape) / 2:
        sigma_0 = min(shape) / 2 ** (J + 1)  # shrink rather than reject (keeps draws cheap)
    powers = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=1, max_size=3,
                           unique=True))
    return dict(J=J, shape=shape, L=draw(st.integers(0, 2)), sigma_0=sigma_0,
                max_order=draw(st.integers(1, 2)), rotation_covariant=draw(st.booleans()),
                integral_powers=tuple(powers))


# ------------------------------------------------------------------ invalid parameters
JUNK = [None, "3", 2.5, True, -1, 0, [2], float("nan")]
ERRORS = (TypeError, ValueError, RuntimeError)

#: Valid baselines (class name -> keyword arguments) that one junk value is put into.
VALID = {
    "Scattering1D": dict(J=3, shape=64, Q=1, max_order=2, oversampling=0, out_type="array"),
    "Scattering2D": dict(J=2, shape=(16, 16), L=4, max_order=2, out_type="array"),
    "HarmonicScattering3D": dict(J=1, shape=(8, 8, 8), L=1, sigma_0=1.0, max_order=2,
                                 integral_powers=(1.0,)),
}

#: (class name, parameter, repr of the junk value) combinations that are in fact valid.
ALLOWED = {
    ("Scattering1D", "oversampling", "0"), ("HarmonicScattering3D", "L", "0"),
    ("HarmonicScattering3D", "J", "0"), ("HarmonicScattering3D", "integral_powers", "[2]"),
    ("HarmonicScattering3D", "sigma_0", "2.5"),
}

#: Exception raised for an input of the wrong shape, per signal dimension (Kymatio's types:
#: in 1D, ValueError for a 0-d input and RuntimeError for a wrong length).
SHAPE_ERROR = {1: RuntimeError, 2: RuntimeError, 3: RuntimeError}


def shape_error(d: int, bad: tuple):
    """The exception type for input shape ``bad`` of a ``d``-D transform."""
    return ValueError if d == 1 and len(bad) == 0 else SHAPE_ERROR[d]


def signal_shape(params) -> tuple:
    shape = params["shape"]
    return (shape,) if isinstance(shape, int) else tuple(shape)


def names_parameter(name, message) -> bool:
    return name in message or name.replace("_", " ") in message


# ------------------------------------------------------------------ comparison
def leaves(out):
    """The output's arrays in a fixed order (array, dict values, or list entries' coef)."""
    if isinstance(out, dict):
        return [np.asarray(v) for v in out.values()]
    if isinstance(out, list):
        return [np.asarray(entry["coef"]) for entry in out]
    return [np.asarray(out)]


def assert_matches_reference(out, ref, truth, tolerance=1e-5, label=""):
    """``out`` (leaves) agrees with the numpy reference ``ref`` to ``tolerance`` x the largest
    reference coefficient, or is at least as accurate as ``ref`` against the float64 ``truth``
    (fractional integral powers near zero amplify float32 rounding in every backend)."""
    assert len(out) == len(ref), label
    for o, r in zip(out, ref, strict=True):
        assert o.shape == r.shape and o.dtype == r.dtype, (label, o.shape, r.shape, o.dtype,
                                                           r.dtype)
        assert np.isfinite(o).all() == np.isfinite(r).all(), label
    scale = max(max(np.abs(r).max(initial=0) for r in ref), 1e-30)
    diff = max(np.abs(o - r).max(initial=0) for o, r in zip(out, ref, strict=True))
    if diff <= tolerance * scale:
        return
    ref_error = max(np.abs(r - t).max(initial=0) for r, t in zip(ref, truth, strict=True))
    error = max(np.abs(o - t).max(initial=0) for o, t in zip(out, truth, strict=True))
    assert error <= 2 * ref_error, (label, diff / scale, error, ref_error)
