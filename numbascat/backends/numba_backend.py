"""The ``numba`` backend: planned pyFFTW transforms around fused numba kernels (CPU, numpy).

Real spectra are *half spectra* (``rfftn`` layout: last signal axis ``n//2+1``). The fused
operations read the missing half by Hermitian symmetry inside their kernels:

- ``multiply_subsample``: filter and periodise in one pass, half spectrum in, full low-resolution
  spectrum out;
- ``lowpass_irfft``: low-pass filters are symmetrised at preparation (``(f + conj(f[-k]))/2``,
  exact for real signals, see :class:`~numbascat.backend_api.FilterRole`), so the filtered and
  periodised spectrum is Hermitian: only its half is computed, then one planned ``irfft``;
- ``ifft_modulus``/``ifft_modulus_rfft``/``quadrature_modulus``: planned inverse FFT, then one
  kernel applying ``1/N`` and the modulus;
- ``wavelet_quadrature``: one filter row at a time into one shared spectrum, rows that are real
  in space on half spectra and real inverse FFTs; large volumes split each row's plane passes
  between two threads (:mod:`numbascat.backends.quadrature`).

FFT plans, threads and wisdom: :mod:`numbascat.backends.fftw_plans`. float32 signals stay
complex64 end to end; float64 signals run in double.
"""
from __future__ import annotations

import contextlib
import math
import threading
from typing import TYPE_CHECKING

import numpy as np

from numbascat.backend_api import Backend, ConjugateSymmetricStack, FilterRole, LazyFilterStack
from numbascat.backends import fftw_plans as fp
from numbascat.backends import lazy_jit, workspace
from numbascat.backends import lowpass_kernels as lk
from numbascat.backends import numba_kernels as nk
from numbascat.backends.info import NUMBA
from numbascat.backends.numba_frequency import FrequencyAxisOps
from numbascat.backends.numba_kernels import float_view as _fview
from numbascat.backends.numba_wavelet_modulus import WaveletModulusOps
from numbascat.backends.numpy_backend import NumpyArrays
from numbascat.backends.support import (
    SupportRuns,
    periodised_segments,
    relative_tolerance,
    support_runs,
)
from numbascat.symmetry import conjugate_pairs, stored_pairs

if TYPE_CHECKING:  # imported where used: only 3D transforms need it (2 ms of construction)
    from numbascat.backends import quadrature

__all__ = ["NumbaBackend", "PreparedStack", "threadsafe_parallel"]

#: Below this many output bytes per call, the serial kernel beats starting worker threads.
PARALLEL_MIN_BYTES = 1 << 22
#: Bound on the complex scratch of one inverse FFT batch in ifft_modulus (bytes).
SCRATCH_BYTES = 1 << 21
#: Forward calls whose estimated working memory is at most this keep their temporaries for
#: the next call (:func:`numbascat.backends.workspace.recycling`, this much at most per
#: thread): 1d-eeg and 2d-mnist otherwise fault 6 and 13 MB of fresh pages in on every call.
RECYCLE_BYTES = 20 << 20

#: Forward calls of at most this many input values (batch included) run on the numpy
#: reference backend while numba's kernels are not loaded in the process (see
#: :meth:`NumbaBackend.warmup_standin`), unless the transform gives its own limit. Up to
#: here the reference is still 2.2-4.5x faster than Kymatio 0.3 (1D 2^10-2^13, 2D 32^2 and
#: 64^2, batch 1; 2D 128^2 was only 1.4-1.9x, 3D 32^3 1.5x).
WARMUP_MAX_VALUES = 1 << 13
#: ... until those calls have taken this long in all: about what importing numba (0.2 s) and
#: loading the first kernels (0.3 s) cost on the 2-core machine, so that a process never
#: spends more than about twice the better of the two choices (ski rental).
WARMUP_SECONDS = 0.5

_parallel_state: list[bool] = []  # [usable] once decided
_warmup_lock = threading.Lock()
_warmup = {"spent": 0.0, "over": False, "enabled": None}  # enabled: the setting, read once


def _parallel_kernel_pays(out_bytes: int, items: int) -> bool:
    """Whether to spread multiply-and-periodise over numba's threads.

    Only when FFTW itself runs single-threaded: after a parallel region OpenMP's workers spin
    for a while, and they steal the cores FFTW's own threads need. Measured on 2 cores with
    2 FFTW threads: serial kernels 319 / 184 ms on 1d-headline / 2d-headline against 540 /
    283 ms with the parallel kernel.
    """
    return (out_bytes >= PARALLEL_MIN_BYTES and items > 1 and fp.settings().threads <= 1
            and threadsafe_parallel())


def threadsafe_parallel() -> bool:
    """Whether the parallel kernels may run: only on a thread-safe numba threading layer.

    numba's ``workqueue`` layer aborts when two Python threads launch parallel kernels at once,
    and transforms may be called from many threads. Unless the user chose a layer
    (``NUMBA_THREADING_LAYER``), ask for a thread-safe one (TBB or OpenMP); when none can be
    loaded, the serial kernels are used instead. Decided once, on first need.
    """
    if not _parallel_state:
        import os

        import numba

        if not os.environ.get("NUMBA_THREADING_LAYER"):
            numba.config.THREADING_LAYER = "threadsafe"
        try:
            nk.warm_parallel()
            usable = numba.threading_layer() in ("tbb", "omp")
        except (ValueError, RuntimeError, ImportError):
            usable = False
        _parallel_state.append(usable)
    return _parallel_state[0]


def _warmup_enabled() -> bool:
    from numbascat.config import get_setting

    raw = str(get_setting("numba", "warmup", env="NUMBASCAT_NUMBA_WARMUP", default="numpy"))
    value = raw.strip().lower()
    if value not in ("numpy", "off"):
        raise ValueError(f"NUMBASCAT_NUMBA_WARMUP (or [numba] warmup) must be 'numpy' or 'off'; "
                         f"got {raw!r}")
    return value == "numpy"


def _prod(shape) -> int:
    return math.prod(shape)


def _canon(s: tuple[int, ...]) -> tuple[int, int, int]:
    """A 1D/2D/3D signal shape as (L, M, N)."""
    return (1,) * (3 - len(s)) + tuple(s)


def _neg_index(n: int) -> np.ndarray:
    return (-np.arange(n)) % n


def _reflect_index(n: int, before: int, after: int) -> np.ndarray:
    """numpy ``mode='reflect'`` for any pad: even periodic extension of period 2(n-1)."""
    idx = np.arange(-before, n + after)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.mod(idx, period)
    return np.where(idx < n, idx, period - idx)


def _symmetrise(filters: np.ndarray, d: int) -> np.ndarray:
    """``(f + conj(f[-k])) / 2`` over the trailing ``d`` axes."""
    flipped = filters
    for axis in range(-d, 0):
        flipped = np.take(flipped, _neg_index(filters.shape[axis]), axis=axis)
    return 0.5 * (filters + np.conj(flipped))


class PreparedStack:
    """A filter stack ``(F, *s)`` on the numba backend.

    Real wavelet stacks are *compact*: only their support is kept (:meth:`kernel_values`, one
    copy in the signal precision; a long 1D wavelet covers a few percent of its spectrum), and
    ``data`` is None; :meth:`rows` gives chunks of a stack that share that copy. Other stacks
    keep ``data``, the filters cast to the signal precision (real stays real); for
    :attr:`FilterRole.LOWPASS` stacks ``sym`` holds their Hermitian-symmetrised version.
    ``support`` lists where the filters that the kernels read (``sym`` when present, else the
    filters) are not negligible (:mod:`numbascat.backends.support`).
    """

    __slots__ = ("_dtype", "_kernel_values", "_qplan", "_quadrature", "_rows", "_segments",
                 "_shape", "d", "data", "role", "support", "sym", "value_base", "values")

    def __init__(self, data: np.ndarray | None, d: int, role: str, sym: np.ndarray | None,
                 compact=None):
        self.data, self.d, self.role, self.sym = data, d, role, sym
        self._kernel_values: np.ndarray | None = None
        self._segments: dict = {}
        self._quadrature = None
        self._qplan = None
        self._rows: dict = {}
        if compact is not None:
            self._shape, self.support, self.values, self.value_base = compact
            self._dtype = self.values.dtype
            return
        self._shape, self._dtype = data.shape, data.dtype
        self.values = self.value_base = None
        used = self.canonical("data" if sym is None else "sym")
        self.support: SupportRuns = _support_by_filters(used, relative_tolerance(used.real.dtype))

    @classmethod
    def compact_real(cls, filters, d: int, role: str, real: np.dtype) -> PreparedStack:
        """The compact form of a real stack (dense numpy or a LazyFilterStack), read a few
        rows at a time so that the dense stack never exists whole."""
        F, s = filters.shape[0], tuple(filters.shape[1:])
        step = max(1, COMPACT_CHUNK_BYTES // (8 * _prod(s)))
        tol = relative_tolerance(real)
        supports, values = [], []
        for a in range(0, F, step):
            b = min(F, a + step)
            chunk = (filters.rows(a, b) if isinstance(filters, LazyFilterStack)
                     else np.asarray(filters[a:b]))
            flat = np.asarray(chunk, dtype=real).reshape((b - a,) + _canon(s))
            sup = support_runs(np.abs(flat), tol)
            supports.append(sup)
            values.append(_support_values(flat.reshape(-1, flat.shape[-1]), sup.ptr, sup.runs))
        support = _joined(supports, F * _prod(s))
        flat_values = np.concatenate(values) if values else np.zeros(0, real)
        return cls(None, d, role, None, compact=((F,) + s, support,
                                                 np.ascontiguousarray(flat_values),
                                                 _value_base(support.runs)))

    def compacted(self) -> PreparedStack:
        """This dense real stack in compact form: its support's values only, gathered a few
        filters at a time (the support is this stack's, so nothing is recomputed)."""
        F = self.shape[0]
        canon = _canon(self.shape[1:])
        lines, N = _prod(canon[:-1]), canon[-1]
        ptr, runs = self.support.ptr, self.support.runs
        flat = self.data.reshape(-1, N)
        step = max(1, COMPACT_CHUNK_BYTES // (8 * lines * N))
        values = []
        for a in range(0, F, step):
            l0, l1 = a * lines, min(F, a + step) * lines
            r0, r1 = int(ptr[l0]), int(ptr[l1])
            values.append(_support_values(flat[l0:l1], ptr[l0:l1 + 1] - r0, runs[r0:r1]))
        return PreparedStack(None, self.d, self.role, None,
                             compact=(self.shape, self.support,
                                      np.concatenate(values).astype(self._dtype, copy=False),
                                      _value_base(runs)))

    @property
    def compact(self) -> bool:
        return self.data is None and self.sym is None

    def dense(self) -> np.ndarray:
        """The filters as a dense ``(F, *s)`` array (for the ops that take whole stacks, e.g.
        the frequency-axis ops of JTFS); a compact stack is laid out again (negligible entries
        are zeros), once."""
        if self.data is not None:
            return self.data
        value = self._rows.get("dense")
        if value is None:
            values = self.kernel_values()
            runs = self.support.runs
            lengths = runs[:, 1] - runs[:, 0]
            rows = np.repeat(np.repeat(np.arange(len(self.support.ptr) - 1),
                                       np.diff(self.support.ptr)), lengths)
            offsets = np.cumsum(lengths) - lengths
            cols = np.repeat(runs[:, 0] - offsets, lengths) + np.arange(int(lengths.sum()))
            N = _canon(self.shape[1:])[-1]
            value = np.zeros((len(self.support.ptr) - 1, N), self._dtype)
            value[rows, cols] = values
            value = self._rows["dense"] = value.reshape(self.shape)
        return value

    def quadrature_rows(self):
        """``(stack, weights)`` giving the same quadrature modulus as the whole stack.

        When rows ``i`` and ``F-1-i`` are conjugate mirrors (:mod:`numbascat.symmetry`: the
        solid harmonics' orders ``m`` and ``-m`` on even grids), only the upper half is kept,
        the paired rows weighted 2: ``(2l+1)/(l+1)`` fewer products and inverse FFTs.
        Otherwise the whole stack is returned with unit weights.
        """
        if self._quadrature is None:
            F = self.shape[0]
            half = conjugate_pairs(self.data, self.d, self.data.real.dtype)
            if half:
                kept = PreparedStack(self.data[F // 2:], self.d, self.role, None)
                weights = np.full(F - F // 2, 2.0)
                if F % 2:
                    weights[0] = 1.0  # the unpaired middle row (m = 0)
                self._quadrature = (kept, weights)
            else:
                self._quadrature = (self, np.ones(F))
        return self._quadrature

    def quadrature_plan(self) -> quadrature.QuadraturePlan:
        """What the numba ``wavelet_quadrature`` needs of this complex stack: the rows of
        :meth:`quadrature_rows`, each on the complex or the real route
        (:mod:`numbascat.backends.quadrature`; cached)."""
        if self._qplan is None:
            kept, weights = self.quadrature_rows()
            from numbascat.backends import quadrature

            self._qplan = quadrature.make_plan(kept.canonical(), kept.support, weights, self.d)
        return self._qplan

    def segments(self, Nk: int, keep: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The support cut for periodising rows of length N to ``Nk`` (cached per call shape);
        each segment's fifth column is where its values start (in :meth:`kernel_values`)."""
        key = (Nk, keep)
        value = self._segments.get(key)
        if value is None:
            value = periodised_segments(self.support, self.shape[-1], Nk, keep, self.value_base)
            self._segments[key] = value  # a race only computes the same value twice
        return value

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def is_complex(self) -> bool:
        return self.data is not None and np.iscomplexobj(self.data)

    def canonical(self, which: str = "data") -> np.ndarray:
        """The dense stack as (F, L, M, N)."""
        arr = getattr(self, which)
        return arr.reshape((arr.shape[0],) + _canon(arr.shape[1:]))

    def kernel_values(self) -> np.ndarray:
        """A real stack's values for the multiply kernels, flat. Compact stacks hold their
        support only; dense ones every entry in C order. One copy serves every periodisation:
        the kernels apply ``1/prod(k)``."""
        value = self._kernel_values
        if value is None:
            source = self.values if self.data is None else self.data.reshape(-1)
            value = np.ascontiguousarray(source).view()  # the caller's array stays writable
            # Always read-only, whether copied or the bank's own (read-only) memory: numba
            # types the two differently, and one type means one compiled kernel.
            value.flags.writeable = False
            self._kernel_values = value
            self.values = None  # kept here, once
        return value

    def rows(self, start: int, stop: int) -> PreparedStack:
        """Filters ``start:stop`` as a stack that shares this one's memory (a traversal that
        chunks a stack in several ways then holds the stack once, not once per chunking)."""
        F = self.shape[0]
        if start == 0 and stop == F:
            return self
        canon = _canon(self.shape[1:])
        lines, N = _prod(canon[:-1]), canon[-1]  # support rows per filter, their length
        ptr, runs = self.support.ptr, self.support.runs
        r0, r1 = int(ptr[start * lines]), int(ptr[stop * lines])
        view = PreparedStack.__new__(PreparedStack)
        view.d, view.role, view._shape, view._dtype = self.d, self.role, \
            (stop - start,) + self.shape[1:], self._dtype
        view._segments, view._rows, view._quadrature, view._qplan = {}, {}, None, None
        view.values = None
        if self.compact:
            values = self.kernel_values()
            base = self.value_base[r0:r1]
            # Run r's values start at value_base[r] + runs[r, 0], in increasing order.
            v0 = int(base[0] + runs[r0, 0]) if r1 > r0 else 0
            v1 = int(base[-1] + runs[r1 - 1, 1]) if r1 > r0 else 0
            view.data = view.sym = None
            view.value_base = base - v0
            view._kernel_values = values[v0:v1]
            kept = v1 - v0
        else:
            view.data = self.data[start:stop]
            view.sym = None if self.sym is None else self.sym[start:stop]
            view.value_base = None
            n = _prod(self.shape[1:])
            parent = self._kernel_values
            view._kernel_values = None if parent is None else parent[start * n:stop * n]
            kept = int((runs[r0:r1, 1] - runs[r0:r1, 0]).sum())
        view.support = SupportRuns(ptr[start * lines:stop * lines + 1] - r0, runs[r0:r1],
                                   kept / max(1, (stop - start) * lines * N))
        return view


#: Dense rows read at once while compacting a stack (bytes of float64).
COMPACT_CHUNK_BYTES = 16 * 2 ** 20
#: A real wavelet stack already in the signal precision is read in place (not compacted)
#: when its support covers at least this share of its entries.
SHARED_MIN_FRACTION = 0.5


def _support_values(lines: np.ndarray, ptr: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """The entries of ``lines`` ``(R, N)`` inside the runs ``runs[ptr[i]:ptr[i + 1]]`` of
    each line ``i``, flat and in run order."""
    row_of = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    lengths = runs[:, 1] - runs[:, 0]
    offsets = np.cumsum(lengths) - lengths
    cols = np.repeat(runs[:, 0] - offsets, lengths) + np.arange(int(lengths.sum()))
    return lines[np.repeat(row_of, lengths), cols]


def _value_base(runs: np.ndarray) -> np.ndarray:
    """Where run ``q``'s values start in the flat values, less its first column: column ``c``
    of run ``q`` is value ``value_base[q] + c``."""
    lengths = runs[:, 1] - runs[:, 0]
    return np.cumsum(lengths) - lengths - runs[:, 0]


def _joined(parts: list[SupportRuns], entries: int) -> SupportRuns:
    """The support of consecutive row blocks as one (``entries``: the whole stack's size)."""
    ptrs, total = [np.zeros(1, np.int64)], 0
    for sup in parts:
        ptrs.append(sup.ptr[1:] + total)
        total += len(sup.runs)
    runs = (np.concatenate([sup.runs for sup in parts]) if parts
            else np.zeros((0, 2), np.int64)).reshape(-1, 2)
    kept = int((runs[:, 1] - runs[:, 0]).sum())
    return SupportRuns(np.concatenate(ptrs), runs, kept / max(1, entries))


def _support_by_filters(stack: np.ndarray, rel_tol: float) -> SupportRuns:
    """:func:`support_runs` of a canonical stack ``(F, L, M, N)``, a few filters at a time, so
    that its temporaries (magnitude, mask, edges) stay near ``COMPACT_CHUNK_BYTES`` rather than
    several times the stack. Each filter's tolerance is relative to its own peak, so the runs
    are those of the whole stack."""
    F = stack.shape[0]
    step = max(1, COMPACT_CHUNK_BYTES // (8 * max(1, _prod(stack.shape[1:]))))
    if step >= F:
        return support_runs(np.abs(stack), rel_tol)
    return _joined([support_runs(np.abs(stack[a:a + step]), rel_tol)
                    for a in range(0, F, step)], stack.size)


class HalfStack(PreparedStack):
    """The stored rows of a :class:`~numbascat.backend_api.ConjugateSymmetricStack` ``(F, *s)``
    for the quadrature modulus, the derived rows never laid out (the 3D solid harmonics: the
    orders ``m >= 0`` of ``2l+1``).

    ``data`` holds the stored rows in the signal precision (the bank's own memory for float32
    signals). A stored row with a partner enters the quadrature with weight 2: as one row
    where the two are also conjugate mirrors (:func:`numbascat.symmetry.stored_pairs`, even
    grids), else split into its real and imaginary values (``quadrature.make_plan``), which
    costs the two filters' transforms without their memory. :meth:`rows` of a part of the
    stack lays those rows out (dense, prepared as any stack).
    """

    __slots__ = ("mirrored", "source")

    def __init__(self, source: ConjugateSymmetricStack, d: int, role: str, target):
        super().__init__(np.ascontiguousarray(source.upper, dtype=target), d, role, None)
        self.source = source
        self._shape = source.shape
        #: Per stored row: whether its partner is also its conjugate mirror (None: no partner).
        self.mirrored: list[bool | None] = [None] * len(source.upper)
        for (_, k), paired in zip(source.partners, stored_pairs(source, d, np.finfo(target).dtype),
                                  strict=True):
            self.mirrored[k] = paired

    def quadrature_rows(self):
        weights = np.array([1.0 if m is None else 2.0 for m in self.mirrored])
        return self, weights

    def quadrature_plan(self) -> quadrature.QuadraturePlan:
        if self._qplan is None:
            _, weights = self.quadrature_rows()
            split = [m is False for m in self.mirrored]
            from numbascat.backends import quadrature

            self._qplan = quadrature.make_plan(self.canonical(), self.support, weights, self.d,
                                               split)
        return self._qplan

    def dense(self) -> np.ndarray:
        return np.ascontiguousarray(self.source.dense(), dtype=self._dtype)

    def rows(self, start: int, stop: int) -> PreparedStack:
        if start == 0 and stop == self.shape[0]:
            return self
        data = np.ascontiguousarray(self.source.rows(start, stop), dtype=self._dtype)
        return PreparedStack(data, self.d, self.role, None)


class NumbaBackend(WaveletModulusOps, FrequencyAxisOps, NumpyArrays, Backend):
    """Fast CPU backend on numpy arrays: pyFFTW plans plus numba kernels."""

    info = NUMBA
    lazy_filters = True  # real wavelet stacks are compacted a few rows at a time
    filter_row_views = True  # chunks of a prepared stack are views (PreparedStack.rows)

    # ------------------------------------------------------------------ warm-up
    def warmup_standin(self, values, max_values=None):
        """The numpy reference while numba is not loaded in this process, for calls of at most
        ``max_values`` values (default :data:`WARMUP_MAX_VALUES`), until such calls have taken
        :data:`WARMUP_SECONDS`.

        A larger call, or the first call after that, loads numba and its kernels (about 0.5
        s), and every later call runs here. ``NUMBASCAT_NUMBA_WARMUP=off`` (or ``[numba]
        warmup = off``) always runs here. The reference gives the same numbers to float32
        rounding (~1e-7 relative), not the same bits.
        """
        if _warmup["over"]:
            return None
        with _warmup_lock:
            if _warmup["enabled"] is None:
                _warmup["enabled"] = _warmup_enabled()
            limit = WARMUP_MAX_VALUES if max_values is None else max_values
            if (_warmup["over"] or values > limit or lazy_jit.kernels_loaded()
                    or _warmup["spent"] >= WARMUP_SECONDS or not _warmup["enabled"]):
                _warmup["over"] = True
                return None
        from numbascat.registry import get_backend

        return get_backend("numpy")

    def warmup_spent(self, seconds):
        with _warmup_lock:
            _warmup["spent"] += seconds

    # ------------------------------------------------------------------ FFT floor hooks
    def fft_recording(self):
        """Context manager yielding the list of FFTs executed inside it (see fft_floor)."""
        return fp.recording()

    def fft_replayer(self, records, cold=False):
        """A callable re-running the recorded FFTs on the same plans and shapes (``cold``: on
        data out of cache, see :func:`numbascat.backends.fftw_plans.replayer`)."""
        return fp.replayer(records, cold)

    # ------------------------------------------------------------------ batch parallelism
    #: Batches of at most this many input values run whole: below it, handing parts to
    #: threads costs more than it saves (measured on 1d-eeg, 32 x 1024: 5.7 ms whole, 7.6 ms
    #: in two parts).
    SPLIT_MIN_VALUES = 1 << 15

    def batch_workers(self, n, signal_size=None):
        """One part per FFT thread (``NUMBASCAT_FFT_THREADS``, default the core count).

        The parts run in parallel Python threads with single-threaded FFTs: the numba kernels
        release the GIL, so every stage of the pass runs in parallel, not only the FFTs
        (multi-threaded FFTW plans would leave the kernels on one core).
        """
        if n < 2 or (signal_size is not None and n * signal_size <= self.SPLIT_MIN_VALUES):
            return 1
        return min(fp.free_threads(), n)

    #: Batches smaller than this many values keep their paths in one thread: below it the
    #: thread hand-off costs more than the second core saves (measured, see path_workers).
    PATH_SPLIT_MIN_VALUES = 1 << 14
    #: Bound on the extra working memory of concurrent path parts (bytes, as estimated by the
    #: transform): larger signals (2D 2048², 3D 256³) keep their paths in one thread, where
    #: FFTW's threads (and wavelet_quadrature's concurrent rows) still use every core.
    PATH_SPLIT_MAX_EXTRA_BYTES = 64 << 20

    def path_workers(self, n, values, extra_bytes=0):
        """One part per FFT thread, like :meth:`batch_workers`, for the path groups of a
        batch too small to split (batch 1 on two cores): each part's FFTs and kernels then
        run on one core, with no barrier between them. 1 inside a batch part (already
        parallel), for batches under :data:`PATH_SPLIT_MIN_VALUES` values, and when the parts
        would need more than :data:`PATH_SPLIT_MAX_EXTRA_BYTES` of extra working memory."""
        if n < 2 or values < self.PATH_SPLIT_MIN_VALUES or fp.in_parallel():
            return 1
        parts = min(fp.free_threads(), n)
        while parts > 1 and (parts - 1) * extra_bytes > self.PATH_SPLIT_MAX_EXTRA_BYTES:
            parts -= 1
        return parts

    def run_batch_parts(self, tasks):
        return fp.run_parallel(tasks)

    def recycled_temporaries(self, working_bytes):
        if working_bytes > RECYCLE_BYTES:
            return contextlib.nullcontext()
        return workspace.recycling(RECYCLE_BYTES)

    def prepare_filters(self, filters, dtype, role=FilterRole.WAVELET):
        if not isinstance(filters, LazyFilterStack):
            filters = np.asarray(filters)
        if filters.ndim < 2 or filters.ndim > 4:
            raise ValueError(f"filters must have shape (F, *s) with 1 to 3 signal axes; got "
                             f"shape {filters.shape}")
        real = np.dtype(dtype)
        if real not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {real}")
        complex_dtype = np.result_type(real, np.complex64)
        target = complex_dtype if np.issubdtype(filters.dtype, np.complexfloating) else real
        d = filters.ndim - 1
        if role == FilterRole.WAVELET and target == real:
            if (isinstance(filters, np.ndarray) and filters.dtype == real
                    and filters.flags.c_contiguous):
                # The bank already holds these values in the signal precision. Where they
                # cover most of the spectrum (2D wavelets at small j), the kernels read the
                # bank in place: a compact copy would hold it a second time. A sparse stack
                # keeps its compact copy (at most half the stack), which the kernels read
                # contiguously.
                stack = PreparedStack(filters, d, role, None)
                if stack.support.fraction < SHARED_MIN_FRACTION:
                    stack = stack.compacted()
            else:
                stack = PreparedStack.compact_real(filters, d, role, real)
            stack.kernel_values()
            return stack
        if role == FilterRole.WAVELET and isinstance(filters, ConjugateSymmetricStack):
            # The quadrature needs only the stored rows (the 3D orders m >= 0).
            return HalfStack(filters, d, role, target)
        filters = np.asarray(filters)
        data = np.ascontiguousarray(filters, dtype=target)
        stack = PreparedStack(data, d, role, None)
        if role == FilterRole.LOWPASS:
            sym = _symmetrise(filters.astype(np.result_type(filters.dtype, np.float64)), d)
            stack.sym = np.ascontiguousarray(sym, dtype=target)
        return stack

    # ------------------------------------------------------------------ primitives
    def filter_rows(self, prepared, start, stop):
        return prepared.rows(start, stop)

    def concatenate(self, arrays, axis):
        # Into an aligned array: the FFT that usually follows then runs on it without a copy.
        first = arrays[0]
        axis = axis % first.ndim
        shape = first.shape[:axis] + (sum(a.shape[axis] for a in arrays),) + first.shape[axis + 1:]
        return np.concatenate(arrays, axis=axis, out=fp.empty(shape, np.result_type(*arrays)))

    def pad(self, x, pad_widths):
        d = len(pad_widths)
        shape = x.shape[-d:]
        widths = [(int(a), int(b)) for a, b in pad_widths]
        out = fp.empty(x.shape[:-d] + tuple(n + a + b for n, (a, b) in zip(shape, widths,
                                                                           strict=True)), x.dtype)
        if not all(a < n and b < n for n, (a, b) in zip(shape, widths, strict=True)):
            index = np.ix_(*[_reflect_index(n, a, b)
                             for n, (a, b) in zip(shape, widths, strict=True)])
            out[...] = x[(Ellipsis,) + index]
            return out
        # Borders within one reflection: slice copies, axis by axis, each over the full extent
        # of the axes already padded (4x cheaper than the gather above on 32 x 1024 signals).
        centre = tuple(slice(a, a + n) for n, (a, _) in zip(shape, widths, strict=True))
        out[(Ellipsis,) + centre] = x
        for i, (n, (a, b)) in enumerate(zip(shape, widths, strict=True)):
            lead, rest = (Ellipsis,) + (slice(None),) * i, centre[i + 1:]
            if a:
                out[lead + (slice(0, a),) + rest] = out[lead + (slice(2 * a, a, -1),) + rest]
            if b:
                stop = a + n - 2 - b
                out[lead + (slice(a + n, a + n + b),) + rest] = out[
                    lead + (slice(a + n - 2, stop if stop >= 0 else None, -1),) + rest]
        return out

    def rfft(self, x, d):
        s = x.shape[-d:]
        lead = x.shape[:-d]
        xa = fp.aligned(x)
        out = fp.empty(lead + s[:-1] + (s[-1] // 2 + 1,), np.result_type(x.dtype, np.complex64))
        B = _prod(lead)
        fp.execute("rfft", xa.reshape((B,) + s), out.reshape((B,) + out.shape[-d:]), d)
        return out

    def irfft(self, x_hat, d, s):
        s = tuple(int(n) for n in s)
        lead = x_hat.shape[:-d]
        B = _prod(lead)
        scratch = fp.empty(x_hat.shape, x_hat.dtype)  # c2r destroys its input
        scratch[...] = x_hat
        out = fp.empty(lead + s, self.real_dtype(x_hat))
        fp.execute("irfft", scratch.reshape((B,) + x_hat.shape[-d:]), out.reshape((B,) + s), d)
        out *= 1.0 / _prod(s)
        return out

    def _c2c(self, kind, x, d):
        lead, s = x.shape[:-d], x.shape[-d:]
        B = _prod(lead)
        out = fp.empty(x.shape, x.dtype)
        fp.execute(kind, fp.aligned(x).reshape((B,) + s), out.reshape((B,) + s), d)
        return out

    def ifft(self, x_hat, d):
        out = self._c2c("ifft", x_hat, d)
        out *= 1.0 / _prod(x_hat.shape[-d:])
        return out

    def fft(self, x, d):
        return self._c2c("fft", x, d)

    def to_full_spectrum(self, x_hat, d, s):
        s = tuple(int(n) for n in s)
        N, Nh = s[-1], s[-1] // 2 + 1
        full = np.empty(x_hat.shape[:-d] + s, x_hat.dtype)
        full[..., :Nh] = x_hat
        mirrored = x_hat
        for axis in range(-d, -1):
            mirrored = np.take(mirrored, _neg_index(s[axis]), axis=axis)
        full[..., Nh:] = np.conj(mirrored[..., N - np.arange(Nh, N)])
        return full

    def multiply(self, x_hat, filters, d):
        return self.multiply_subsample(x_hat, filters, (1,) * d, d)

    def _filter_array(self, filters):
        return filters.dense() if isinstance(filters, PreparedStack) else np.asarray(filters)

    @property
    def _fft_workers(self) -> int:
        # The frequency-axis FFTs (JTFS) use scipy along axis -2 with FFTW's thread count.
        return max(1, int(fp.settings().threads))

    def multiply_full(self, x_hat, filters, d):
        return x_hat[(Ellipsis, None) + (slice(None),) * d] * self._filter_array(filters)

    def real(self, x):
        return np.ascontiguousarray(x.real)

    def modulus(self, x):
        x = np.ascontiguousarray(x)
        out = np.empty(x.shape, self.real_dtype(x))
        nk.modulus_scaled(_fview(x.reshape(-1)), 1.0, out.reshape(-1))
        return out

    def sum_powers(self, x, powers, d):
        lead = x.shape[:-d]
        x2 = np.ascontiguousarray(x).reshape((_prod(lead), _prod(x.shape[-d:])))
        out = np.empty((x2.shape[0], len(powers)), x.dtype)
        nk.sum_powers(x2, np.asarray(powers, dtype=np.float64), out)
        return out.reshape(lead + (len(powers),))

    # ------------------------------------------------------------------ fused operations
    def multiply_subsample(self, x_hat, filters, k, d):
        if not isinstance(filters, PreparedStack):
            filters = self.prepare_filters(filters, self.real_dtype(x_hat))
        s = filters.shape[1:]
        _check_half(x_hat, s, d, "multiply_subsample")
        k3 = _canon(tuple(int(v) for v in k))
        lead = x_hat.shape[:-d]
        B, F = _prod(lead), filters.shape[0]
        L, M, N = _canon(s)
        X = np.ascontiguousarray(x_hat).reshape((B, L, M, N // 2 + 1))
        out = fp.empty((B, F, L // k3[0], M // k3[1], N // k3[2]), x_hat.dtype)
        scale = 1.0 / _prod(k3)
        sup = filters.support
        if filters.is_complex:
            nk.multiply_periodise_complex(_fview(X), _fview(filters.canonical()), sup.ptr,
                                          sup.runs, N, *k3, scale, _fview(out))
        else:
            kernel = (nk.multiply_periodise_real_par if _parallel_kernel_pays(out.nbytes, B * F)
                      else nk.multiply_periodise_real)
            ptr, seg = filters.segments(N // k3[2])
            kernel(_fview(X), filters.kernel_values(), ptr, seg, F, L, M, N, *k3, scale,
                   _fview(out))
        return out.reshape(lead + (F,) + tuple(n // kk for n, kk in zip(s, k, strict=True)))

    def lowpass_irfft(self, x_hat, phi, k, d, s):
        s = tuple(int(n) for n in s)
        if not isinstance(phi, PreparedStack) or phi.sym is None:
            return super().lowpass_irfft(x_hat, phi, k, d, s)
        _check_half(x_hat, s, d, "lowpass_irfft")
        if phi.shape[0] != 1:
            raise ValueError(f"lowpass_irfft expects one low-pass filter (1, *s); got a stack "
                             f"of shape {phi.shape}")
        k3 = _canon(tuple(int(v) for v in k))
        lead = x_hat.shape[:-d]
        B = _prod(lead)
        L, M, N = _canon(s)
        s_low = tuple(n // kk for n, kk in zip(s, k, strict=True))
        Lk, Mk, Nk = L // k3[0], M // k3[1], N // k3[2]
        X = np.ascontiguousarray(x_hat).reshape((B, L, M, N // 2 + 1))
        half = fp.empty((B, Lk, Mk, Nk // 2 + 1), x_hat.dtype)
        scale = 1.0 / (_prod(k3) * Lk * Mk * Nk)  # periodisation mean and irfft's 1/N
        f = phi.canonical("sym")
        sup = phi.support
        if np.iscomplexobj(f):
            full = fp.empty((B, 1, Lk, Mk, Nk), x_hat.dtype)
            nk.multiply_periodise_complex(_fview(X), _fview(f), sup.ptr, sup.runs, N, *k3, scale,
                                          _fview(full))
            half[...] = full[:, 0, :, :, : Nk // 2 + 1]
        else:
            if Lk * Mk * Nk <= lk.FOLDED_MAX_VALUES:
                ptr, seg = phi.segments(Nk)
                lk.lowpass_half_real_folded(_fview(X), f[0], ptr, seg, N, *k3, scale,
                                            _fview(half))
            else:
                ptr, seg = phi.segments(Nk, Nk // 2 + 1)
                nk.lowpass_half_real(_fview(X), f[0], ptr, seg, N, *k3, scale, _fview(half))
        out = fp.empty((B,) + s_low, self.real_dtype(x_hat))
        fp.execute("irfft", half.reshape((B,) + s_low[:-1] + (Nk // 2 + 1,)), out, d)
        return out.reshape(lead + s_low)

    def ifft_modulus(self, x_hat, d):
        lead, s = x_hat.shape[:-d], x_hat.shape[-d:]
        B, n = _prod(lead), _prod(s)
        X = fp.aligned(x_hat).reshape((B, n))
        u = fp.empty((B, n), self.real_dtype(x_hat))
        # The complex inverse transform goes through a bounded scratch, a few signals at a time,
        # so the working set stays small (the modulus halves it again).
        chunk = max(1, min(B, SCRATCH_BYTES // (n * x_hat.itemsize)))
        t = fp.empty((chunk, n), x_hat.dtype)
        for start in range(0, B, chunk):
            rows = min(chunk, B - start)
            tc = t[:rows]
            fp.execute("ifft", X[start:start + rows].reshape((rows,) + s),
                       tc.reshape((rows,) + s), d)
            nk.modulus_scaled(_fview(tc.reshape(-1)), 1.0 / n, u[start:start + rows].reshape(-1))
        return u.reshape(x_hat.shape)

    def ifft_modulus_rfft(self, x_hat, d):
        u = self.ifft_modulus(x_hat, d)
        return u, self.rfft(u, d)

    def quadrature_modulus(self, x_hat, d, axis):
        ndim = x_hat.ndim
        axis = axis % ndim if -ndim <= axis < ndim else None
        if axis is None or axis >= ndim - d:
            raise ValueError(f"quadrature_modulus: axis must be a batch axis of an array with "
                             f"{ndim} axes and {d} signal axes; got axis={axis}")
        lead, s = x_hat.shape[:-d], x_hat.shape[-d:]
        B = _prod(lead)
        t = fp.empty(x_hat.shape, x_hat.dtype)
        fp.execute("ifft", fp.aligned(x_hat).reshape((B,) + s), t.reshape((B,) + s), d)
        shape = x_hat.shape
        P, A, Q = _prod(shape[:axis]), shape[axis], _prod(shape[axis + 1:])
        out = np.empty((P, Q), self.real_dtype(x_hat))
        nk.quadrature_scaled(_fview(t.reshape((P, A, Q))), 1.0 / _prod(s), out)
        return out.reshape(shape[:axis] + shape[axis + 1:])

    def wavelet_quadrature(self, x_hat, filters, d, powers, keep_modulus=True):
        if not isinstance(filters, PreparedStack) or not np.iscomplexobj(filters.data):
            return super().wavelet_quadrature(x_hat, filters, d, powers, keep_modulus)
        from numbascat.backends import quadrature

        return quadrature.wavelet_quadrature(x_hat, filters.quadrature_plan(), powers,
                                                  keep_modulus)

    def assemble(self, blocks, order):
        order = np.asarray(order)
        total = sum(b.shape[1] for b in blocks)
        if len(order) != total or not np.array_equal(np.sort(order), np.arange(total)):
            return super().assemble(blocks, order)
        position = np.empty(total, dtype=np.int64)
        position[order] = np.arange(total)  # joined channel j lands on output channel position[j]
        first = blocks[0]
        out = np.empty((first.shape[0], total) + first.shape[2:], first.dtype)
        offset = 0
        for block in blocks:
            c = block.shape[1]
            where = position[offset:offset + c]
            if c and np.array_equal(where, np.arange(where[0], where[0] + c)):
                out[:, where[0]:where[0] + c] = block
            else:
                out[:, where] = block
            offset += c
        return out


def _check_half(x_hat, s, d, op):
    expected = tuple(s[:-1]) + (s[-1] // 2 + 1,)
    if tuple(x_hat.shape[-d:]) != expected:
        raise ValueError(f"{op}: real spectrum of shape {x_hat.shape} does not match signals of "
                         f"shape {tuple(s)} (expected trailing axes {expected})")
