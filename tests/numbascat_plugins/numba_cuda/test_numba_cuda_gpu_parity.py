"""numba_cuda on a real GPU against the numpy reference: 1D/2D/3D, float32 and float64, numpy /
CuPy / torch CUDA arrays in and out without extra copies, cached cuFFT plans, and a forward call
that never waits for the device.

Skipped without a usable GPU. In the CPU rehearsal of ``tools/gpu_check.py --simulate``
(``NUMBASCAT_GPU_REHEARSAL=1`` under the CUDA simulator) the numpy-array cases run, tiny.
"""
import time

import numpy as np
import pytest
from gpu_cases import DTYPES, REHEARSAL, assert_matches, build, reference, signal


def _reason():
    try:
        from numbascat_plugins.numba_cuda.fft import provider_name
        from numbascat_plugins.numba_cuda.probe import unavailable_reason
    except ImportError as exc:
        return f"numba_cuda plugin not importable: {exc}"
    reason = unavailable_reason()
    if reason is None and not REHEARSAL and provider_name() != "cupy":
        reason = "the CUDA simulator or the numpy FFT provider is selected"
    return reason


_REASON = _reason()
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(_REASON is not None, reason=f"numba_cuda not usable: {_REASON}")]
real_gpu_only = pytest.mark.skipif(REHEARSAL, reason="needs a real GPU (CPU rehearsal)")


@pytest.fixture(scope="module")
def backend():
    from numbascat.registry import get_backend

    return get_backend("numba_cuda")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_numpy_in_numpy_out_matches_reference(backend, d, dtype):
    import numbascat.numpy as nsn

    x = signal(d, dtype)
    out = build(nsn, d, backend)(x)
    assert isinstance(out, np.ndarray)
    assert_matches(out, reference(d, x), dtype, f"numba_cuda {d}D {np.dtype(dtype)}")


@real_gpu_only
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_torch_cuda_tensors_in_and_out(backend, d, dtype):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    import numbascat.torch as nst

    x = signal(d, dtype, seed=1)
    S = build(nst, d, backend).to("cuda")
    out = S(torch.from_numpy(x).cuda())
    assert isinstance(out, torch.Tensor) and out.is_cuda
    assert_matches(out.cpu().numpy(), reference(d, x), dtype, f"torch frontend {d}D")


@real_gpu_only
@pytest.mark.parametrize("d", [1, 2, 3])
def test_cupy_in_cupy_out(backend, d):
    cupy = pytest.importorskip("cupy")
    import numbascat.numpy as nsn

    x = signal(d, np.float32, seed=2)
    out = build(nsn, d, backend)._forward(cupy.asarray(x))
    assert isinstance(out, cupy.ndarray) and out.dtype == cupy.float32
    assert_matches(cupy.asnumpy(out), reference(d, x), np.float32, f"CuPy {d}D")


@real_gpu_only
def test_torch_tensor_shared_not_copied(backend):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    import numbascat.numpy as nsn

    xt = torch.from_numpy(signal(2, np.float32)).cuda()
    assert backend.is_array(xt)
    assert backend.provider.from_foreign(xt).data.ptr == xt.data_ptr()  # DLPack, zero copy
    y = build(nsn, 2, backend)._forward(xt)
    back = backend.wrap_like(y, xt)
    assert isinstance(back, torch.Tensor) and back.device == xt.device
    assert back.data_ptr() == y.data.ptr  # the result is handed over, not copied


@real_gpu_only
def test_cufft_plans_are_cached_and_reused(backend):
    cupy = pytest.importorskip("cupy")
    import numbascat.numpy as nsn

    S = build(nsn, 2, backend)
    x = cupy.asarray(signal(2, np.float32))
    S._forward(x)
    cache = cupy.fft.config.get_plan_cache()
    plans = cache.get_curr_size()
    assert plans > 0, "no cuFFT plan was cached"
    for _ in range(3):
        S._forward(x)
    assert cache.get_curr_size() == plans, "a repeated forward call made new cuFFT plans"


# %globaltimer (ns) rather than clock64: no clock rate needed (cudaDeviceProp.clockRate is
# gone in CUDA 13).
_SPIN = r"""
__device__ unsigned long long now_ns() {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}
extern "C" __global__ void spin(unsigned long long ns) {
    unsigned long long start = now_ns();
    while (now_ns() - start < ns) {}
}
"""


@real_gpu_only
@pytest.mark.parametrize("d", [1, 2, 3])
def test_forward_never_waits_for_the_device(backend, d):
    """A forward call queued behind a 0.5 s kernel must return before that kernel ends: any
    device-to-host copy or synchronisation inside it would wait."""
    cupy = pytest.importorskip("cupy")
    import numbascat.numpy as nsn

    S = build(nsn, d, backend)
    x_host = signal(d, np.float32, seed=3)
    spin = cupy.RawKernel(_SPIN, "spin")
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        x = cupy.asarray(x_host)
        S._forward(x)  # warm up on this stream: kernels compiled, plans and memory pooled
        stream.synchronize()
        spin((1,), (1,), (np.uint64(500_000_000),))
        start = time.perf_counter()
        out = S._forward(x)
        returned = time.perf_counter() - start
        done_on_return = stream.done
    stream.synchronize()
    assert not done_on_return, (f"forward waited for queued GPU work ({returned * 1e3:.0f} ms): "
                                f"a host synchronisation or device-to-host copy inside it")
    assert_matches(cupy.asnumpy(out), reference(d, x_host), np.float32, "after the spin kernel")
