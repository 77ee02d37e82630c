"""The numba backend: parity with Kymatio's reference data and with the numpy backend, FFTW
plans/settings/wisdom, thread safety, FFT floor."""
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")
pytest.importorskip("pyfftw")

import numbascat.numpy as frontend  # noqa: E402
from numbascat.backends import fftw_plans, fftw_wisdom  # noqa: E402
from numbascat.fft_floor import fft_floor, record_ffts  # noqa: E402
from numbascat.registry import get_backend  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "refdata").is_dir(),
                                  reason="../shared/refdata (Kymatio reference outputs) is absent")


def rel_err(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - b)) / np.max(np.abs(b)))


def both(cls, x, **params):
    """(numba output, numpy-backend output) of one transform on x."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small-signal border warnings
        fast = getattr(frontend, cls)(backend="numba", **params)
        ref = getattr(frontend, cls)(backend="numpy", **params)
        return fast(x), ref(x)


# ---------------------------------------------------------------------------------- reference data
@needs_shared
def test_2d_reference():
    with np.load(SHARED / "refdata" / "kymatio_0.3_2d.npz") as r:
        S = frontend.Scattering2D(J=int(r["J"]), shape=(32, 32), backend="numba")
        out = S(r["x"])
        assert out.dtype == np.float32
        assert rel_err(out, r["Sx"]) <= 1e-5


@needs_shared
def test_1d_reference():
    with np.load(SHARED / "refdata" / "kymatio_0.3_1d.npz") as r:
        S = frontend.Scattering1D(J=int(r["J"]), shape=512, Q=int(r["Q"]), backend="numba")
        out = S(r["x"])
        assert out.dtype == np.float32
        assert rel_err(out, r["Sx"]) <= 1e-5


@needs_shared
def test_3d_reference():
    with np.load(SHARED / "refdata" / "kymatio_0.3_3d.npz") as r:
        x = r["x"]
        powers = [float(q) for q in r["integral_powers"]]
        S = frontend.HarmonicScattering3D(int(r["J"]), x.shape[1:], L=int(r["L"]), sigma_0=1,
                                          integral_powers=powers, backend="numba")
        out = np.concatenate([S.order0(x), S(x).reshape(len(x), -1)], axis=1)
        assert rel_err(out, r["Sx"]) <= 1e-5


# ---------------------------------------------------------------------------------- vs numpy
CASES = [("Scattering1D", {"J": 5, "shape": 256, "Q": 4}, (3, 256)),
         ("Scattering2D", {"J": 3, "shape": (24, 40), "L": 4}, (2, 24, 40)),
         ("HarmonicScattering3D", {"J": 1, "shape": (12, 10, 8), "L": 2}, (2, 12, 10, 8))]


@pytest.mark.parametrize("cls,params,shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-10)])
def test_equals_numpy_backend(cls, params, shape, dtype, tol):
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    fast, ref = both(cls, x, **params)
    assert fast.dtype == ref.dtype == dtype
    assert rel_err(fast, ref) <= tol


SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(J=st.integers(1, 3), L=st.integers(1, 5), dm=st.integers(0, 9), dn=st.integers(0, 9),
       order=st.sampled_from([1, 2]), batch=st.integers(1, 3))
def test_random_2d(J, L, dm, dn, order, batch):
    shape = (2 ** J + dm, 2 ** J + dn)
    x = np.random.default_rng(J + dm).standard_normal((batch,) + shape).astype(np.float32)
    fast, ref = both("Scattering2D", x, J=J, shape=shape, L=L, max_order=order)
    assert rel_err(fast, ref) <= 1e-5


@SETTINGS
@given(J=st.integers(1, 5), Q=st.integers(1, 4), extra=st.integers(0, 2),
       order=st.sampled_from([1, 2]))
def test_random_1d(J, Q, extra, order):
    T = 2 ** (J + 1 + extra)
    x = np.random.default_rng(J * Q).standard_normal((2, T)).astype(np.float32)
    fast, ref = both("Scattering1D", x, J=J, shape=T, Q=Q, max_order=order)
    assert rel_err(fast, ref) <= 1e-5


@SETTINGS
@given(J=st.integers(0, 2), L=st.integers(0, 2), shape=st.tuples(*[st.integers(6, 11)] * 3),
       covariant=st.booleans())
def test_random_3d(J, L, shape, covariant):
    x = np.random.default_rng(sum(shape)).standard_normal((2,) + shape).astype(np.float32)
    fast, ref = both("HarmonicScattering3D", x, J=J, shape=shape, L=L,
                     rotation_covariant=covariant)
    assert rel_err(fast, ref) <= 1e-5


def test_two_threads_share_a_transform():
    S = frontend.Scattering2D(J=3, shape=(40, 48), L=4, backend="numba")
    xs = [np.random.default_rng(i).standard_normal((3, 40, 48)).astype(np.float32)
          for i in range(2)]
    expected = [S(x) for x in xs]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(4):
                out = S(xs[i])
                # Not bit-identical: the auto planner may swap an estimated FFT plan for a
                # measured one between calls (rounding-level change). Shared-state corruption
                # shows up orders of magnitude above this bound.
                if rel_err(out, expected[i]) > 1e-6:
                    results[i] = out
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not results


# ---------------------------------------------------------------------------------- ops details
def test_pad_any_size_matches_numpy():
    b = get_backend("numba")
    x = np.random.default_rng(0).standard_normal((2, 1, 4)).astype(np.float32)
    for widths in [((0, 0), (3, 9)), ((5, 7), (4, 4))]:
        want = np.pad(x, [(0, 0)] + list(widths), mode="reflect")
        np.testing.assert_array_equal(b.pad(x, widths), want)


def test_pad_within_one_reflection_matches_numpy():
    # Pads shorter than the signal take the slice path: every width up to n - 1, both sides.
    b = get_backend("numba")
    rng = np.random.default_rng(1)
    for m, n in [(2, 7), (5, 3), (6, 6)]:
        x = rng.standard_normal((2, m, n)).astype(np.float32)
        for widths in [((a, m - 1 - a), (n - 1, c)) for a in range(m) for c in range(n)]:
            want = np.pad(x, [(0, 0)] + list(widths), mode="reflect")
            np.testing.assert_array_equal(b.pad(x, widths), want)
        y = x[0, 0]
        for a in range(n):
            for c in range(n):
                np.testing.assert_array_equal(b.pad(y, ((a, c),)), np.pad(y, (a, c), "reflect"))


def test_inputs_are_not_modified():
    b = get_backend("numba")
    x = np.random.default_rng(0).standard_normal((3, 8, 6)).astype(np.float32)
    X = b.rfft(x, 2)
    X0, x0 = X.copy(), x.copy()
    b.irfft(X, 2, (8, 6))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(x, x0)


def test_no_compile_or_optional_import_at_import_time():
    code = ("import sys, numbascat, numbascat.numpy; "
            "assert 'numba' not in sys.modules and 'pyfftw' not in sys.modules; "
            "import numbascat.backends.numba_backend as m; "
            "from numbascat.backends import numba_kernels as k, fftw_plans as p; "
            "assert not p._pools and k.multiply_periodise_real.signatures == []")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------- FFTW setup
# fresh_fftw: tests/backends/conftest.py
def test_settings_from_environment(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    monkeypatch.setenv("NUMBASCAT_FFT_THREADS", "3")
    assert fftw_plans.refresh_settings() == fftw_plans.FFTSettings("FFTW_ESTIMATE", 3, True)
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "quick")
    with pytest.raises(ValueError, match="NUMBASCAT_FFTW_PLANNER.*'quick'"):
        fftw_plans.refresh_settings()
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "measure")
    monkeypatch.setenv("NUMBASCAT_FFT_THREADS", "0")
    with pytest.raises(ValueError, match="NUMBASCAT_FFT_THREADS.*'0'"):
        fftw_plans.refresh_settings()


def test_wisdom_saved_and_corrupt_file_ignored(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    b = get_backend("numba")
    x = np.ones((2, 24), np.float64)
    b.rfft(x, 1)
    path = fftw_plans.wisdom_path()
    assert path.parent == fresh_fftw and path.name.startswith("fftw_wisdom-")
    assert path.read_bytes().startswith(b"NUMBASCAT-FFTW-WISDOM")
    path.write_bytes(b"garbage")
    fftw_wisdom.reset()
    fftw_plans.clear_plans()
    with pytest.warns(RuntimeWarning, match="unreadable FFTW wisdom"):
        np.testing.assert_allclose(b.rfft(x, 1)[:, 0], 24)
    assert path.read_bytes().startswith(b"NUMBASCAT-FFTW-WISDOM")  # rewritten


def test_plans_are_reused(fresh_fftw):
    b = get_backend("numba")
    x = np.random.default_rng(0).standard_normal((4, 16, 16)).astype(np.float32)
    for _ in range(4):
        b.rfft(x, 2)
    pools = dict(fftw_plans._pools)
    b.rfft(x + 1, 2)
    assert fftw_plans._pools.keys() == pools.keys()
    assert all(len(v) == 1 for v in fftw_plans._pools.values())


def _state(kind, shape, dtype=np.float32):
    ((key, state),) = [(k, v) for k, v in fftw_plans._states.items()
                       if k[0] == kind and k[1] == shape and k[2] == np.dtype(dtype).str]
    return state


def test_auto_planner_estimates_first_then_measures(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "auto")
    fftw_plans.refresh_settings()
    monkeypatch.setattr(fftw_plans, "MEASURE_AMORTISE", 1e9)  # measure on the first reuse
    b = get_backend("numba")
    x = np.random.default_rng(0).standard_normal((3, 256)).astype(np.float32)
    expected = np.fft.rfft(x.astype(np.float64), axis=-1)
    np.testing.assert_allclose(b.rfft(x, 1), expected, rtol=0, atol=1e-4)
    state = _state("rfft", (3, 256))
    assert state.measured is False and state.uses == 1  # an estimate: no wisdom yet
    np.testing.assert_allclose(b.rfft(x, 1), expected, rtol=0, atol=1e-4)
    assert state.measured is True  # reused: measured within its time limit, wisdom saved
    assert fftw_plans.wisdom_path().is_file()
    np.testing.assert_allclose(b.rfft(x, 1), expected, rtol=0, atol=1e-4)
    # A new process (plans forgotten, wisdom read from disk) starts on the measured plan.
    fftw_plans.clear_plans()
    fftw_wisdom.reset()
    fftw_wisdom.pyfftw_core().forget_wisdom()
    b.rfft(x, 1)
    assert _state("rfft", (3, 256)).measured is True


def test_auto_planner_backs_off_when_measuring_runs_out_of_time(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "auto")
    fftw_plans.refresh_settings()
    fftw_wisdom.pyfftw_core().forget_wisdom()
    monkeypatch.setattr(fftw_plans, "MEASURE_MIN_SECONDS", 1e-9)
    b = get_backend("numba")
    x = np.random.default_rng(1).standard_normal((2, 6000)).astype(np.float64)
    b.rfft(x, 1)
    b.rfft(x, 1)  # measuring is given ~4x the microseconds this key has cost: too little
    state = _state("rfft", (2, 6000), np.float64)
    assert state.measured is False
    assert state.next_try >= fftw_plans.MEASURE_BACKOFF * 0.99 * state.seconds > 0
    np.testing.assert_allclose(b.rfft(x, 1), np.fft.rfft(x, axis=-1), rtol=0, atol=1e-9)


@pytest.mark.parametrize("planner", ["auto", "estimate", "measure"])
def test_large_transforms_plan_on_the_callers_arrays(fresh_fftw, monkeypatch, planner):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", planner)
    monkeypatch.setenv("NUMBASCAT_FFTW_PLAN_CACHE_MB", "0.01")  # pool nothing above 1.3 kB
    fftw_plans.refresh_settings()
    b = get_backend("numba")
    x = np.random.default_rng(2).standard_normal((2, 16, 24)).astype(np.float32)
    x0 = x.copy()
    for _ in range(3):  # measuring must never overwrite the caller's data
        X = b.rfft(x, 2)
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_allclose(X, np.fft.rfft2(x0.astype(np.float64)), rtol=0, atol=1e-4)
        np.testing.assert_allclose(b.irfft(X, 2, (16, 24)), x0, rtol=0, atol=1e-5)
    assert not fftw_plans._pools


def test_plan_pools_are_bounded(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLAN_CACHE_MB", "0.25")
    fftw_plans.refresh_settings()
    b = get_backend("numba")
    for n in range(64, 4096, 64):
        b.rfft(np.ones((2, n), np.float32), 1)
        assert fftw_plans._pooled_bytes <= fftw_plans.plan_cache_bytes()
    held = sum(fftw_plans._entry_bytes(e) for v in fftw_plans._pools.values() for e in v)
    assert held == fftw_plans._pooled_bytes
    assert len(fftw_plans._pools) < 63  # once full, new shapes are planned per call
    np.testing.assert_allclose(b.rfft(np.ones((2, 4032), np.float32), 1)[:, 0], 4032)


def test_plan_cache_setting_is_validated(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLAN_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="NUMBASCAT_FFTW_PLAN_CACHE_MB.*'lots'"):
        fftw_plans.refresh_settings()


def test_pyfftw_core_loads_without_its_interfaces():
    code = ("import sys; from numbascat.backends.fftw_wisdom import pyfftw_core; "
            "c = pyfftw_core(); "
            "assert 'pyfftw.interfaces' not in sys.modules and 'pyfftw' not in sys.modules; "
            "assert 'dask' not in sys.modules and 'scipy.fftpack' not in sys.modules; "
            "import pyfftw; assert pyfftw.FFTW is c.FFTW; print(pyfftw.__version__)")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------- FFT floor
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_fft_floor(backend):
    S = frontend.Scattering2D(J=2, shape=(16, 16), L=4, backend=backend)
    x = np.random.default_rng(0).standard_normal((2, 16, 16)).astype(np.float32)
    records, replay = record_ffts(S, x)
    # one forward FFT of the input, then per first-order chunk an inverse and a forward
    assert len(records) >= 3
    replay()
    assert fft_floor(S, x, repeat=2) > 0
    with pytest.raises(ValueError, match="repeat"):
        fft_floor(S, x, repeat=0)


def test_small_calls_recycle_their_temporaries(monkeypatch):
    from numbascat.backends import numba_backend, workspace

    b = get_backend("numba")
    monkeypatch.setattr(workspace, "MAX_BYTES", 0)
    with b.recycled_temporaries(1 << 20):
        assert workspace.limit() == numba_backend.RECYCLE_BYTES
    with b.recycled_temporaries(numba_backend.RECYCLE_BYTES + 1):
        assert workspace.limit() == 0  # large calls keep the allocator's own behaviour
    # A small transform keeps its temporaries between calls and gives the same numbers.
    workspace.clear()
    S = frontend.Scattering1D(J=6, Q=2, shape=1024, backend="numba")
    x = np.random.default_rng(0).standard_normal((4, 1024)).astype(np.float32)
    first = S(x)
    assert workspace._pool()  # buffers stayed for the next call
    np.testing.assert_array_equal(S(x), first)
    workspace.clear()
