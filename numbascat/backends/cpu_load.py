"""How many cores this process may use, and how many other processes leave idle.

FFTW's threads and the numba backend's parallel batch parts meet at barriers: when another
process holds a core, a thread waiting for it stalls the others, and two threads run slower
than one (measured 4x on one large image on a 2-core machine). :func:`idle_cores` estimates the
cores that other processes leave free from ``/proc/stat`` (all CPU time) minus this process's
own CPU time over the last interval, so a pass scales back while the machine is shared and
scales up again when it is not. Off Linux (no ``/proc/stat``) every usable core counts as idle.
"""
from __future__ import annotations

import os
import threading
import time

__all__ = ["idle_cores", "usable_cores"]

#: Samples closer together than this reuse the last estimate (seconds): shorter intervals
#: hold too few clock ticks to mean anything.
MIN_INTERVAL = 0.2
#: A busy interval older than this no longer describes the machine: start afresh (seconds).
MAX_INTERVAL = 5.0
#: Other processes must keep at least this share of a core busy for it to count as taken.
BUSY_SHARE = 0.5

_lock = threading.Lock()
_last: tuple[float, float, float] | None = None  # (wall, machine busy s, own cpu s)
_estimate: int | None = None


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _machine_busy_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (None off Linux)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu":
        return None
    ticks = [int(v) for v in fields[1:8]]  # user nice system idle iowait irq softirq
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _running_others() -> int:
    """Runnable tasks on the machine now besides the caller (``/proc/loadavg``), or 0."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return 0
    return max(0, running - 1)


def idle_cores() -> int:
    """Usable cores that other processes leave idle now (at least 1).

    From the CPU time other processes spent since the previous estimate, when that was between
    :data:`MIN_INTERVAL` and :data:`MAX_INTERVAL` ago; on the first call (or after a long
    pause) from the number of tasks runnable right now. Cheap enough to call per transform.
    """
    global _last, _estimate
    cores = usable_cores()
    now = time.monotonic()
    with _lock:
        last, estimate = _last, _estimate
        if last is not None and estimate is not None and now - last[0] < MIN_INTERVAL:
            return estimate
    busy = _machine_busy_seconds()
    if busy is None:
        return cores
    own = _own_seconds()
    total = os.cpu_count() or cores
    if last is None or now - last[0] > MAX_INTERVAL:
        others = min(float(_running_others()), float(total))
    else:
        wall = now - last[0]
        others = max(0.0, (busy - last[1]) - (own - last[2])) / wall
    # Cores the machine has beyond those the others hold, within this process's affinity.
    taken = int(others + (1.0 - BUSY_SHARE))
    estimate = max(1, min(cores, total - taken))
    with _lock:
        _last, _estimate = (now, busy, own), estimate
    return estimate
