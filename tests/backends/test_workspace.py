"""Recycled temporaries never alias live data."""
import os

import numpy as np

from numbascat.backends import workspace


def test_buffer_is_recycled_only_when_unreferenced(monkeypatch):
    monkeypatch.setattr(workspace, "MAX_BYTES", 64 << 20)
    workspace.clear()
    a = workspace.empty((64, 1024), np.complex64, 64)
    address = a.ctypes.data
    assert address % 64 == 0 and a.flags.c_contiguous
    view = a[3:].view(np.float32)
    del a
    b = workspace.empty((64, 1024), np.complex64, 64)
    assert b.ctypes.data != address  # the view still holds the first buffer
    del view
    c = workspace.empty((1024, 64), np.complex64, 64)  # same bytes, other shape
    assert c.ctypes.data == address and c.shape == (1024, 64)
    assert b.ctypes.data != c.ctypes.data
    workspace.clear()


def test_recycling_is_off_by_default(monkeypatch):
    if "NUMBASCAT_WORKSPACE_MB" not in os.environ:
        assert workspace.MAX_BYTES == 0
    monkeypatch.setattr(workspace, "MAX_BYTES", 0)
    workspace.clear()
    a = workspace.empty((1 << 18,), np.float32, 64)
    assert a.ctypes.data % 64 == 0 and a.shape == (1 << 18,)
    del a
    assert len(workspace._pool()) == 0  # nothing kept: the memory goes back to the allocator


def test_small_arrays_are_not_pooled():
    workspace.clear()
    a = workspace.empty((8,), np.float32, 64)
    assert a.ctypes.data % 64 == 0 and a.shape == (8,)
    assert len(workspace._pool()) == 0


def test_pool_is_bounded(monkeypatch):
    monkeypatch.setattr(workspace, "MAX_BYTES", 1 << 20)
    workspace.clear()
    for n in range(10):
        workspace.empty(((1 << 17) + n * 64,), np.float32, 64)  # 512 kB each, all idle at once
    pooled = sum(r.nbytes for raws in workspace._pool().values() for r in raws)
    assert pooled <= (1 << 20) + (1 << 19)
    workspace.clear()


def test_recycling_scope_keeps_buffers_for_the_next_call(monkeypatch):
    monkeypatch.setattr(workspace, "MAX_BYTES", 0)
    workspace.clear()
    with workspace.recycling(8 << 20):
        a = workspace.empty((1 << 16,), np.complex64, 64)  # 512 kB
        address = a.ctypes.data
        del a
    assert workspace.limit() == 0  # off again outside the scope
    outside = workspace.empty((1 << 16,), np.complex64, 64)
    assert outside.ctypes.data != address  # not handed out from the pool
    with workspace.recycling(8 << 20):
        # A slightly smaller request of the same size class reuses the buffer.
        b = workspace.empty(((1 << 16) - 100,), np.complex64, 64)
        assert b.ctypes.data == address and b.ctypes.data % 64 == 0
        kept = workspace.empty((1 << 16,), np.complex64, 64, pooled=False)
        assert kept.ctypes.data != address
    pooled = sum(len(raws) for raws in workspace._pool().values())
    assert pooled == 1  # the unpooled buffer was never counted
    workspace.clear()


def test_size_classes_waste_at_most_a_fifth():
    for n in [1 << 16, (1 << 16) + 1, 81921, 100000, 3 << 20, (7 << 20) + 5]:
        size = workspace._size_class(n)
        assert n <= size <= 1.25 * n + 64
