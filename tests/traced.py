"""Traced working memory of one call, for the memory tests."""
from __future__ import annotations

import tracemalloc


def traced_peak(call) -> int:
    """Peak bytes traced by ``tracemalloc`` during ``call()`` above what was traced before."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
