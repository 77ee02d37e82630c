"""The 3D traversal: concurrent (l, j1) groups give the serial pass's numbers."""
import numpy as np
import pytest

from numbascat.backends import fftw_plans
from numbascat.numpy import HarmonicScattering3D
from numbascat.scattering3d.core import _unit_cost, unit_groups


def test_unit_groups_cover_every_subtree_once_and_balance_their_cost():
    S = HarmonicScattering3D(J=2, shape=(16, 16, 16), L=2, backend="numpy")
    plan = S._plan
    units = [(l, j1) for l in range(3) for j1 in range(3)]
    assert unit_groups(plan, 1) == [units]
    for parts in (2, 3, 4):
        groups = unit_groups(plan, parts)
        assert len(groups) == parts
        assert sorted(u for g in groups for u in g) == units
        assert all(g == sorted(g) for g in groups)
        loads = [sum(_unit_cost(plan, *u) for u in g) for g in groups]
        assert max(loads) - min(loads) <= max(_unit_cost(plan, *u) for u in units)
    assert len(unit_groups(plan, 50)) == len(units)


@pytest.mark.parametrize("rotation_covariant", [True, False])
def test_concurrent_groups_match_the_serial_pass(monkeypatch, rotation_covariant):
    shape = (16, 16, 16)
    x = np.random.default_rng(5).standard_normal((1,) + shape).astype(np.float32)
    kw = dict(J=2, shape=shape, L=2, rotation_covariant=rotation_covariant)
    S = HarmonicScattering3D(**kw, backend="numba")
    serial = S(x)
    monkeypatch.setattr(S.backend, "path_workers", lambda n, values, extra=0: 2)
    with fftw_plans.recording() as records:
        concurrent = S(x)
    sections = [r for r in records if r[0] == fftw_plans.PARALLEL]
    assert len(sections) == 1 and len(sections[0][1]) == 2
    ref = HarmonicScattering3D(**kw, backend="numpy")(x)
    assert concurrent.dtype == np.float32 and concurrent.shape == serial.shape
    scale = np.abs(ref).max()
    assert np.abs(concurrent - serial).max() <= 1e-6 * scale
    assert np.abs(concurrent - ref).max() <= 1e-5 * scale
