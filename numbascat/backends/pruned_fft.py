"""Pruned inverse FFTs: skip the planes of a spectrum that a filter leaves all zero.

At full resolution (``k = 1``) the product ``X * psi`` that ``multiply_subsample`` writes is
exactly zero outside the filter's support (:mod:`numbascat.backends.support`: the kernels zero
every output row, then add the products on the support). A ``d``-dimensional FFT factorises into
1D transforms along each axis, in any order. Transforming the trailing ``d - 1`` axes first, a
plane ``y[..., a, :, :]`` whose first-axis index ``a`` meets no support is zero and stays zero,
so only the planes with support are transformed (contiguous slabs, one FFTW plan per slab
shape); the first axis then runs on all the data. The work is ``((d - 1) * share + 1) / d`` of
the full transform, ``share`` being the fraction of planes with support; the result is the same
transform, rounded by a different factorisation.

Where it pays (measured supports): the 3D solid-harmonic wavelets at ``j = 2`` meet about half
the planes in float32 (relative threshold ``2^-27``; 2/3 of the work left) and three quarters in
float64; at ``j <= 1`` 97-100 % of the planes have support. Every 2D Morlet wavelet at ``j = 0``
(the only 2D filters used at full resolution) is non-negligible on the whole plane, so no line
of a 2D inverse FFT can be skipped.
"""
from __future__ import annotations

import math

import numpy as np

from numbascat.backends import fftw_plans as fp

__all__ = ["MAX_SHARE", "MIN_VALUES", "inverse_inplace", "leading_slabs"]

#: Prune only when at most this fraction of the first-axis planes has support: above it the
#: split into two passes (slabs, then the first axis) costs about what it saves. 3D, 128^3,
#: complex64, one thread: 6.0 ms pruned against 6.1 ms full at share 0.98, 8.5 against 11.1 ms
#: at share 0.49 (busy machine, medians of 9).
MAX_SHARE = 0.8
#: Signals smaller than this (values) are not pruned: the extra FFTW calls cost what the skipped
#: work saves. 3d-small (32^3, batch 8): FFT floor 29.7 -> 27.1 ms, the call unchanged
#: (paired ratio 1.015, IQR 0.95-1.05).
MIN_VALUES = 1 << 16


def leading_slabs(ptr: np.ndarray, canonical_shape: tuple[int, int, int, int], d: int,
                  max_share: float | None = None) -> tuple[tuple[int, int], ...] | None:
    """The runs ``(a0, a1)`` of first-signal-axis indices whose planes meet the support.

    ``ptr`` is a :class:`~numbascat.backends.support.SupportRuns` row pointer of a stack of
    canonical shape ``(F, L, M, N)`` (the union over its ``F`` filters is taken). Returns
    ``None`` when pruning does not pay (``d == 1``, or more than ``max_share`` of the planes
    have support; default :data:`MAX_SHARE`); an empty tuple when the stack is zero everywhere.
    """
    if d < 2:
        return None
    share_limit = MAX_SHARE if max_share is None else max_share
    F, L, M, _ = canonical_shape
    rows = (np.diff(ptr) > 0).reshape(F, L, M)
    # The first signal axis is L for 3D signals, M for 2D ones (L == 1 there).
    used = rows.any(axis=(0, 2)) if d == 3 else rows.any(axis=(0, 1))
    if used.mean() > share_limit:
        return None
    edges = np.flatnonzero(np.diff(np.concatenate([[0], used.astype(np.int8), [0]])))
    return tuple((int(a0), int(a1)) for a0, a1 in zip(edges[::2], edges[1::2], strict=True))


def inverse_inplace(y: np.ndarray, slabs: tuple[tuple[int, int], ...] | None, d: int) -> None:
    """Unnormalised inverse FFT of ``y`` ``(B, *s)`` over its trailing ``d`` axes, in place.

    ``y`` must come from :func:`fftw_plans.empty` and be zero on every plane outside ``slabs``
    (from :func:`leading_slabs` for the filters that made it). ``slabs=None`` runs the full
    transform, and so do signals under :data:`MIN_VALUES` values and transforms that run on
    several FFTW threads or whose slabs would not start SIMD-aligned.
    """
    # With FFTW's threads one full transform beats three shorter threaded ones: every threaded
    # execute waits for its workers, which on a busy machine costs more than the skipped work
    # (measured 128^3, 2 threads, another process on the second core: 24 ms pruned, 16 full).
    if (slabs is None or fp.threads_for(y.size) > 1
            or math.prod(y.shape[-d:]) < MIN_VALUES):
        fp.execute("ifft", y, y, d)
        return
    flat = y.reshape((-1,) + y.shape[-d:])
    views = [flat[b, a0:a1] for b in range(flat.shape[0]) for a0, a1 in slabs]
    if not all(fp.is_aligned(v) for v in views):
        fp.execute("ifft", y, y, d)
        return
    for v in views:
        fp.execute("ifft", v, v, d - 1)
    if not slabs:
        return  # all zero: the transform is zero too
    fp.execute("ifft", flat, flat, (-d,))
