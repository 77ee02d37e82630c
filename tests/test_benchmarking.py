"""numbascat.benchmarking: workloads, engines, cases, timing helpers and the filter-cache reset."""
import json
import os
import statistics
import sys
from importlib import resources

import numpy as np
import pytest
from peer import shared_dir

from numbascat import benchmarking as bm
from numbascat import cache
from numbascat.registry import list_backends

AVAILABLE = {r.name for r in list_backends() if r.available}
TINY_2D = bm.Workload("tiny-2d", "Scattering2D", {"J": 2, "L": 4, "shape": [16, 16]}, (2, 3), (4,))


def test_packaged_workloads_are_the_shared_reference_list():
    shipped = json.loads(resources.files("numbascat").joinpath("data", "workloads.json")
                         .read_text())
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared is absent: cannot compare with the reference workloads.json")
    assert shipped == json.loads((shared / "workloads.json").read_text())


def test_workloads_load_with_shapes_batches_and_dims():
    workloads = bm.load_workloads()
    assert "2d-mnist" in workloads and "1d-headline" in workloads
    w = workloads["2d-mnist"]
    assert (w.ndim, w.signal_shape, w.batch("cpu"), w.batch("gpu")) == \
        (2, (32, 32), (32, 3), (256, 3))
    assert w.kwargs() == {"J": 2, "L": 8, "shape": (32, 32)}
    assert workloads["1d-eeg"].signal_shape == (1024,)
    assert workloads["3d-small"].ndim == 3
    for w in workloads.values():
        assert w.to_dict() == bm.Workload.from_dict(w.to_dict()).to_dict()


def test_unknown_names_and_bad_arguments_are_reported():
    with pytest.raises(ValueError, match=r"unknown workload 'nope'.*2d-mnist"):
        bm.get_workload("nope")
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'.*numba_cuda"):
        bm.get_engine("cuda")
    with pytest.raises(ValueError, match=r"batch kind .*'tpu'"):
        TINY_2D.batch("tpu")
    with pytest.raises(ValueError, match="transform must be one of"):
        bm.Workload.from_dict({"name": "x", "transform": "Scattering4D", "params": {},
                               "cpu_batch": [1], "gpu_batch": [1]})
    with pytest.raises(ValueError, match="repeat must be >= 1, got 0"):
        bm.time_calls(lambda: None, 0)


def test_input_is_deterministic_float32_noise_of_batch_and_signal_shape():
    x = TINY_2D.make_input("cpu", seed=3)
    assert x.shape == (2, 3, 16, 16) and x.dtype == np.float32
    np.testing.assert_array_equal(x, TINY_2D.make_input("cpu", seed=3))
    assert TINY_2D.make_input("gpu").shape == (4, 16, 16)


def test_throughput_units():
    value, unit = TINY_2D.throughput(0.5, "cpu")
    assert unit == "MPix/s" and value == pytest.approx(2 * 3 * 16 * 16 / 1e6 / 0.5)
    w1 = bm.Workload("w1", "Scattering1D", {"J": 2, "shape": 64}, (8,), (8,))
    assert w1.throughput(2.0, "cpu") == (4.0, "signals/s")
    w3 = bm.Workload("w3", "HarmonicScattering3D", {"J": 1, "shape": [8, 8, 8]}, (2, 5), (1,))
    assert w3.throughput(5.0, "cpu") == (2.0, "signals/s")


def test_fresh_filter_cache_empties_memory_and_disk_and_restores(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBASCAT_CACHE", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return {"a": np.arange(3.0)}

    cache.cached_arrays("bench-test", {"k": 1}, build)
    cache.cached_arrays("bench-test", {"k": 1}, build)
    assert len(builds) == 1
    with bm.FreshFilterCache() as fresh:
        assert os.environ["NUMBASCAT_CACHE"] == fresh.path != str(tmp_path)
        assert os.listdir(fresh.path) == []
        cache.cached_arrays("bench-test", {"k": 1}, build)  # neither memory nor disk has it
        assert len(builds) == 2
        path = fresh.path
    assert os.environ["NUMBASCAT_CACHE"] == str(tmp_path)
    assert not os.path.exists(path)


def test_numpy_case_runs_the_transform_after_a_warm_up():
    case = bm.build_case(TINY_2D, "numpy")
    assert case.batch_kind == "cpu" and case.x.shape == (2, 3, 16, 16)
    out = case.run()
    assert out.shape == (2, 3, 1 + 4 * 2 + 4 * 4 * 1, 4, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, case.transform(case.x_numpy))


def test_unavailable_engines_and_unwritten_transforms_are_skippable(monkeypatch):
    ghost = bm.Engine("ghost", "no-such-backend", "numpy", "cpu")
    with pytest.raises(bm.BenchmarkUnavailable, match="no-such-backend"):
        bm.build_case(TINY_2D, ghost)
    assert issubclass(bm.BenchmarkUnavailable, NotImplementedError)  # asv skips these

    import numbascat.numpy

    class Unwritten:
        def __init__(self, *args, **kwargs):
            raise NotImplementedError("Scattering2D is not implemented yet")

    monkeypatch.setattr(numbascat.numpy, "Scattering2D", Unwritten)
    with pytest.raises(bm.BenchmarkUnavailable, match="not implemented yet"):
        bm.build_case(TINY_2D, "numpy")


def test_gpu_engines_skip_without_cuda():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(bm.BenchmarkUnavailable, match="torch-cuda"):
        bm.build_case(TINY_2D, "torch-cuda")


@pytest.mark.skipif("torch" not in AVAILABLE, reason="torch backend unavailable")
def test_torch_case_uses_tensors_without_autograd():
    import torch

    case = bm.build_case(TINY_2D, "torch")
    assert isinstance(case.x, torch.Tensor)
    out = case.run()
    assert isinstance(out, torch.Tensor) and not out.requires_grad


def test_measure_reports_median_throughput_and_no_floor_for_numpy():
    m = bm.measure(TINY_2D, "numpy", repeat=3)
    assert len(m.times_s) == 3 and m.median_s == statistics.median(m.times_s) > 0
    assert m.batch == (2, 3) and m.throughput_unit == "MPix/s"
    assert m.throughput == pytest.approx(TINY_2D.throughput(m.median_s, "cpu")[0])
    assert m.floor_s is None and m.floor_ratio is None
    d = m.to_dict()
    assert d["batch"] == [2, 3] and d["floor_ratio"] is None
    json.dumps(d)


def test_floor_is_missing_without_the_fft_floor_module(monkeypatch):
    case = bm.build_case(TINY_2D, "numpy")
    forward, floor, why = bm.time_with_floor(case, 2)
    assert len(forward) == 2 and floor is None and "no FFT floor for backend 'numpy'" in why
    case.engine = bm.get_engine("numba")  # only the backend name decides whether to try
    monkeypatch.setitem(sys.modules, "numbascat.fft_floor", None)
    replay, why = bm.fft_floor_replay(case)
    assert replay is None and "fft_floor is not available" in why


@pytest.mark.skipif("numba" not in AVAILABLE, reason="numba backend unavailable")
def test_numba_floor_alternates_with_forward_calls():
    pytest.importorskip("numbascat.fft_floor")
    case = bm.build_case(TINY_2D, "numba")
    forward, floor, why = bm.time_with_floor(case, 3)
    assert why is None and len(forward) == len(floor) == 3 and min(floor) > 0
    m = bm.measure(TINY_2D, "numba", repeat=3)
    assert m.floor_s is not None and m.floor_ratio == pytest.approx(m.median_s / m.floor_s)
    # The FFTs are part of the forward pass; allow timing noise on a shared machine.
    assert m.floor_ratio > 0.5


@pytest.mark.parametrize("engine, module", [("jax", "jax"), ("tensorflow", "tensorflow")])
def test_jax_and_tensorflow_cases_run_on_their_arrays(engine, module):
    if engine not in AVAILABLE:
        pytest.skip(f"{engine} backend unavailable")
    case = bm.build_case(TINY_2D, engine)
    assert type(case.x).__module__.split(".")[0] in (module, "jaxlib")
    reference = bm.build_case(TINY_2D, "numpy").run()
    np.testing.assert_allclose(np.asarray(case.run()), reference, rtol=1e-4, atol=1e-5)


def test_cold_floor_replays_the_same_transforms_on_more_buffers():
    import numpy as np

    import numbascat
    from numbascat.backends import fftw_plans
    from numbascat.fft_floor import fft_floor, record_ffts

    S = numbascat.Scattering1D(J=3, shape=64, frontend="numpy", backend="numba")
    x = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    S(x)
    records, warm = record_ffts(S, x)
    _, cold = record_ffts(S, x, cold=True)
    for replay in (warm, cold):  # each replay runs exactly the recorded transforms again
        with fftw_plans.recording() as calls:
            replay()
        assert calls == records
    assert fft_floor(S, x, repeat=2, cold=True) > 0


def test_floor_kind_is_checked():
    case = bm.build_case(bm.get_workload("1d-eeg"), "numpy", "cpu")
    with pytest.raises(ValueError, match="floor must be"):
        bm.time_with_floor(case, 1, floor="hot")


def test_jtfs_workloads_compare_with_kymatio_main():
    workloads = bm.load_workloads()
    for name in ("jtfs-speech", "jtfs-music", "jtfs-headline"):
        w = workloads[name]
        assert w.transform == "TimeFrequencyScattering" and w.ndim == 1
        assert w.peer == "kymatio-main" and w.to_dict()["peer"] == "kymatio-main"
    assert workloads["1d-eeg"].peer == "kymatio" and "peer" not in workloads["1d-eeg"].to_dict()
    with pytest.raises(ValueError, match="peer must be one of"):
        bm.Workload.from_dict(dict(workloads["jtfs-speech"].to_dict(), peer="kymatio-0.2"))
