"""The 1D traversal's two schedules (numbascat/scattering1d/core.py): by resolution and
depth-first give the same coefficients, in the same order, for every output type."""
import numpy as np
import pytest

from numbascat.backends.fftw_plans import recording
from numbascat.numpy import Scattering1D

CASES = [
    dict(J=8, Q=1, shape=1024),  # 1d-eeg: one filter per octave
    dict(J=5, Q=(4, 2), shape=300),  # several filters per group, both orders
    dict(J=6, Q=2, shape=256, T=16),  # j1 > log2_T: children at their parent's resolution
    dict(J=4, Q=2, shape=128, oversampling=1),
    dict(J=5, Q=2, shape=200, T=0, out_type="dict"),  # unaveraged: blocks per resolution
    dict(J=5, Q=2, shape=200, out_type="list"),
    dict(J=4, Q=2, shape=256, T="global", out_type="dict", compat="main"),
    dict(J=6, Q=4, shape=512, stride=8, compat="main"),
    dict(J=5, Q=2, shape=256, T=0, out_type="dict", compat="main"),
]


def _leaves(out):
    if isinstance(out, dict):
        return list(out), list(out.values())
    if isinstance(out, list):
        return [e["n"] for e in out], [e["coef"] for e in out]
    return None, [out]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in
                                                                   kw.items()))
def test_schedules_agree(kwargs, backend):
    S = Scattering1D(**kwargs, backend=backend)
    x = np.random.default_rng(0).standard_normal((3, S.N)).astype(np.float32)
    plan = S._main_plan() if kwargs.get("compat") == "main" else S._plan(S.oversampling)
    if plan.max_order == 2:  # the by-resolution schedule is what a small call gets
        assert plan.by_resolution_bytes(3, 8) <= S.block_bytes
    by_resolution = S(x)
    S.block_bytes = 1  # nothing fits: depth-first, one first-order filter at a time
    depth_first = S(x)
    keys_a, a = _leaves(by_resolution)
    keys_b, b = _leaves(depth_first)
    assert keys_a == keys_b
    scale = max(float(np.abs(v).max()) for v in b)
    for u, v in zip(a, b, strict=True):
        assert u.shape == v.shape and u.dtype == v.dtype
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-6 * scale)


def test_by_resolution_runs_one_fft_set_per_resolution():
    # 1d-eeg: 7 first-order groups, 21 (parent, j2) children, all at 7 resolutions: the
    # depth-first schedule runs 2 + 3 * 28 FFTs, the by-resolution one 2 + 3 * 7.
    S = Scattering1D(J=8, Q=1, shape=1024, backend="numba")
    x = np.zeros((2, 1024), np.float32)
    S(x)
    with recording() as fast:
        S(x)
    S.block_bytes = S._plan(0).by_resolution_bytes(2, 8) - 1  # whole groups, depth-first
    with recording() as slow:
        S(x)
    assert (len(fast), len(slow)) == (23, 86)


def test_stages_respect_parents():
    S = Scattering1D(J=6, Q=2, shape=256, T=16, backend="numpy")
    plan = S._plan(0)
    done, seen = set(), []
    for r, firsts, seconds in plan.stages:
        assert all(g in done for g, *_ in seconds)  # a parent's spectrum exists already
        done.update(firsts)
        seen += [(r, g) for g in firsts] + [(r, item) for item in seconds]
    assert [r for r, _ in seen] == sorted(r for r, _ in seen)
    children = sum(len(plan.children(g)) for g in range(len(plan.groups1)))
    assert len(seen) == len(plan.groups1) + children
