"""2D Morlet filter bank in the Fourier domain (Kymatio 0.3 numbers, see the compat spec §2.3).

Filters are real float32 arrays (the real part of the DFT of a spatial Morlet wavelet) built
once per (padded shape, J, L) and cached in memory and on disk.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from numbascat.cache import cached_arrays

__all__ = ["crop_to_resolution", "filter_bank_2d", "gabor_2d", "morlet_2d"]

# Kymatio normalises Gabor filters with this literal, not pi; kept for identical numbers.
_KYMATIO_PI = 3.1415
#: exp(x) for x below this rounds to exactly 0 in float32 (its smallest subnormal is e^-103.3).
UNDERFLOW = -104.0


def gabor_2d(M: int, N: int, sigma: float, theta: float, xi: float,
             slant: float = 1.0) -> np.ndarray:
    """Spatial Gabor filter ``(M, N)`` complex64, centred at (0, 0), periodised over 5x5 tiles.

    The tiles are accumulated one after the other in complex64, as Kymatio does, so that the
    rounding (and hence every downstream number) is the same.
    """
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]], np.float32)
    R_inv = np.array([[c, s], [-s, c]], np.float32)
    D = np.array([[1, 0], [0, slant * slant]])
    curv = R @ D @ R_inv / (2 * sigma * sigma)
    cross = curv[0, 1] + curv[1, 0]
    kx, ky = xi * np.cos(theta), xi * np.sin(theta)
    rows = np.arange(-2 * M, 3 * M, dtype=np.float64).reshape(5, M)
    cols = np.arange(-2 * N, 3 * N, dtype=np.float64).reshape(5, N)
    gab = np.zeros((M, N), np.complex64)
    for ex in range(5):
        xx = rows[ex][:, None]
        for ey in range(5):
            yy = cols[ey][None, :]
            envelope = -(curv[0, 0] * xx * xx + cross * xx * yy + curv[1, 1] * yy * yy)
            # exp(envelope) below UNDERFLOW becomes exactly 0 in complex64, so adding those
            # terms changes nothing: only the rest is computed (a narrow Gaussian covers a
            # small share of the large grids), and the result is bit for bit the full sum.
            where = envelope > UNDERFLOW
            if not where.any():
                continue
            if where.all():
                gab += np.exp(envelope + 1j * (xx * kx + yy * ky))
                continue
            i, j = np.nonzero(where)
            x, y = rows[ex][i], cols[ey][j]
            gab[i, j] += np.exp(envelope[i, j] + 1j * (x * kx + y * ky))
    gab /= 2 * _KYMATIO_PI * sigma * sigma / slant
    return gab


def morlet_2d(M: int, N: int, sigma: float, theta: float, xi: float,
              slant: float = 0.5) -> np.ndarray:
    """Spatial Morlet wavelet ``(M, N)`` complex64: Gabor minus its scaled envelope (zero mean)."""
    wv = gabor_2d(M, N, sigma, theta, xi, slant)
    wm = gabor_2d(M, N, sigma, theta, 0, slant)
    K = np.sum(wv) / np.sum(wm)
    return wv - K * wm


def crop_to_resolution(f: np.ndarray, r: int) -> np.ndarray:
    """The filter at resolution ``r``: the centred (M/2^r, N/2^r) band of its DFT."""
    if r == 0:
        return f
    M, N = f.shape
    m, n = M // 2 ** r, N // 2 ** r
    rows = np.r_[0:m // 2, M - m // 2:M]
    cols = np.r_[0:n // 2, N - n // 2:N]
    return f[np.ix_(rows, cols)]


def _build(M: int, N: int, J: int, L: int) -> dict[str, np.ndarray]:
    arrays = {}
    for j in range(J):
        n_levels = min(j + 1, max(J - 1, 1))
        psi = np.empty((L, M, N), np.float32)
        for t in range(L):
            theta = (int(L - L / 2 - 1) - t) * np.pi / L
            wavelet = morlet_2d(M, N, 0.8 * 2 ** j, theta, 3.0 / 4.0 * np.pi / 2 ** j, 4.0 / L)
            psi[t] = np.real(scipy.fft.fft2(wavelet))
        for r in range(n_levels):
            arrays[f"psi_j{j}_r{r}"] = np.stack([crop_to_resolution(p, r) for p in psi])
    phi = np.real(scipy.fft.fft2(gabor_2d(M, N, 0.8 * 2 ** (J - 1), 0, 0, 1))).astype(np.float32)
    for r in range(J):
        arrays[f"phi_r{r}"] = crop_to_resolution(phi, r)[None]
    return arrays


def filter_bank_2d(M: int, N: int, J: int, L: int) -> dict[str, np.ndarray]:
    """The (cached, read-only) filter bank for padded size ``(M, N)``, J scales, L orientations.

    Keys: ``psi_j{j}_r{r}``, the ``L`` wavelets of scale ``j`` at resolution ``r`` (input
    subsampled by ``2^r``), shape ``(L, M/2^r, N/2^r)``, orientation ``t`` in row ``t``, for
    ``r < min(j + 1, max(J - 1, 1))``; ``phi_r{r}``, the low-pass filter at resolution ``r``,
    shape ``(1, M/2^r, N/2^r)``, for ``r < J``.
    """
    params = {"M": int(M), "N": int(N), "J": int(J), "L": int(L)}
    return cached_arrays("morlet2d", params, lambda: _build(M, N, J, L))
