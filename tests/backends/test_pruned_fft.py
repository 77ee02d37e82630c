"""Pruned inverse FFTs (numbascat.backends.pruned_fft)."""
import numpy as np
import pytest

pytest.importorskip("pyfftw")
pytest.importorskip("numba")

from numbascat.backends import fftw_plans as fp  # noqa: E402
from numbascat.backends import pruned_fft  # noqa: E402
from numbascat.backends.support import support_runs  # noqa: E402


def _masked_product(rng, B, s, used, dtype):
    """Random spectra ``(B, *s)`` that are zero on the first-axis planes not in ``used``."""
    y = fp.empty((B,) + s, dtype)
    y[...] = rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape)
    y[:, ~used] = 0.0
    return y


def _slabs_of(used, s, d, max_share=1.0):
    """leading_slabs of a one-filter stack whose support is the planes ``used``."""
    mag = np.zeros(s, dtype=float)
    mag[used] = 1.0
    canon = mag.reshape((1,) + (1,) * (3 - d) + s)
    sup = support_runs(canon, 1e-3)
    return pruned_fft.leading_slabs(sup.ptr, canon.shape, d, max_share)


@pytest.mark.parametrize("dtype,tol", [(np.complex64, 2e-6), (np.complex128, 1e-13)])
@pytest.mark.parametrize("s", [(16, 12, 8), (9, 10, 7), (32, 16), (15, 9)])
@pytest.mark.parametrize("pattern", ["empty", "full", "wrapped", "middle"])
@pytest.mark.parametrize("B", [1, 3])
def test_pruned_inverse_equals_the_full_transform(dtype, tol, s, pattern, B, monkeypatch):
    monkeypatch.setattr(pruned_fft, "MIN_VALUES", 1)
    d = len(s)
    n0 = s[0]
    used = {"empty": np.zeros(n0, bool), "full": np.ones(n0, bool),
            "wrapped": (np.arange(n0) < n0 // 4) | (np.arange(n0) >= n0 - n0 // 5),
            "middle": (np.arange(n0) >= 2) & (np.arange(n0) < 5)}[pattern]
    rng = np.random.default_rng(hash((s, pattern, B)) % 2 ** 32)
    y = _masked_product(rng, B, s, used, dtype)
    want = np.fft.ifftn(y, axes=tuple(range(-d, 0))) * np.prod(s)  # unnormalised
    slabs = _slabs_of(used, s, d)
    assert slabs == tuple((int(a), int(b)) for a, b in _runs(used))
    token = fp._single_threaded.set(True)  # pruning runs on single-threaded transforms
    try:
        with fp.recording() as records:
            pruned_fft.inverse_inplace(y, slabs, d)
    finally:
        fp._single_threaded.reset(token)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(y, want, rtol=0, atol=tol * scale)
    assert y.dtype == dtype
    if pattern == "middle" and s[-1] % 4 == 0:  # aligned slabs: the pruned path ran
        assert records[-1][5] == (-d,)


def _runs(used):
    edges = np.flatnonzero(np.diff(np.concatenate([[0], used.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2], strict=True))


def test_slabs_say_when_pruning_pays():
    s = (16, 8, 8)
    assert _slabs_of(np.ones(16, bool), s, 3, None) is None          # every plane used
    few = np.zeros(16, bool)
    few[[0, 1, 15]] = True
    assert _slabs_of(few, s, 3, None) == ((0, 2), (15, 16))
    assert _slabs_of(np.zeros(16, bool), s, 3) == ()                 # zero filter: nothing
    mag = np.ones((1, 1, 1, 32))
    assert pruned_fft.leading_slabs(support_runs(mag, 1e-3).ptr, mag.shape, 1) is None  # 1D


def test_pruned_transforms_are_recorded_and_replayed(monkeypatch):
    monkeypatch.setattr(pruned_fft, "MIN_VALUES", 1)
    s = (16, 16, 16)
    used = np.zeros(16, bool)
    used[:4] = True
    y = _masked_product(np.random.default_rng(1), 2, s, used, np.complex64)
    token = fp._single_threaded.set(True)
    try:
        with fp.recording() as records:
            pruned_fft.inverse_inplace(y, _slabs_of(used, s, 3), 3)
    finally:
        fp._single_threaded.reset(token)
    kinds = [(key[0], key[1], key[5]) for key in records]
    assert kinds == [("ifft_inplace", (4, 16, 16), 2)] * 2 + [("ifft_inplace", (2,) + s, (-3,))]
    fp.replayer(list(records))()
    fp.replayer(list(records), cold=True)()


def test_threaded_small_or_misaligned_transforms_are_not_pruned(monkeypatch):
    s = (8, 8, 8)
    used = np.zeros(8, bool)
    used[:2] = True
    y = _masked_product(np.random.default_rng(2), 1, s, used, np.complex64)
    monkeypatch.setattr(fp, "threads_for", lambda size: 2)
    with fp.recording() as records:
        pruned_fft.inverse_inplace(y, _slabs_of(used, s, 3), 3)
    assert [key[5] for key in records] == [3]  # one full transform
    monkeypatch.setattr(fp, "threads_for", lambda size: 1)
    with fp.recording() as records:
        pruned_fft.inverse_inplace(y, _slabs_of(used, s, 3), 3)
    assert [key[5] for key in records] == [3]  # 8^3 < MIN_VALUES
    monkeypatch.setattr(pruned_fft, "MIN_VALUES", 1)
    odd = (9, 3, 3)  # planes of 9 complex64 values: slab 1 starts misaligned
    used = np.zeros(9, bool)
    used[[0, 1, 5]] = True
    y = _masked_product(np.random.default_rng(3), 1, odd, used, np.complex64)
    want = np.fft.ifftn(y, axes=(-3, -2, -1)) * y[0].size
    with fp.recording() as records:
        pruned_fft.inverse_inplace(y, _slabs_of(used, odd, 3), 3)
    assert [key[5] for key in records] == [3]
    np.testing.assert_allclose(y, want, atol=2e-6 * np.abs(want).max())
