"""Property tests through the torch, tensorflow and jax frontends (each skipped when its package
is absent): random valid parameters, shapes, dtypes and input layouts give the numpy frontend's
numbers (numpy backend) within 1e-5 x max|reference|; random invalid parameters and inputs raise
the documented exceptions, naming the parameter.

Examples per test follow the hypothesis profile (tests/conftest.py): "ci" runs a dozen; the soak
run ("long") runs the profile's 3400 valid configurations through torch and tensorflow but 500
through jax (each jax example compiles a new transform: ~0.5 s), and 3400 invalid ones each:

    HYPOTHESIS_PROFILE=long NUMBASCAT_FFTW_PLANNER=estimate \
        python -m pytest tests/test_properties.py tests/test_properties_frontends.py
"""
import functools
import importlib
import importlib.util
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from property_cases import (  # noqa: E402
    ALLOWED,
    ERRORS,
    JUNK,
    VALID,
    assert_matches_reference,
    dtypes,
    leaves,
    names_parameter,
    params_1d,
    params_2d,
    params_3d,
    shape_error,
    signal_shape,
)

import numbascat.numpy as nsn  # noqa: E402

#: Most valid configurations per frontend (ci: the profile's dozen; long: 3400, 3400, 500).
#: Measured in the long run: torch ~25 ms, tensorflow ~10 ms, jax ~0.5 s per configuration.
LONG_EXAMPLES = {"torch": 3400, "tensorflow": 3400, "jax": 500}
CLASSES = {1: "Scattering1D", 2: "Scattering2D", 3: "HarmonicScattering3D"}


#: Input layouts drawn per frontend (the numpy ones go through the numpy input policy).
LAYOUTS = {"torch": ["contiguous", "strided", "transposed"],
           "tensorflow": ["native", "numpy", "numpy strided", "numpy big-endian"],
           "jax": ["native", "numpy", "numpy strided", "numpy big-endian"]}


def _needs(name):
    missing = importlib.util.find_spec(name) is None
    return pytest.mark.skipif(missing, reason=f"{name} is not installed")


class _Frontend:
    """How to hand a numpy array to a frontend in several layouts and read its output back."""

    def __init__(self, name):
        self.name = name
        self.module = importlib.import_module(f"numbascat.{name}")
        self.fw = importlib.import_module(name)

    def convert(self, x, layout):
        if self.name == "torch":
            torch = self.fw
            if layout == "strided":
                wide = torch.zeros(x.shape + (2,), dtype=torch.from_numpy(x).dtype)
                wide[..., 0] = torch.from_numpy(x)
                return wide[..., 0]
            if layout == "transposed" and x.ndim >= 2:
                return torch.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, -1))).transpose(
                    0, -1)
            return torch.from_numpy(np.array(x, order="C"))
        if layout == "numpy":
            return x
        if layout == "numpy strided":
            wide = np.zeros(x.shape + (2,), x.dtype)
            wide[..., 0] = x
            return wide[..., 0]
        if layout == "numpy big-endian":
            return x.astype(x.dtype.newbyteorder(">"))
        return self.fw.constant(x) if self.name == "tensorflow" else self.fw.numpy.asarray(x)

    def to_numpy(self, y):
        if self.name == "torch":
            return y.detach().cpu().numpy()
        return np.asarray(y)

    def check_type(self, y):
        kinds = {"torch": lambda: self.fw.Tensor, "tensorflow": lambda: self.fw.Tensor,
                 "jax": lambda: self.fw.Array}
        assert isinstance(y, kinds[self.name]()), (self.name, type(y))

    def computed_dtype(self, dtype):
        """Precision the frontend computes ``dtype`` input in (jax: float32 without x64)."""
        if self.name == "jax":
            return np.dtype(self.fw.numpy.asarray(np.zeros(0, dtype)).dtype)
        return np.dtype(dtype)


@functools.cache
def _frontend(name):
    return _Frontend(name)


def _outputs(out, fe):
    """The output's arrays as numpy, each checked to be the frontend's own array type."""
    arrays = (list(out.values()) if isinstance(out, dict)
              else [entry["coef"] for entry in out] if isinstance(out, list) else [out])
    for a in arrays:
        fe.check_type(a)
    return [fe.to_numpy(a) for a in arrays]


def _metadata(out):
    """Dict keys, or list entries without their coefficients (None for an array)."""
    if isinstance(out, dict):
        return list(out)
    if isinstance(out, list):
        return [{k: v for k, v in entry.items() if k != "coef"} for entry in out]
    return None


@st.composite
def _valid_case(draw):
    dim = draw(st.sampled_from([1, 2, 3]))
    params = draw({1: params_1d(max_J=5, max_factor=3), 2: params_2d(max_extra=12),
                   3: params_3d()}[dim])
    batch = draw(st.sampled_from([(), (1,), (2,), (2, 1), (0,), (0, 2)]))
    return dim, params, batch


def _valid_test(frontend):
    """The valid-configuration test of one frontend (its own example budget)."""

    @_needs(frontend)
    @settings(max_examples=min(settings.default.max_examples, LONG_EXAMPLES[frontend]))
    @given(_valid_case(), dtypes, st.sampled_from(LAYOUTS[frontend]), st.integers(0, 2 ** 31))
    def test(case, dtype, layout, seed):
        fe = _frontend(frontend)
        dim, params, batch = case
        cls = CLASSES[dim]
        x = np.random.default_rng(seed).standard_normal(batch + signal_shape(params))
        x = x.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # 1D border-effect warning on tiny N
            y = getattr(fe.module, cls)(**params)(fe.convert(x, layout))
            out, meta = _outputs(y, fe), _metadata(y)
            xc = x.astype(fe.computed_dtype(dtype))
            reference = getattr(nsn, cls)(**params, backend="numpy")
            ref_out = reference(xc)
            ref = leaves(ref_out)
            truth = ref if xc.dtype == np.float64 else leaves(reference(x.astype(np.float64)))
        assert meta == _metadata(ref_out), (cls, params)
        assert_matches_reference(out, ref, truth, label=f"{frontend} {cls} {params} {layout}")

    return test


test_torch_valid_parameters_match_the_numpy_reference = _valid_test("torch")
test_tensorflow_valid_parameters_match_the_numpy_reference = _valid_test("tensorflow")
test_jax_valid_parameters_match_the_numpy_reference = _valid_test("jax")


@st.composite
def _invalid_case(draw):
    """(class name, parameters, input shape, input dtype, expected exception, name the message
    must contain): one junk parameter, a wrong input shape, or a complex input."""
    cls = draw(st.sampled_from(sorted(VALID)))
    params = dict(VALID[cls])
    shape = signal_shape(params)
    kind = draw(st.sampled_from(["parameter", "shape", "complex"]))
    if kind == "parameter":
        name = draw(st.sampled_from(sorted(params)))
        junk = draw(st.sampled_from(JUNK))
        assume((cls, name, repr(junk)) not in ALLOWED)
        params[name] = junk  # the input keeps the valid shape: a call may be what raises
        return cls, params, shape, np.float32, ERRORS, name
    if kind == "complex":
        return cls, params, shape, np.complex64, TypeError, "real-valued"
    d = len(shape)
    bad = tuple(draw(st.lists(st.integers(1, 20), max_size=d + 1)))
    assume(len(bad) < d or bad[-d:] != shape)
    return cls, params, bad, np.float32, shape_error(d, bad), \
        str(bad) if len(bad) >= d else "at least"


def _invalid_test(frontend):
    """The invalid-parameter/input test of one frontend (the profile's example count)."""

    @_needs(frontend)
    @given(_invalid_case(), st.sampled_from(LAYOUTS[frontend]))
    def test(case, layout):
        fe = _frontend(frontend)
        cls, params, shape, dtype, errors, name = case
        x = np.zeros(shape, dtype)
        with pytest.raises(errors) as info:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(fe.module, cls)(**params)(fe.convert(x, layout))
        assert names_parameter(name, str(info.value)), (cls, params, shape, str(info.value))

    return test


test_torch_invalid_parameters_and_inputs_raise = _invalid_test("torch")
test_tensorflow_invalid_parameters_and_inputs_raise = _invalid_test("tensorflow")
test_jax_invalid_parameters_and_inputs_raise = _invalid_test("jax")
