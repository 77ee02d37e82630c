"""Recycled CPU temporaries for the ``torch`` backend (inference only).

A forward pass allocates the same large temporaries (products, spectra, moduli) call after
call. On the CPU, torch takes every allocation of more than a few hundred kB straight from the
operating system, which faults in and zeroes each page on first touch: for a 16 MB product
that measured 6x the cost of the multiplication itself (7 ms against 1.2 ms).

:func:`empty` hands out a tensor whose memory comes from a per-thread pool of numpy buffers
(``torch.from_numpy`` shares the memory and keeps a reference to the buffer for as long as any
tensor or view of it lives). A buffer is reused only when its reference count shows that no
tensor still holds it, so a recycled buffer never aliases live data, whoever kept the result.

Only for operations that autograd does not record and that ``torch.compile`` does not trace
(the backend writes into these tensors with ``out=`` and in-place ops). The pool is bounded
(:data:`MAX_BYTES` per thread, least recently used first); ``NUMBASCAT_TORCH_WORKSPACE_MB=0`` turns
recycling off.
"""
from __future__ import annotations

import math
import os
import sys
import threading
from collections import OrderedDict

import numpy as np
import torch

__all__ = ["MAX_BYTES", "clear", "empty"]

#: Bytes of idle buffers a thread may keep (default 512 MiB; env NUMBASCAT_TORCH_WORKSPACE_MB).
MAX_BYTES = int(float(os.environ.get("NUMBASCAT_TORCH_WORKSPACE_MB", "512")) * 2 ** 20)
#: Smaller tensors come from torch's allocator (small blocks are recycled by malloc already).
MIN_BYTES = 1 << 17
_ALIGN = 64

_NUMPY = {t: np.dtype(n) for t, n in ((torch.float32, np.float32), (torch.float64, np.float64),
                                       (torch.complex64, np.complex64),
                                       (torch.complex128, np.complex128))}
_local = threading.local()
# References to an idle buffer: the pool's list, the loop variable and getrefcount's argument.
_IDLE_REFCOUNT = 3


def _pool() -> OrderedDict:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = OrderedDict()
    return pool


def empty(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised contiguous CPU tensor, its memory recycled when possible."""
    np_dtype = _NUMPY[dtype]
    nbytes = math.prod(shape) * np_dtype.itemsize
    if MAX_BYTES <= 0 or nbytes < MIN_BYTES:
        return torch.empty(shape, dtype=dtype)
    pool = _pool()
    raws = pool.get(nbytes)
    if raws is not None:
        pool.move_to_end(nbytes)
        for raw in raws:
            # numpy collapses view chains, so every view (and the torch storage holding one)
            # counts on ``raw`` itself.
            if sys.getrefcount(raw) <= _IDLE_REFCOUNT:
                return _tensor(raw, nbytes, shape, np_dtype)
    raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
    pool.setdefault(nbytes, []).append(raw)
    _trim(pool)
    return _tensor(raw, nbytes, shape, np_dtype)


def _tensor(raw: np.ndarray, nbytes: int, shape, np_dtype) -> torch.Tensor:
    offset = (-raw.ctypes.data) % _ALIGN
    return torch.from_numpy(raw[offset:offset + nbytes].view(np_dtype).reshape(shape))


def _trim(pool: OrderedDict) -> None:
    total = sum(r.nbytes for raws in pool.values() for r in raws)
    for key in list(pool):
        if total <= MAX_BYTES:
            break
        kept = []
        for raw in pool[key]:
            if total > MAX_BYTES and sys.getrefcount(raw) <= _IDLE_REFCOUNT:
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
