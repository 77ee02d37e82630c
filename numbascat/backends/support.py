"""Where a filter stack is non-negligible: column runs per row, for the numba kernels.

Scattering filters are concentrated in frequency (Gaussian envelopes): a 1D wavelet at ``Q = 12``
covers a few percent of the spectrum, a 2D wavelet at scale ``j`` about ``4^-j`` of the plane, the
low-pass filter a small box around zero. Multiplying a spectrum by a filter therefore only needs
the entries where the filter is not negligible. :func:`support_runs` lists them as column runs
``[start, stop)`` per row of the canonical ``(F, L, M, N)`` stack.

"Negligible" means ``|f| <= rel_tol * max|f|`` over that filter. With ``rel_tol`` far below the
signal precision (see :func:`relative_tolerance`) every dropped product is below the rounding of
the kept ones, so the result equals the full product to that precision.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SupportRuns", "periodised_segments", "relative_tolerance", "support_runs",
           "support_runs_numpy"]

#: Runs closer than this many columns are merged: a short loop costs more than a few zeros.
MERGE_GAP = 8


def relative_tolerance(real_dtype) -> float:
    """Filter values below this fraction of the filter's peak are skipped.

    float32: ``2^-27`` (16x below float32's ``2^-24`` unit roundoff). The filter banks are
    stored in float32 and their Fourier transforms carry a rounding floor near ``1e-9`` of the
    peak all over the plane; entries at that level are noise, and the products they would add
    are below the rounding of the result. float64: ``2^-64``, which keeps every entry of a
    float32 bank that carries information.
    """
    return 2.0 ** -27 if np.dtype(real_dtype) == np.float32 else 2.0 ** -64


@dataclass(frozen=True)
class SupportRuns:
    """Column runs of a stack ``(F, L, M, N)``.

    Row ``i = (f * L + a) * M + r`` has runs ``runs[ptr[i]:ptr[i + 1]]``, each ``(start, stop)``
    with ``0 <= start < stop <= N``, sorted and disjoint. ``fraction`` is the share of entries
    kept.
    """

    ptr: np.ndarray   # (F * L * M + 1,) int64
    runs: np.ndarray  # (R, 2) int64
    fraction: float


def support_runs(magnitude: np.ndarray, rel_tol: float, merge_gap: int = MERGE_GAP) -> SupportRuns:
    """Runs where ``magnitude`` (F, L, M, N), real and non-negative, exceeds ``rel_tol`` times
    its filter's maximum. Gaps shorter than ``merge_gap`` columns are bridged.

    One jitted pass over the rows (:func:`numbascat.backends.numba_kernels.threshold_runs`):
    the mask, edge and ``nonzero`` arrays of :func:`support_runs_numpy` made a long 1D
    bank's first call spend 2.1 s here (118 filters of 2^21 bins).
    """
    from numbascat.backends.numba_kernels import threshold_runs

    F, L, M, N = magnitude.shape
    if magnitude.size == 0:
        return SupportRuns(np.zeros(F * L * M + 1, np.int64), np.zeros((0, 2), np.int64), 0.0)
    peaks = magnitude.reshape(F, -1).max(axis=1)
    thresholds = rel_tol * peaks  # compared in the magnitude's own precision, as numpy does
    rows = np.ascontiguousarray(magnitude.reshape(-1, N))
    ptr, runs = threshold_runs(rows, thresholds.astype(rows.dtype), L * M, int(merge_gap))
    kept = int((runs[:, 1] - runs[:, 0]).sum()) if len(runs) else 0
    return SupportRuns(ptr, runs, kept / max(1, magnitude.size))


def support_runs_numpy(magnitude: np.ndarray, rel_tol: float,
                       merge_gap: int = MERGE_GAP) -> SupportRuns:
    """:func:`support_runs` in numpy (the reference its kernel is tested against)."""
    F, L, M, N = magnitude.shape
    peaks = magnitude.reshape(F, -1).max(axis=1)
    mask = magnitude > (rel_tol * peaks)[:, None, None, None]
    rows = mask.reshape(-1, N)
    edges = np.zeros((rows.shape[0], N + 2), dtype=np.int8)
    edges[:, 1:-1] = rows
    step = np.diff(edges, axis=1)
    start_row, starts = np.nonzero(step == 1)
    _, stops = np.nonzero(step == -1)  # row-major order: pairs with the starts
    if len(starts) > 1:
        # A run continues the previous one when it is in the same row and the gap is short.
        joins = (start_row[1:] == start_row[:-1]) & (starts[1:] - stops[:-1] < merge_gap)
        keep_start = np.concatenate([[True], ~joins])
        keep_stop = np.concatenate([~joins, [True]])
        start_row, starts, stops = start_row[keep_start], starts[keep_start], stops[keep_stop]
    counts = np.bincount(start_row, minlength=rows.shape[0])
    ptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    runs = np.stack([starts, stops], axis=1).astype(np.int64).reshape(-1, 2)
    kept = int((runs[:, 1] - runs[:, 0]).sum()) if len(runs) else 0
    return SupportRuns(ptr, runs, kept / max(1, mask.size))


def periodised_segments(support: SupportRuns, N: int, Nk: int, keep: int | None = None,
                        value_base: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The runs cut where periodisation folds them and where the half spectrum ends.

    Output column ``c`` of a row of length ``N`` lands on column ``c % Nk`` after periodising
    by ``N // Nk``; a half spectrum holds columns ``< N//2 + 1`` and the others are mirrored.
    Returns ``(ptr, segments)``: row ``i`` (as in :class:`SupportRuns`) has segments
    ``segments[ptr[i]:ptr[i + 1]]``, each ``(start, stop, out_start, mirrored)`` with all its
    columns on one side of ``N//2 + 1`` and landing on ``out_start + (c - start)``. With
    ``keep``, only output columns ``< keep`` are listed (a half spectrum at low resolution).

    ``value_base`` (R,), one per run, says where a run's filter values are stored: column ``c``
    of run ``q`` is value ``value_base[q] + c``. A fifth column then holds each segment's first
    value index (``row * N + start`` when omitted: a dense ``(rows, N)`` stack).
    """
    Nh = N // 2 + 1
    starts, stops = support.runs[:, 0], support.runs[:, 1]
    rows = np.repeat(np.arange(len(support.ptr) - 1), np.diff(support.ptr))
    # Cut points: multiples of Nk, and Nh; every run splits at those inside it.
    cuts = np.union1d(np.arange(0, N + 1, Nk), [Nh, N])
    pieces_rows, pieces_s, pieces_e = [], [], []
    base = (rows * N if value_base is None
            else np.asarray(value_base, dtype=np.int64)).tolist()
    pieces_base = []
    for row, s, e, vb in zip(rows.tolist(), starts.tolist(), stops.tolist(), base, strict=True):
        inner = cuts[(cuts > s) & (cuts < e)].tolist()
        bounds = [s] + inner + [e]
        pieces_rows += [row] * (len(bounds) - 1)
        pieces_base += [vb] * (len(bounds) - 1)
        pieces_s += bounds[:-1]
        pieces_e += bounds[1:]
    seg_s = np.asarray(pieces_s, dtype=np.int64)
    seg_e = np.asarray(pieces_e, dtype=np.int64)
    seg_rows = np.asarray(pieces_rows, dtype=np.int64)
    seg_v = np.asarray(pieces_base, dtype=np.int64).reshape(-1) + seg_s
    out_start = seg_s % Nk
    if keep is not None:
        seg_e = np.minimum(seg_e, seg_s - out_start + keep)
        valid = seg_s < seg_e
        seg_s, seg_e, seg_rows, out_start, seg_v = (seg_s[valid], seg_e[valid], seg_rows[valid],
                                                    out_start[valid], seg_v[valid])
    mirrored = (seg_s >= Nh).astype(np.int64)
    counts = np.bincount(seg_rows, minlength=len(support.ptr) - 1)
    ptr = np.zeros(len(support.ptr), dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    segments = np.stack([seg_s, seg_e, out_start, mirrored, seg_v], axis=1).reshape(-1, 5)
    return ptr, np.ascontiguousarray(segments)
