"""Row ranges of prepared numba stacks share the stack's memory and compute the same bits."""
from __future__ import annotations

import numpy as np
import pytest

from numbascat.backend_api import FilterRole
from numbascat.backends.numba_backend import NumbaBackend
from numbascat.backends.numpy_backend import NumpyBackend
from numbascat.prepared import PreparedFilters


def _bumps(F, s, rng):
    """Real Gaussian bumps at random frequencies: limited supports, some past the half."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) * n for n in s], indexing="ij")
    out = np.empty((F,) + s)
    for f in range(F):
        centre = [rng.uniform(-n / 3, n / 3) for n in s]
        r2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
        out[f] = np.exp(-r2 / (2 * rng.uniform(1.5, 4.0) ** 2))
    return out


@pytest.mark.parametrize("s", [(64,), (24, 20), (8, 12, 10)])
@pytest.mark.parametrize("start,stop", [(0, 2), (1, 4), (3, 5), (4, 5)])
def test_compact_rows_equal_a_separately_prepared_slice(s, start, stop):
    rng = np.random.default_rng(sum(s) + start)
    d = len(s)
    filters = _bumps(5, s, rng)
    b = NumbaBackend()
    whole = b.prepare_filters(filters, np.float32)
    assert whole.compact
    view = b.filter_rows(whole, start, stop)
    alone = b.prepare_filters(filters[start:stop], np.float32)
    assert view.shape == alone.shape
    assert np.shares_memory(view.kernel_values(), whole.kernel_values())
    np.testing.assert_array_equal(view.kernel_values(), alone.kernel_values())
    np.testing.assert_array_equal(view.dense(), alone.dense())
    X = b.rfft(rng.standard_normal((3,) + s).astype(np.float32), d)
    for k in [(1,) * d, (2,) * d]:
        np.testing.assert_array_equal(b.multiply_subsample(X, view, k, d),
                                      b.multiply_subsample(X, alone, k, d))
        np.testing.assert_array_equal(b.wavelet_modulus_rfft(X, view, k, d),
                                      b.wavelet_modulus_rfft(X, alone, k, d))


def test_dense_rows_are_views():
    rng = np.random.default_rng(3)
    s = (16, 16)
    phi = _bumps(3, s, rng)
    b = NumbaBackend()
    whole = b.prepare_filters(phi, np.float32, FilterRole.LOWPASS)
    view = b.filter_rows(whole, 1, 3)
    assert np.shares_memory(view.data, whole.data) and np.shares_memory(view.sym, whole.sym)
    alone = b.prepare_filters(phi[1:3], np.float32, FilterRole.LOWPASS)
    np.testing.assert_array_equal(view.support.runs, alone.support.runs)
    np.testing.assert_array_equal(view.support.ptr, alone.support.ptr)
    assert b.filter_rows(whole, 0, 3) is whole


def test_prepared_filters_share_a_stack_asked_for_in_several_chunks():
    rng = np.random.default_rng(4)
    s = (32, 32)
    sources = {"psi": (_bumps(8, s, rng), FilterRole.WAVELET),
               "other": (_bumps(4, s, rng), FilterRole.WAVELET)}
    prepared = PreparedFilters(NumbaBackend(), np.float32, sources)
    first = prepared.get("psi", 0, 3)
    alone = prepared.get("other", 1, 2)
    # One chunk of a stack: prepared alone, the rest of the stack never is.
    assert ("other", 0, 4) not in prepared._prepared
    second = prepared.get("psi", 3, 8)
    whole = prepared.get("psi")
    values = whole.kernel_values()
    for chunk in (second, prepared.get("psi", 0, 3), prepared.get("psi", 2, 6)):
        assert np.shares_memory(chunk.kernel_values(), values)
    assert prepared.get("psi", 0, 3) is not first  # the separate copy was replaced by a view
    np.testing.assert_array_equal(prepared.get("psi", 0, 3).kernel_values(),
                                  first.kernel_values())
    assert prepared.get("other", 1, 2) is alone


def test_backends_without_views_prepare_each_chunk():
    rng = np.random.default_rng(5)
    sources = {"psi": (_bumps(4, (16,), rng), FilterRole.WAVELET)}
    prepared = PreparedFilters(NumpyBackend(), np.float32, sources)
    prepared.get("psi", 0, 2)
    prepared.get("psi", 2, 4)
    assert ("psi", 0, 4) not in prepared._prepared
    np.testing.assert_array_equal(prepared.get("psi", 2, 4),
                                  sources["psi"][0][2:4].astype(np.float32))


def _broad(F, s, rng):
    """Float32 stacks covering most of their grid (as 2D wavelets at small j do)."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) * n for n in s], indexing="ij")
    out = np.empty((F,) + s, np.float32)
    for f in range(F):
        centre = [rng.uniform(-n / 4, n / 4) for n in s]
        r2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
        out[f] = np.exp(-r2 / (2 * (max(s) / 3) ** 2))
    return out


@pytest.mark.parametrize("s", [(24, 20), (8, 12, 10)])
def test_broad_float32_stack_is_read_in_place_and_computes_as_compact(s):
    rng = np.random.default_rng(sum(s))
    d = len(s)
    filters = _broad(5, s, rng)
    b = NumbaBackend()
    shared = b.prepare_filters(filters, np.float32)
    assert not shared.compact and shared.support.fraction >= 0.5
    assert np.shares_memory(shared.kernel_values(), filters)
    assert filters.flags.writeable and not shared.kernel_values().flags.writeable
    compact = b.prepare_filters(filters.astype(np.float64), np.float32)  # cast: compacted
    assert compact.compact
    np.testing.assert_array_equal(shared.support.runs, compact.support.runs)
    X = b.rfft(rng.standard_normal((3,) + s).astype(np.float32), d)
    for k in [(1,) * d, (2,) * d]:
        np.testing.assert_allclose(b.multiply_subsample(X, shared, k, d),
                                   b.multiply_subsample(X, compact, k, d), rtol=0, atol=0)
        np.testing.assert_allclose(b.wavelet_modulus_rfft(X, shared, k, d),
                                   b.wavelet_modulus_rfft(X, compact, k, d), rtol=0, atol=0)
    view = b.filter_rows(shared, 1, 3)
    assert np.shares_memory(view.kernel_values(), filters)
    np.testing.assert_array_equal(b.multiply_subsample(X, view, (1,) * d, d),
                                  b.multiply_subsample(X, compact, (1,) * d, d)[:, 1:3])


def test_sparse_float32_stack_is_compacted_from_its_own_support():
    rng = np.random.default_rng(7)
    s = (512,)
    filters = _bumps(6, s, rng).astype(np.float32)
    b = NumbaBackend()
    stack = b.prepare_filters(filters, np.float32)
    assert stack.compact and not np.shares_memory(stack.kernel_values(), filters)
    reference = b.prepare_filters(filters.astype(np.float64), np.float32)
    np.testing.assert_array_equal(stack.kernel_values(), reference.kernel_values())
    np.testing.assert_array_equal(stack.value_base, reference.value_base)
    np.testing.assert_array_equal(stack.dense(), reference.dense())


def test_support_is_the_same_when_computed_a_few_filters_at_a_time(monkeypatch):
    from numbascat.backends import numba_backend
    from numbascat.backends.support import relative_tolerance, support_runs

    rng = np.random.default_rng(11)
    stack = _bumps(7, (12, 16), rng).astype(np.float32).reshape(7, 1, 12, 16)
    whole = support_runs(np.abs(stack), relative_tolerance(np.float32))
    monkeypatch.setattr(numba_backend, "COMPACT_CHUNK_BYTES", 2 * 8 * 12 * 16)  # 2 filters
    parts = numba_backend._support_by_filters(stack, relative_tolerance(np.float32))
    np.testing.assert_array_equal(parts.ptr, whole.ptr)
    np.testing.assert_array_equal(parts.runs, whole.runs)
    assert parts.fraction == pytest.approx(whole.fraction)
