"""Detached plans: transforms too large to pool keep their plan, pointed at placeholders."""
import gc
import weakref

import numpy as np
import pytest

pytest.importorskip("pyfftw")

from numbascat.backends import fftw_plans  # noqa: E402

KINDS = [  # kind, input (shape, dtype), output (shape, dtype), d, numpy reference
    ("fft", ((2, 12, 10), np.complex64), ((2, 12, 10), np.complex64), 2,
     lambda a: np.fft.fft2(a)),
    ("ifft", ((3, 17), np.complex128), ((3, 17), np.complex128), 1,
     lambda a: np.fft.ifft(a, axis=-1) * 17),
    ("rfft", ((2, 9, 8), np.float32), ((2, 9, 5), np.complex64), 2, lambda a: np.fft.rfft2(a)),
    ("fft", ((4, 6, 8), np.complex64), ((4, 6, 8), np.complex64), (-3,),
     lambda a: np.fft.fft(a, axis=-3)),
]


@pytest.fixture
def unpooled(fresh_fftw, monkeypatch):
    """A plan cache so small that no test transform is pooled (detached plans may still be
    kept: their tables' bound is 8 times the cache)."""
    monkeypatch.setenv("NUMBASCAT_FFTW_PLAN_CACHE_MB", "0.001")
    fftw_plans.refresh_settings()


def _random(shape, dtype, seed):
    a = fftw_plans.empty(shape, np.dtype(dtype), pooled=False)
    view = a.view(a.real.dtype)
    view[...] = np.random.default_rng(seed).standard_normal(view.shape)
    return a


@pytest.mark.parametrize("planner", ["auto", "estimate"])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("kind,spec_in,spec_out,d,reference", KINDS)
def test_a_large_transform_reuses_one_detached_plan(unpooled, monkeypatch, planner, in_place,
                                                    kind, spec_in, spec_out, d, reference):
    if in_place and kind == "rfft":
        pytest.skip("real transforms run out of place only")
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", planner)
    fftw_plans.refresh_settings()
    plans = set()
    for seed in range(3):
        a = _random(*spec_in, seed)
        want = reference(a.astype(np.float64 if kind == "rfft" else np.complex128))
        out = a if in_place else fftw_plans.empty(*spec_out)
        got = fftw_plans.execute(kind, a, out, d)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.abs(want).max())
        (entries,) = fftw_plans._detached.values()
        assert len(entries) == 1
        plans.add(id(entries[0][0]))
        # The kept plan references neither of the caller's arrays.
        refs = [weakref.ref(a), weakref.ref(out)]
        del a, out, got
        gc.collect()
        assert all(r() is None for r in refs)
    assert len(plans) == 1
    assert not fftw_plans._pools
    assert fftw_plans._detached_bytes == fftw_plans._table_bytes(
        kind, np.empty(spec_in[0], spec_in[1]), np.empty(spec_out[0], spec_out[1]), d)


def test_detached_tables_are_bounded(unpooled, monkeypatch):
    """Once the tables' bound is reached, new shapes are planned on the caller's arrays for
    each call, and the bookkeeping matches what is held."""
    monkeypatch.setattr(fftw_plans, "TABLES_PER_CACHE_BYTE", 1)  # 1,048 bytes of tables
    for n in (64, 96, 128, 160):
        for _ in range(2):
            a = _random((2, n), np.complex64, n)
            got = fftw_plans.execute("fft", a, fftw_plans.empty((2, n), np.complex64), 1)
            np.testing.assert_allclose(got, np.fft.fft(a, axis=-1), rtol=0, atol=1e-3)
    held = sum(e[2] for entries in fftw_plans._detached.values() for e in entries)
    assert held == fftw_plans._detached_bytes <= fftw_plans.plan_tables_bytes()
    assert len(fftw_plans._detached) == 1  # 64 points: 512 bytes of tables; 96 more (768) is over


def test_no_plan_is_detached_without_a_cache(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLAN_CACHE_MB", "0")
    fftw_plans.refresh_settings()
    a = _random((2, 64), np.complex64, 0)
    fftw_plans.execute("fft", a, fftw_plans.empty((2, 64), np.complex64), 1)
    assert not fftw_plans._detached and fftw_plans._detached_bytes == 0


def test_arrays_aligned_otherwise_replace_a_detached_plan(unpooled):
    """A detached plan refuses arrays aligned otherwise than those it was made on: the call
    plans on its own arrays and the plan is let go."""
    a = _random((2, 64), np.complex64, 1)
    fftw_plans.execute("fft", a, fftw_plans.empty((2, 64), np.complex64), 1)
    assert fftw_plans._detached_bytes > 0
    # A complex64 array at an 8-byte offset from an aligned one: no longer SIMD-aligned.
    raw = fftw_plans.empty((2 * 64 + 1,), np.complex64, pooled=False)
    shifted, out_raw = raw[1:].reshape(2, 64), fftw_plans.empty((2 * 64 + 1,), np.complex64)
    out = out_raw[1:].reshape(2, 64)
    if fftw_plans.is_aligned(shifted):
        pytest.skip("this FFTW build needs no alignment beyond the complex value's")
    shifted[...] = a
    fftw_plans.execute("fft", shifted, out, 1)
    np.testing.assert_allclose(out, np.fft.fft(a, axis=-1), rtol=0, atol=1e-3)
    assert fftw_plans._detached_bytes == 0 and not any(fftw_plans._detached.values())


def test_a_measured_plan_supersedes_the_detached_estimates(unpooled):
    key = None
    for seed in range(2):
        a = _random((2, 64), np.complex64, seed)
        fftw_plans.execute("fft", a, fftw_plans.empty((2, 64), np.complex64), 1)
        (key,) = fftw_plans._detached
    state = fftw_plans._states[key]
    with fftw_plans._state_lock:  # what _maybe_measure does once a measured plan exists
        state.generation += 1
        fftw_plans._drop_pool(key)
    assert fftw_plans._detached_bytes == 0
    # A plan in use meanwhile (taken before the bump) is dropped when it comes back.
    stale = fftw_plans._direct_plan("fft", a, fftw_plans.empty((2, 64), np.complex64), 1, 1,
                                    state)
    fftw_plans._detached_bytes += 7
    fftw_plans._detach(key, stale, a, a.copy(), state.generation - 1, 7)
    assert fftw_plans._detached_bytes == 0 and key not in fftw_plans._detached
