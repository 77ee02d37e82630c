"""The folded low-pass kernel against the direct one (numba backend)."""
from __future__ import annotations

import numpy as np
import pytest

from numbascat.backend_api import FilterRole
from numbascat.backends import lowpass_kernels as lk
from numbascat.backends import numba_kernels as nk
from numbascat.backends.numba_backend import NumbaBackend


def _lowpass(s, rng):
    """A Gaussian low-pass on the FFT grid with a cut tail, so that the support is partial."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) * n for n in s], indexing="ij")
    g = np.exp(-sum(x ** 2 for x in grids) / (2 * (min(s) / 6) ** 2))
    return (g * (g > 1e-3) * rng.uniform(0.5, 1.5))[None]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("s,k", [((64,), (4,)), ((45,), (3,)), ((32, 48), (4, 2)),
                                 ((30, 35), (5, 7)), ((12, 16, 20), (2, 4, 5))])
def test_folded_matches_direct(s, k, dtype, tol):
    rng = np.random.default_rng(11)
    d = len(s)
    b = NumbaBackend()
    x = rng.standard_normal((37,) + s).astype(dtype)  # three signal blocks, the last short
    X = b.rfft(x, d)
    phi = b.prepare_filters(_lowpass(s, rng), dtype, FilterRole.LOWPASS)
    L, M, N = (1,) * (3 - d) + s
    k3 = (1,) * (3 - d) + k
    Lk, Mk, Nk = L // k3[0], M // k3[1], N // k3[2]
    Xv = nk.float_view(np.ascontiguousarray(X).reshape((37, L, M, N // 2 + 1)))
    f = phi.canonical("sym")[0]
    scale = 1.0 / (np.prod(k3) * Lk * Mk * Nk)
    direct = np.empty((37, Lk, Mk, Nk // 2 + 1), X.dtype)
    ptr, seg = phi.segments(Nk, Nk // 2 + 1)
    nk.lowpass_half_real(Xv, f, ptr, seg, N, *k3, scale, nk.float_view(direct))
    folded = np.full_like(direct, np.nan)
    ptr, seg = phi.segments(Nk)
    lk.lowpass_half_real_folded(Xv, f, ptr, seg, N, *k3, scale, nk.float_view(folded))
    assert np.isfinite(folded).all()
    np.testing.assert_allclose(folded, direct, rtol=0, atol=tol * np.abs(direct).max())


def test_large_outputs_take_the_direct_kernel(monkeypatch):
    """Above FOLDED_MAX_VALUES the backend keeps the direct kernel (bounded accumulators)."""
    rng = np.random.default_rng(2)
    b = NumbaBackend()
    x = rng.standard_normal((3, 256)).astype(np.float32)
    phi = b.prepare_filters(_lowpass((256,), rng), np.float32, FilterRole.LOWPASS)
    want = b.lowpass_irfft(b.rfft(x, 1), phi, (2,), 1, (256,))
    monkeypatch.setattr(lk, "FOLDED_MAX_VALUES", 127)
    monkeypatch.setattr(lk, "lowpass_half_real_folded",
                        lambda *a: pytest.fail("folded kernel ran above its bound"))
    got = b.lowpass_irfft(b.rfft(x, 1), phi, (2,), 1, (256,))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())
