"""Property tests: random valid parameters never crash and match the numpy reference on every
usable numpy-array backend; random invalid parameters raise the documented exceptions, whose
messages name the parameter.

CI runs the "ci" hypothesis profile (a dozen examples per test). The soak run: 3 x 3400 random
valid configurations (>= 10 000), and the invalid-parameter space searched exhaustively:

    HYPOTHESIS_PROFILE=long NUMBASCAT_FFTW_PLANNER=estimate \
        python -m pytest tests/test_properties.py tests/test_properties_frontends.py

(the second file runs the same checks through the torch, tensorflow and jax frontends).
"""
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from property_cases import (  # noqa: E402
    ALLOWED,
    ERRORS,
    JUNK,
    VALID,
    assert_matches_reference,
    batch_shapes,
    dtypes,
    leaves,
    names_parameter,
    params_1d,
    signal_shape,
)

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
    """Every other backend agrees with the numpy reference (see assert_matches_reference)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 1D border-effect warning on tiny N
        ref = leaves(make("numpy")(x))
        truth = ref if x.dtype == np.float64 else leaves(make("numpy")(x.astype(np.float64)))
        for name in OTHERS:
            assert_matches_reference(leaves(make(name)(x)), ref, truth, tolerance, name)


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


@given(st.sampled_from(sorted(VALID)), st.data(), st.sampled_from(JUNK))
def test_invalid_parameters_raise_documented_errors(cls_name, data, junk):
    params = dict(VALID[cls_name])
    name = data.draw(st.sampled_from(sorted(params)))
    assume((cls_name, name, repr(junk)) not in ALLOWED)
    params[name] = junk
    with pytest.raises(ERRORS) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            S = getattr(nsn, cls_name)(backend="numpy", **params)
            S(np.zeros(signal_shape(params), np.float32))
    message = str(info.value)
    assert names_parameter(name, message), (name, junk, message)
