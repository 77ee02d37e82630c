"""The FFT floor: how long a transform's FFTs alone take (same shapes, same FFT plans).

A backend is as fast as it can be when everything but its FFTs costs nothing; the benchmark
suite reports each backend's time divided by this floor.

Backends that run their FFTs below the operator API (the ``numba`` backend's fused operations
call planned pyFFTW objects directly) expose two hooks, used when present:

- ``backend.fft_recording()``: a context manager yielding a list that receives one record per
  FFT executed inside it;
- ``backend.fft_replayer(records, cold)``: a callable that runs those FFTs again on
  preallocated arrays.

Two floors: *warm* (default) reuses one buffer per FFT shape, so every replayed transform of a
small problem runs from cache: a strict lower bound, which a traversal cannot reach once its
FFT inputs are produced by other stages. *Cold* cycles each shape through distinct buffers
(about twice a last-level cache), so every FFT reads data that is not in cache, as in a real
pass over large signals.

For any other backend the public ``rfft``/``irfft``/``fft``/``ifft`` methods are wrapped while
the transform runs once, and replayed on random arrays of the recorded shapes and dtypes.
"""
from __future__ import annotations

import contextlib
import threading
import time

import numpy as np

from numbascat.transform import own_backend

__all__ = ["fft_floor", "record_ffts"]

_FFT_OPS = ("rfft", "irfft", "fft", "ifft")
_wrap_lock = threading.Lock()


@contextlib.contextmanager
def _wrapped_methods(backend):
    """Record public FFT calls as ``(op, shape, dtype, args)`` while the block runs."""
    calls = []

    def wrap(op, method):
        def recorder(x, *args):
            calls.append((op, backend.shape(x), np.dtype(backend.to_numpy(x).dtype), args))
            return method(x, *args)
        return recorder

    with _wrap_lock:
        for op in _FFT_OPS:
            setattr(backend, op, wrap(op, getattr(backend, op)))
        try:
            yield calls
        finally:
            for op in _FFT_OPS:
                delattr(backend, op)  # unshadow the class methods


def _generic_replayer(backend, calls, cold=False):
    rng = np.random.default_rng(0)
    prepared, shared = [], {}
    for op, shape, dtype, args in calls:
        key = (op, shape, dtype, args)
        if cold or key not in shared:
            data = rng.standard_normal(shape)
            if dtype.kind == "c":
                data = data + 1j * rng.standard_normal(shape)
            shared[key] = backend.from_numpy(data.astype(dtype))
        prepared.append((getattr(backend, op), shared[key], args))

    def run():
        for method, x, args in prepared:
            method(x, *args)

    return run


def record_ffts(transform, x, cold: bool = False):
    """Run ``transform(x)`` once and return ``(records, replay)``: the FFTs it performed and a
    callable that performs exactly those FFTs again (``cold``: on data out of cache)."""
    backend = transform.backend
    if hasattr(backend, "fft_recording") and hasattr(backend, "fft_replayer"):
        with backend.fft_recording() as records, own_backend():
            transform(x)
        return list(records), backend.fft_replayer(list(records), cold)
    with _wrapped_methods(backend) as calls, own_backend():
        transform(x)
    return list(calls), _generic_replayer(backend, calls, cold)


def fft_floor(transform, x, repeat: int = 5, reduce=min, cold: bool = False) -> float:
    """Seconds spent by the FFTs of one ``transform(x)`` call, replayed alone.

    Parameters
    ----------
    transform : a numbascat transform object (any frontend whose ``__call__`` takes ``x``)
    x : input array accepted by ``transform``
    repeat : int
        Number of timed replays (after one untimed warm-up).
    reduce : callable
        Combines the replay times (``min`` by default; ``statistics.median`` also works).
    cold : bool
        Replay on data out of cache (see the module docstring) instead of warm buffers.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    with own_backend():
        transform(x)  # plans, filters and JIT are made outside the recording
    _, replay = record_ffts(transform, x, cold)
    replay()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        replay()
        times.append(time.perf_counter() - start)
    return float(reduce(times))
