"""The numba backend's fused wavelet_modulus_rfft against the unfused ops and the numpy backend."""
from __future__ import annotations

import numpy as np
import pytest

from numbascat.backend_api import Backend, FilterRole
from numbascat.backends import numba_wavelet_modulus as wm
from numbascat.backends.numba_backend import NumbaBackend
from numbascat.backends.numpy_backend import NumpyBackend


def _gaussian_bumps(F, s, rng):
    """Real filters with a limited support (Gaussian bumps at random frequencies), so the
    support cut has rows, runs and columns past the half, as wavelets do."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) * n for n in s], indexing="ij")
    out = np.empty((F,) + s)
    for f in range(F):
        centre = [rng.uniform(-n / 3, n / 3) for n in s]
        width = rng.uniform(1.5, max(2.0, min(s) / 5))
        r2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
        out[f] = np.exp(-r2 / (2 * width ** 2))
    return out


def _case(seed, lead, s, F):
    """A numba backend, the real spectra of random signals ``lead + s`` and ``F`` prepared
    Gaussian-bump filters."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + s).astype(np.float32)
    b = NumbaBackend()
    return b, b.rfft(x, len(s)), b.prepare_filters(_gaussian_bumps(F, s, rng), np.float32)


def _reference(x, filters, k, d, dtype):
    """The numpy backend's result as full spectra (its real spectra are full already)."""
    ref = NumpyBackend()
    X = ref.rfft(x, d)
    pf = ref.prepare_filters(filters, dtype, FilterRole.WAVELET)
    s_low = tuple(n // kk for n, kk in zip(x.shape[-d:], k, strict=True))
    return ref.to_full_spectrum(ref.wavelet_modulus_rfft(X, pf, k, d), d, s_low)


def _full(b, spectra, s, k, d):
    return b.to_full_spectrum(spectra, d, tuple(n // kk for n, kk in zip(s, k, strict=True)))


CASES = [  # (lead, signal shape, k, d)
    ((3,), (16, 24), (1, 1), 2),
    ((2, 3), (32, 32), (2, 2), 2),
    ((5,), (40, 40), (4, 4), 2),
    ((2,), (8, 12, 16), (1, 1, 1), 3),
    ((4,), (64,), (2,), 1),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lead,s,k,d", CASES)
def test_fused_matches_numpy(lead, s, k, d, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(lead + s).astype(dtype)
    filters = _gaussian_bumps(5, s, rng)
    want = _reference(x, filters, k, d, dtype)
    b = NumbaBackend()
    got = _full(b, b.wavelet_modulus_rfft(b.rfft(x, d), b.prepare_filters(filters, dtype), k, d),
                s, k, d)
    assert got.dtype == want.dtype and got.shape == want.shape
    tol = 2e-6 if dtype == np.float32 else 1e-12
    assert np.max(np.abs(got - want)) <= tol * np.max(np.abs(want))


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 30])
def test_blocks_and_signal_windows_do_not_change_numbers(monkeypatch, block):
    """Blocks of one pair, blocks that straddle signals, and one block for everything give
    the unfused ops' result (same sums, only FFT plans differ)."""
    s, k, d = (24, 20), (2, 2), 2
    b, X, pf = _case(3, (4, 3), s, 5)
    unfused = Backend.wavelet_modulus_rfft(b, X, pf, k, d)
    n_low = (s[0] // 2) * (s[1] // 2)
    monkeypatch.setattr(wm, "PAIR_BLOCK_BYTES", block * n_low * 8)
    fused = b.wavelet_modulus_rfft(X, pf, k, d)
    assert fused.shape == unfused.shape == (4, 3, 5, 12, 6)
    np.testing.assert_allclose(fused, unfused, rtol=0, atol=2e-6 * np.abs(unfused).max())


def test_products_match_the_unfused_kernel_exactly():
    """Before any FFT, the fused product kernel gives the unfused kernel's values bit for bit
    (same terms, same order), at every periodisation."""
    rng = np.random.default_rng(5)
    s, d = (32, 48), 2
    x = rng.standard_normal((3,) + s).astype(np.float32)
    filters = _gaussian_bumps(4, s, rng)
    b = NumbaBackend()
    X, pf = b.rfft(x, d), b.prepare_filters(filters, np.float32)
    Xv = wm.float_view(np.ascontiguousarray(X).reshape((3, 1) + X.shape[1:]))
    h = s[-1] // 2 + 1
    mirrored = np.empty((3, 1, s[0], s[-1] - h), np.complex64)
    wm.mirrored_half(Xv, 0, 3, s[-1], np.zeros(s[0], np.int64), wm.float_view(mirrored))
    np.testing.assert_array_equal(mirrored[:, 0], b.to_full_spectrum(X, d, s)[..., h:])
    for k in [(1, 1), (2, 2), (4, 2)]:
        want = b.multiply_subsample(X, pf, k, d)  # (3, 4, m, n)
        m, n = s[0] // k[0], s[1] // k[1]
        ov = np.empty((12, 1, m, n), np.complex64)
        ptr, seg = pf.segments(n)
        wm.multiply_periodise_pairs(Xv, wm.float_view(mirrored), 0, pf.kernel_values(), ptr,
                                    seg, 0, 12, 4, s[-1], 1, *k, wm.float_view(ov))
        # The fused sums are not yet divided by prod(k): a power of two, so exactly.
        np.testing.assert_array_equal(ov.reshape(3, 4, m, n) / np.float32(np.prod(k)), want)


def test_complex_products_take_the_unfused_path(monkeypatch):
    rng = np.random.default_rng(1)
    s, d = (16, 16), 2
    x = rng.standard_normal((2,) + s).astype(np.float32)
    b = NumbaBackend()
    X = b.rfft(x, d)
    cf = _gaussian_bumps(2, s, rng) * np.exp(1j * rng.uniform(0, 6, (2,) + s))
    monkeypatch.setattr(wm, "multiply_periodise_pairs",
                        lambda *a: pytest.fail("fused kernel ran"))
    got = _full(b, b.wavelet_modulus_rfft(X, b.prepare_filters(cf, np.float32), (1, 1), d),
                s, (1, 1), d)
    want = _reference(x, cf, (1, 1), d, np.float32)
    np.testing.assert_allclose(got, want, atol=2e-6 * np.abs(want).max())


def test_pairs_larger_than_a_block_are_fused_one_per_block(monkeypatch):
    """A pair whose product exceeds the block target still takes the fused kernel (a block of
    one pair), with the unfused ops' result."""
    s, k, d = (32, 32), (1, 1), 2
    b, X, pf = _case(4, (2,), s, 3)
    unfused = Backend.wavelet_modulus_rfft(b, X, pf, k, d)
    monkeypatch.setattr(wm, "PAIR_BLOCK_BYTES", 16)
    calls = []
    kernel = wm.multiply_periodise_pairs
    monkeypatch.setattr(wm, "multiply_periodise_pairs",
                        lambda *a: calls.append(a[7] - a[6]) or kernel(*a))
    fused = b.wavelet_modulus_rfft(X, pf, k, d)
    assert calls == [1] * 6
    np.testing.assert_allclose(fused, unfused, rtol=0, atol=2e-6 * np.abs(unfused).max())


@pytest.mark.parametrize("lead", [(1,), (3,)])
def test_stacks_give_each_stacks_own_result_bit_for_bit(monkeypatch, lead):
    """Through a sequence of stacks (periodisations and filter counts differ), each result is
    the one ``wavelet_modulus_rfft`` gives for that stack alone; with one signal per block
    window the mirror is made once for the whole sequence, else once per call as alone."""
    rng = np.random.default_rng(11)
    s, d = (48, 40), 2
    x = rng.standard_normal(lead + s).astype(np.float32)
    b = NumbaBackend()
    X = b.rfft(x, d)
    stacks = [(b.prepare_filters(_gaussian_bumps(F, s, rng), np.float32), k)
              for F, k in [(3, (1, 1)), (1, (2, 2)), (4, (4, 4)), (2, (2, 2))]]
    alone = [b.wavelet_modulus_rfft(X, f, k, d) for f, k in stacks]
    monkeypatch.setattr(wm, "PAIR_BLOCK_BYTES", 16)  # one pair per block: windows of 1
    mirrors = []
    real_mirror = wm.mirrored_half
    monkeypatch.setattr(wm, "mirrored_half", lambda *a: mirrors.append(a[2] - a[1])
                        or real_mirror(*a))
    alone_small = [b.wavelet_modulus_rfft(X, f, k, d) for f, k in stacks]
    mirrors.clear()
    together = list(b.wavelet_modulus_rfft_stacks(X, iter(stacks), d))
    if lead == (1,):
        assert mirrors == [1]  # once, for every stack
    else:
        assert len(mirrors) >= len(stacks) * lead[0]  # every call mirrors its own windows
    for got, want, small in zip(together, alone, alone_small, strict=True):
        np.testing.assert_array_equal(got, small)
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * np.abs(want).max())


def test_a_stack_of_another_shape_is_refused_in_a_shared_sequence():
    rng = np.random.default_rng(2)
    b = NumbaBackend()
    X = b.rfft(rng.standard_normal((1, 16, 16)).astype(np.float32), 2)
    good = b.prepare_filters(_gaussian_bumps(1, (16, 16), rng), np.float32)
    bad = b.prepare_filters(_gaussian_bumps(1, (16, 8), rng), np.float32)
    results = b.wavelet_modulus_rfft_stacks(X, [(good, (1, 1)), (bad, (1, 1))], 2)
    next(results)
    with pytest.raises(ValueError, match="wavelet_modulus_rfft"):
        next(results)


def test_blocks_spread_over_threads_give_the_serial_result(monkeypatch):
    """Outside a parallel section the blocks run on the free cores, in contiguous runs: the
    same blocks, plans and sums as the serial run, so the same bits."""
    from numbascat.backends import fftw_plans as fp

    s, k, d = (32, 32), (2, 2), 2
    b, X, pf = _case(9, (5, 3), s, 4)
    monkeypatch.setattr(wm, "PAIR_BLOCK_BYTES", 3 * 16 * 16 * 8)
    monkeypatch.setattr(wm, "PARALLEL_MIN_VALUES", 1 << 62)
    serial = b.wavelet_modulus_rfft(X, pf, k, d)
    runs = []
    real_run_parallel = fp.run_parallel
    monkeypatch.setattr(wm, "PARALLEL_MIN_VALUES", 1)
    monkeypatch.setattr(fp, "free_threads", lambda: 3)
    monkeypatch.setattr(fp, "run_parallel",
                        lambda tasks: runs.append(len(tasks)) or real_run_parallel(tasks))
    parallel = b.wavelet_modulus_rfft(X, pf, k, d)
    assert runs == [3]
    np.testing.assert_array_equal(parallel, serial)
