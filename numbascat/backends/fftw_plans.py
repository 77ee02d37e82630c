"""Planned pyFFTW transforms for the ``numba`` backend: planning policy, plan pools, threads,
recording.

Plans are made on first use (never at import) for one ``(kind, input shape, output shape, dtype,
d, threads)`` key. A call takes a plan out of its key's pool for the time of one ``execute`` on
the caller's arrays (``FFTW.update_arrays``), so concurrent calls never share a plan's arrays; a
second plan for the same key is only made when two threads need it at once. A pooled plan keeps
buffers of its own, so the pools are bounded (:func:`plan_cache_bytes`): transforms larger than
an eighth of that bound, and new shapes once the pools are full, are never pooled. A larger
transform is planned on the caller's arrays (from wisdom or by estimate) and the plan is kept
*detached*: between calls it points at placeholder arrays that own no memory, so it holds only
FFTW's trigonometric tables, which are bounded too (:data:`TABLES_PER_CACHE_BYTE` times the
plan cache). Re-planning each call would cost those tables every time: FFTW frees them with the
last plan that uses them, and recomputing them took 20-60 ms of a 2^21-2^23-point real
transform's 50-140 ms (2 cores).

Kinds: ``'rfft'`` (real -> half spectrum), ``'irfft'`` (half spectrum -> real, destroys its
input), ``'fft'`` and ``'ifft'`` (complex -> complex). Every transform runs over the trailing
``d`` axes (or over the axes ``d`` names when it is a tuple, as the pruned inverse FFTs of
:mod:`numbascat.backends.pruned_fft` do) and is **unnormalised**: callers fold ``1/N`` into
their own kernels.

Settings (read once, :func:`refresh_settings` re-reads):

- planner: ``NUMBASCAT_FFTW_PLANNER`` or ``[fft] planner`` = ``auto`` (default) | estimate |
  measure | patient | exhaustive. ``auto`` bounds planning: a problem the machine has measured
  before (wisdom on disk) gets its measured plan at once; any other starts on FFTW_ESTIMATE and
  is measured once it has been reused and its own execution time pays for the planning
  (:func:`_maybe_measure`). At that point, when an axis length has a prime factor above 13
  (:func:`large_prime_factor`, which FFTW has no fast codelet for), its plan is also timed
  against pocketfft (``scipy.fft``) on the same shape, and the key runs on whichever is faster
  (:func:`_maybe_compare`); the estimate is timed first, and a key that pocketfft runs in at
  most :data:`POCKETFFT_SETTLE_FRACTION` of its time stays there unmeasured (measuring would
  not change the verdict). The eager planners plan every new problem in full at first use;
  ``numbascat tune`` uses them to write wisdom ahead of time;
- threads: ``NUMBASCAT_FFT_THREADS`` or ``[fft] threads`` (default: the usable cores, fewer
  while other processes keep cores busy, see :mod:`numbascat.backends.cpu_load`);
- plan cache: ``NUMBASCAT_FFTW_PLAN_CACHE_MB`` (default 32): bound on the pooled plans' buffers.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

from numbascat.backends import cpu_load, fftw_wisdom, workspace
from numbascat.backends.fftw_wisdom import pyfftw_core, wisdom_path

__all__ = ["FFTSettings", "aligned", "call_threads", "clear_plans", "empty", "execute",
           "free_threads",
           "in_parallel", "is_aligned", "plan_cache_bytes", "recorded_keys", "recording",
           "refresh_settings",
           "replayer", "settings", "threads_for", "wisdom_path"]

#: The planner that starts on estimates and measures what is reused (the default).
AUTO = "auto"
PLANNERS = {"auto": AUTO, "estimate": "FFTW_ESTIMATE", "measure": "FFTW_MEASURE",
            "patient": "FFTW_PATIENT", "exhaustive": "FFTW_EXHAUSTIVE"}
_DIRECTION = {"rfft": "FFTW_FORWARD", "fft": "FFTW_FORWARD",
              "irfft": "FFTW_BACKWARD", "ifft": "FFTW_BACKWARD"}
#: Suffix of the plan kind of an in-place transform (input and output are one array).
INPLACE = "_inplace"
#: Smaller transforms run on one thread: waking FFTW's workers costs more than it saves there
#: (measured ~20x slower on a busy 2-core machine for 32x32 images).
THREADS_MIN_ELEMENTS = 1 << 17
#: Auto planner: the least planning time a measuring try is given (seconds); measuring even a
#: small transform takes FFTW ~40 ms (it times every candidate several times).
MEASURE_MIN_SECONDS = 0.05
#: Auto planner: measuring a key may take this many times the execution time it has cost.
MEASURE_AMORTISE = 1.0
#: Auto planner: after a try ran out of time, wait for this many times more execution time.
MEASURE_BACKOFF = 4.0
#: Auto planner: a transform key moves to pocketfft (``scipy.fft``) when that runs it in at most
#: this fraction of FFTW's time. FFTW has no fast codelets for large prime factors: the padded
#: sizes 272 = 2^4 * 17 and 2064 = 2^4 * 3 * 43 of 256^2 and 2048^2 images ran 2.0-2.4x slower
#: than pocketfft (2 cores, one thread, measured plans).
POCKETFFT_MARGIN = 0.85
#: Auto planner: a key whose estimated FFTW plan pocketfft runs in at most this fraction of
#: its time stays on pocketfft without measuring FFTW. On sizes with prime factors above 13,
#: measured plans ran 0.83-1.47x as fast as estimated ones (136^2 ... 2064^2, 34^3, 1088; 1
#: and 2 threads), never the 1.7x that would reverse this verdict; measuring 2064^2 took
#: 0.5-2.4 s a try, and the planner cost 4.0 s over a 2048^2 image's first four calls.
POCKETFFT_SETTLE_FRACTION = 0.5
#: Timed runs per engine when comparing them (the best one counts: the first run of a fresh
#: plan pays for cold caches).
COMPARE_RUNS = 2
#: Temporaries below this many bytes come from numpy directly when it aligns them.
SMALL_BYTES = 1 << 16
#: Transforms whose buffers exceed this fraction of the plan cache are never pooled.
POOL_ENTRY_FRACTION = 8
#: Detached plans (larger transforms) may hold trigonometric tables of up to this many times
#: the plan cache's bound (256 MiB by default; a 2^23-point real transform's plan held 31 MiB).
TABLES_PER_CACHE_BYTE = 8


@dataclass(frozen=True)
class FFTSettings:
    planner: str  # 'auto' or an FFTW planner flag, e.g. 'FFTW_MEASURE'
    threads: int
    threads_explicit: bool = False  # set by NUMBASCAT_FFT_THREADS / [fft] threads
    plan_cache_mb: float = 32.0


_state_lock = threading.Lock()
_planner_lock = threading.RLock()  # every call into FFTW's planner or wisdom
_settings: FFTSettings | None = None
_pools: dict[tuple, list] = {}
_pooled_bytes = 0  # buffers of every live pooled plan, idle or running
# Detached plans per key (see the module docstring), and the table bytes of every live one.
_detached: dict[tuple, list] = {}
_detached_bytes = 0
_states: dict[tuple, object] = {}
_recorder: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "numbascat_fft_recorder", default=None)
# Inside a parallel section (run_parallel) each worker's FFTs run on one thread.
_single_threaded: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "numbascat_fft_single_threaded", default=False)
# A replay (the FFT floor) must time the plans it finds, never plan better ones meanwhile.
_replaying: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "numbascat_fft_replaying", default=False)
_workers = None
_workers_lock = threading.Lock()


# ---------------------------------------------------------------------------------- settings
def _read_settings() -> FFTSettings:
    from numbascat.config import get_setting

    raw = str(get_setting("fft", "planner", env="NUMBASCAT_FFTW_PLANNER", default="auto"))
    key = raw.strip().lower().removeprefix("fftw_")
    if key not in PLANNERS:
        raise ValueError(f"FFT planner (NUMBASCAT_FFTW_PLANNER or [fft] planner) must be one of "
                         f"{', '.join(PLANNERS)}; got {raw!r}")
    raw_threads = get_setting("fft", "threads", env="NUMBASCAT_FFT_THREADS", default=None)
    if raw_threads is None:
        threads = cpu_load.usable_cores()
    else:
        try:
            threads = int(raw_threads)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"FFT threads (NUMBASCAT_FFT_THREADS or [fft] threads) must be a "
                             f"positive integer; got {raw_threads!r}")
    raw_cache = get_setting("fft", "plan_cache_mb", env="NUMBASCAT_FFTW_PLAN_CACHE_MB",
                            default="32")
    try:
        cache_mb = float(raw_cache)
    except ValueError:
        cache_mb = -1.0
    if not cache_mb >= 0:
        raise ValueError(f"FFT plan cache (NUMBASCAT_FFTW_PLAN_CACHE_MB or [fft] plan_cache_mb) "
                         f"must be a number of MiB >= 0; got {raw_cache!r}")
    return FFTSettings(PLANNERS[key], threads, raw_threads is not None, cache_mb)


def plan_cache_bytes() -> int:
    """Bound on the bytes of buffers held by pooled plans (``NUMBASCAT_FFTW_PLAN_CACHE_MB``)."""
    return int(settings().plan_cache_mb * 2 ** 20)


def plan_tables_bytes() -> int:
    """Bound on the estimated trigonometric tables held by detached plans (transforms too
    large to pool): :data:`TABLES_PER_CACHE_BYTE` times :func:`plan_cache_bytes`."""
    return TABLES_PER_CACHE_BYTE * plan_cache_bytes()


def free_threads() -> int:
    """Threads for parallel parts of one call: the configured count, lowered to the cores
    other processes leave idle unless it was set explicitly. Parts wait for each other at the
    end of a call, so a part waiting for a core that another process holds stalls the call
    (see :mod:`numbascat.backends.cpu_load`)."""
    current = settings()
    threads = current.threads
    if threads > 1 and not current.threads_explicit:
        threads = min(threads, cpu_load.idle_cores())
    return max(1, threads)


def call_threads(elements: int) -> int:
    """FFTW threads for one transform of ``elements`` values (input or output, the larger).

    One inside a parallel section (the sections are the parallelism) and for small transforms;
    else the configured count, lowered to the cores other processes leave idle unless the
    count was set explicitly: FFTW's threads meet at barriers, so a thread waiting for a core
    that another process holds stalls the others (measured 4x slower than one thread on a
    2-core machine with a second process running).
    """
    if _single_threaded.get():
        return 1
    current = settings()
    threads = current.threads
    if threads <= 1 or elements < THREADS_MIN_ELEMENTS:
        return 1
    if not current.threads_explicit:
        threads = max(1, min(threads, cpu_load.idle_cores()))
    return threads


#: The name the pruned FFTs use for :func:`call_threads`.
threads_for = call_threads


def settings() -> FFTSettings:
    """The planner flag and thread count in use (read on first call)."""
    global _settings
    if _settings is None:
        with _state_lock:
            if _settings is None:
                _settings = _read_settings()
    return _settings


def refresh_settings() -> FFTSettings:
    """Re-read the planner and thread settings (existing plans are kept per thread count)."""
    global _settings
    with _state_lock:
        _settings = _read_settings()
    return _settings


# ---------------------------------------------------------------------------------- arrays
@functools.cache
def _alignment() -> int:
    return int(pyfftw_core().simd_alignment)


def empty(shape, dtype, pooled: bool = True) -> np.ndarray:
    """An uninitialised C-contiguous array aligned for SIMD FFTW plans.

    Large arrays are recycled through :mod:`numbascat.backends.workspace` once nothing
    references them, when recycling is on (``pooled=False``: never, for buffers kept for
    long, such as a pooled plan's own).
    """
    if math.prod(shape) * np.dtype(dtype).itemsize < SMALL_BYTES:
        # numpy's own allocation of a small array is often aligned already: try it first.
        # (Never for large ones: they are mapped pages, never aligned, and a discarded
        # mapping shifts glibc's thresholds so that later calls fault pages in again.)
        out = np.empty(shape, dtype)
        if _byte_aligned()(out, _alignment()):
            return out
    return workspace.empty(shape, dtype, _alignment(), pooled)


def is_aligned(x: np.ndarray) -> bool:
    """Whether ``x`` is C-contiguous and SIMD-aligned (a plan made by :func:`execute` runs on
    it without a copy)."""
    return bool(x.flags.c_contiguous and _byte_aligned()(x, _alignment()))


@functools.cache
def _byte_aligned():
    # pyFFTW's compiled test reads the data pointer directly: 30x cheaper than ``x.ctypes``.
    return pyfftw_core().is_byte_aligned


def aligned(x: np.ndarray) -> np.ndarray:
    """``x`` itself when C-contiguous and SIMD-aligned, else an aligned copy."""
    if is_aligned(x):
        return x
    out = empty(x.shape, x.dtype)
    out[...] = x
    return out


# ---------------------------------------------------------------------------------- plans
FFTW, POCKETFFT = "fftw", "pocketfft"


@functools.cache
def large_prime_factor(n: int) -> bool:
    """Whether ``n`` has a prime factor above 13, which FFTW has no codelet for: there
    pocketfft may be faster (272 = 2^4 * 17: 2.0-2.2x; 128, 120, 264 and 528: FFTW is)."""
    m, p = n, 2
    while p * p <= m:
        while m % p == 0:
            m //= p
            if p > 13:
                return True
        p += 1
    return m > 13


class _KeyState:
    """What the auto planner knows of one transform key."""

    __slots__ = ("comparable", "compared", "comparing", "engine", "generation", "measured",
                 "next_try", "pocket_ratio", "seconds", "settled", "upgrading", "uses")

    def __init__(self, measured: bool | None, comparable: bool = False):
        self.uses = 0
        self.seconds = 0.0  # execution time spent on this key so far
        # A measured plan (from wisdom or planning) is in use: True, False, or None before
        # the first plan has looked for wisdom.
        self.measured = measured
        # Seconds of execution after which measuring is (re)tried.
        self.next_try = MEASURE_MIN_SECONDS / MEASURE_AMORTISE
        self.upgrading = False
        self.generation = 0  # bumped when a better plan replaces the pooled ones
        # Which library runs the key (FFTW or POCKETFFT), decided by timing both on the key's
        # shape once it is reused (_maybe_compare); ``compared`` is the plan generation that
        # was timed (-1: none yet).
        self.engine = FFTW
        self.comparable = comparable  # worth timing against pocketfft (large prime factors)
        self.compared = -1
        self.comparing = False
        self.pocket_ratio = math.inf  # pocketfft's time over FFTW's, at the last comparison
        # Settled on pocketfft from the estimate's comparison: FFTW is never measured for it.
        self.settled = False


def _plan(kind, a, b, d, threads, planner, timelimit=None):
    """An FFTW plan of ``kind`` on the arrays ``a`` -> ``b`` (the caller holds the lock).

    ``planner='wisdom'`` only succeeds when wisdom at least as good as FFTW_MEASURE is known
    (``RuntimeError`` otherwise). FFTW_ESTIMATE and wisdom-only planning never touch the
    arrays, so they may be the caller's own; measuring overwrites them.
    """
    pyfftw = pyfftw_core()
    # Only the inverse real transform may destroy its input (FFTW requires it for d > 1);
    # the others must leave the caller's arrays intact.
    flags = (("FFTW_MEASURE", "FFTW_WISDOM_ONLY") if planner == "wisdom"
             else (planner,)) + (("FFTW_DESTROY_INPUT",) if kind == "irfft" else ())
    extra = {} if timelimit is None else {"planning_timelimit": float(timelimit)}
    axes = tuple(range(-d, 0)) if isinstance(d, int) else tuple(d)
    return pyfftw.FFTW(a, b, axes=axes, direction=_DIRECTION[kind], flags=flags,
                       threads=threads, **extra)


def _first_plan(kind, a, b, d, threads, state: _KeyState | None):
    """The plan a key gets before it has been measured in this process.

    Eager planners (measure, patient, exhaustive) plan at once, as asked. The auto planner
    takes a measured plan from wisdom when the machine has one (saved by an earlier process
    or ``numbascat tune``), else FFTW_ESTIMATE, which plans in microseconds to a millisecond
    where measuring a large transform takes seconds.
    """
    planner = settings().planner
    if planner != AUTO:
        return _plan(kind, a, b, d, threads, planner)
    if state is None or state.measured is not False:
        try:
            plan = _plan(kind, a, b, d, threads, "wisdom")
            if state is not None:
                state.measured = True
            return plan
        except RuntimeError:
            pass
    if state is not None:
        state.measured = False
    return _plan(kind, a, b, d, threads, "FFTW_ESTIMATE")


def _make_entry(kind, in_shape, in_dtype, out_shape, out_dtype, d, threads, state):
    """A pooled plan with buffers of its own (it points at them between calls)."""
    # FFTW's planner and its wisdom are process-global and not thread-safe: planning in one
    # thread while another plans or exports wisdom corrupts the heap. Executing stays parallel.
    # Planning under one lock also means that a second plan for a measured problem (one per
    # thread) comes from the first one's wisdom: the same algorithm, bit-identical results.
    with _planner_lock:
        fftw_wisdom.load_wisdom()
        inplace = kind.endswith(INPLACE)
        kind = kind.removesuffix(INPLACE)
        a = empty(in_shape, in_dtype, pooled=False)  # the plan keeps them
        b = a if inplace else empty(out_shape, out_dtype, pooled=False)
        plan = _first_plan(kind, a, b, d, threads, state)
        if settings().planner != AUTO:
            fftw_wisdom.save_wisdom()
    return plan, a, b


def _direct_plan(kind, inp, out, d, threads, state):
    """A one-call plan on the caller's own arrays, for transforms too large to pool."""
    with _planner_lock:
        fftw_wisdom.load_wisdom()
        planner = settings().planner
        bare = kind.removesuffix(INPLACE)
        if planner in (AUTO, "FFTW_ESTIMATE"):
            return _first_plan(bare, inp, out, d, threads, state)
        # An eager planner measures on scratch arrays (measuring overwrites them), once:
        # later plans of the problem come from the wisdom it leaves.
        try:
            return _plan(bare, inp, out, d, threads, "wisdom")
        except RuntimeError:
            if _measure(kind, inp.shape, inp.dtype, out.shape, out.dtype, d, threads, planner,
                        None):
                fftw_wisdom.save_wisdom()
                return _plan(bare, inp, out, d, threads, "wisdom")
        return _plan(bare, inp, out, d, threads, "FFTW_ESTIMATE")


def _measure(kind, in_shape, in_dtype, out_shape, out_dtype, d, threads, planner, timelimit):
    """Measure a plan for the problem on scratch arrays; True when FFTW then has wisdom for it.

    The caller holds the planner lock. The scratch is freed at once: only wisdom remains.
    """
    inplace = kind.endswith(INPLACE)
    kind = kind.removesuffix(INPLACE)
    a = empty(in_shape, in_dtype)
    b = a if inplace else empty(out_shape, out_dtype)
    _plan(kind, a, b, d, threads, planner, timelimit)
    try:
        _plan(kind, a, b, d, threads, "wisdom")  # a plan cut short by the limit leaves none
        return True
    except RuntimeError:
        return False


def _maybe_measure(key, state: _KeyState) -> None:
    """Auto planner: measure a key once its execution time can pay for the planning.

    Measuring is tried once a key has been used at least twice (it is reused, not a one-off)
    and its execution time so far, times :data:`MEASURE_AMORTISE`, reaches the planning time
    limit it would get: that product, never under :data:`MEASURE_MIN_SECONDS`. So planning
    costs at most a fixed multiple of what the shape has cost, and is amortised over every
    later call and process (the wisdom is saved). A try that runs out of time leaves no
    wisdom; the next one waits until the key has cost :data:`MEASURE_BACKOFF` times more, with
    a limit that grows the same way.
    """
    with _state_lock:
        if state.upgrading or state.measured:
            return
        state.upgrading = True
        limit = max(MEASURE_MIN_SECONDS, MEASURE_AMORTISE * state.seconds)
    try:
        kind, in_shape, in_dtype, out_shape, out_dtype, d, threads = key
        with _planner_lock:
            fftw_wisdom.load_wisdom()
            ok = _measure(kind, in_shape, np.dtype(in_dtype), out_shape, np.dtype(out_dtype), d,
                          threads, "FFTW_MEASURE", limit)
            if ok:
                fftw_wisdom.save_wisdom()
        with _state_lock:
            if ok:
                state.measured = True
                state.generation += 1  # pooled estimate plans are dropped as they come back
                _drop_pool(key)
            else:
                state.next_try = MEASURE_BACKOFF * limit / MEASURE_AMORTISE
    finally:
        state.upgrading = False


def _maybe_compare(key, state: _KeyState) -> None:
    """Auto planner: time FFTW's current plan for a key against pocketfft on the key's shape,
    and run the key on the faster (pocketfft only when :data:`POCKETFFT_MARGIN` faster).

    Only keys with a prime factor above 13 in an axis length (:attr:`_KeyState.comparable`):
    elsewhere FFTW wins, and the timing bookkeeping would cost small transforms. Done when the
    key is due for measuring (reused, and its execution time pays for the
    :data:`COMPARE_RUNS` runs of each engine), once per FFTW plan generation: again after a
    measured plan replaces an estimate.
    """
    with _state_lock:
        if not state.comparable or state.comparing or state.compared == state.generation:
            return
        state.comparing = True
        generation, measured = state.generation, state.measured
    engine = None
    try:
        kind, in_shape, in_dtype, out_shape, out_dtype, d, threads = key
        inplace = kind.endswith(INPLACE)
        kind = kind.removesuffix(INPLACE)
        a = empty(in_shape, np.dtype(in_dtype), pooled=False)
        b = a if inplace else empty(out_shape, np.dtype(out_dtype), pooled=False)
        with _planner_lock:
            fftw_wisdom.load_wisdom()
            plan = _plan(kind, a, b, d, threads, "wisdom" if measured else "FFTW_ESTIMATE")

        def best(run) -> float:
            times = []
            for _ in range(COMPARE_RUNS):
                a.fill(0.5)  # irfft and in-place runs destroy it (FFT speed ignores values)
                t = time.perf_counter()
                run()
                times.append(time.perf_counter() - t)
            return min(times)

        fftw = best(plan.execute)
        pocket = best(lambda: _pocketfft(kind, a, b, d, threads))
        engine = POCKETFFT if pocket <= POCKETFFT_MARGIN * fftw else FFTW
        ratio = pocket / fftw if fftw > 0 else math.inf
    except RuntimeError:  # no wisdom after all (another process's file changed): keep FFTW
        engine = None
    finally:
        with _state_lock:
            if engine is not None and state.generation == generation:
                state.engine = engine
                state.pocket_ratio = ratio
            state.compared = generation
            state.comparing = False


@functools.cache
def _pocketfft_core():
    """scipy's compiled pocketfft module, whose transforms write into a given array; None
    when this SciPy lays it out differently (then :func:`_pocketfft` goes through
    ``scipy.fft`` and copies)."""
    try:
        from scipy.fft._pocketfft import pypocketfft
    except ImportError:
        return None
    return pypocketfft if all(hasattr(pypocketfft, f) for f in ("c2c", "r2c", "c2r")) else None


def _pocketfft(kind: str, inp: np.ndarray, out: np.ndarray, d, threads: int) -> None:
    """The unnormalised transform ``kind`` by pocketfft (scipy.fft), written into ``out``.

    Straight into ``out`` where SciPy's compiled module allows it: a result array of the
    transform's size, allocated (its pages faulted in) and copied on every call, made 1032^2 and
    2064^2 transforms 12-39 % slower.
    """
    axes = tuple(range(-d, 0)) if isinstance(d, int) else tuple(d)
    core = _pocketfft_core()
    if core is not None:
        ax = [a % inp.ndim for a in axes]
        try:
            if kind == "rfft":
                core.r2c(inp, ax, True, 0, out, threads)
            elif kind == "irfft":
                core.c2r(inp, ax, out.shape[ax[-1]], False, 0, out, threads)
            else:
                core.c2c(inp, ax, kind == "fft", 0, out, threads)
            return
        except TypeError:  # another signature: fall back to the public functions
            pass
    import scipy.fft

    if kind == "fft":
        result = scipy.fft.fftn(inp, axes=axes, workers=threads)
    elif kind == "ifft":
        result = scipy.fft.ifftn(inp, axes=axes, norm="forward", workers=threads)
    elif kind == "rfft":
        result = scipy.fft.rfftn(inp, axes=axes, workers=threads)
    else:
        result = scipy.fft.irfftn(inp, s=[out.shape[axis] for axis in axes], axes=axes,
                                  norm="forward", workers=threads)
    np.copyto(out, result)


def _drop_pool(key) -> None:
    """Forget the pooled and detached plans of ``key`` (caller holds the state lock)."""
    global _pooled_bytes, _detached_bytes
    entries = _pools.pop(key, None)
    if entries:
        _pooled_bytes -= sum(_entry_bytes(e) for e in entries)
    entries = _detached.pop(key, None)
    if entries:
        _detached_bytes -= sum(e[2] for e in entries)


def _table_bytes(kind: str, inp: np.ndarray, out: np.ndarray, d) -> int:
    """Estimated bytes of the trigonometric tables an FFTW plan of this problem keeps: a
    complex value of the transform's precision per complex point along each transformed axis
    (a 2^23-point real transform: 32 MiB estimated, 31 MiB measured)."""
    complex_side = out if kind.startswith("rfft") else inp
    axes = range(-d, 0) if isinstance(d, int) else d
    return sum(complex_side.shape[a] for a in axes) * complex_side.dtype.itemsize


@functools.cache
def _placeholder_base() -> np.ndarray:
    return empty((4096,), np.uint8, pooled=False)


def _placeholder(like: np.ndarray) -> np.ndarray:
    """An array with the shape, strides, dtype and alignment of ``like`` that owns no memory:
    a detached plan points at it between calls (it is never executed on it)."""
    base = _placeholder_base()[:like.dtype.itemsize].view(like.dtype)
    return np.lib.stride_tricks.as_strided(base, shape=like.shape, strides=like.strides)


def _detach(key, plan, inp, out, generation: int, tables: int) -> None:
    """Keep a plan made on the caller's arrays for the next call of ``key``, pointed at
    placeholders so that it no longer references the caller's arrays."""
    global _detached_bytes
    stand_in = _placeholder(inp)
    plan.update_arrays(stand_in, stand_in if inp is out else _placeholder(out))
    with _state_lock:
        state = _states.get(key)
        if state is not None and generation != state.generation:
            _detached_bytes -= tables  # superseded by a measured plan meanwhile
            return
        _detached.setdefault(key, []).append((plan, generation, tables))


def _entry_bytes(entry) -> int:
    plan, a, b = entry[:3]
    return a.nbytes + (0 if a is b else b.nbytes)


def _return_entry(key, entry) -> None:
    """Put a plan back in its pool (or forget it when a measured plan superseded it)."""
    global _pooled_bytes
    with _state_lock:
        state = _states.get(key)
        if state is not None and entry[3] != state.generation:
            _pooled_bytes -= _entry_bytes(entry)  # superseded by a measured plan
            return
        _pools.setdefault(key, []).append(entry)


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are the same memory seen the same way."""
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _key(kind, inp, out, d, threads):
    return (kind, inp.shape, inp.dtype.str, out.shape, out.dtype.str, d, threads)


def execute(kind: str, inp: np.ndarray, out: np.ndarray, d: int | tuple[int, ...]) -> np.ndarray:
    """Run the unnormalised transform ``kind`` over the trailing ``d`` axes: ``inp`` -> ``out``.

    ``d`` may also be a tuple of negative axes, e.g. ``(-3,)``: the transform then runs over
    those axes only (recorded and replayed like any other).

    Both arrays must come from :func:`empty` / :func:`aligned`. ``'irfft'`` destroys ``inp``.
    Passing the same array as ``inp`` and ``out`` runs the complex transforms in place (two
    views of one array count as the same array); other overlaps raise ``ValueError``.
    Returns ``out``.
    """
    global _pooled_bytes, _detached_bytes
    if inp is not out and np.may_share_memory(inp, out):
        if _same_view(inp, out):
            # Two views of one array (two reshape calls): an in-place transform. An
            # out-of-place plan run on aliased arrays gives wrong values (FFTW_ESTIMATE plans
            # of 24^3 and 28^3 volumes did).
            out = inp
        else:
            raise ValueError(f"execute({kind!r}): the input and output arrays overlap without "
                             f"being one array; pass the same array for an in-place "
                             f"transform, or separate arrays")
    if inp is out:
        if kind not in ("fft", "ifft"):
            raise ValueError(f"execute({kind!r}): only the complex transforms run in place; "
                             f"give the real transform separate input and output arrays")
        kind += INPLACE
    threads = call_threads(max(inp.size, out.size))
    key = _key(kind, inp, out, d, threads)
    rec = _recorder.get()
    if rec is not None:
        rec.append(key)
    auto = settings().planner == AUTO
    with _state_lock:
        state = _states.get(key)
        if state is None:
            real_side = out if kind.startswith("irfft") else inp
            axes = range(-d, 0) if isinstance(d, int) else d
            state = _states[key] = _KeyState(
                measured=None if auto else True,
                comparable=auto and any(large_prime_factor(real_side.shape[a]) for a in axes))
        engine = state.engine  # read once: a comparison may switch it meanwhile
        entry, detached, pooled, nbytes, tables = None, None, False, 0, 0
        if engine == FFTW:
            generation = state.generation
            nbytes = inp.nbytes + (0 if inp is out else out.nbytes)
            if nbytes <= plan_cache_bytes() // POOL_ENTRY_FRACTION:
                pool = _pools.get(key)
                entry = pool.pop() if pool else None
                # A new pooled plan only while the pools stay within their bound: when they
                # are full, further shapes are planned on the caller's arrays for each call
                # instead (evicting would make a pass that needs more than the bound re-plan
                # every shape every call).
                pooled = entry is None and _pooled_bytes + nbytes <= plan_cache_bytes()
                if pooled:
                    _pooled_bytes += nbytes  # reserved now: racing threads respect the bound
            elif inp.flags.c_contiguous and out.flags.c_contiguous:
                pool = _detached.get(key)
                detached = pool.pop() if pool else None
                if detached is None:
                    tables = _table_bytes(kind, inp, out, d)
                    if _detached_bytes + tables <= plan_tables_bytes():
                        _detached_bytes += tables  # reserved, as for the pools
                    else:
                        tables = 0  # full: plan on the caller's arrays for each call
    start = time.perf_counter()
    if engine == POCKETFFT:
        _pocketfft(kind.removesuffix(INPLACE), inp, out, d, threads)
    else:
        if pooled:
            try:
                entry = _make_entry(kind, inp.shape, inp.dtype, out.shape, out.dtype, d,
                                    threads, state) + (generation,)
            except BaseException:
                with _state_lock:
                    _pooled_bytes -= nbytes
                raise
        if detached is not None:
            plan, plan_generation, plan_tables = detached
            try:
                plan.update_arrays(inp, out)  # ValueError: arrays aligned differently
            except ValueError:
                plan = None
            if plan is None:  # the plan goes; this call plans on its arrays
                with _state_lock:
                    _detached_bytes -= plan_tables
                _direct_plan(kind, inp, out, d, threads, state).execute()
            else:
                try:
                    plan.execute()
                finally:
                    _detach(key, plan, inp, out, plan_generation, plan_tables)
        elif entry is None:
            # Too large to keep buffers for: plan on the caller's arrays (from wisdom or an
            # estimate), and keep the plan detached when the tables' bound allows.
            try:
                plan = _direct_plan(kind, inp, out, d, threads, state)
            except BaseException:
                with _state_lock:
                    _detached_bytes -= tables
                raise
            try:
                plan.execute()
            finally:
                if tables:
                    _detach(key, plan, inp, out, generation, tables)
            del plan
        else:
            plan, own_in, own_out = entry[:3]
            try:
                plan.update_arrays(inp, out)
                plan.execute()
            finally:
                # Drop the references to the caller's arrays so the plan holds only its own
                # buffers.
                plan.update_arrays(own_in, own_out)
                _return_entry(key, entry)
    if auto and not state.settled and (
            not state.measured or (state.comparable and state.compared != state.generation)):
        elapsed = time.perf_counter() - start
        with _state_lock:
            state.uses += 1
            state.seconds += elapsed
            due = state.uses >= 2 and state.seconds >= state.next_try
        if due and rec is None and not _replaying.get():  # never inside an FFT-floor run
            if state.comparable and not state.measured:
                # The estimate against pocketfft first: a clear loss settles the key.
                _maybe_compare(key, state)
                if (state.engine == POCKETFFT
                        and state.pocket_ratio <= POCKETFFT_SETTLE_FRACTION):
                    state.settled = True
            if not state.settled:
                _maybe_measure(key, state)
                _maybe_compare(key, state)
    return out


#: Bytes of distinct buffers a cold replay cycles through per transform shape: twice a large
#: last-level cache, so that no replayed transform finds its data in cache.
COLD_BYTES = 64 * 2 ** 20
#: Marks a parallel section in a recording: ``(PARALLEL, (records of worker 0, ...))``.
PARALLEL = "parallel"


def in_parallel() -> bool:
    """Whether the caller runs inside a :func:`run_parallel` task (its tasks would run inline)."""
    return _single_threaded.get()


def run_parallel(tasks: list) -> list:
    """Run the callables ``tasks`` concurrently on a shared pool of ``threads`` workers and
    return their results in order.

    Each task runs its FFTs single-threaded (the tasks are the parallelism) and, inside a
    :func:`recording`, records them in its own list, so that the FFT floor replays the same
    transforms with the same parallelism. The numba kernels release the GIL.
    """
    global _workers
    # Inline when there is nothing to share, or from a worker itself: waiting there on the
    # pool's other workers could deadlock it.
    if len(tasks) <= 1 or _single_threaded.get():
        return [task() for task in tasks]
    with _workers_lock:
        if _workers is None:
            from concurrent.futures import ThreadPoolExecutor

            _workers = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                          thread_name_prefix="numbascat")
    parent = _recorder.get()
    replaying = _replaying.get()
    records = [[] if parent is not None else None for _ in tasks]

    def worker(task, record):
        single = _single_threaded.set(True)
        token = _recorder.set(record)
        replay = _replaying.set(replaying)
        try:
            return task()
        finally:
            _replaying.reset(replay)
            _recorder.reset(token)
            _single_threaded.reset(single)

    futures = [_workers.submit(worker, task, record) for task, record in zip(tasks, records,
                                                                              strict=True)]
    results = [future.result() for future in futures]
    if parent is not None:
        parent.append((PARALLEL, tuple(records)))
    return results


def replayer(keys: list, cold: bool = False):
    """A callable running the recorded transforms ``keys`` again, on preallocated arrays.

    Warm (default): one pair of arrays per transform shape, reused by every call of that
    shape, so small problems run from cache: a lower bound. ``cold``: each call of a shape
    takes the next of several pairs (up to :data:`COLD_BYTES` per shape, never more than its
    number of calls), so a transform finds its input out of cache, as a traversal does when
    each FFT works on fresh data. Parallel sections replay in parallel (:func:`run_parallel`).
    """
    rng = np.random.default_rng(0)
    counts: dict = {}
    for key in keys:
        if key[0] != PARALLEL:
            counts[key] = counts.get(key, 0) + 1
    pools: dict = {}
    for key, count in counts.items():
        kind, in_shape, in_dtype, out_shape, out_dtype, _, _ = key
        inplace = kind.endswith(INPLACE)
        pair_bytes = (math.prod(in_shape) * np.dtype(in_dtype).itemsize
                      + (0 if inplace else math.prod(out_shape) * np.dtype(out_dtype).itemsize))
        copies = min(count, max(1, COLD_BYTES // max(pair_bytes, 1))) if cold else 1
        pairs = []
        for _ in range(copies):
            inp = empty(in_shape, np.dtype(in_dtype), pooled=False)
            view = inp.view(inp.real.dtype)
            view[...] = rng.standard_normal(view.shape)
            pairs.append((inp, inp if inplace else empty(out_shape, np.dtype(out_dtype),
                                                         pooled=False)))
        pools[key] = pairs
    steps, used = [], dict.fromkeys(counts, 0)
    for key in keys:
        if key[0] == PARALLEL:
            steps.append((PARALLEL, [replayer(list(part), cold) for part in key[1]]))
            continue
        pair = pools[key][used[key] % len(pools[key])]
        used[key] += 1
        steps.append((key[0].removesuffix(INPLACE), pair, key[5], key[6]))

    def run():
        token = _replaying.set(True)
        try:
            _run_steps()
        finally:
            _replaying.reset(token)

    def _run_steps():
        for step in steps:
            if step[0] == PARALLEL:
                run_parallel(step[1])
            else:
                kind, (inp, out), d, threads = step
                single = _single_threaded.set(threads == 1)
                try:
                    execute(kind, inp, out, d)
                finally:
                    _single_threaded.reset(single)

    return run


@contextlib.contextmanager
def recording():
    """Record the key of every transform executed in this context (for the FFT floor)."""
    calls: list = []
    token = _recorder.set(calls)
    try:
        yield calls
    finally:
        _recorder.reset(token)


def recorded_keys(records):
    """The transform keys of a :func:`recording`, in order, parallel sections flattened."""
    for key in records:
        if key[0] == PARALLEL:
            for part in key[1]:
                yield from recorded_keys(part)
        else:
            yield key


def clear_plans() -> None:
    """Forget every cached plan and what the auto planner learnt (wisdom stays loaded)."""
    global _pooled_bytes, _detached_bytes
    with _state_lock:
        _pools.clear()
        _detached.clear()
        _states.clear()
        _pooled_bytes = 0
        _detached_bytes = 0
