"""Memory budget of a forward call: estimate, automatic batch split, refusal before any work.

A transform describes its forward pass by a :class:`MemoryModel`: bytes per signal (spectra of
the padded signal, its moduli), bytes of batched filter products per signal, which the
traversal bounds by ``block_bytes``, and bytes of output per signal. The estimates are upper
bounds fitted to traced peaks (tracemalloc) of the numba and numpy backends, with margin.
:func:`batch_step` turns them into a batch split that fits the budget, or a
:class:`MemoryError` raised before any computation, so that the operating system's
out-of-memory killer is never what ends a call.

The budget is the transform's ``memory_budget`` (bytes) when set, else :data:`AUTO_FRACTION` of
the memory the machine has available when the call starts (``MemAvailable``), so that a second
process or the output itself still has room.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

__all__ = ["AUTO_FRACTION", "MemoryModel", "available_memory", "batch_step", "format_bytes"]

#: Share of the available memory a forward call may use when no budget is set.
AUTO_FRACTION = 0.5


@dataclass(frozen=True)
class MemoryModel:
    """Bytes a forward call on ``n`` signals needs: ``n * output`` kept, and working memory
    ``factor * (n * per_signal + min(n * blocks, block_cap))``: per-signal spectra, plus the
    batched filter products that the traversal bounds by ``block_bytes`` (``block_cap``).
    ``factor`` is the backend's (:attr:`numbascat.backend_api.Backend.memory_factor`)."""

    per_signal: int
    blocks: int
    block_cap: int
    output: int
    factor: float = 1.0

    def working(self, n: int) -> int:
        return int(self.factor * (n * self.per_signal + min(n * self.blocks, self.block_cap)))

    def total(self, n: int, step: int | None = None) -> int:
        """Peak bytes for ``n`` signals processed ``step`` at a time (the output accumulates)."""
        return n * self.output + self.working(min(n, step or n))


#: ``available_memory`` re-reads the system's figure at most this often (seconds).
AVAILABLE_TTL = 0.5
_available_cache: list = [-1.0, None]  # [monotonic time read, bytes]


def available_memory() -> int | None:
    """Bytes the machine can give this process now (``MemAvailable``), None when unknown.

    Cached for :data:`AVAILABLE_TTL` seconds: small transforms are called thousands of times a
    second and the figure moves slowly.
    """
    now = time.monotonic()
    read_at, value = _available_cache
    if now - read_at < AVAILABLE_TTL:
        return value
    value = None
    try:
        with open("/proc/meminfo", "rb") as f:
            match = re.search(rb"^MemAvailable:\s*(\d+)", f.read(), re.MULTILINE)
        if match:
            value = int(match.group(1)) * 1024
    except OSError:
        pass
    if value is None:
        try:
            value = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            value = None
    _available_cache[:] = [now, value]
    return value


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def batch_step(model: MemoryModel, n: int, budget: int | None, batch_size: int | None,
               what: str) -> int | None:
    """How many of ``n`` signals to scatter at once within ``budget`` bytes.

    Returns ``batch_size`` when it fits, None (the whole batch) when no split is needed, or the
    largest step that fits when ``batch_size`` is None. Raises :class:`MemoryError` before any
    work when an explicit ``batch_size`` does not fit (naming the size that would), or when one
    signal does not.
    """
    if budget is None or n == 0:
        return batch_size
    if batch_size is not None:
        if model.total(n, batch_size) <= budget:
            return batch_size
        fits = _largest_step(model, n, budget)
        hint = (f"use batch_size={fits} or less" if fits >= 1 else
                "no batch_size fits: raise memory_budget or free memory")
        raise MemoryError(
            f"{what}: batch_size={batch_size} needs about "
            f"{format_bytes(model.total(n, batch_size))} ({format_bytes(n * model.output)} of "
            f"output for {n} signals, {format_bytes(model.working(batch_size))} of working "
            f"memory), over the memory budget of {format_bytes(budget)}; {hint}.")
    if model.total(n) <= budget:
        return None
    fits = _largest_step(model, n, budget)
    if fits < 1:
        raise MemoryError(
            f"{what}: {n} signals need about {format_bytes(model.total(n, 1))} even one at a "
            f"time ({format_bytes(n * model.output)} of output, "
            f"{format_bytes(model.working(1))} of working memory), over the memory "
            f"budget of {format_bytes(budget)}. Scatter fewer signals per call, set "
            f"memory_budget higher (S.memory_budget = bytes) or free memory.")
    return fits


def _largest_step(model: MemoryModel, n: int, budget: int) -> int:
    room = budget - n * model.output
    if room <= 0 or model.working(1) > room:
        return 0
    lo, hi = 1, n  # working() is non-decreasing in n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if model.working(mid) <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo
