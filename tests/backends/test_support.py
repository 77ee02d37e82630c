"""Support runs of filter stacks and their periodised segments (numbascat.backends.support)."""
import numpy as np
import pytest

from numbascat.backends.support import periodised_segments, relative_tolerance, support_runs


def _runs_of(sup, row):
    return [tuple(r) for r in sup.runs[sup.ptr[row]:sup.ptr[row + 1]].tolist()]


def test_runs_follow_the_mask_and_merge_short_gaps():
    mag = np.zeros((2, 1, 2, 40))
    mag[0, 0, 0, 3:7] = 1.0
    mag[0, 0, 0, 9:12] = 1.0     # gap of 2 < MERGE_GAP: merged with the run before
    mag[0, 0, 0, 30:33] = 1.0    # far: its own run
    mag[1, 0, 1, 0:40] = 2.0
    mag[1, 0, 1, 20] = 1e-12     # negligible next to the peak: a hole, bridged (gap 1)
    sup = support_runs(mag, 1e-9)
    assert _runs_of(sup, 0) == [(3, 12), (30, 33)]
    assert _runs_of(sup, 1) == []
    assert _runs_of(sup, 2) == []
    assert _runs_of(sup, 3) == [(0, 40)]
    assert sup.fraction == pytest.approx((9 + 3 + 40) / mag.size)


def test_threshold_is_relative_to_each_filter_peak():
    mag = np.zeros((2, 1, 1, 16))
    mag[0, 0, 0, :] = 1e-6
    mag[0, 0, 0, 4] = 1.0
    mag[1, 0, 0, :] = 1e-6      # a filter of tiny values is still kept where it lives
    sup = support_runs(mag, 1e-3, merge_gap=0)
    assert _runs_of(sup, 0) == [(4, 5)]
    assert _runs_of(sup, 1) == [(0, 16)]


def test_tolerances_are_far_below_the_precision():
    assert relative_tolerance(np.float32) < 2.0 ** -24
    assert relative_tolerance(np.float64) < 2.0 ** -53


@pytest.mark.parametrize("Nk,keep", [(16, None), (4, None), (2, None), (4, 3)])
def test_segments_cover_the_runs_once_and_land_on_their_periodised_column(Nk, keep):
    rng = np.random.default_rng(0)
    mag = (rng.random((3, 1, 2, 16)) > 0.6).astype(float)
    sup = support_runs(mag, 0.5, merge_gap=0)
    ptr, seg = periodised_segments(sup, 16, Nk, keep)
    Nh = 16 // 2 + 1
    for row in range(len(sup.ptr) - 1):
        covered = np.zeros(16, bool)
        for s, e, out, mirrored, value_at in seg[ptr[row]:ptr[row + 1]]:
            assert value_at == row * 16 + s                     # dense (rows, N) layout
            assert s < e and s // Nk == (e - 1) // Nk          # one period block
            assert (s >= Nh) == bool(mirrored) and (e <= Nh or s >= Nh)
            assert out == s % Nk
            assert not covered[s:e].any()
            covered[s:e] = True
        expected = np.zeros(16, bool)
        for s, e in sup.runs[sup.ptr[row]:sup.ptr[row + 1]]:
            expected[s:e] = True
        if keep is not None:
            expected &= (np.arange(16) % Nk) < keep
        assert (covered == expected).all()


def test_segments_locate_compact_values():
    """With ``value_base``, each segment's fifth column points at its first stored value."""
    rng = np.random.default_rng(1)
    mag = (rng.random((2, 1, 1, 32)) > 0.5).astype(float)
    sup = support_runs(mag, 0.5, merge_gap=0)
    lengths = sup.runs[:, 1] - sup.runs[:, 0]
    base = np.cumsum(lengths) - lengths - sup.runs[:, 0]
    rows = np.repeat(np.arange(len(sup.ptr) - 1), np.diff(sup.ptr))
    # The compact values of a dense stack: the run entries, concatenated.
    dense = rng.standard_normal((2, 32))
    values = np.concatenate([dense[r, a:b] for r, (a, b) in zip(rows, sup.runs, strict=True)])
    ptr, seg = periodised_segments(sup, 32, 8, None, base)
    for row in range(len(sup.ptr) - 1):
        for s, e, _, _, value_at in seg[ptr[row]:ptr[row + 1]]:
            np.testing.assert_array_equal(values[value_at:value_at + e - s], dense[row, s:e])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("merge_gap", [0, 1, 8])
def test_the_kernel_finds_the_runs_of_the_numpy_reference(dtype, merge_gap):
    from numbascat.backends.support import support_runs_numpy

    rng = np.random.default_rng(3)
    mag = rng.random((4, 2, 3, 57)).astype(dtype) ** 8  # sparse above the thresholds
    mag[1] = 0.0  # a zero filter: threshold 0, no runs
    mag[2, :, :, :5] = mag[2].max()  # runs from the first column
    mag[3, :, :, -4:] = 2 * mag[3].max()  # and to the last
    got, want = support_runs(mag, 1e-2, merge_gap), support_runs_numpy(mag, 1e-2, merge_gap)
    np.testing.assert_array_equal(got.ptr, want.ptr)
    np.testing.assert_array_equal(got.runs, want.runs)
    assert got.fraction == want.fraction
    assert got.runs.dtype == got.ptr.dtype == np.int64
    empty = support_runs(np.zeros((0, 1, 1, 8), dtype), 1e-2)
    assert empty.runs.shape == (0, 2) and list(empty.ptr) == [0]
