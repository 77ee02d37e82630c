"""Solid-harmonic filter bank: grid quirk, angles, SciPy compatibility, constants, cache."""
import numpy as np
import pytest
import scipy.special

from numbascat import cache
from numbascat.scattering3d import filter_bank as fb
from numbascat.scattering3d.filter_bank import filter_bank_3d, filter_name


def test_even_grid_is_fftfreq():
    g = fb.frequency_grid(8, 6, 4)
    assert g.shape == (3, 8, 6, 4) and g.dtype == np.float32
    for axis, n in enumerate((8, 6, 4)):
        line = np.moveaxis(g[axis], axis, 0)[:, 0, 0]
        np.testing.assert_allclose(line, 2 * np.pi * np.fft.fftfreq(n), rtol=1e-6)


def test_odd_grid_keeps_kymatio_origin_quirk():
    # ifftshift(mgrid[-7//2 : -7//2 + 7]) = [-1, 0, 1, 2, -4, -3, -2]: zero lands at index 1.
    g = fb.frequency_grid(7, 4, 5)
    np.testing.assert_allclose(g[0][:, 0, 0] / (2 * np.pi / 7), [-1, 0, 1, 2, -4, -3, -2],
                               atol=1e-5)
    np.testing.assert_allclose(g[2][0, 0, :] / (2 * np.pi / 5), [-1, 0, 1, -3, -2], atol=1e-5)
    bank = filter_bank_3d(7, 4, 5, 0, 0, 1.0)
    gauss = bank[filter_name(0, 0)][0]
    assert np.unravel_index(np.abs(gauss).argmax(), gauss.shape) == (1, 0, 1)


def test_polar_angle_is_pi_minus_the_usual_one():
    g = np.zeros((3, 1, 1, 3), np.float32)
    g[:, 0, 0, 0] = (1, 0, 0)   # +z
    g[:, 0, 0, 1] = (-1, 0, 0)  # -z
    g[:, 0, 0, 2] = (0, 1, 0)   # +y
    polar, azimuth = fb.grid_angles(g)
    np.testing.assert_allclose(polar.ravel(), [np.pi, 0, np.pi / 2], atol=1e-6)
    np.testing.assert_allclose(azimuth.ravel()[2], np.pi / 2, atol=1e-6)


def test_l0_is_an_unnormalised_gaussian():
    bank = filter_bank_3d(8, 8, 8, 1, 1, 1.5)
    g = fb.frequency_grid(8, 8, 8).astype(np.float64)
    r2 = (g ** 2).sum(0)
    for j in range(2):
        psi = bank[filter_name(0, j)]
        assert psi.shape == (1, 8, 8, 8) and psi.dtype == np.complex64
        np.testing.assert_allclose(psi[0], np.exp(-(1.5 * 2 ** j) ** 2 * r2 / 2), atol=1e-7)
        assert psi[0, 0, 0, 0] == 1


def test_shapes_and_conjugate_symmetry_in_m():
    bank = filter_bank_3d(6, 6, 6, 2, 3, 1.0)
    assert sorted(bank) == sorted(filter_name(l, j) for l in range(4) for j in range(3))
    for l in range(1, 4):
        psi = bank[filter_name(l, 1)].astype(np.complex128)
        assert psi.shape == (2 * l + 1, 6, 6, 6)
        # Y_l^{-m} = (-1)^m conj(Y_l^m): the m and -m rows share their modulus.
        np.testing.assert_allclose(np.abs(psi[::-1]), np.abs(psi), rtol=1e-6, atol=1e-12)


def test_sph_harm_y_mapping_and_legacy_fallback(monkeypatch):
    rng = np.random.default_rng(0)
    polar = rng.uniform(0, np.pi, 50).astype(np.float32)
    azimuth = rng.uniform(-np.pi, np.pi, 50).astype(np.float32)
    modern = scipy.special.sph_harm_y
    if hasattr(scipy.special, "sph_harm"):  # SciPy < 1.17: the removed function itself
        np.testing.assert_array_equal(fb.spherical_harmonic(3, -2, polar, azimuth),
                                      scipy.special.sph_harm(-2, 3, azimuth, polar))
    expected = modern(3, -2, polar, azimuth)
    # SciPy 1.14 has only sph_harm(m, l, azimuth, polar): emulate it and check the mapping.
    monkeypatch.delattr(scipy.special, "sph_harm_y")
    monkeypatch.setattr(scipy.special, "sph_harm", lambda m, l, az, pol: modern(l, m, pol, az),
                        raising=False)
    np.testing.assert_array_equal(fb.spherical_harmonic(3, -2, polar, azimuth), expected)


def test_normalisation_constants():
    # c_l = 1 / (2 pi sqrt(l + 1/2) (l+1)!!) for even l, the odd-l formula otherwise.
    assert fb.normalisation(0) == pytest.approx(1 / (2 * np.pi * np.sqrt(0.5)))
    assert fb.normalisation(2) == pytest.approx(1 / (2 * np.pi * np.sqrt(2.5) * 3))
    assert fb.normalisation(1) == pytest.approx(1 / (4 * np.sqrt(3 * np.pi)))
    assert fb.normalisation(3) == pytest.approx(1 / (8 * np.sqrt(7 * np.pi) * 2))


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_CACHE", str(tmp_path))
    params = (5, 6, 4, 1, 2, 1.25)
    built = filter_bank_3d(*params)
    files = list((tmp_path / "filters").glob("harmonic3d-*.npz"))
    assert len(files) == 1
    cache.clear_memory_cache()
    loaded = filter_bank_3d(*params)
    assert loaded is not built and sorted(loaded) == sorted(built)
    for name in built:
        np.testing.assert_array_equal(loaded[name], built[name])
    assert filter_bank_3d(5, 6, 4, 1, 2, 1.5) is not loaded  # sigma_0 is part of the key


@pytest.mark.parametrize("shape", [(8, 8, 8), (7, 6, 5)])
def test_only_orders_m_ge_0_are_stored_and_the_rest_are_exact(shape, monkeypatch):
    """The stored bank keeps rows m = 0..l; the stacks laid out from it equal, to the bit, a
    bank whose negative orders are computed directly (the builder's fallback)."""
    params = dict(M=shape[0], N=shape[1], O=shape[2], J=1, L=4, sigma_0=1.0)
    stored = fb._build(*params.values())
    for l in range(5):
        assert stored[filter_name(l, 0)].shape == (l + 1,) + shape
    for value in stored.values():
        value.flags.writeable = False  # as the cache hands them out
    half = fb.HarmonicFilterBank(stored, 4, 1)
    monkeypatch.setattr(fb, "_mirror_orders_exact", lambda *args: False)
    direct = fb._build(*params.values())
    for l in range(5):
        for j in range(2):
            name = filter_name(l, j)
            assert direct[name].shape == (2 * l + 1,) + shape
            assert half[name].shape == (2 * l + 1,) + shape and not half[name].flags.writeable
            np.testing.assert_array_equal(half[name], direct[name])
            np.testing.assert_array_equal(half[name][l:], stored[name])  # m >= 0 as stored
    assert half.nbytes == sum(a.nbytes for a in stored.values())


def test_bank_lays_out_a_stack_once_while_held():
    bank = filter_bank_3d(6, 6, 6, 1, 2, 1.0)
    source = bank.sources()[filter_name(2, 1)]
    first = bank[filter_name(2, 1)]
    assert bank[filter_name(2, 1)] is first and np.asarray(source) is first
    assert not np.shares_memory(np.array(source, copy=True), first)
    assert filter_bank_3d(6, 6, 6, 1, 2, 1.0) is bank  # one bank per cached entry
    assert isinstance(bank.sources()[filter_name(0, 1)], np.ndarray)  # l = 0: one row


def test_numba_reads_the_stored_orders_in_place():
    pytest.importorskip("numba")
    pytest.importorskip("pyfftw")
    from numbascat.backends.numba_backend import HalfStack
    from numbascat.numpy import HarmonicScattering3D

    S = HarmonicScattering3D(J=2, shape=(16, 16, 16), L=2, backend="numba")
    filters = S.prepared_filters(np.float32)
    sources = S.filters.sources()
    for j, mirrored in ((0, [None, False, False]), (1, [None, True, True])):
        stack = filters.get(filter_name(2, j))
        assert isinstance(stack, HalfStack) and stack.shape == (5, 16, 16, 16)
        assert np.shares_memory(stack.data, sources[filter_name(2, j)].upper)
        # j = 0: Kymatio's narrowest filters are not mirrors on the Nyquist planes.
        assert stack.mirrored == mirrored
    assert all(s._dense is None or s._dense() is None
               for s in sources.values() if hasattr(s, "_dense"))  # nothing laid out
