"""Planned pyFFTW transforms for the ``numba`` backend: plans, settings, wisdom, recording.

Plans are made on first use (never at import) for one ``(kind, input shape, output shape, dtype,
d, threads)`` key and kept in a pool per key. A call takes a plan out of its pool for the time of
one ``execute`` on the caller's arrays (``FFTW.update_arrays``), so concurrent calls never share a
plan's arrays; a second plan for the same key is only made when two threads need it at once.

Kinds: ``'rfft'`` (real -> half spectrum), ``'irfft'`` (half spectrum -> real, destroys its
input), ``'fft'`` and ``'ifft'`` (complex -> complex). Every transform runs over the trailing
``d`` axes (or over the axes ``d`` names when it is a tuple, as the pruned inverse FFTs of
:mod:`numbascat.backends.pruned_fft` do) and is **unnormalised**: callers fold ``1/N`` into
their own kernels.

Settings (read once, :func:`refresh_settings` re-reads):

- planner: ``NUMBASCAT_FFTW_PLANNER`` or ``[fft] planner`` = estimate | measure (default) |
  patient | exhaustive;
- threads: ``NUMBASCAT_FFT_THREADS`` or ``[fft] threads`` (default ``os.cpu_count()``).

FFTW wisdom is loaded from the user cache directory before the first plan and saved (atomically)
after every new plan, so a machine plans each shape once.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import math
import os
import platform
import struct
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from numbascat.backends import workspace

__all__ = ["FFTSettings", "aligned", "clear_plans", "empty", "execute", "in_parallel", "is_aligned",
           "recording", "refresh_settings", "replayer", "settings", "threads_for", "wisdom_path"]

PLANNERS = {"estimate": "FFTW_ESTIMATE", "measure": "FFTW_MEASURE",
            "patient": "FFTW_PATIENT", "exhaustive": "FFTW_EXHAUSTIVE"}
_DIRECTION = {"rfft": "FFTW_FORWARD", "fft": "FFTW_FORWARD",
              "irfft": "FFTW_BACKWARD", "ifft": "FFTW_BACKWARD"}
#: Suffix of the plan kind of an in-place transform (input and output are one array).
INPLACE = "_inplace"
_WISDOM_MAGIC = b"NUMBASCAT-FFTW-WISDOM-1\n"
#: Smaller transforms run on one thread: waking FFTW's workers costs more than it saves there
#: (measured ~20x slower on a busy 2-core machine for 32x32 images).
THREADS_MIN_ELEMENTS = 1 << 17


@dataclass(frozen=True)
class FFTSettings:
    planner: str  # an FFTW planner flag, e.g. 'FFTW_MEASURE'
    threads: int


_state_lock = threading.Lock()
_planner_lock = threading.RLock()  # every call into FFTW's planner or wisdom
_settings: FFTSettings | None = None
_pools: dict[tuple, list] = {}
_wisdom_loaded = False
_recorder: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "numbascat_fft_recorder", default=None)
# Inside a parallel section (run_parallel) each worker's FFTs run on one thread.
_single_threaded: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "numbascat_fft_single_threaded", default=False)
_workers = None
_workers_lock = threading.Lock()


# ---------------------------------------------------------------------------------- settings
def _read_settings() -> FFTSettings:
    from numbascat.config import get_setting

    raw = str(get_setting("fft", "planner", env="NUMBASCAT_FFTW_PLANNER", default="measure"))
    key = raw.strip().lower().removeprefix("fftw_")
    if key not in PLANNERS:
        raise ValueError(f"FFT planner (NUMBASCAT_FFTW_PLANNER or [fft] planner) must be one of "
                         f"{', '.join(PLANNERS)}; got {raw!r}")
    raw_threads = get_setting("fft", "threads", env="NUMBASCAT_FFT_THREADS", default=None)
    if raw_threads is None:
        threads = os.cpu_count() or 1
    else:
        try:
            threads = int(raw_threads)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"FFT threads (NUMBASCAT_FFT_THREADS or [fft] threads) must be a "
                             f"positive integer; got {raw_threads!r}")
    return FFTSettings(PLANNERS[key], threads)


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
    import pyfftw

    return int(pyfftw.simd_alignment)


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array aligned for SIMD FFTW plans.

    Large arrays are recycled through :mod:`numbascat.backends.workspace` once nothing
    references them, which saves faulting in fresh pages on every call.
    """
    return workspace.empty(shape, dtype, _alignment())


def is_aligned(x: np.ndarray) -> bool:
    """Whether ``x`` is C-contiguous and SIMD-aligned (a plan made by :func:`execute` runs on
    it without a copy)."""
    return bool(x.flags.c_contiguous and x.ctypes.data % _alignment() == 0)


def aligned(x: np.ndarray) -> np.ndarray:
    """``x`` itself when C-contiguous and SIMD-aligned, else an aligned copy."""
    if is_aligned(x):
        return x
    out = empty(x.shape, x.dtype)
    out[...] = x
    return out


# ---------------------------------------------------------------------------------- wisdom
def wisdom_path():
    """Where wisdom for this machine and pyFFTW version lives (None when caching is off)."""
    import pyfftw

    from numbascat.cache import cache_dir

    directory = cache_dir()
    if directory is None:
        return None
    machine = f"{platform.node()}|{platform.machine()}|{platform.processor()}|{os.cpu_count()}"
    tag = hashlib.sha256(f"{machine}|{pyfftw.__version__}".encode()).hexdigest()[:16]
    return directory / f"fftw_wisdom-{tag}.bin"


def _encode_wisdom(parts) -> bytes:
    body = b"".join(struct.pack("<Q", len(p)) + p for p in parts)
    return _WISDOM_MAGIC + struct.pack("<I", len(parts)) + body


def _decode_wisdom(data: bytes) -> tuple[bytes, ...]:
    if not data.startswith(_WISDOM_MAGIC):
        raise ValueError("not a numbascat wisdom file")
    pos = len(_WISDOM_MAGIC)
    (count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    parts = []
    for _ in range(count):
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        if pos + n > len(data):
            raise ValueError("truncated")
        parts.append(data[pos:pos + n])
        pos += n
    if pos != len(data) or count != 3:
        raise ValueError("unexpected length")
    return tuple(parts)


def _load_wisdom() -> None:
    """Import saved wisdom once; a corrupt file gives one warning and is ignored."""
    global _wisdom_loaded
    if _wisdom_loaded:
        return
    _wisdom_loaded = True
    import pyfftw

    path = wisdom_path()
    if path is None or not path.is_file():
        return
    try:
        parts = _decode_wisdom(path.read_bytes())
        ok = pyfftw.import_wisdom(parts)
        if not all(flag or not part for flag, part in zip(ok, parts, strict=True)):
            raise ValueError("FFTW rejected it")
    except (OSError, ValueError, struct.error) as exc:
        warnings.warn(f"numbascat: ignoring unreadable FFTW wisdom file {path} ({exc}); it will "
                      f"be rewritten", RuntimeWarning, stacklevel=5)


def _save_wisdom() -> None:
    import pyfftw

    from numbascat.cache import atomic_write_bytes

    path = wisdom_path()
    if path is not None:
        atomic_write_bytes(path, _encode_wisdom(pyfftw.export_wisdom()))


# ---------------------------------------------------------------------------------- plans
def _make_plan(kind, in_shape, in_dtype, out_shape, out_dtype, d, threads):
    import pyfftw

    # FFTW's planner and its wisdom are process-global and not thread-safe: planning in one
    # thread while another plans or exports wisdom corrupts the heap. Plans are made once per
    # shape, so serialising them costs nothing at steady state; executing plans stays parallel.
    # Planning under one lock also means a second plan for the same problem (one per thread)
    # reuses the first one's wisdom, hence the same algorithm and bit-identical results.
    with _planner_lock:
        _load_wisdom()
        inplace = kind.endswith(INPLACE)
        kind = kind.removesuffix(INPLACE)
        a = empty(in_shape, in_dtype)
        b = a if inplace else empty(out_shape, out_dtype)
        # Only the inverse real transform may destroy its input (FFTW requires it for d > 1);
        # the others must leave the caller's arrays intact.
        flags = (settings().planner,) + (("FFTW_DESTROY_INPUT",) if kind == "irfft" else ())
        axes = tuple(range(-d, 0)) if isinstance(d, int) else tuple(d)
        plan = pyfftw.FFTW(a, b, axes=axes, direction=_DIRECTION[kind],
                           flags=flags, threads=threads)
        _save_wisdom()
    return plan, a, b


def _key(kind, inp, out, d, threads):
    return (kind, inp.shape, inp.dtype.str, out.shape, out.dtype.str, d, threads)


def threads_for(size: int) -> int:
    """FFTW threads :func:`execute` uses for a transform of ``size`` values (input or output,
    whichever is larger) in the calling context."""
    threads = 1 if _single_threaded.get() else settings().threads
    return 1 if threads > 1 and size < THREADS_MIN_ELEMENTS else threads


def execute(kind: str, inp: np.ndarray, out: np.ndarray, d: int | tuple[int, ...]) -> np.ndarray:
    """Run the unnormalised transform ``kind`` over the trailing ``d`` axes: ``inp`` -> ``out``.

    ``d`` may also be a tuple of negative axes, e.g. ``(-3,)``: the transform then runs over
    those axes only (recorded and replayed like any other).

    Both arrays must come from :func:`empty` / :func:`aligned`. ``'irfft'`` destroys ``inp``.
    Passing the same array as ``inp`` and ``out`` runs the complex transforms in place.
    Returns ``out``.
    """
    if inp is out:
        kind += INPLACE
    threads = threads_for(max(inp.size, out.size))
    key = _key(kind, inp, out, d, threads)
    rec = _recorder.get()
    if rec is not None:
        rec.append(key)
    with _state_lock:
        pool = _pools.setdefault(key, [])
        entry = pool.pop() if pool else None
    if entry is None:
        entry = _make_plan(kind, inp.shape, inp.dtype, out.shape, out.dtype, d, threads)
    plan, own_in, own_out = entry
    try:
        plan.update_arrays(inp, out)
        plan.execute()
    finally:
        # Drop the references to the caller's arrays so the plan holds only its own buffers.
        plan.update_arrays(own_in, own_out)
        with _state_lock:
            _pools[key].append(entry)
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
    records = [[] if parent is not None else None for _ in tasks]

    def worker(task, record):
        single = _single_threaded.set(True)
        token = _recorder.set(record)
        try:
            return task()
        finally:
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
            inp = empty(in_shape, np.dtype(in_dtype))
            view = inp.view(inp.real.dtype)
            view[...] = rng.standard_normal(view.shape)
            pairs.append((inp, inp if inplace else empty(out_shape, np.dtype(out_dtype))))
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


def clear_plans() -> None:
    """Forget every cached plan (wisdom stays loaded)."""
    with _state_lock:
        _pools.clear()
