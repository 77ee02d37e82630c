"""The numba backend's frequency-axis ops (JTFS): blocks, threads and supports agree with the
numpy reference."""
import numpy as np
import pytest

from numbascat.backend_api import FilterRole
from numbascat.backends import numba_frequency as nf
from numbascat.registry import get_backend


@pytest.fixture(scope="module")
def backends():
    return get_backend("numba"), get_backend("numpy")


def _case(n=34, n_in=20, t=40, lead=(2,), dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(lead + (n_in, t))
         + 1j * rng.standard_normal(lead + (n_in, t))).astype(np.result_type(dtype, np.complex64))
    # Band-limited filters, some wrapping around bin 0, so that supports are partial.
    bins = np.arange(n)
    filters = np.stack([np.exp(-((bins - c) % n - n / 2) ** 2 / w)
                        for c, w in ((n / 2, 30.0), (0, 8.0), (5, 2.0))])
    filters[np.abs(filters) < 1e-3] = 0.0
    phi = np.exp(-np.minimum(np.arange(t), t - np.arange(t)) ** 2 / 20.0)[None]
    return x, filters[:, :, None], phi


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_modulus_matches_reference_with_and_without_lowpass(backends, k, dtype):
    b, ref = backends
    x, filters, phi = _case(dtype=dtype)
    n = filters.shape[1]
    xp = np.pad(x, [(0, 0), (0, n - x.shape[-2]), (0, 0)])
    pf, pr = b.prepare_filters(filters, dtype), ref.prepare_filters(filters, dtype)
    lb = b.prepare_filters(phi, dtype, FilterRole.LOWPASS)
    lr = ref.prepare_filters(phi, dtype, FilterRole.LOWPASS)
    X, Xr = b.frequency_fft(xp, False), ref.frequency_fft(xp, False)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for lowpass, lowpass_ref in ((None, None), ((lb, 4), (lr, 4))):
        got = b.frequency_modulus(X, pf, k, lowpass)
        want = ref.frequency_modulus(Xr, pr, k, lowpass_ref)
        assert got.dtype == want.dtype == dtype
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=tol * np.abs(want).max(), rtol=0)


def test_threads_and_block_sizes_do_not_change_numbers(backends, monkeypatch):
    b, _ = backends
    x, filters, phi = _case(n=34, t=200, lead=(1,))
    xp = np.pad(x, [(0, 0), (0, 34 - x.shape[-2]), (0, 0)])
    pf = b.prepare_filters(filters, np.float32)
    lb = b.prepare_filters(phi[:, :200], np.float32, FilterRole.LOWPASS)
    one = b.prepare_filters(filters[1:2], np.float32)
    serial = [b.frequency_modulus(b.frequency_fft(xp, False), p, 2, (lb, 8)) for p in (pf, one)]
    # Two workers, small blocks: three pairs split across workers, and one pair split into
    # blocks of time samples (and of rows for the low-pass).
    monkeypatch.setattr(nf, "_workers", lambda: 2)
    monkeypatch.setattr(nf, "PARALLEL_MIN_VALUES", 1)
    monkeypatch.setattr(nf, "BLOCK_BYTES", 34 * 8 * 8)
    monkeypatch.setattr(nf, "ROW_BLOCK_BYTES", 200 * 4 * 3)
    for p, want in zip((pf, one), serial, strict=True):
        got = b.frequency_modulus(b.frequency_fft(xp, False), p, 2, (lb, 8))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())


def test_weights_are_runs_that_never_wrap(backends):
    b, _ = backends
    f = np.zeros((1, 12, 1))
    f[0, [0, 1, 2, 5, 6, 7, 11], 0] = np.arange(1, 8)
    w = nf.frequency_weights(object(), lambda: f, 2, np.float64)
    # Bins 5..7 cross the period boundary at 6 (nk = 6): cut there; 11 and 0 are not adjacent.
    assert w.runs[:, :3].tolist() == [[0, 3, 0], [5, 6, 5], [6, 8, 0], [11, 12, 5]]
    assert w.real and np.allclose(w.re[::2], np.arange(1, 8) / 2)


def test_foreign_spectrum_is_refused(backends):
    b, _ = backends
    _, filters, _ = _case()
    with pytest.raises(TypeError, match="FrequencySpectrum"):
        b.frequency_filter(np.zeros((2, 34, 4), np.complex64),
                           b.prepare_filters(filters, np.float32), 1)
