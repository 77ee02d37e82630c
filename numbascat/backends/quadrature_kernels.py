"""Jitted stages of the real-part wavelet quadrature (:mod:`numbascat.backends.real_quadrature`).

A complex filter ``psi`` splits into its real and imaginary parts in space, ``psi = a + i b``,
whose spectra are Hermitian: ``a^(k) = (psi^(k) + conj(psi^(-k))) / 2`` and
``b^(k) = (psi^(k) - conj(psi^(-k))) / (2i)``. For a real signal ``u``, ``u * a`` and ``u * b``
are real, and ``|u * psi|^2 = (u * a)^2 + (u * b)^2``. :func:`hermitian_part_info` measures both
parts of each filter; when one is negligible the filter is (to that precision) real or
imaginary in space, and :func:`multiply_half_planes` forms the half spectrum of the real
convolution from the filter itself (no second copy of the filter bank is kept).

Layout as in :mod:`numbascat.backends.numba_kernels`: canonical ``(L, M, N)`` signals, a batch
axis in front, complex arrays as interleaved float views. Compiled lazily, cached on disk;
``nogil`` (the plane halves of one call run in parallel threads); no ``fastmath``.
"""
from __future__ import annotations

import numpy as np

from numbascat.backends.lazy_jit import njit

__all__ = ["accumulate_real_squares", "hermitian_part_info", "multiply_complex_planes",
           "multiply_half_planes"]


@njit(cache=True, nogil=True)
def hermitian_part_info(fv, tol, lohi, peaks):
    """Per filter ``f`` of ``fv`` (F, L, M, 2N) (float view of complex filters): ``peaks[f] =
    (max |psi|, max |psi^(k) + conj psi^(-k)|, max |psi^(k) - conj psi^(-k)|)`` over the half
    spectrum, and ``lohi[f, a, r] = (lo, hi)``: the columns ``c < N//2+1`` of row ``(a, r)``
    outside ``[lo, hi)`` have ``|psi^(k)|`` and ``|psi^(-k)|`` both ``<= tol * max |psi|``
    (``lo == hi`` when the whole row is negligible)."""
    F, L, M = fv.shape[0], fv.shape[1], fv.shape[2]
    N = fv.shape[3] // 2
    Nh = N // 2 + 1
    for f in range(F):
        peak = 0.0
        for a in range(L):
            for r in range(M):
                row = fv[f, a, r]
                for c in range(N):
                    v = np.float64(row[2 * c]) ** 2 + np.float64(row[2 * c + 1]) ** 2
                    if v > peak:
                        peak = v
        peak = np.sqrt(peak)
        limit = (tol * peak) ** 2
        pa = 0.0
        pb = 0.0
        for a in range(L):
            an = (L - a) % L
            for r in range(M):
                rn = (M - r) % M
                row = fv[f, a, r]
                mir = fv[f, an, rn]
                lo = Nh
                hi = 0
                for c in range(Nh):
                    cn = (N - c) % N
                    pr, pi = np.float64(row[2 * c]), np.float64(row[2 * c + 1])
                    qr, qi = np.float64(mir[2 * cn]), np.float64(mir[2 * cn + 1])
                    if pr * pr + pi * pi > limit or qr * qr + qi * qi > limit:
                        if c < lo:
                            lo = c
                        hi = c + 1
                    va = (pr + qr) ** 2 + (pi - qi) ** 2
                    vb = (pr - qr) ** 2 + (pi + qi) ** 2
                    if va > pa:
                        pa = va
                    if vb > pb:
                        pb = vb
                if hi == 0:
                    lo = 0
                lohi[f, a, r, 0] = lo
                lohi[f, a, r, 1] = hi
        peaks[f, 0] = peak
        peaks[f, 1] = np.sqrt(pa)
        peaks[f, 2] = np.sqrt(pb)


@njit(cache=True, nogil=True)
def multiply_half_planes(Xv, fv, f, part, lohi, a0, a1, ov):
    """``out[b, a, r, c] = X[b, a, r, c] * psi_f[a, r, c]`` (``part == 0``) or that times
    ``-i`` (``part == 1``) on the half-spectrum columns ``lohi[f, a, r]`` of the planes
    ``a0 <= a < a1``, zero elsewhere: for a filter that is real (or imaginary) in space, the
    half spectrum of the real convolution (times ``-i`` for an imaginary filter).

    Xv, ov : (B, L, M, 2*(N//2+1)) float views of half spectra; fv : (F, L, M, 2N) float view
    of the complex filters.
    """
    B, M = Xv.shape[0], Xv.shape[2]
    for b in range(B):
        for a in range(a0, a1):
            for r in range(M):
                orow = ov[b, a, r]
                lo, hi = lohi[f, a, r, 0], lohi[f, a, r, 1]
                for t in range(2 * lo):
                    orow[t] = 0.0
                for t in range(2 * hi, orow.shape[0]):
                    orow[t] = 0.0
                xr = Xv[b, a, r]
                fr = fv[f, a, r]
                if part == 0:
                    for c in range(lo, hi):
                        xre, xim = xr[2 * c], xr[2 * c + 1]
                        fre, fim = fr[2 * c], fr[2 * c + 1]
                        orow[2 * c] = xre * fre - xim * fim
                        orow[2 * c + 1] = xre * fim + xim * fre
                else:
                    for c in range(lo, hi):
                        xre, xim = xr[2 * c], xr[2 * c + 1]
                        fre, fim = fr[2 * c], fr[2 * c + 1]
                        orow[2 * c] = xre * fim + xim * fre
                        orow[2 * c + 1] = xim * fim - xre * fre


@njit(cache=True, nogil=True)
def multiply_complex_planes(Xv, fv, f, kre, kim, ptr, runs, a0, a1, ov):
    """``out[b, a] = X[b, a] * psi_f[a]`` on the planes ``a0 <= a < a1``, full spectrum out:
    ``Xv`` (B, L, M, 2*(N//2+1)) float view of half spectra (columns past the half read by
    Hermitian symmetry), ``fv`` (F, L, M, 2N) float view of complex filters whose support
    runs are ``ptr``/``runs`` (rows ``(f * L + a) * M + r``), ``ov`` (B, L, M, 2N); zero off
    the support. The filter's real and imaginary values are scaled by ``kre`` and ``kim``
    (1 and 1: the filter; 1 and 0 or 0 and 1: its real or imaginary values alone)."""
    B, L, M = Xv.shape[0], Xv.shape[1], Xv.shape[2]
    N = fv.shape[3] // 2
    Nh = N // 2 + 1
    for b in range(B):
        for a in range(a0, a1):
            an = (L - a) % L
            for r in range(M):
                rn = (M - r) % M
                orow = ov[b, a, r]
                xr = Xv[b, a, r]
                xn = Xv[b, an, rn]
                fr = fv[f, a, r]
                row = (f * L + a) * M + r
                prev = 0
                for p in range(ptr[row], ptr[row + 1]):
                    s, e = runs[p, 0], runs[p, 1]
                    for t in range(2 * prev, 2 * s):
                        orow[t] = 0.0
                    prev = e
                    for c in range(s, min(e, Nh)):
                        xre, xim = xr[2 * c], xr[2 * c + 1]
                        fre, fim = kre * fr[2 * c], kim * fr[2 * c + 1]
                        orow[2 * c] = xre * fre - xim * fim
                        orow[2 * c + 1] = xre * fim + xim * fre
                    # Mirrored half: X[c] = conj(X[-c]).
                    for c in range(max(s, Nh), e):
                        xre, xim = xn[2 * (N - c)], -xn[2 * (N - c) + 1]
                        fre, fim = kre * fr[2 * c], kim * fr[2 * c + 1]
                        orow[2 * c] = xre * fre - xim * fim
                        orow[2 * c + 1] = xre * fim + xim * fre
                for t in range(2 * prev, 2 * N):
                    orow[t] = 0.0


@njit(cache=True, nogil=True)
def accumulate_real_squares(t, weight, first, acc):
    """``acc[q] (+)= weight * t[q]^2`` (each term formed in float64); ``t`` and ``acc`` flat of
    the same length, any float precision; ``first`` overwrites instead of adding."""
    if first:
        for q in range(acc.shape[0]):
            v = np.float64(t[q])
            acc[q] = weight * (v * v)
    else:
        for q in range(acc.shape[0]):
            v = np.float64(t[q])
            acc[q] += weight * (v * v)
