"""Jitted kernels of the numba backend's frequency-axis ops (joint time-frequency scattering).

A JTFS coefficient ``(n, t)`` is filtered along its first-order index n (a few hundred bins at
most). The backend keeps its frequency spectra *transposed*, ``(t, N)`` complex: the FFTs then
run along contiguous rows (FFTW's estimated plans are poor on the strided axis, up to 17x
slower than measured ones), and a block of time samples is a block of whole rows. The kernels
below move data between the natural ``(n, t)`` layout and blocks of that transposed one.

Complex arrays are passed as float views (interleaved re/im, last axis doubled), as in
:mod:`numbascat.backends.numba_kernels`. Compiled lazily on first call and cached on disk
(``cache=True``); ``nogil`` so that blocks of one call run in parallel threads. No
``fastmath``: the modulus must stay exact at zero.
"""
from __future__ import annotations

import numpy as np

from numbascat.backends.lazy_jit import njit

__all__ = ["block_product", "modulus_transposed", "transpose_block", "transpose_pad"]


#: Rows moved together by the transposing kernels: 8 complex64 values are one 64-byte cache
#: line, so each line of the side read or written across rows is used whole.
TILE = 8


@njit(cache=True, nogil=True)
def transpose_pad(xv, cplx, t0, t1, ov):
    """``o[c, m] = x[m, t0 + c]`` for the rows of ``x`` and 0 beyond them.

    ``xv``: (n_in, t) real, or the (n_in, 2t) float view of a complex ``x`` (``cplx``);
    ``ov``: (t1 - t0, 2N) float view of a complex block, N >= n_in.
    """
    n_in = xv.shape[0]
    ov[:, 2 * n_in:] = 0.0
    for m0 in range(0, n_in, TILE):
        m1 = min(n_in, m0 + TILE)
        for c in range(t1 - t0):
            o = ov[c]
            for m in range(m0, m1):
                if cplx:
                    o[2 * m] = xv[m, 2 * (t0 + c)]
                    o[2 * m + 1] = xv[m, 2 * (t0 + c) + 1]
                else:
                    o[2 * m] = xv[m, t0 + c]
                    o[2 * m + 1] = 0.0


@njit(cache=True, nogil=True)
def block_product(xv, t0, t1, runs, ptr, wre, wim, real_w, f, ov):
    """One filter's product with rows ``t0:t1`` of a transposed spectrum, periodised.

    ``xv``: (t, 2N) float view of the transposed spectrum ``X^T``; filter ``f`` owns
    ``runs[ptr[f]:ptr[f+1]]``, rows ``(m0, m1, i0, v0)``: bins ``m0:m1`` land on output bins
    ``i0:i0 + m1 - m0`` with the weights ``wre + i wim`` from offset ``v0`` (periodisation
    mean included; runs never wrap; ``real_w``: the weights are real and ``wre`` holds each
    twice, at ``2 v0 + 2q`` and ``2 v0 + 2q + 1``). ``ov``: (t1 - t0, 2nk) float view, zeroed here:
    ``out[c, i] = sum_{m % nk == i} X[m, t0 + c] w[m]``.
    """
    ov[:] = 0.0
    for c in range(t1 - t0):
        row = xv[t0 + c]
        o = ov[c]
        for p in range(ptr[f], ptr[f + 1]):
            m0, m1, i0, v0 = runs[p, 0], runs[p, 1], runs[p, 2], runs[p, 3]
            if real_w:
                # wre holds each real weight twice (re and im lanes): one contiguous
                # multiply-add over interleaved values, which vectorises.
                xs = row[2 * m0:2 * m1]
                os_ = o[2 * i0:2 * (i0 + m1 - m0)]
                ws = wre[2 * v0:2 * (v0 + m1 - m0)]
                for q in range(2 * (m1 - m0)):
                    os_[q] += xs[q] * ws[q]
            else:
                for q in range(m1 - m0):
                    a = wre[v0 + q]
                    b = wim[v0 + q]
                    xr = row[2 * (m0 + q)]
                    xi = row[2 * (m0 + q) + 1]
                    o[2 * (i0 + q)] += xr * a - xi * b
                    o[2 * (i0 + q) + 1] += xr * b + xi * a


@njit(cache=True, nogil=True)
def _transpose_into(tmp, out, t0):
    """``out[i, t0 + c] = tmp[c, i]`` in square tiles (both sides stay in cache)."""
    w, nk = tmp.shape
    for i0 in range(0, nk, 2 * TILE):
        i1 = min(nk, i0 + 2 * TILE)
        for c0 in range(0, w, 2 * TILE):
            c1 = min(w, c0 + 2 * TILE)
            for i in range(i0, i1):
                o = out[i]
                for c in range(c0, c1):
                    o[t0 + c] = tmp[c, i]


@njit(cache=True, nogil=True)
def modulus_transposed(bv, scale, out, t0, tmp):
    """``out[i, t0 + c] = scale * |b[c, i]|``; ``bv`` the (w, 2nk) float view of ``b``,
    ``out`` (nk, t) real, ``tmp`` (>= w, nk) real scratch.

    The modulus runs along the block's rows first (where it vectorises), then a tiled
    transpose writes it out: 1.7x faster than one strided pass (measured, 120 x 272 blocks).
    """
    w, nk = bv.shape[0], bv.shape[1] // 2
    for c in range(w):
        src = bv[c]
        d = tmp[c]
        for i in range(nk):
            re = np.float64(src[2 * i])
            im = np.float64(src[2 * i + 1])
            d[i] = np.sqrt(re * re + im * im) * scale
    _transpose_into(tmp[:w], out, t0)


@njit(cache=True, nogil=True)
def transpose_block(bv, scale, ov, t0):
    """``o[i, t0 + c] = scale * b[c, i]`` (complex): ``bv`` (w, 2nk) and ``ov`` (nk, 2t)
    float views."""
    w, nk = bv.shape[0], bv.shape[1] // 2
    for i0 in range(0, nk, TILE):  # tiles of output rows: each written in contiguous runs
        i1 = min(nk, i0 + TILE)
        for c in range(w):
            src = bv[c]
            for i in range(i0, i1):
                ov[i, 2 * (t0 + c)] = src[2 * i] * scale
                ov[i, 2 * (t0 + c) + 1] = src[2 * i + 1] * scale
