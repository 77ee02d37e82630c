"""Recycled temporaries for the numba backend.

A forward pass allocates the same large temporaries (spectra, moduli) call after call. Fresh
allocations of that size come straight from the operating system, and every page is faulted in
and zeroed on first touch: for a 10 MB spectrum that costs far more than the kernel writing it.
:func:`empty` hands out a buffer of the requested shape and dtype from a per-thread pool instead,
reusing one only when nothing else references it (its reference count shows that no array, view
or caller still holds it), so a recycled buffer can never alias live data.

The pool is bounded (:data:`MAX_BYTES` per thread, least recently used dropped first) and
**off by default** (``NUMBASCAT_WORKSPACE_MB=0``): a pool keeps one buffer of every size a
pass uses, so a forward call's working memory becomes the sum of its temporaries instead of
their largest live set (traced peaks measured on 1d-music / 2d-imagenet / 3d-headline: 139 /
150 / 67 MB with a 512 MiB pool, 38 / 67 / 51 MB without), while glibc's allocator already
reuses freed blocks below its mmap threshold, so no speed-up was measurable on 2 cores. Set
``NUMBASCAT_WORKSPACE_MB`` (e.g. 512) to trade memory for fewer page faults on large grids.

Small forward calls recycle regardless, inside :func:`recycling` (the numba backend's
``recycled_temporaries``, entered by transforms whose working memory is at most
``RECYCLE_BYTES``): a call that frees a few megabytes makes glibc trim its heap, so the next
call faults every page in again (1d-eeg: 1,550 page faults and half its time per call), while
a pool as large as the whole working set keeps them for the next call, at a bounded cost.
"""
from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["MAX_BYTES", "clear", "empty", "limit", "recycling"]

#: Bytes of idle buffers a thread may keep (default 0: off; env NUMBASCAT_WORKSPACE_MB).
MAX_BYTES = int(float(os.environ.get("NUMBASCAT_WORKSPACE_MB", "0")) * 2 ** 20)

_local = threading.local()
# References held while a buffer sits idle: the pool's list, this function's local variable and
# getrefcount's own argument.
_IDLE_REFCOUNT = 3


def _pool() -> OrderedDict:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = OrderedDict()
    return pool


def limit() -> int:
    """Bytes of idle buffers this thread may keep now: :data:`MAX_BYTES`, or more inside
    :func:`recycling`."""
    return max(MAX_BYTES, getattr(_local, "limit", 0))


@contextlib.contextmanager
def recycling(max_bytes: int):
    """Recycle temporaries in this thread while the block runs, keeping up to ``max_bytes``
    of idle buffers, which stay pooled for the next block (:func:`clear` frees them)."""
    previous = getattr(_local, "limit", 0)
    _local.limit = max(previous, int(max_bytes))
    try:
        yield
    finally:
        _local.limit = previous


def empty(shape: tuple[int, ...], dtype, alignment: int, pooled: bool = True) -> np.ndarray:
    """An uninitialised C-contiguous ``alignment``-byte-aligned array, recycled when possible
    (never with ``pooled=False``: for buffers that stay referenced, which a pool would count
    without ever reusing)."""
    dtype = np.dtype(dtype)
    shape = tuple(map(int, shape))
    nbytes = math.prod(shape) * dtype.itemsize
    max_bytes = limit() if pooled else 0
    if max_bytes <= 0 or nbytes < (1 << 16):  # small arrays are cheap: numpy's cache is enough
        return _view(_raw(nbytes, alignment), nbytes, shape, dtype, alignment)
    pool = _pool()
    key = (_size_class(nbytes), alignment)
    raws = pool.get(key)
    if raws is not None:
        pool.move_to_end(key)
        for raw in raws:
            # numpy collapses view chains: every array made from ``raw`` has it as ``.base``,
            # so its reference count sees all of them.
            if sys.getrefcount(raw) <= _IDLE_REFCOUNT:
                return _view(raw, nbytes, shape, dtype, alignment)
    raw = _raw(key[0], alignment)
    pool.setdefault(key, []).append(raw)
    _trim(pool, max_bytes)
    return _view(raw, nbytes, shape, dtype, alignment)


def _size_class(nbytes: int) -> int:
    """``nbytes`` rounded up to a quarter-octave class (5/8, 6/8, 7/8 or 8/8 of a power of
    two): a pooled buffer then serves the slightly different sizes of one pass's temporaries
    (at most a fifth of it unused), so the pool holds about the live working set, not one
    buffer per distinct size (2d-mnist: 60 MB in 59 buffers with exact sizes)."""
    step = max(1, (1 << (nbytes - 1).bit_length()) // 8)
    return -(-nbytes // step) * step


def _raw(nbytes: int, alignment: int) -> np.ndarray:
    return np.empty(nbytes + alignment, dtype=np.uint8)


def _view(raw, nbytes, shape, dtype, alignment) -> np.ndarray:
    # The address through ctypes.c_char.from_buffer: a third of the cost of ``raw.ctypes``,
    # which small transforms pay on every temporary.
    offset = (-ctypes.addressof(ctypes.c_char.from_buffer(raw))) % alignment
    return raw[offset:offset + nbytes].view(dtype).reshape(shape)


def _trim(pool: OrderedDict, max_bytes: int) -> None:
    total = sum(r.nbytes for raws in pool.values() for r in raws)
    for key in list(pool):
        if total <= max_bytes:
            break
        kept = []
        for raw in pool[key]:
            if total > max_bytes and sys.getrefcount(raw) <= _IDLE_REFCOUNT:
                total -= raw.nbytes
            else:
                kept.append(raw)
        if kept:
            pool[key] = kept
        else:
            del pool[key]


def clear() -> None:
    """Drop this thread's idle buffers."""
    _pool().clear()
