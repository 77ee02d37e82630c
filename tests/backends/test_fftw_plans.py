"""The auto planner's choice between FFTW and pocketfft (scipy.fft) per transform key."""
import numpy as np
import pytest

pytest.importorskip("pyfftw")

from numbascat.backends import fftw_plans  # noqa: E402

KINDS = [  # kind, input (shape, dtype), output (shape, dtype), d
    ("fft", ((2, 12, 10), np.complex64), ((2, 12, 10), np.complex64), 2),
    ("ifft", ((3, 17), np.complex128), ((3, 17), np.complex128), 1),
    ("rfft", ((2, 9, 8), np.float32), ((2, 9, 5), np.complex64), 2),
    ("irfft", ((2, 9, 5), np.complex64), ((2, 9, 8), np.float32), 2),
    ("fft", ((4, 6, 8), np.complex64), ((4, 6, 8), np.complex64), (-3,)),
]


def _arrays(spec_in, spec_out, seed):
    rng = np.random.default_rng(seed)
    (si, di), (so, do) = spec_in, spec_out
    a = fftw_plans.empty(si, np.dtype(di), pooled=False)
    a.view(a.real.dtype)[...] = rng.standard_normal(a.view(a.real.dtype).shape)
    return a, fftw_plans.empty(so, np.dtype(do), pooled=False)


@pytest.mark.parametrize("direct", [True, False], ids=["into-out", "scipy.fft"])
@pytest.mark.parametrize("kind,spec_in,spec_out,d", KINDS)
def test_pocketfft_computes_the_unnormalised_fftw_transform(fresh_fftw, monkeypatch, kind,
                                                            spec_in, spec_out, d, direct):
    """Straight into the output through SciPy's compiled module, and through the public
    functions where that module is missing."""
    if direct:
        assert fftw_plans._pocketfft_core() is not None  # this SciPy has it
    else:
        monkeypatch.setattr(fftw_plans, "_pocketfft_core", lambda: None)
    a, want = _arrays(spec_in, spec_out, 0)
    a0 = a.copy()
    fftw_plans.execute(kind, a.copy(), want, d)
    got = fftw_plans.empty(want.shape, want.dtype, pooled=False)
    fftw_plans._pocketfft(kind, a0, got, d, 1)
    tol = 1e-4 if want.real.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * np.abs(want).max())


def test_in_place_transforms_run_on_pocketfft(fresh_fftw):
    a, _ = _arrays(((3, 16), np.complex64), ((3, 16), np.complex64), 1)
    want = np.fft.fft(a.astype(np.complex128), axis=-1)
    fftw_plans._pocketfft("fft", a, a, 1, 1)
    np.testing.assert_allclose(a, want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_pocketfft_round_trip_leaves_the_forward_input_intact(fresh_fftw):
    """Written into the given arrays: the forward transform keeps its input, and the inverse
    (which, like FFTW's, may use its input as scratch) gives the signal back times N."""
    a, out = _arrays(((2, 9, 8), np.float32), ((2, 9, 5), np.complex64), 5)
    a0 = a.copy()
    fftw_plans._pocketfft("rfft", a, out, 2, 1)
    np.testing.assert_array_equal(a, a0)
    back = fftw_plans.empty((2, 9, 8), np.float32, pooled=False)
    fftw_plans._pocketfft("irfft", out, back, 2, 1)
    np.testing.assert_allclose(back / 72, a0, rtol=0, atol=1e-5 * np.abs(a0).max())


class _TimedPlan:
    """An FFTW plan whose runs mark the pinned clock as FFTW's."""

    def __init__(self, plan, engine):
        self._plan, self._engine = plan, engine

    def execute(self):
        self._engine["running"] = "fftw"
        return self._plan.execute()

    def __getattr__(self, name):
        return getattr(self._plan, name)


def _pin_timings(monkeypatch, fftw_s, pocket_s):
    """Make every timed run take ``fftw_s`` seconds, or ``pocket_s`` while pocketfft is the
    engine that ran last; returns the flag to reset between calls."""
    clock = {"t": 0.0}
    pocket = fftw_plans._pocketfft
    plan = fftw_plans._plan
    engine = {"running": None}

    def timed_pocketfft(*args):
        engine["running"] = "pocket"
        return pocket(*args)

    def perf_counter():  # a timed run reads the clock twice
        clock["t"] += (pocket_s if engine["running"] == "pocket" else fftw_s) / 2
        return clock["t"]

    monkeypatch.setattr(fftw_plans, "_pocketfft", timed_pocketfft)
    monkeypatch.setattr(fftw_plans, "_plan", lambda *a, **k: _TimedPlan(plan(*a, **k), engine))
    monkeypatch.setattr(fftw_plans.time, "perf_counter", perf_counter)
    return engine


def _reused_rfft(monkeypatch, shape, seed, pocket_s, calls):
    """``calls`` auto-planned real FFTs of one shape on pinned timings (FFTW 1 s, pocketfft
    ``pocket_s``), each checked against numpy; returns the key's planner state."""
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "auto")
    fftw_plans.refresh_settings()
    a, out = _arrays((shape, np.float32), (shape[:-1] + (shape[-1] // 2 + 1,), np.complex64),
                     seed)
    want = np.fft.rfft2(a.astype(np.float64))
    engine = _pin_timings(monkeypatch, 1.0, pocket_s)
    for _ in range(calls):
        engine["running"] = None
        fftw_plans.execute("rfft", a, out, 2)
        np.testing.assert_allclose(out, want, rtol=0, atol=1e-4 * np.abs(want).max())
    ((key, state),) = fftw_plans._states.items()
    return a, out, state


@pytest.mark.parametrize("pocket_s,chosen", [(0.5, "pocketfft"), (0.9, "fftw")])
def test_a_reused_key_moves_to_the_faster_engine(fresh_fftw, monkeypatch, pocket_s, chosen):
    a, out, state = _reused_rfft(monkeypatch, (2, 34, 34), 2, pocket_s, 3)
    assert state.compared == state.generation and state.engine == chosen
    calls = []
    monkeypatch.setattr(fftw_plans, "_pocketfft", lambda *args: calls.append(args))
    fftw_plans.execute("rfft", a, out, 2)
    assert bool(calls) == (chosen == "pocketfft")


@pytest.mark.parametrize("pocket_s,settled,shape", [(0.3, True, (2, 34, 51)),
                                                    (0.7, False, (2, 51, 34))])
def test_a_clear_loss_of_the_estimate_settles_the_key_unmeasured(fresh_fftw, monkeypatch,
                                                                 pocket_s, settled, shape):
    """pocketfft in at most POCKETFFT_SETTLE_FRACTION of the estimate's time: the key stays on
    pocketfft and FFTW is never measured for it; a narrower win is measured and compared
    again, as before. (Shapes of their own: FFTW's wisdom outlives a test.)"""
    measured = []
    real_measure = fftw_plans._measure
    monkeypatch.setattr(fftw_plans, "_measure",
                        lambda *args: measured.append(args[0]) or real_measure(*args))
    _, _, state = _reused_rfft(monkeypatch, shape, 6, pocket_s, 4)
    assert state.engine == "pocketfft" and state.settled is settled
    assert bool(measured) is not settled


def test_explicit_planners_keep_fftw(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    fftw_plans.refresh_settings()
    a, out = _arrays(((2, 34, 34), np.float32), ((2, 34, 18), np.complex64), 3)
    _pin_timings(monkeypatch, 1.0, 0.01)
    for _ in range(4):
        fftw_plans.execute("rfft", a, out, 2)
    ((key, state),) = fftw_plans._states.items()
    assert state.engine == "fftw" and state.compared == -1


def test_only_lengths_with_large_prime_factors_are_compared(fresh_fftw, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "auto")
    fftw_plans.refresh_settings()
    assert [n for n in (16, 30, 120, 128, 264, 528, 17, 34, 272, 2064)
            if fftw_plans.large_prime_factor(n)] == [17, 34, 272, 2064]
    a, out = _arrays(((2, 32, 32), np.float32), ((2, 32, 17), np.complex64), 4)
    _pin_timings(monkeypatch, 1.0, 0.01)
    for _ in range(4):
        fftw_plans.execute("rfft", a, out, 2)
    ((key, state),) = fftw_plans._states.items()
    assert not state.comparable and state.engine == "fftw" and state.compared == -1


def test_large_prime_factor():
    """The rule for the JTFS frequency axis and the planner's comparison alike."""
    assert [fftw_plans.large_prime_factor(n) for n in (136, 272, 17, 34 * 3)] == [True] * 4
    assert [fftw_plans.large_prime_factor(n) for n in (128, 120, 30, 13, 1)] == [False] * 5


@pytest.mark.parametrize("n", [24, 28])
def test_two_views_of_one_array_run_in_place(fresh_fftw, monkeypatch, n):
    """Views made by two reshape calls are one array: the transform runs in place (an
    out-of-place FFTW_ESTIMATE plan run on them gave wrong values at these sizes)."""
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    fftw_plans.refresh_settings()
    shape = (1, 1, n, n, n)
    a, _ = _arrays((shape, np.complex64), (shape, np.complex64), n)
    want = np.fft.ifftn(a.astype(np.complex128), axes=(-3, -2, -1)) * n ** 3
    fftw_plans.execute("ifft", a.reshape(shape[1:]), a.reshape(shape[1:]), 3)
    np.testing.assert_allclose(a, want, rtol=0, atol=2e-6 * np.abs(want).max())
    assert [key[0] for key in fftw_plans._states] == ["ifft_inplace"]


def test_overlapping_or_in_place_real_arrays_are_refused(fresh_fftw):
    a, _ = _arrays(((2, 16), np.complex64), ((2, 16), np.complex64), 3)
    with pytest.raises(ValueError, match="overlap"):
        fftw_plans.execute("fft", a[:, :8], a[:, 8:], 1)
    r = fftw_plans.empty((2, 16), np.float32, pooled=False)
    with pytest.raises(ValueError, match="in place"):
        fftw_plans.execute("rfft", r, r, 1)
