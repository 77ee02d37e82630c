"""Jitted pointwise stages of the ``numba`` backend (the FFTs run on planned pyFFTW objects).

Every kernel works on a canonical 3D layout: a signal ``(L, M, N)`` (1D and 2D signals get
leading axes of length 1), a batch axis ``B`` in front, and *half spectra* ``(B, L, M, N//2+1)``
as produced by a real FFT. Complex arrays are passed as float views (``a.view(float_dtype)``,
interleaved re/im, last axis doubled) so that the loops multiply real filters with two real
multiplications and vectorise. Spectrum entries with column ``c > N//2`` are read by Hermitian
symmetry: ``X[a, r, c] = conj(X[-a, -r, N - c])``.

Compiled lazily on first call and cached on disk (``cache=True``); nothing here runs at import.
No ``fastmath``: the modulus must stay exact at zero.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["lowpass_half_real", "modulus_scaled", "multiply_periodise_complex",
           "multiply_periodise_real", "multiply_periodise_real_par", "quadrature_scaled",
           "sum_powers"]


@njit(cache=True)
def _full_spectrum(Xv, b, N, full):
    """Write the full spectrum of signal ``b`` (float view, (L, M, 2N)) into ``full``."""
    L, M = full.shape[0], full.shape[1]
    Nh = N // 2 + 1
    for a in range(L):
        an = (L - a) % L
        for r in range(M):
            rn = (M - r) % M
            xr = Xv[b, a, r]
            xn = Xv[b, an, rn]
            row = full[a, r]
            for t in range(2 * Nh):
                row[t] = xr[t]
            for c in range(Nh, N):
                m = N - c
                row[2 * c] = xn[2 * m]
                row[2 * c + 1] = -xn[2 * m + 1]


@njit(cache=True)
def _mp_signal(Xv, f2, b, N, k0, k1, k2, scale, ov, full):
    """All filters for signal ``b`` of :func:`multiply_periodise_real`."""
    F, L, M = f2.shape[0], f2.shape[1], f2.shape[2]
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    n2 = 2 * Nk
    _full_spectrum(Xv, b, N, full)
    for fi in range(F):
        o = ov[b, fi]
        for a in range(Lk):
            for r in range(Mk):
                orow = o[a, r]
                for t in range(n2):
                    orow[t] = 0.0
        for a in range(L):
            ao = a % Lk
            for r in range(M):
                xr = full[a, r]
                fr = f2[fi, a, r]
                orow = o[ao, r % Mk]
                for q in range(k2):
                    # Slices indexed from 0 let LLVM prove the indices non-negative and vectorise.
                    xs = xr[q * n2:(q + 1) * n2]
                    fs = fr[q * n2:(q + 1) * n2]
                    for t in range(n2):
                        orow[t] += xs[t] * fs[t]
        if scale != 1.0:
            for a in range(Lk):
                for r in range(Mk):
                    orow = o[a, r]
                    for t in range(n2):
                        orow[t] *= scale


@njit(cache=True)
def multiply_periodise_real(Xv, f2, N, k0, k1, k2, scale, ov):
    """Filter a half spectrum by a real stack and periodise, writing full spectra.

    Xv : (B, L, M, 2*(N//2+1)) float view of the half spectrum.
    f2 : (F, L, M, 2N) real filters with every value repeated twice (re and im lanes).
    ov : (B, F, L//k0, M//k1, 2*(N//k2)) float view of the complex output, overwritten with
        ``scale * sum over periods of X * f``.
    """
    full = np.empty((f2.shape[1], f2.shape[2], 2 * N), Xv.dtype)
    for b in range(Xv.shape[0]):
        _mp_signal(Xv, f2, b, N, k0, k1, k2, scale, ov, full)


@njit(cache=True, parallel=True)
def multiply_periodise_real_par(Xv, f2, N, k0, k1, k2, scale, ov):
    """:func:`multiply_periodise_real` with the signals spread over threads."""
    for b in prange(Xv.shape[0]):
        full = np.empty((f2.shape[1], f2.shape[2], 2 * N), Xv.dtype)
        _mp_signal(Xv, f2, b, N, k0, k1, k2, scale, ov, full)


@njit(cache=True, parallel=True)
def warm_parallel_kernel(a):
    """A trivial parallel kernel: launching it loads numba's threading layer."""
    for i in prange(a.shape[0]):
        a[i] += 1.0


def warm_parallel() -> None:
    """Load the threading layer now (raises ValueError when no allowed layer can load)."""
    warm_parallel_kernel(np.zeros(2))


@njit(cache=True)
def multiply_periodise_complex(X, f, N, k0, k1, k2, scale, out):
    """As :func:`multiply_periodise_real` for complex filters, on complex arrays.

    X : (B, L, M, N//2+1) complex; f : (F, L, M, N) complex; out : (B, F, L//k0, M//k1, N//k2).
    """
    B, F, L, M = X.shape[0], f.shape[0], f.shape[1], f.shape[2]
    Nh = N // 2 + 1
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    out[:] = 0
    for b in range(B):
        for fi in range(F):
            for a in range(L):
                ao, an = a % Lk, (L - a) % L
                for r in range(M):
                    ro, rn = r % Mk, (M - r) % M
                    for c in range(N):
                        if c < Nh:
                            x = X[b, a, r, c]
                        else:
                            x = np.conj(X[b, an, rn, N - c])
                        out[b, fi, ao, ro, c % Nk] += x * f[fi, a, r, c]
    out *= scale


@njit(cache=True)
def lowpass_half_real(Xv, f, N, k0, k1, k2, scale, ov):
    """Filter a half spectrum by one real (symmetrised) filter, periodise, keep the half.

    Xv : (B, L, M, 2*(N//2+1)) float view; f : (L, M, N) real, Hermitian-symmetric;
    ov : (B, L//k0, M//k1, 2*((N//k2)//2+1)) float view of the low-resolution half spectrum.
    """
    B, L, M = Xv.shape[0], f.shape[0], f.shape[1]
    Nh = N // 2 + 1
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    Nkh = Nk // 2 + 1
    ov[:] = 0.0
    for b in range(B):
        o = ov[b]
        for a in range(L):
            ao, an = a % Lk, (L - a) % L
            for r in range(M):
                ro, rn = r % Mk, (M - r) % M
                xr = Xv[b, a, r]
                xn = Xv[b, an, rn]
                fr = f[a, r]
                orow = o[ao, ro]
                for q in range(k2):
                    base = q * Nk
                    lo = min(Nkh, max(0, Nh - base))
                    xs = xr[2 * base:2 * (base + lo)]
                    fs = fr[base:base + lo]
                    for j in range(lo):
                        fv = fs[j]
                        orow[2 * j] += xs[2 * j] * fv
                        orow[2 * j + 1] += xs[2 * j + 1] * fv
                    for j in range(lo, Nkh):
                        c = base + j
                        m = N - c
                        fv = fr[c]
                        orow[2 * j] += xn[2 * m] * fv
                        orow[2 * j + 1] -= xn[2 * m + 1] * fv
    ov *= scale


@njit(cache=True)
def modulus_scaled(tv, scale, out):
    """``out[i] = scale * |t[i]|`` for a flat complex array given as its float view ``tv``."""
    for i in range(out.shape[0]):
        re = np.float64(tv[2 * i])
        im = np.float64(tv[2 * i + 1])
        out[i] = np.sqrt(re * re + im * im) * scale


@njit(cache=True)
def quadrature_scaled(tv, scale, out):
    """``out[p, q] = scale * sqrt(sum_a |t[p, a, q]|^2)``; ``tv`` (P, A, 2Q) float view."""
    P, A, Q = tv.shape[0], tv.shape[1], out.shape[1]
    for p in range(P):
        acc = np.zeros(Q, dtype=np.float64)
        for a in range(A):
            row = tv[p, a]
            for q in range(Q):
                re = np.float64(row[2 * q])
                im = np.float64(row[2 * q + 1])
                acc[q] += re * re + im * im
        for q in range(Q):
            out[p, q] = np.sqrt(acc[q]) * scale


@njit(cache=True)
def sum_powers(x, powers, out):
    """``out[b, i] = sum_n x[b, n] ** powers[i]`` accumulated in float64; x (B, n)."""
    for b in range(x.shape[0]):
        row = x[b]
        for i in range(powers.shape[0]):
            q = powers[i]
            acc = 0.0
            if q == 1.0:
                for n in range(row.shape[0]):
                    acc += row[n]
            elif q == 2.0:
                for n in range(row.shape[0]):
                    v = np.float64(row[n])
                    acc += v * v
            elif q == 0.5:
                for n in range(row.shape[0]):
                    acc += np.sqrt(np.float64(row[n]))
            else:
                for n in range(row.shape[0]):
                    acc += np.float64(row[n]) ** q
            out[b, i] = acc
