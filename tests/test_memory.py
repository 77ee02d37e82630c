"""The memory budget of a forward call (numbascat.memory): estimates bound the traced peaks,
batches too large are split, and what cannot fit is refused before any work."""
import numpy as np
import pytest
from traced import traced_peak

import numbascat.numpy as nsn
from numbascat.memory import MemoryModel, available_memory, batch_step

CASES = {
    "1d": (lambda b: nsn.Scattering1D(J=8, shape=4096, Q=8, backend=b), (6, 4096)),
    "1d-long": (lambda b: nsn.Scattering1D(J=12, shape=2 ** 15, Q=4, backend=b), (3, 2 ** 15)),
    "2d": (lambda b: nsn.Scattering2D(J=3, shape=(96, 80), backend=b), (5, 96, 80)),
    "3d": (lambda b: nsn.HarmonicScattering3D(J=2, shape=(24, 24, 24), L=2, backend=b),
           (2, 24, 24, 24)),
}


def test_batch_step_rules():
    model = MemoryModel(per_signal=10, blocks=20, block_cap=100, output=1)
    assert batch_step(model, 50, None, None, "T") is None  # no budget known: no split
    assert batch_step(model, 50, 10_000, None, "T") is None  # fits whole
    assert batch_step(model, 50, 300, None, "T") == 15  # 50 + 15 * 10 + min(15 * 20, 100)
    assert batch_step(model, 50, 300, 7, "T") == 7
    with pytest.raises(MemoryError, match=r"T: batch_size=40 needs about .*use batch_size=15"):
        batch_step(model, 50, 300, 40, "T")
    with pytest.raises(MemoryError, match=r"T: 50 signals need about .* memory_budget"):
        batch_step(model, 50, 79, None, "T")  # 50 + 10 + 20 = 80 needed
    assert batch_step(model, 0, 1, None, "T") is None


def test_available_memory_is_plausible():
    available = available_memory()
    assert available is None or 2 ** 20 < available < 2 ** 50


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_estimate_bounds_the_traced_peak(case, backend, monkeypatch):
    from numbascat.backends import fftw_plans

    # Estimated plans only: a measuring try of the auto planner inside the traced call would
    # add its one-off scratch (one transform's input and output) to the pass's own peak.
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    fftw_plans.refresh_settings()
    make, shape = CASES[case]
    S = make(backend)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    S(x)
    S(x)  # filters prepared, plans made: what remains is the call's own memory
    peak = traced_peak(lambda: S(x))
    monkeypatch.undo()
    fftw_plans.refresh_settings()
    estimate = S.estimate_memory(shape[0], np.float32)
    assert peak <= estimate, (peak, estimate)
    assert estimate < 40 * max(peak, 2 ** 20)  # an upper bound, not a blank cheque


@pytest.mark.parametrize("case", sorted(CASES))
def test_small_budget_splits_the_batch_with_identical_numbers(case):
    make, shape = CASES[case]
    S = make("numpy")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    whole = S(x)
    model = S._memory_model(4)
    S.memory_budget = model.total(shape[0], 1) + model.per_signal // 2  # one at a time
    calls = []
    original = S._scatter
    S._scatter = lambda xs, *a, **k: calls.append(xs.shape[0]) or original(xs, *a, **k)
    split = S(x)
    assert calls == [1] * shape[0]
    np.testing.assert_allclose(split, whole, rtol=0, atol=1e-6 * np.max(np.abs(whole)))


def test_refused_before_any_work():
    S = nsn.Scattering2D(J=3, shape=(64, 64), backend="numba")
    x = np.zeros((4, 64, 64), np.float32)
    S.memory_budget = S._memory_model(4).total(4, 1) - 1
    S._scatter = lambda *a, **k: pytest.fail("computation started")
    with pytest.raises(MemoryError, match="memory_budget"):
        S(x)
    S.memory_budget = S._memory_model(4).total(4, 4) - 1
    S.batch_size = 4
    with pytest.raises(MemoryError, match=r"batch_size=4 needs about .*use batch_size=3"):
        S(x)


@pytest.mark.parametrize("bad", [0, -5, "1GB", True])
def test_memory_budget_is_validated(bad):
    S = nsn.Scattering1D(J=3, shape=256, backend="numpy")
    S.memory_budget = bad
    with pytest.raises(ValueError, match="memory_budget must be a positive number of bytes"):
        S(np.zeros((1, 256), np.float32))
