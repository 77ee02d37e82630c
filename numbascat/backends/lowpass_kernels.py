"""The low-pass step of the ``numba`` backend, without backwards reads.

``lowpass_irfft`` filters a real signal's half spectrum by the symmetric low-pass filter,
periodises it and keeps the half of the result. Read directly, the half spectrum's mirrored
columns (past ``N//2``) are read backwards, a loop the compiler cannot vectorise, and the
low-pass's support covers half the plane or more. Both the signal and the filter are
symmetric, so the product is Hermitian and so is its periodisation ``P``. With ``A`` the
periodisation of the product restricted to the stored columns ``1 .. N - N//2 - 1`` (the
mirrors of the others) and ``E`` that of the self-mirrored columns (``0``, and ``N/2`` for
even ``N``):

    P[a, r, j] = A[a, r, j] + E[a, r, j] + conj(A[-a, -r, -j])

so every input column is read once, forwards, and the mirrors are added at the low
resolution. The sums are regrouped (not reordered term by term) against the direct kernel:
results agree to rounding.
"""
from __future__ import annotations

import numpy as np

from numbascat.backends.lazy_jit import njit
from numbascat.backends.numba_kernels import SIGNAL_BLOCK  # signals accumulated together

__all__ = ["FOLDED_MAX_VALUES", "lowpass_half_real_folded"]

#: Largest low-resolution signal (values) the folded kernel takes: its two accumulators hold
#: SIGNAL_BLOCK full (not half) low-resolution spectra. Larger ones take the direct kernel.
FOLDED_MAX_VALUES = 1 << 16


@njit(cache=True, nogil=True)
def lowpass_half_real_folded(Xv, f, ptr, seg, N, k0, k1, k2, scale, ov):
    """:func:`numbascat.backends.numba_kernels.lowpass_half_real`, folded (module docstring).

    Xv : (B, L, M, 2*(N//2+1)) float view; f : (L, M, N) real, Hermitian-symmetric;
    ptr, seg : its support cut for this periodisation over every output column
        (:func:`~numbascat.backends.support.periodised_segments` without ``keep``); the
        mirrored segments are not used;
    ov : (B, L//k0, M//k1, 2*((N//k2)//2+1)) float view of the low-resolution half spectrum.
    """
    B, L, M = Xv.shape[0], f.shape[0], f.shape[1]
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    h = N // 2 + 1
    mid_end = N - h + 1  # columns 1 .. N - h are the mirrors of h .. N - 1
    half_k = ov.shape[3] // 2
    acc_mid = np.empty((SIGNAL_BLOCK, Lk, Mk, 2 * Nk), Xv.dtype)
    acc_edge = np.empty((SIGNAL_BLOCK, Lk, Mk, 2 * Nk), Xv.dtype)
    for b0 in range(0, B, SIGNAL_BLOCK):
        nb = min(B, b0 + SIGNAL_BLOCK) - b0
        acc_mid[:nb] = 0.0
        acc_edge[:nb] = 0.0
        for a in range(L):
            ao = a % Lk
            for r in range(M):
                ro = r % Mk
                fr = f[a, r]
                for p in range(ptr[a * M + r], ptr[a * M + r + 1]):
                    if seg[p, 3]:
                        continue
                    s, e, j0 = seg[p, 0], seg[p, 1], seg[p, 2]
                    # Three runs of one kind each: column 0, the mirrored ones, N/2.
                    for lo, hi, mid in ((s, min(e, 1), False),
                                        (max(s, 1), min(e, mid_end), True),
                                        (max(s, mid_end), e, False)):
                        n = hi - lo
                        if n <= 0:
                            continue
                        fs = fr[lo:hi]
                        jo = j0 + (lo - s)
                        for i in range(nb):
                            xs = Xv[b0 + i, a, r, 2 * lo:2 * hi]
                            if mid:
                                os_ = acc_mid[i, ao, ro, 2 * jo:2 * (jo + n)]
                            else:
                                os_ = acc_edge[i, ao, ro, 2 * jo:2 * (jo + n)]
                            for t in range(n):
                                os_[2 * t] += xs[2 * t] * fs[t]
                                os_[2 * t + 1] += xs[2 * t + 1] * fs[t]
        for i in range(nb):
            for ao in range(Lk):
                an = (Lk - ao) % Lk
                for ro in range(Mk):
                    rn = (Mk - ro) % Mk
                    m, e_, mn = acc_mid[i, ao, ro], acc_edge[i, ao, ro], acc_mid[i, an, rn]
                    dst = ov[b0 + i, ao, ro]
                    for j in range(half_k):
                        jn = (Nk - j) % Nk
                        dst[2 * j] = (m[2 * j] + e_[2 * j] + mn[2 * jn]) * scale
                        dst[2 * j + 1] = (m[2 * j + 1] + e_[2 * j + 1] - mn[2 * jn + 1]) * scale
