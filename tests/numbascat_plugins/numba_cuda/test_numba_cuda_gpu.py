"""numba_cuda on a real GPU: Kymatio reference parity and numpy / CuPy / torch inputs.

Skipped (with the probe's reason) wherever the backend is not usable on real hardware, which
includes CI and the CUDA simulator.
"""
import os

import numpy as np
import pytest
from peer import shared_dir

SHARED = shared_dir()


def _gpu_reason():
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "the CUDA simulator is enabled"
    try:
        from numbascat_plugins.numba_cuda.fft import provider_name
        from numbascat_plugins.numba_cuda.probe import unavailable_reason
    except ImportError as exc:
        return f"numba_cuda plugin not importable: {exc}"
    reason = unavailable_reason()
    if reason is None and provider_name() != "cupy":
        reason = "the cupy FFT provider is not selected (NUMBASCAT_CUDA_FFT)"
    return reason


_REASON = _gpu_reason()
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(_REASON is not None,
                                 reason=f"numba_cuda not usable on a real GPU here: {_REASON}")]


def _ref(name):
    if SHARED is None:
        pytest.skip("../shared (reference data) is absent")
    with np.load(SHARED / "refdata" / f"kymatio_0.3_{name}.npz") as data:
        return {k: data[k] for k in data.files}


def _rel(out, ref):
    return np.abs(np.asarray(out, np.float64) - ref).max() / np.abs(ref).max()


@pytest.fixture(scope="module")
def backend():
    from numbascat.registry import get_backend

    return get_backend("numba_cuda")


def test_parity_2d(backend):
    from numbascat.numpy import Scattering2D

    ref = _ref("2d")
    S = Scattering2D(int(ref["J"]), ref["x"].shape[-2:], backend="numba_cuda")
    out = S(ref["x"])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert out.shape == ref["Sx"].shape and _rel(out, ref["Sx"]) <= 1e-5


def test_parity_1d(backend):
    from numbascat.numpy import Scattering1D

    ref = _ref("1d")
    S = Scattering1D(int(ref["J"]), ref["x"].shape[-1], int(ref["Q"]), backend="numba_cuda")
    out = S(ref["x"])
    assert out.shape == ref["Sx"].shape and _rel(out, ref["Sx"]) <= 1e-5


def test_parity_3d(backend):
    from numbascat.numpy import HarmonicScattering3D

    ref = _ref("3d")
    x, Sx = ref["x"], ref["Sx"]
    powers = [float(q) for q in ref["integral_powers"]]
    S = HarmonicScattering3D(int(ref["J"]), x.shape[1:], L=int(ref["L"]),
                             integral_powers=powers, backend="numba_cuda")
    out = S(x)
    assert out.dtype == np.float32
    assert _rel(out.reshape(len(x), -1), Sx[:, len(powers):]) <= 1e-5


def test_cupy_input_stays_on_the_device(backend):
    import cupy

    from numbascat.numpy import Scattering2D

    x = np.random.default_rng(0).standard_normal((3, 32, 32)).astype(np.float32)
    S = Scattering2D(3, (32, 32), L=4, backend=backend)
    expected = S(x)
    with cupy.cuda.Device(0):
        out = S._forward(cupy.asarray(x))  # the frontend-independent forward pass
    assert isinstance(out, cupy.ndarray) and out.dtype == cupy.float32
    assert out.device.id == 0
    np.testing.assert_allclose(cupy.asnumpy(out), expected, rtol=0,
                               atol=1e-6 * np.abs(expected).max())


def test_torch_cuda_input_zero_copy_and_back(backend):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    from numbascat.numpy import Scattering2D

    x = np.random.default_rng(1).standard_normal((2, 32, 32))
    S = Scattering2D(2, (32, 32), L=4, backend=backend)
    xt = torch.from_numpy(x).cuda()
    assert backend.is_array(xt)
    out = backend.wrap_like(S._forward(xt), xt)
    assert isinstance(out, torch.Tensor) and out.is_cuda and out.dtype == torch.float64
    np.testing.assert_allclose(out.cpu().numpy(), S(x), rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="requires grad.*backend='torch'"):
        S._forward(xt.clone().requires_grad_(True))


def test_filters_are_device_resident(backend):
    import cupy

    from numbascat.backend_api import FilterRole

    prepared = backend.prepare_filters(np.ones((2, 8, 8)), np.float32, FilterRole.LOWPASS)
    assert isinstance(prepared.data, cupy.ndarray) and isinstance(prepared.folded, cupy.ndarray)
    assert prepared.data.dtype == cupy.float32
