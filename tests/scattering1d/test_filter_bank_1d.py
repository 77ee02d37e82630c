"""1D filter bank: Kymatio's parameters, Morlet/Gauss properties, banded = dense, cache."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft

from numbascat.scattering1d.filter_bank import (
    compute_params_filterbank,
    filter_bank_1d,
    layout,
    morlet_1d,
    normalised_bands,
)


def test_params_filterbank_examples():
    xi, sigma, j = compute_params_filterbank(0.1 / 2 ** 6, 16)
    assert len(xi) == 63 and list(np.bincount(j)) == [18, 16, 15, 8, 4, 2]
    assert np.all(np.diff(xi) < 0) and np.all(np.diff(j) >= 0)
    xi, sigma, j = compute_params_filterbank(0.1 / 2 ** 6, 1)
    np.testing.assert_allclose(xi, 0.35 * 2.0 ** -np.arange(7), rtol=1e-15)
    np.testing.assert_allclose(sigma, 0.140131 * 2.0 ** -np.arange(7), rtol=1e-5)
    assert list(j) == [0, 0, 0, 1, 2, 3, 4]
    for Q in (1, 3, 8, 16):
        assert 0.25 <= compute_params_filterbank(1e-3, Q)[0][0] <= 0.5


@pytest.mark.parametrize("N,Q", [(1024, 1), (1024, 16), (128, 8), (16, 16), (4096, (12))])
def test_banded_filters_equal_dense_reference(N, Q):
    xi, sigma, _ = compute_params_filterbank(0.1 / 2 ** 6, Q)
    start, length, values = normalised_bands(N, xi, sigma, gauss=False)
    bank = {"p_start": start, "p_length": length, "p_values": values}
    dense = np.stack([morlet_1d(N, a, s) for a, s in zip(xi, sigma, strict=True)])
    for k in range(4):
        ref = dense.reshape(len(dense), 2 ** k, -1).mean(1)  # 0.3.0 levels: the mean
        got = layout(bank, "p", N, k)
        assert np.abs(got - ref).max() <= 1e-14 * np.abs(ref).max()


def test_morlet_and_gauss_properties():
    N = 2048
    xi, sigma, _ = compute_params_filterbank(0.1 / 2 ** 7, 8)
    start, length, values = normalised_bands(N, xi, sigma, gauss=False)
    psi = layout({"p_start": start, "p_length": length, "p_values": values}, "p", N, 0)
    assert np.all(psi[:, 0] == 0)  # zero mean
    for f, x in zip(psi, xi, strict=True):
        assert abs(np.argmax(f) / N - x) <= max(0.01 * x, 1.0 / N)  # peak at xi
    np.testing.assert_allclose(np.abs(scipy.fft.ifft(psi, axis=-1)).sum(-1), 1, rtol=1e-13)
    start, length, values = normalised_bands(N, np.zeros(1), np.array([0.1 / 64]), gauss=True)
    phi = layout({"p_start": start, "p_length": length, "p_values": values}, "p", N, 0)[0]
    t = scipy.fft.ifft(phi)
    assert np.abs(t.imag).max() < 1e-15 and np.all(t.real > -1e-16)
    np.testing.assert_allclose(t.real[1:], t.real[1:][::-1], atol=1e-16)  # symmetric in time
    assert np.abs(t).sum() == pytest.approx(1, rel=1e-13)


_CHILD = """
import json, sys, time, numpy as np
t = time.perf_counter()
from numbascat.scattering1d.filter_bank import filter_bank_1d
b = filter_bank_1d(1024, 6, (8, 1), 64.0)
print(json.dumps({"t": time.perf_counter() - t,
                  "sums": {k: float(np.sum(v)) for k, v in b.items()}}))
np.savez(sys.argv[1], **b)
"""


def test_disk_cache_gives_identical_arrays_in_a_fresh_process(tmp_path):
    env = dict(os.environ, NUMBASCAT_CACHE=str(tmp_path / "cache"))
    runs = []
    for i in range(2):
        out = tmp_path / f"bank{i}.npz"
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(out)], env=env,
                              capture_output=True, text=True, check=True)
        runs.append((json.loads(proc.stdout), np.load(out)))
    assert list((tmp_path / "cache" / "filters").glob("morlet1d-*.npz"))
    (_, a), (_, b) = runs
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    same = filter_bank_1d(1024, 6, (8, 1), 64.0)  # and this process (built or read) agrees
    for k in a.files:
        np.testing.assert_array_equal(same[k], a[k])


@pytest.mark.parametrize("threads", [1, 3])
def test_time_norms_do_not_depend_on_threads_or_chunks(monkeypatch, threads):
    """The norms' FFTs are split between threads along the chunks one thread would use: any
    thread count gives one thread's numbers, bands wrapping around the grid's end included."""
    from numbascat.scattering1d import filter_bank

    N = 512
    xi, sigma, _ = compute_params_filterbank(0.1 / 2 ** 6, 8)
    start, length, values = filter_bank._bands(N, xi, sigma, gauss=False)
    assert np.any(start + length > N)  # some band wraps around
    monkeypatch.setattr(filter_bank, "_norm_threads", lambda: 1)
    one = filter_bank._time_l1_norms(N, start, length, values, chunk_bytes=3 * 8 * N)
    monkeypatch.setattr(filter_bank, "_norm_threads", lambda: threads)
    split = filter_bank._time_l1_norms(N, start, length, values, chunk_bytes=3 * 8 * N)
    np.testing.assert_array_equal(split, one)
    dense = np.zeros((len(length), N))
    for i, (s, n) in enumerate(zip(start, length, strict=True)):
        dense[i, (s + np.arange(n)) % N] = values[(np.cumsum(length) - length)[i]:][:n]
    np.testing.assert_allclose(one, np.abs(scipy.fft.ifft(dense, axis=-1)).sum(-1), rtol=1e-13)
