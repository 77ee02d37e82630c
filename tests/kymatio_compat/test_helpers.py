"""Kymatio's public helpers agree with numbascat's own transforms (no peer needed)."""
import numpy as np
import pytest

from numbascat.kymatio_compat.backends import NumpyBackend3D, TorchBackend3D
from numbascat.kymatio_compat.filters1d import scattering_filter_factory
from numbascat.kymatio_compat.filters2d import filter_bank
from numbascat.kymatio_compat.utils3d import generate_weighted_sum_of_gaussians
from numbascat.numpy import Scattering1D, Scattering2D


def test_1d_factory_gives_the_transforms_filters():
    S = Scattering1D(5, 1000, Q=8, backend="numpy")
    phi, psi1, psi2 = scattering_filter_factory(S.N_pad, S.J, S.Q, S.T)
    assert [f["j"] for f in psi1] == [f["j"] for f in S.psi1_f]
    for mine, theirs in zip(psi1 + psi2 + [phi], S.psi1_f + S.psi2_f + [S.phi_f], strict=True):
        assert set(mine) == {"levels", "xi", "sigma", "j"}
        assert len(mine["levels"]) == len(theirs["levels"])
        for a, b in zip(mine["levels"], theirs["levels"], strict=True):
            np.testing.assert_array_equal(a, b)
    _, _, capped = scattering_filter_factory(S.N_pad, S.J, S.Q, S.T, max_subsampling=2)
    assert all(len(f["levels"]) == 3 for f in capped)


@pytest.mark.parametrize("bad, exc, match", [
    (dict(Q=8), TypeError, "2-tuple"), (dict(T=None), TypeError, "T"),
    (dict(T=0), ZeroDivisionError, "T must be >= 1"), (dict(N=1000), ValueError, "power of two"),
    (dict(max_subsampling=-1), ValueError, "max_subsampling")])
def test_1d_factory_errors(bad, exc, match):
    args = dict(N=1024, J=5, Q=(8, 1), T=32) | bad
    with pytest.raises(exc, match=match):
        scattering_filter_factory(**args)


def test_2d_filter_bank_gives_the_transforms_filters():
    S = Scattering2D(3, (32, 32), L=4, backend="numpy")
    bank = filter_bank(*S.padded_shape, 3, L=4)
    assert list(bank) == ["psi", "phi"] and len(bank["psi"]) == 12
    for mine, theirs in zip(bank["psi"] + [bank["phi"]], S.psi + [S.phi], strict=True):
        assert {k: v for k, v in mine.items() if k != "levels"} == \
            {k: v for k, v in theirs.items() if k != "levels"}
        for a, b in zip(mine["levels"], theirs["levels"], strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.flags.writeable


def test_gaussians_have_unit_mass_and_sit_at_their_positions():
    M = 32
    grid = np.mgrid[-M // 2:-M // 2 + M, -M // 2:-M // 2 + M, -M // 2:-M // 2 + M]
    positions = np.array([[[1.0, 2.0, -3.0], [0.0, 0.0, 0.0]]])
    out = generate_weighted_sum_of_gaussians(grid, positions, np.array([[2.0, 0.0]]), 1.5)
    assert out.shape == (1, M, M, M) and out.dtype == np.float64
    assert abs(out.sum() - 2.0) < 1e-9
    assert np.unravel_index(out.argmax(), out.shape) == (0, 17, 18, 13)
    with pytest.raises(IndexError, match=r"\(B, K, 3\)"):
        generate_weighted_sum_of_gaussians(grid, np.zeros((2, 3)), np.ones(2), 1.0)


def test_compute_integrals():
    x = np.random.default_rng(2).random((2, 4, 4, 4))
    out = NumpyBackend3D.compute_integrals(x, [1, 2])
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_allclose(out[:, 1], (x ** 2).sum(axis=(1, 2, 3)), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t = TorchBackend3D.compute_integrals(torch.from_numpy(x), [1, 2])
    assert t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), out, rtol=1e-6)
    with pytest.raises(TypeError, match="torch.Tensor"):
        TorchBackend3D.compute_integrals(x, [1])
