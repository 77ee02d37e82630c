"""The numba backend splits large batches into parts run in parallel threads."""
import numpy as np
import pytest

import numbascat
from numbascat.backends import fftw_plans


@pytest.fixture
def two_fft_threads(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFT_THREADS", "2")
    fftw_plans.refresh_settings()
    yield
    monkeypatch.delenv("NUMBASCAT_FFT_THREADS")
    fftw_plans.refresh_settings()


def test_batch_is_split_only_when_worth_it(two_fft_threads):
    S = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy", backend="numba")
    assert S._batch_parts(96, (32, 32)) == [(0, 48), (48, 96)]
    assert S._batch_parts(1, (32, 32)) == [(0, 1)]
    assert S._batch_parts(8, (32, 32)) == [(0, 8)]  # 8192 values: not worth a thread
    R = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy", backend="numpy")
    assert R._batch_parts(96, (32, 32)) == [(0, 96)]  # the reference runs whole


def test_split_batches_match_the_reference_and_record_their_ffts(two_fft_threads):
    S = numbascat.Scattering1D(J=4, shape=1024, frontend="numpy", backend="numba")
    R = numbascat.Scattering1D(J=4, shape=1024, frontend="numpy", backend="numpy")
    x = np.random.default_rng(1).standard_normal((3, 24, 1024)).astype(np.float32)
    assert len(S._batch_parts(72, (1024,))) == 2
    with fftw_plans.recording() as records:
        y = S(x)
    ref = R(x)
    assert y.shape == ref.shape and y.dtype == np.float32
    assert np.abs(y - ref).max() <= 1e-5 * np.abs(ref).max()
    parallel = [r for r in records if r[0] == fftw_plans.PARALLEL]
    assert len(parallel) == 1 and len(parallel[0][1]) == 2
    assert all(key[6] == 1 for part in parallel[0][1] for key in part)  # one FFT thread each
    # The floor replays the same transforms with the same parallelism.
    with fftw_plans.recording() as replayed:
        fftw_plans.replayer(list(records))()
    assert replayed == records


def test_concurrent_parts_share_the_block_budget(monkeypatch):
    S = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy", backend="numba")
    S.block_bytes = 1 << 20
    seen = []
    monkeypatch.setattr(S, "_scatter", lambda x, batch_shape, block_bytes=None:
                        seen.append(block_bytes))
    S._scatter_part(4, None, (1,))
    assert seen == [1 << 18]


def test_paths_are_split_only_when_worth_it(two_fft_threads):
    backend = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy",
                                     backend="numba").backend
    big = backend.PATH_SPLIT_MIN_VALUES
    assert backend.path_workers(8, big) == 2
    assert backend.path_workers(8, big - 1) == 1  # a small image: threads cost more
    assert backend.path_workers(1, big) == 1  # nothing to split
    # Inside a batch part the batch split is the parallelism already.
    assert fftw_plans.run_parallel([lambda: backend.path_workers(8, big)] * 2) == [1, 1]


def test_paths_stay_serial_on_one_thread(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFT_THREADS", "1")
    fftw_plans.refresh_settings()
    try:
        backend = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy",
                                         backend="numba").backend
        assert backend.path_workers(8, 1 << 20) == 1
    finally:
        monkeypatch.delenv("NUMBASCAT_FFT_THREADS")
        fftw_plans.refresh_settings()


def test_path_parts_fit_the_memory_budget(monkeypatch):
    S = numbascat.Scattering2D(J=3, shape=(256, 256), frontend="numpy", backend="numba")
    monkeypatch.setattr(S.backend, "path_workers", lambda n, values, extra=0: 2)
    x = np.zeros((1, 256, 256), np.float32)
    assert S._path_parts(x, 8) == 2
    model = S._memory_model(4)
    S.memory_budget = model.total(1)  # room for one signal's working set, not two
    assert S._path_parts(x, 8) == 1
    S.memory_budget = model.output + model.working(2)
    assert S._path_parts(x, 8) == 2


def test_small_batches_split_their_paths_instead(monkeypatch):
    # Two signals on four workers: four path groups beat two batch parts.
    monkeypatch.setenv("NUMBASCAT_FFT_THREADS", "4")
    fftw_plans.refresh_settings()
    try:
        S = numbascat.Scattering2D(J=2, shape=(192, 192), L=4, frontend="numpy", backend="numba")
        x = np.random.default_rng(2).standard_normal((2, 192, 192)).astype(np.float32)
        assert len(S._batch_parts(2, (192, 192))) == 2 and S._path_parts(x) == 4
        with fftw_plans.recording() as records:
            y = S(x)
        sections = [r for r in records if r[0] == fftw_plans.PARALLEL]
        assert [len(s[1]) for s in sections] == [4]
        # Eight signals: the batch split, as before.
        with fftw_plans.recording() as records:
            S(np.concatenate([x] * 4))
        sections = [r for r in records if r[0] == fftw_plans.PARALLEL]
        assert [len(s[1]) for s in sections] == [4]
        assert all(r[0] != fftw_plans.PARALLEL for part in sections[0][1] for r in part)
    finally:
        monkeypatch.delenv("NUMBASCAT_FFT_THREADS")
        fftw_plans.refresh_settings()
    ref = numbascat.Scattering2D(J=2, shape=(192, 192), L=4, frontend="numpy", backend="numpy")(x)
    assert np.abs(y - ref).max() <= 1e-5 * np.abs(ref).max()


def test_paths_stay_serial_when_the_parts_need_too_much_memory(two_fft_threads):
    backend = numbascat.Scattering2D(J=2, shape=(32, 32), frontend="numpy",
                                     backend="numba").backend
    bound = backend.PATH_SPLIT_MAX_EXTRA_BYTES
    assert backend.path_workers(8, 1 << 20, bound) == 2
    assert backend.path_workers(8, 1 << 20, bound + 1) == 1
    # 2D 2048² (padded 2112²) at batch 1: one more signal's working memory is over the bound.
    S = numbascat.Scattering2D(J=3, shape=(32, 32), frontend="numpy", backend="numba")
    S._M_padded = S._N_padded = 2112  # its memory model, without building its filters
    model = S._memory_model(4)
    assert model.working(2) - model.working(1) > bound
    assert backend.path_workers(8, 2048 ** 2, model.working(2) - model.working(1)) == 1
