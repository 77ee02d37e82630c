"""The torch backend on CUDA against the numpy reference: 1D/2D/3D, float32 and float64, and
gradients on the device.

Skipped where torch has no CUDA. In the CPU rehearsal of ``tools/gpu_check.py --simulate``
(``NUMBASCAT_GPU_REHEARSAL=1``) torch on the CPU stands in, on tiny cases.
"""
import numpy as np
import pytest
from gpu_cases import DTYPES, REHEARSAL, assert_matches, build, reference, signal

torch = pytest.importorskip("torch")
DEVICE = "cpu" if REHEARSAL else "cuda"
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not REHEARSAL and not torch.cuda.is_available(),
                                 reason="torch sees no CUDA device")]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_torch_on_cuda_matches_reference(d, dtype):
    import numbascat.torch as nst

    x = signal(d, dtype)
    S = build(nst, d, "torch").to(DEVICE)
    with torch.no_grad():
        out = S(torch.from_numpy(x).to(DEVICE))
    assert out.device.type == DEVICE
    assert_matches(out.cpu().numpy(), reference(d, x), dtype, f"torch {DEVICE} {d}D")


@pytest.mark.parametrize("d", [1, 2, 3])
def test_gradient_on_the_device(d):
    import numbascat.torch as nst

    S = build(nst, d, "torch").to(DEVICE)
    x = torch.from_numpy(signal(d, np.float32, seed=4)).to(DEVICE).requires_grad_(True)
    S(x).sum().backward()
    assert x.grad is not None and x.grad.device.type == DEVICE
    assert bool(torch.isfinite(x.grad).all()) and float(x.grad.abs().max()) > 0
