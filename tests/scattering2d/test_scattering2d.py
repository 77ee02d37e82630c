"""Scattering2D on the numpy reference backend: Kymatio 0.3 numbers, shapes, errors, meta."""
import numpy as np
import pytest
from peer import requires_kymatio, run_kymatio, shared_dir

import numbascat
from numbascat.numpy import Scattering2D

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (reference data) is absent")


def rel_err(out, ref):
    return np.abs(out.astype(np.float64) - ref).max() / np.abs(ref).max()


@pytest.fixture(scope="module")
def ref2d():
    with np.load(SHARED / "refdata" / "kymatio_0.3_2d.npz") as data:
        return {k: data[k] for k in data.files}


@needs_shared
def test_parity_with_kymatio_reference(ref2d):
    S = Scattering2D(int(ref2d["J"]), ref2d["x"].shape[-2:], pre_pad=bool(ref2d["pre_pad"]),
                     backend="numpy")
    out = S(ref2d["x"])
    assert out.shape == ref2d["Sx"].shape == (2, 3, 417, 2, 2)
    assert out.dtype == np.float32
    assert rel_err(out, ref2d["Sx"]) <= 1e-5


@needs_shared
def test_max_order_1_is_the_first_channels(ref2d):
    J, L = int(ref2d["J"]), 8
    S1 = Scattering2D(J, (32, 32), max_order=1, backend="numpy")
    out = S1(ref2d["x"])
    assert out.shape[-3] == 1 + L * J == S1.output_size()
    assert rel_err(out, ref2d["Sx"][..., : 1 + L * J, :, :]) <= 1e-5


@needs_shared
def test_list_output_matches_array(ref2d):
    S = Scattering2D(4, (32, 32), backend="numpy", out_type="list")
    out = S(ref2d["x"])
    assert len(out) == 417
    assert out[0]["j"] == () and out[1]["n"] == (0,) and out[-1]["n"] == (23, 31)
    assert out[9]["j"] == (1,) and out[9]["theta"] == (0,)
    stacked = np.stack([c["coef"] for c in out], axis=-3)
    assert rel_err(stacked, ref2d["Sx"]) <= 1e-5


@pytest.mark.parametrize("shape, J, L", [((40, 24), 2, 4), ((37, 53), 3, 3), ((17, 9), 3, 1),
                                         ((8, 8), 3, 2), ((64, 48), 1, 6)])
def test_nonsquare_and_non_power_of_two_sizes(shape, J, L):
    x = np.random.default_rng(0).standard_normal((2,) + shape)
    S = Scattering2D(J, shape, L=L, backend="numpy")
    out = S(x)
    C = 1 + L * J + L * L * J * (J - 1) // 2
    assert out.shape == (2, C, shape[0] // 2 ** J, shape[1] // 2 ** J)
    assert out.dtype == np.float64 and np.isfinite(out).all()
    assert S.output_size() == C
    M_pad, N_pad = S.padded_shape
    assert M_pad == 2 ** J * (shape[0] // 2 ** J + 2) and N_pad == 2 ** J * (shape[1] // 2 ** J + 2)


def test_dtype_follows_input_and_batch_shapes():
    rng = np.random.default_rng(1)
    S = Scattering2D(2, (16, 16), L=4, backend="numpy")
    x64 = rng.standard_normal((16, 16))
    assert S(x64).dtype == np.float64 and S(x64).shape == (25, 4, 4)
    out32 = S(x64.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, S(x64), rtol=0, atol=1e-5 * np.abs(S(x64)).max())
    xb = rng.standard_normal((2, 3, 1, 16, 16)).astype(np.float32)
    out = S(xb)
    assert out.shape == (2, 3, 1, 25, 4, 4)
    np.testing.assert_array_equal(out[1, 2, 0], S(xb[1, 2, 0]))
    assert S(np.zeros((0, 16, 16), np.float32)).shape == (0, 25, 4, 4)
    assert S(np.zeros((3, 0, 16, 16))).shape == (3, 0, 25, 4, 4)


def test_pre_pad_takes_padded_input():
    x = np.random.default_rng(2).standard_normal((16, 16))
    S = Scattering2D(2, (16, 16), L=2, backend="numpy")
    padded = np.pad(x, [(p, q) for p, q in S.params.pads], mode="reflect")
    Sp = Scattering2D(2, (16, 16), L=2, pre_pad=True, backend="numpy")
    assert padded.shape == Sp.padded_shape
    np.testing.assert_allclose(Sp(padded), S(x), atol=1e-12)
    with pytest.raises(RuntimeError, match="Padded array must be of spatial size"):
        Sp(x)


def test_meta_describes_channels():
    S = Scattering2D(3, (32, 32), L=4, backend="numpy")
    meta = S.meta()
    C = S.output_size()
    assert meta["order"].shape == (C,) and meta["j"].shape == (C, 2)
    assert meta["key"][0] == () and np.isnan(meta["j"][0]).all()
    assert list(meta["order"]).count(1) == 12 and list(meta["order"]).count(2) == 48
    first2 = list(meta["order"]).index(2)
    assert tuple(meta["j"][first2]) == (0, 1) and tuple(meta["theta"][first2]) == (0, 0)
    out = S(np.zeros((32, 32)), )
    assert out.shape[-3] == len(meta["key"])
    rows = S.meta()
    np.testing.assert_array_equal(rows["n"][1:13, 0], np.arange(12))


def test_translation_invariance_grows_with_J():
    # Circular shifts by multiples of 2^J change nothing away from borders; smoke check that
    # low-order energy is preserved for a small shift.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 64))
    S = Scattering2D(3, (64, 64), L=4, backend="numpy")
    a, b = S(x), S(np.roll(x, 1, axis=0))
    assert np.abs(a - b).mean() < 0.2 * np.abs(a).mean()


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"J": 6, "shape": (32, 32)}, RuntimeError, "2\\^J=64"),
    ({"J": 0, "shape": (32, 32)}, ValueError, "J must be >= 1, got 0"),
    ({"J": True, "shape": (32, 32)}, TypeError, "J must be an integer"),
    ({"J": 2.0, "shape": (32, 32)}, TypeError, "J must be an integer"),
    ({"J": 2, "shape": (32,)}, ValueError, "shape must be a tuple of 2"),
    ({"J": 2, "shape": (32, -4)}, ValueError, "shape\\[1\\] must be >= 1"),
    ({"J": 2, "shape": (32, 32), "L": 0}, ValueError, "L must be >= 1, got 0"),
    ({"J": 2, "shape": (32, 32), "L": "8"}, TypeError, "L must be an integer"),
    ({"J": 2, "shape": (32, 32), "max_order": 3}, ValueError, "max_order must be one of"),
    ({"J": 2, "shape": (32, 32), "out_type": "dict"}, RuntimeError, "out_type must be one of"),
    ({"J": 2, "shape": (32, 32), "pre_pad": "yes"}, ValueError, "pre_pad"),
])
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Scattering2D(backend="numpy", **kwargs)


def test_bad_inputs():
    S = Scattering2D(2, (16, 16), L=2, backend="numpy")
    with pytest.raises(RuntimeError, match="^Input array must have at least two dimensions."):
        S(np.zeros(16))
    with pytest.raises(RuntimeError, match=r"^NumPy array must be of spatial size \(16,16\)\. "
                                           r".*\(16, 16\).*\(2, 16, 15\)"):
        S(np.zeros((2, 16, 15)))
    with pytest.raises(TypeError, match="real-valued"):
        S(np.zeros((16, 16), np.complex64))
    with pytest.raises(TypeError, match="real numeric"):
        S(np.array([["a"] * 16] * 16))
    with pytest.raises(TypeError, match="None"):
        S(None)
    S.out_type = "dict"
    with pytest.raises(RuntimeError, match="out_type"):
        S(np.zeros((16, 16)))


def test_input_conversions_are_explicit():
    S = Scattering2D(2, (16, 16), L=2, backend="numpy")
    x = np.random.default_rng(4).standard_normal((16, 16))
    assert S(x.astype(np.float16)).dtype == np.float32
    assert S((x * 10).astype(np.int32)).dtype == np.float64
    big = x.astype(">f8")
    np.testing.assert_array_equal(S(big), S(x))
    np.testing.assert_array_equal(S(np.asfortranarray(x)), S(x))
    wide = np.random.default_rng(5).standard_normal((16, 32))[:, ::2]
    np.testing.assert_array_equal(S(wide), S(np.ascontiguousarray(wide)))


def test_nan_propagates_to_its_own_signal_only():
    S = Scattering2D(2, (16, 16), L=2, backend="numpy")
    x = np.random.default_rng(6).standard_normal((2, 16, 16))
    x[0, 3, 3] = np.nan
    out = S(x)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_dynamic_entry_and_isinstance():
    S = numbascat.Scattering2D(2, (16, 16), L=2, frontend="numpy", backend="numpy")
    assert isinstance(S, Scattering2D) and isinstance(S, numbascat.Scattering2D)
    assert not isinstance(object(), numbascat.Scattering2D)
    with pytest.raises(RuntimeError, match="frontend 'mxnet' is not valid"):
        numbascat.Scattering2D(2, (16, 16), frontend="mxnet")


def test_filter_bank_is_cached_across_instances():
    a = Scattering2D(2, (16, 16), L=2, backend="numpy")
    b = Scattering2D(2, (16, 16), L=2, backend="numpy")
    assert a.filters["psi_j0_r0"] is b.filters["psi_j0_r0"]
    assert not a.filters["psi_j0_r0"].flags.writeable


@requires_kymatio
@pytest.mark.peer
def test_peer_parity_with_kymatio():
    rng = np.random.default_rng(7)
    configs = [dict(J=2, shape=(24, 40), L=4), dict(J=3, shape=(37, 53), L=3, max_order=1),
               dict(J=1, shape=(9, 17), L=6), dict(J=3, shape=(8, 16), L=2),
               dict(J=2, shape=(32, 32), L=8, max_order=2)]
    jobs = []
    for params in configs:
        x = rng.standard_normal((2,) + params["shape"]).astype(np.float32)
        jobs.append({"cls": "Scattering2D", "params": params, "x": x})
    for job, res in zip(jobs, run_kymatio(jobs), strict=True):
        assert "error" not in res, res.get("error")
        ours = Scattering2D(backend="numpy", **job["params"])(job["x"])
        assert ours.shape == res["output"].shape
        assert rel_err(ours, res["output"]) <= 1e-5, job["params"]


def test_kymatio_style_filter_views():
    S = Scattering2D(3, (32, 32), L=4, backend="numpy")
    assert len(S.psi) == 12 and S.psi[5]["j"] == 1 and S.psi[5]["theta"] == 1
    assert [lvl.shape for lvl in S.psi[11]["levels"]] == [(48, 48), (24, 24)]
    assert len(S.phi["levels"]) == 3 and S.phi["j"] == 3
    # Zero-mean wavelets, unit-gain low-pass at the zero frequency.
    assert abs(S.psi[0]["levels"][0][0, 0]) < 1e-6
    assert abs(S.phi["levels"][0][0, 0] - 1) < 1e-3
