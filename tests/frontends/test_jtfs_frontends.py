"""TimeFrequencyScattering through every frontend: refdata parity, framework conventions."""
import importlib
import warnings

import numpy as np
import pytest
from peer import kymatio_main_reference as _ref
from peer import reference_params as _params

import numbascat

# jtfs_a on every frontend by default; the larger cases take tens of seconds per frontend on a
# busy 2-core machine (numbers checked on numpy and numba in tests/scattering_jtfs).
CASES = ["jtfs_a", pytest.param("jtfs_b", marks=pytest.mark.slow),
         pytest.param("jtfs_c", marks=pytest.mark.slow)]
TINY = dict(J=2, J_fr=1, Q=1, shape=32)  # second order, both spins, in a few milliseconds


def _tiny(frontend, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # border effects on 32 samples
        return numbascat.TimeFrequencyScattering(**TINY, **kwargs, frontend=frontend)


def _assert_parity(out, ref, case):
    want = ref[case + "_Sx"]
    out = np.asarray(out)
    assert out.shape == want.shape and out.dtype == np.float32
    assert np.abs(out - want).max() <= 1e-5 * np.abs(want).max()


# ------------------------------------------------------------------------------------ torch
@pytest.mark.parametrize("case", CASES)
def test_torch_parity(case):
    torch = pytest.importorskip("torch")
    ref = _ref()
    S = numbascat.TimeFrequencyScattering(**_params(ref, case), frontend="torch")
    assert isinstance(S, torch.nn.Module) and S.backend.name == "torch"
    _assert_parity(S(torch.from_numpy(ref[case + "_x"])).numpy(), ref, case)


def test_torch_module_conventions_and_gradcheck():
    torch = pytest.importorskip("torch")
    S = _tiny("torch")
    assert any(name.startswith("filter_fr_family") for name, _ in S.named_buffers())
    x = torch.randn(1, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    S.to(torch.float64)
    ref = _tiny("numpy", backend="numpy")(x.numpy())
    out = S(x)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(S, (x,), eps=1e-6, atol=1e-5, rtol=1e-4, fast_mode=True)


def test_torch_compile_fullgraph():
    torch = pytest.importorskip("torch")
    S = _tiny("torch", out_type="list")
    x = torch.randn(2, 32, generator=torch.Generator().manual_seed(1))
    torch._dynamo.reset()
    compiled = torch.compile(S, backend="aot_eager", fullgraph=True)
    for a, b in zip(compiled(x), S(x), strict=True):
        assert a["n"] == b["n"]
        torch.testing.assert_close(a["coef"], b["coef"], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------ jax and tf
@pytest.mark.parametrize("case", CASES)
def test_jax_parity_under_jit(case):
    jax = pytest.importorskip("jax")
    ref = _ref()
    S = numbascat.TimeFrequencyScattering(**_params(ref, case), frontend="jax")
    _assert_parity(jax.jit(lambda x: S(x))(jax.numpy.asarray(ref[case + "_x"])), ref, case)


def test_jax_grad():
    jax = pytest.importorskip("jax")
    S = _tiny("jax")
    x = jax.numpy.asarray(np.random.default_rng(2).standard_normal((1, 32)), dtype="float32")
    g = jax.jit(jax.grad(lambda y: jax.numpy.sum(S(y) ** 2)))(x)
    assert g.shape == x.shape and bool(jax.numpy.isfinite(g).all())


@pytest.mark.parametrize("case", CASES)
def test_tensorflow_parity(case):
    tf = pytest.importorskip("tensorflow")
    ref = _ref()
    S = numbascat.TimeFrequencyScattering(**_params(ref, case), frontend="tensorflow")
    assert isinstance(S, tf.Module)
    _assert_parity(S(tf.constant(ref[case + "_x"])).numpy(), ref, case)


# --------------------------------------------------------------------------- sklearn, keras
def test_sklearn_transformer():
    pytest.importorskip("sklearn")
    ref = _ref()
    S = numbascat.TimeFrequencyScattering(**_params(ref, "jtfs_a"), frontend="sklearn")
    X = ref["jtfs_a_x"]
    out = S.fit(X).transform(X)
    assert out.shape == (2, 209 * 16)
    _assert_parity(out.reshape(2, 209, 16), ref, "jtfs_a")
    assert S.get_params()["J_fr"] == 2 and S.output_size() == 209


def test_keras_layer():
    keras = pytest.importorskip("keras")
    ref = _ref()
    params = _params(ref, "jtfs_b")
    shape = params.pop("shape")
    layer = importlib.import_module("numbascat.keras").TimeFrequencyScattering(**params)
    out = layer(ref["jtfs_b_x"])
    assert tuple(out.shape) == (2, 50, 14, 16) and layer.output_size() == 50
    _assert_parity(keras.ops.convert_to_numpy(out), ref, "jtfs_b")
    assert layer.compute_output_shape((None, shape)) == (None, 50, 14, 16)
    assert layer.get_config()["format"] == "joint"


def test_dynamic_entry():
    S = numbascat.TimeFrequencyScattering(6, 2, 8, 1024)
    assert isinstance(S, numbascat.TimeFrequencyScattering)
    assert not isinstance(numbascat.Scattering2D(2, (16, 16)), numbascat.TimeFrequencyScattering)
    with pytest.raises(RuntimeError, match="frontend"):
        numbascat.TimeFrequencyScattering(6, 2, 8, 1024, frontend="matlab")
