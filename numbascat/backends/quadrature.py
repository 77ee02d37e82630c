"""``wavelet_quadrature`` of the numba backend: ``u = sqrt(sum_f w_f |ifft(X * psi_f)|^2)``.

``X`` is a real signal's half spectrum and ``psi_f`` the kept rows of a complex stack (the
solid harmonics' orders ``m >= 0`` on even grids, the pairs ``+-m`` weighted 2, see
:meth:`PreparedStack.quadrature_rows`). One row at a time: product, inverse FFT, squares added
to a real sum; then ``sqrt`` and the integrals (:func:`numba_kernels.root_powers`).

Real rows. A filter splits into its real and imaginary parts in space, ``psi = a + i b``, each
with a Hermitian spectrum, and ``|u * psi|^2 = (u * a)^2 + (u * b)^2`` for a real signal ``u``.
When one part is negligible (the ``m = 0`` solid harmonics are real in space at most scales) the
row needs only a half-spectrum product and a *real* inverse FFT: half the work and memory of
the complex one (:mod:`numbascat.backends.quadrature_kernels`). Other rows keep the complex
route: their two parts would cost the same FFTs and twice the product.

Large 3D volumes run each row in three passes over one shared spectrum ``Y``:

1. product and inverse FFT along the trailing axes (the second axis only for a real row),
   plane by plane, only on the first-axis planes the filter reaches (the others stay zero, as
   in :mod:`numbascat.backends.pruned_fft`);
2. inverse FFT along the first axis, over the whole volume (on FFTW's threads);
3. squares added to the sum, a few planes at a time (for a real row after a real inverse FFT
   along the last axis into a small scratch), while they are in cache.

Passes 1 and 3 touch disjoint planes, so two threads split them
(:func:`numbascat.backends.fftw_plans.run_parallel`): one row's working set (``Y``, the sum,
two scratch chunks) serves both cores, where running two rows (or two subtrees of the
transform) at once would hold two. Every voxel's sum is accumulated by one thread, in the
rows' order, so results do not depend on timing.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from numbascat.backends import fftw_plans as fp
from numbascat.backends import numba_kernels as nk
from numbascat.backends import pruned_fft
from numbascat.backends import quadrature_kernels as qk
from numbascat.backends.numba_kernels import float_view as _fview
from numbascat.backends.support import SupportRuns, relative_tolerance

__all__ = ["CHUNK_BYTES", "COOPERATE_MIN_VALUES", "DROP_TOLERANCE", "FFT_CHUNK_BYTES",
           "QuadraturePlan", "Row",
           "make_plan", "wavelet_quadrature"]

#: A part (real or imaginary, in space) whose spectrum peaks below this fraction of its
#: filter's is dropped, by signal precision. The float32 filter banks carry rounding noise
#: near 1e-7 of their peak in the part that should vanish (the imaginary part of the m = 0
#: solid harmonics); it stays below float32 rounding of the result. float64: only parts that
#: are zero to double precision.
DROP_TOLERANCE = {np.dtype(np.float32): 2.0 ** -20, np.dtype(np.float64): 2.0 ** -40}
#: Bytes of real output per chunk of pass 3 (the scratch a thread holds for a real row; at
#: most an eighth of the volume).
CHUNK_BYTES = 1 << 20
#: Bytes of one plane-pass FFT (pass 1): within the FFT plan pools' entry bound
#: (:data:`numbascat.backends.fftw_plans.POOL_ENTRY_FRACTION`), so their plans are reused.
FFT_CHUNK_BYTES = 2 << 20
#: Volumes (batch included) of at least this many values split passes 1 and 3 between two
#: threads; below it the hand-offs cost more than the second core gives.
COOPERATE_MIN_VALUES = 1 << 18


#: Row.values -> scales of a filter's real and imaginary values in the complex product.
_VALUE_FACTORS = {None: (1.0, 1.0), 0: (1.0, 0.0), 1: (0.0, 1.0)}


@dataclass(frozen=True)
class Row:
    """One kept row: filter ``f``, ``part`` (None: complex route; 0 / 1: the real / imaginary
    part alone, real route), ``weight``,
    ``planes`` (bool ``(L,)``, the first-axis planes its product reaches) and ``slabs``
    (their runs, or None when pruning does not pay). ``values`` (complex route only): None
    multiplies by the filter, 0 / 1 by its real / imaginary values alone (a split pair)."""

    f: int
    part: int | None
    weight: float
    planes: np.ndarray
    slabs: tuple[tuple[int, int], ...] | None
    values: int | None = None

    def factors(self, real) -> tuple:
        """Scales of the filter's real and imaginary values in the complex product, as
        scalars of the filters' ``real`` dtype (so the product keeps their precision)."""
        kre, kim = _VALUE_FACTORS[self.values]
        return real.type(kre), real.type(kim)


@dataclass
class QuadraturePlan:
    """What :func:`wavelet_quadrature` needs of a prepared stack (cached on the stack):
    ``filters`` canonical ``(F, L, M, N)`` complex, their ``support``, ``lohi`` ``(F, L, M, 2)``
    (columns of each half-spectrum row that a real part reaches), the ``rows``."""

    filters: np.ndarray
    support: SupportRuns
    lohi: np.ndarray
    rows: tuple[Row, ...]
    d: int
    _splits: dict = field(default_factory=dict)

    def split(self, key, weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
        """``parts`` contiguous plane ranges of about equal total ``weights`` (cached)."""
        value = self._splits.get((key, parts))
        if value is None:
            cum = np.concatenate([[0.0], np.cumsum(weights, dtype=np.float64)])
            cuts = [0] + [int(np.searchsorted(cum, cum[-1] * i / parts))
                          for i in range(1, parts)] + [len(weights)]
            value = [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
            self._splits[(key, parts)] = value
        return value


def _slabs(planes: np.ndarray, d: int):
    if d != 3 or planes.mean() > pruned_fft.MAX_SHARE:
        return None
    edges = np.flatnonzero(np.diff(np.concatenate([[0], planes.astype(np.int8), [0]])))
    return tuple((int(a0), int(a1)) for a0, a1 in zip(edges[::2], edges[1::2], strict=True))


def make_plan(filters: np.ndarray, support: SupportRuns, weights: np.ndarray,
              d: int, split=None) -> QuadraturePlan:
    """The plan of the kept rows ``filters`` (canonical ``(F, L, M, N)``, complex) with their
    ``support`` and quadrature ``weights``.

    ``split[f]`` (bool, optional): row ``f`` stands for itself and a partner ``s conj(f)``
    (pointwise, not mirrored). Their squares add up to ``2 (|ifft(X Re f)|^2 +
    |ifft(X Im f)|^2)``, so the row becomes two complex-route rows, one on each part of its
    values, each of ``weights[f]`` (the pair's 2): the same transforms as the two filters,
    without holding the partner."""
    filters = np.ascontiguousarray(filters)
    F, L, M, N = filters.shape
    lohi = np.zeros((F, L, M, 2), np.int64)
    peaks = np.zeros((F, 3), np.float64)
    qk.hermitian_part_info(_fview(filters), relative_tolerance(filters.real.dtype), lohi, peaks)
    used = (np.diff(support.ptr) > 0).reshape(F, L, M).any(axis=2)
    drop = DROP_TOLERANCE[np.dtype(filters.real.dtype)]
    rows = []
    for f in range(F):
        if split is not None and split[f]:
            rows.extend(Row(f, None, float(weights[f]), used[f], _slabs(used[f], d), values)
                        for values in (0, 1))
            continue
        real_part = [p for p in (0, 1) if peaks[f, 1 + p] > drop * peaks[f, 0]]
        if len(real_part) == 1:
            planes = (lohi[f, :, :, 1] > lohi[f, :, :, 0]).any(axis=1)
            rows.append(Row(f, real_part[0], float(weights[f]), planes,
                            _slabs(planes, d)))
        else:
            rows.append(Row(f, None, float(weights[f]), used[f], _slabs(used[f], d)))
    return QuadraturePlan(filters, support, lohi, tuple(rows), d)


def wavelet_quadrature(x_hat: np.ndarray, plan: QuadraturePlan, powers, keep_modulus: bool):
    """``(u, sums)`` as :meth:`numbascat.backend_api.Backend.wavelet_quadrature`: ``x_hat``
    ``(*lead, *s_half)`` the half spectrum of real signals ``(*lead, *s)``; ``u`` ``(*lead,
    *s)`` (None unless ``keep_modulus``), ``sums`` ``(*lead, len(powers))``."""
    d = plan.d
    F, L, M, N = plan.filters.shape
    s = plan.filters.shape[4 - d:]
    Nh = N // 2 + 1
    lead = x_hat.shape[:-d]
    B, n = math.prod(lead), L * M * N
    real = x_hat.real.dtype
    X = fp.aligned(np.ascontiguousarray(x_hat)).reshape((B, L, M, Nh))
    acc = fp.empty((B, n), real)
    Y = fp.empty((B, L, M, N), x_hat.dtype)
    # A real row's half spectrum lives in the first half of Y's memory.
    Z = Y.reshape(-1)[:B * L * M * Nh].reshape((B, L, M, Nh))
    # Pass 3 scratch: CHUNK_BYTES, at most an eighth of the volume.
    chunk = max(1, min(CHUNK_BYTES // (M * N * np.dtype(real).itemsize), L // 8))
    # Every plane slice a pass hands to FFTW must start SIMD-aligned, as Y itself.
    staged = (d == 3 and n >= pruned_fft.MIN_VALUES and (M * Nh * x_hat.itemsize) % 64 == 0
              and (M * N * x_hat.itemsize) % 64 == 0 and fp.is_aligned(Y))
    workers = 1
    if (staged and B * n >= COOPERATE_MIN_VALUES and L >= 2 and not fp.in_parallel()
            and fp.free_threads() >= 2):
        workers = 2
    args = (X, plan, Y, Z, acc, B)
    if staged:
        _staged(*args, chunk, workers)
    else:
        _whole(*args)
    del Y, Z
    u = acc if keep_modulus else np.empty((1, 1), real)
    p = np.asarray(powers, dtype=np.float64)
    if not plan.rows:
        acc[...] = 0
    if not staged:
        sums = np.empty((B, len(powers)), real)
        nk.root_powers(acc, 1.0 / n, p, keep_modulus, u, sums)
    else:
        # Halves of the voxels (on two threads when cooperating), their sums added in a fixed
        # order: the same numbers on one thread or two.
        halves = [(0, n // 2), (n // 2, n)]
        part_sums = [np.empty((B, len(powers)), real) for _ in halves]

        def half(i):
            q0, q1 = halves[i]
            nk.root_powers(acc[:, q0:q1], 1.0 / n, p, keep_modulus,
                           u[:, q0:q1] if keep_modulus else u, part_sums[i])

        tasks = [functools.partial(half, i) for i in range(2)]
        if workers == 2:
            fp.run_parallel(tasks)
        else:
            for task in tasks:
                task()
        sums = part_sums[0] + part_sums[1]
    return (u.reshape(lead + s) if keep_modulus else None), sums.reshape(lead + (len(powers),))


def _whole(X, plan: QuadraturePlan, Y, Z, acc, B) -> None:
    """Every row in one product and one inverse FFT over the whole batch (small signals)."""
    d = plan.d
    F, L, M, N = plan.filters.shape
    s = plan.filters.shape[4 - d:]
    Nh = N // 2 + 1
    Xv, fv = _fview(X), _fview(plan.filters)
    R = None
    for i, row in enumerate(plan.rows):
        if row.part is None:
            qk.multiply_complex_planes(Xv, fv, row.f, *row.factors(fv.dtype), plan.support.ptr,
                                       plan.support.runs, 0, L,
                                       _fview(Y))
            volumes = Y.reshape((B,) + s)
            fp.execute("ifft", volumes, volumes, d)
            nk.accumulate_squares(_fview(Y.reshape(B, -1)), row.weight, i == 0, acc)
        else:
            if R is None:
                R = fp.empty((B, L * M * N), acc.dtype)
            qk.multiply_half_planes(Xv, fv, row.f, row.part, plan.lohi, 0, L, _fview(Z))
            fp.execute("irfft", Z.reshape((B,) + s[:-1] + (Nh,)), R.reshape((B,) + s), d)
            qk.accumulate_real_squares(R.reshape(-1), row.weight, i == 0, acc.reshape(-1))


def _staged(X, plan: QuadraturePlan, Y, Z, acc, B, chunk: int, workers: int) -> None:
    """The three passes of every row (module docstring), on ``workers`` threads."""
    F, L, M, N = plan.filters.shape
    plane = M * N
    Xv, fv = _fview(X), _fview(plan.filters)
    Yv, Zv = _fview(Y), _fview(Z)
    all_planes = np.ones(L, bool)
    last_ranges = plan.split("all", np.ones(L), workers)
    scratch = [None] * len(last_ranges)

    def first_pass(row, a0, a1):
        pieces = ((max(a0, s0), min(a1, s1)) for s0, s1 in (row.slabs or ((0, L),)))
        if row.part is None:
            qk.multiply_complex_planes(Xv, fv, row.f, *row.factors(fv.dtype), plan.support.ptr,
                                       plan.support.runs, a0,
                                       a1, Yv)
            target, axes = Y, (-2, -1)
        else:
            qk.multiply_half_planes(Xv, fv, row.f, row.part, plan.lohi, a0, a1, Zv)
            target, axes = Z, (-2,)
        step = max(1, FFT_CHUNK_BYTES // (target[0, 0].nbytes))
        for s0, s1 in pieces:
            for b in range(B):
                # In chunks of planes small enough for pooled plans (no planning per call).
                for p0 in range(s0, s1, step):
                    v = target[b, p0:min(s1, p0 + step)]
                    fp.execute("ifft", v, v, axes)

    def last_pass(row, first, w, a0, a1):
        if row.part is None:
            for b in range(B):
                nk.accumulate_squares(_fview(Y[b, a0:a1].reshape(1, -1)), row.weight, first,
                                      acc[b:b + 1, a0 * plane:a1 * plane])
            return
        if scratch[w] is None:
            scratch[w] = fp.empty((chunk, M, N), acc.dtype)
        R = scratch[w]
        for b in range(B):
            for p0 in range(a0, a1, chunk):
                p1 = min(a1, p0 + chunk)
                out = R[:p1 - p0]
                fp.execute("irfft", Z[b, p0:p1], out, (-1,))
                qk.accumulate_real_squares(out.reshape(-1), row.weight, first,
                                           acc[b, p0 * plane:p1 * plane])

    for i, row in enumerate(plan.rows):
        if workers == 1 and row.part is None:
            # One thread: one pruned transform over the volume (FFTW's own threads, if any).
            qk.multiply_complex_planes(Xv, fv, row.f, *row.factors(fv.dtype), plan.support.ptr,
                                       plan.support.runs, 0,
                                       L, Yv)
            pruned_fft.inverse_inplace(Y, row.slabs, 3)
            nk.accumulate_squares(_fview(Y.reshape(B, -1)), row.weight, i == 0, acc)
            continue
        planes = row.planes if row.slabs is not None else all_planes
        # Planes without support cost only their zeroing: weigh them little.
        ranges = plan.split(i, planes + 0.05, workers)
        fp.run_parallel([functools.partial(first_pass, row, a0, a1) for a0, a1 in ranges])
        target = Y if row.part is None else Z
        fp.execute("ifft", target, target, (-3,))
        fp.run_parallel([functools.partial(last_pass, row, i == 0, w, a0, a1)
                         for w, (a0, a1) in enumerate(last_ranges)])
