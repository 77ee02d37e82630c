"""HarmonicScattering3D on the numpy backend: Kymatio 0.3 numbers, shapes, errors, meta."""
import numpy as np
import pytest
import scipy.fft
from peer import shared_dir

import numbascat
from numbascat.numpy import HarmonicScattering3D
from numbascat.scattering3d import order0_integrals
from numbascat.scattering3d.filter_bank import filter_name

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (reference data) is absent")
AXES = (-3, -2, -1)


def rel_sum(a, b):
    """sum|a - b| / max(sum|a|, sum|b|), in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).sum() / max(np.abs(a).sum(), np.abs(b).sum())


def direct_scattering(S, x):
    """The spec's loops (compat §3.3) in float64, m by m, written independently of the core."""
    x = np.asarray(x, np.float64)
    batch, P, L = x.shape[:-3], S.output_shape[0], S.L
    x = x.reshape((-1,) + S.shape)
    out = np.zeros((x.shape[0], P, L + 1, len(S.integral_powers)))

    def wmod(u_hat, l, j):
        stack = S.filters[filter_name(l, j)].astype(np.complex128)
        rows = range(2 * l + 1) if S.rotation_covariant else [0]
        acc = np.zeros(u_hat.shape)
        for m in rows:
            acc = np.sqrt(acc ** 2 + np.abs(scipy.fft.ifftn(u_hat * stack[m], axes=AXES)) ** 2)
        return acc

    def integrals(u):
        return np.stack([np.sum(u ** q, axis=AXES) for q in S.integral_powers], axis=-1)

    paths = [tuple(int(v) for v in S.meta()["j"][c * (L + 1)] if v == v) for c in range(P)]
    x_hat = scipy.fft.fftn(x, axes=AXES)
    for l in range(L + 1):
        for j1 in range(S.J + 1):
            u1 = wmod(x_hat, l, j1)
            out[:, paths.index((j1,)), l] = integrals(u1)
            u1_hat = scipy.fft.fftn(u1, axes=AXES)
            for j2 in range(j1 + 1, S.J + 1):
                if (j1, j2) in paths:
                    out[:, paths.index((j1, j2)), l] = integrals(wmod(u1_hat, l, j2))
    return out.reshape(batch + out.shape[1:])


@pytest.fixture(scope="module")
def ref3d():
    with np.load(SHARED / "refdata" / "kymatio_0.3_3d.npz") as data:
        return {k: data[k] for k in data.files}


@needs_shared
def test_parity_with_kymatio_reference(ref3d):
    x, ref = ref3d["x"], ref3d["Sx"]
    powers = [float(q) for q in ref3d["integral_powers"]]
    S = HarmonicScattering3D(int(ref3d["J"]), x.shape[1:], L=int(ref3d["L"]), sigma_0=1,
                             integral_powers=powers, rotation_covariant=True, backend="numpy")
    out = S(x)
    assert out.shape == (2, 6, 3, 2) and out.dtype == np.float32
    n0 = len(powers)
    assert ref.shape == (2, n0 + out[0].size)
    assert rel_sum(S.order0(x), ref[:, :n0]) < 1e-6
    assert rel_sum(order0_integrals(x, powers), ref[:, :n0]) < 1e-6
    assert rel_sum(out.reshape(2, -1), ref[:, n0:]) < 1e-6


@needs_shared
def test_max_order_1_is_the_first_paths(ref3d):
    x = ref3d["x"]
    S2 = HarmonicScattering3D(2, x.shape[1:], L=2, backend="numpy")
    S1 = HarmonicScattering3D(2, x.shape[1:], L=2, max_order=1, backend="numpy")
    out1 = S1(x)
    assert out1.shape == (2, 3, 3, 3) == (2,) + S1.output_shape
    np.testing.assert_allclose(out1, S2(x)[:, :3], rtol=1e-6)


def test_unit_gaussian_gives_k_to_the_l():
    # Kymatio checks this on 128^3 with J=1, L=3, sigma_0=3 (about 20 s here). 64^3 with
    # sigma_0=2 and a wider Gaussian (sigma_g=3) holds to 3.5e-5 in 0.5 s; sigma_g=1 would not
    # (the l=1 modulus has a kink at the origin that a small wavelet samples poorly).
    n, J, L, sigma_0, sigma_g = 64, 1, 3, 2.0, 3.0
    g = np.fft.fftfreq(n, 1 / n)
    r2 = g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2
    x = np.exp(-r2 / (2 * sigma_g ** 2))
    x /= x.sum()
    S = HarmonicScattering3D(J, (n, n, n), L=L, sigma_0=sigma_0, max_order=1,
                             integral_powers=[1], backend="numpy")
    sigma_w = sigma_0 * 2.0 ** np.arange(J + 1)
    k = sigma_w / np.sqrt(sigma_w ** 2 + sigma_g ** 2)
    expected = k[:, None] ** np.arange(L + 1)[None, :]
    for dtype in (np.float64, np.float32):
        out = S(x.astype(dtype))
        assert out.shape == (J + 1, L + 1, 1)
        np.testing.assert_allclose(out[..., 0], expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("params", [
    {"J": 2, "shape": (8, 9, 7), "L": 2, "sigma_0": 1.3},
    {"J": 1, "shape": (6, 10, 8), "L": 3, "rotation_covariant": False},
    {"J": 2, "shape": (8, 8, 8), "L": 1, "max_order": 1, "integral_powers": (1.0, 2.0, 0.25)},
])
def test_matches_direct_computation(params):
    x = np.random.default_rng(1).standard_normal((3,) + params["shape"])
    S = HarmonicScattering3D(**params, backend="numpy")
    np.testing.assert_allclose(S(x), direct_scattering(S, x), rtol=1e-10, atol=1e-12)


def test_non_covariant_uses_the_m_minus_l_filter():
    shape = (8, 8, 8)
    x = np.random.default_rng(2).standard_normal((1,) + shape)
    S = HarmonicScattering3D(1, shape, L=2, rotation_covariant=False, max_order=1,
                             integral_powers=[1], backend="numpy")
    psi = S.filters[filter_name(2, 1)][0].astype(np.complex128)  # l=2, j=1, m=-2
    u = np.abs(scipy.fft.ifftn(scipy.fft.fftn(x, axes=AXES) * psi, axes=AXES))
    np.testing.assert_allclose(S(x)[0, 1, 2, 0], u.sum(), rtol=1e-12)
    assert not np.isclose(S(x)[0, 1, 2, 0],
                          HarmonicScattering3D(1, shape, L=2, max_order=1, integral_powers=[1],
                                               backend="numpy")(x)[0, 1, 2, 0])


def test_chunked_batch_equals_one_block():
    shape = (8, 8, 8)
    x = np.random.default_rng(4).standard_normal((5,) + shape).astype(np.float32)
    S = HarmonicScattering3D(2, shape, L=2, backend="numpy")
    whole = S(x)
    S.block_bytes = 1  # one signal per chunk
    np.testing.assert_array_equal(S(x), whole)
    np.testing.assert_array_equal(S(x[3]), whole[3])


@pytest.mark.parametrize("batch", [(), (1,), (2, 3), (2, 1, 2)])
def test_batch_shapes(batch):
    shape = (6, 5, 4)
    x = np.random.default_rng(5).standard_normal(batch + shape).astype(np.float32)
    S = HarmonicScattering3D(1, shape, L=1, backend="numpy")
    out = S(x)
    assert out.shape == batch + (3, 2, 3)
    flat = S(x.reshape((-1,) + shape))
    np.testing.assert_array_equal(out.reshape(flat.shape), flat)
    assert S.order0(np.abs(x)).shape == batch + (3,)


def test_empty_batch():
    S = HarmonicScattering3D(1, (4, 4, 4), L=1, backend="numpy")
    for batch in [(0,), (2, 0)]:
        out = S(np.zeros(batch + (4, 4, 4), np.float32))
        assert out.shape == batch + (3, 2, 3) and out.dtype == np.float32
        assert S.order0(np.zeros(batch + (4, 4, 4))).shape == batch + (3,)


def test_dtypes_follow_the_input():
    shape = (6, 6, 6)
    x = np.random.default_rng(6).standard_normal((2,) + shape)
    S = HarmonicScattering3D(1, shape, L=1, backend="numpy")
    out32, out64 = S(x.astype(np.float32)), S(x)
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    positive = np.abs(x).astype(np.float32)  # x ** 0.5 of a negative voxel is NaN, as in Kymatio
    assert S.order0(positive).dtype == np.float32
    assert order0_integrals(positive).dtype == np.float32
    assert S(x.astype(np.float16)).dtype == np.float32
    assert S(np.ones((6, 6, 6), np.int32)).dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=2e-5)
    with pytest.raises(TypeError, match="real"):
        S(x.astype(np.complex64))


def test_order0_is_the_sum_of_powers():
    x = np.abs(np.random.default_rng(7).standard_normal((2, 3, 5, 6, 4)))
    S = HarmonicScattering3D(1, (5, 6, 4), integral_powers=(0.5, 1, 2), backend="numpy")
    expected = np.stack([np.sum(x ** q, axis=AXES) for q in (0.5, 1, 2)], axis=-1)
    np.testing.assert_allclose(S.order0(x), expected, rtol=1e-12)
    np.testing.assert_allclose(order0_integrals(x, [0.5, 1, 2]), expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="at least three dimensions"):
        order0_integrals(np.ones((4, 4)))


def test_meta_matches_output_order():
    S = HarmonicScattering3D(2, (6, 6, 6), L=1, backend="numpy")
    meta = S.meta()
    P, L1, _ = S.output_shape
    assert (P, L1) == (6, 2)
    assert len(meta["key"]) == meta["order"].shape[0] == meta["j"].shape[0] == P * L1
    assert meta["j"].shape == (P * L1, 2)
    assert meta["key"][:4] == [((0,), 0), ((0,), 1), ((1,), 0), ((1,), 1)]
    assert meta["key"][-1] == ((1, 2), 1)
    assert [k[0] for k in meta["key"][6::2]] == [(0, 1), (0, 2), (1, 2)]
    np.testing.assert_array_equal(meta["l"], np.tile([0, 1], P))
    np.testing.assert_array_equal(meta["order"], [1] * 6 + [2] * 6)
    assert np.isnan(meta["j"][:6, 1]).all() and not np.isnan(meta["j"][6:]).any()
    # Row c of meta describes S(x).reshape(-1, n_powers)[c]: check with direct loops.
    x = np.random.default_rng(8).standard_normal((1, 6, 6, 6))
    flat = S(x).reshape(P * L1, -1)
    direct = direct_scattering(S, x).reshape(P * L1, -1)
    np.testing.assert_allclose(flat, direct, rtol=1e-10)
    meta1 = HarmonicScattering3D(2, (6, 6, 6), L=1, max_order=1, backend="numpy").meta()
    assert meta1["j"].shape == (6, 1) and meta1["key"] == meta["key"][:6]


def test_dynamic_entry_and_attributes():
    S = numbascat.HarmonicScattering3D(1, (4, 5, 6), L=2, frontend="numpy", backend="numpy",
                                       points=[(1, 2, 3)])
    assert isinstance(S, numbascat.HarmonicScattering3D) and isinstance(S, HarmonicScattering3D)
    assert (S.M, S.N, S.O, S.J, S.L, S.max_order) == (4, 5, 6, 1, 2, 2)
    assert S.points == [(1, 2, 3)] and S.method == "integral" and S.rotation_covariant is True
    assert S.integral_powers == (0.5, 1.0, 2.0) and S.sigma_0 == 1.0
    assert S(np.zeros((4, 5, 6))).shape == (3, 3, 3)


def test_filters_are_cached_and_read_only():
    A = HarmonicScattering3D(1, (6, 5, 4), L=1, sigma_0=1.5, backend="numpy")
    B = HarmonicScattering3D(1, (6, 5, 4), L=1, sigma_0=1.5, backend="numpy")
    assert A.filters is B.filters
    assert not A.filters[filter_name(1, 0)].flags.writeable


@pytest.mark.parametrize("kwargs, error, match", [
    ({"J": -1}, ValueError, "J must be >= 0, got -1"),
    ({"J": 1.5}, TypeError, "J must be an integer"),
    ({"J": True}, TypeError, "J must be an integer"),
    ({"shape": (4, 4)}, ValueError, "shape must be a tuple of 3"),
    ({"shape": (4, 0, 4)}, ValueError, r"shape\[1\] must be >= 1"),
    ({"shape": (4, 4.0, 4)}, TypeError, r"shape\[1\] must be an integer"),
    ({"L": -1}, ValueError, "L must be >= 0"),
    ({"sigma_0": 0}, ValueError, "sigma_0 must be > 0, got 0.0"),
    ({"sigma_0": -2.0}, ValueError, "sigma_0 must be > 0"),
    ({"sigma_0": "1"}, TypeError, "sigma_0 must be a real number"),
    ({"sigma_0": float("nan")}, ValueError, "sigma_0 must be finite"),
    ({"max_order": 3}, ValueError, "max_order must be one of 1, 2; got 3"),
    ({"max_order": 0}, ValueError, "max_order"),
    ({"rotation_covariant": "yes"}, TypeError, "rotation_covariant must be True or False"),
    ({"method": "standard"}, ValueError, "method must be 'integral'.*'standard'"),
    ({"method": "local"}, ValueError, "method must be 'integral'"),
    ({"integral_powers": ()}, ValueError, "integral_powers must hold at least one power"),
    ({"integral_powers": "12"}, TypeError, "integral_powers must be a sequence"),
    ({"integral_powers": 2.0}, TypeError, "integral_powers must be a sequence"),
    ({"integral_powers": (1.0, "a")}, TypeError, r"integral_powers\[1\] must be a real number"),
    ({"integral_powers": (1.0, 1j)}, TypeError, r"integral_powers\[1\]"),
])
def test_bad_parameters(kwargs, error, match):
    params = {"J": 1, "shape": (4, 4, 4)} | kwargs
    with pytest.raises(error, match=match):
        HarmonicScattering3D(**params, backend="numpy")


def test_bad_inputs():
    S = HarmonicScattering3D(1, (4, 5, 6), L=1, backend="numpy")
    with pytest.raises(RuntimeError, match=r"Input tensor must have at least three dimensions"):
        S(np.zeros((4, 5)))
    with pytest.raises(RuntimeError, match=r"spatial size \(4, 5, 6\).*\(2, 6, 5, 4\)"):
        S(np.zeros((2, 6, 5, 4)))
    with pytest.raises(RuntimeError, match=r"spatial size \(4, 5, 6\)"):
        S.order0(np.zeros((4, 5, 7)))
    with pytest.raises(TypeError):
        S(None)


def test_numpy_integer_and_bool_like_parameters_are_accepted():
    S = HarmonicScattering3D(np.int64(1), (np.int32(4), 4, 4), L=np.int16(1),
                             sigma_0=np.float32(1.0), rotation_covariant=np.bool_(False),
                             integral_powers=np.array([1, 2]), backend="numpy")
    assert S.output_shape == (3, 2, 2) and S.rotation_covariant is False


@pytest.mark.parametrize("n", [24, 28])
def test_numba_matches_the_reference_on_grids_whose_estimated_plans_alias(monkeypatch, n):
    """Regression: on 24^3 and 28^3 the whole-volume quadrature ran an out-of-place FFT plan
    on two views of one array, 7 % off the reference with FFTW_ESTIMATE plans."""
    pytest.importorskip("pyfftw")
    from numbascat.backends import fftw_plans

    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    fftw_plans.refresh_settings()
    try:
        x = np.random.default_rng(n).random((2, n, n, n)).astype(np.float32)
        kwargs = dict(J=1, shape=(n, n, n), L=2, integral_powers=[1.0, 2.0])
        S = HarmonicScattering3D(**kwargs, backend="numba")
        S.standin_max_values = 0  # never the numpy stand-in
        got = S(x)
        want = HarmonicScattering3D(**kwargs, backend="numpy")(x)
        assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()
    finally:
        monkeypatch.delenv("NUMBASCAT_FFTW_PLANNER")
        fftw_plans.refresh_settings()
