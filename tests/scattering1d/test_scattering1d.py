"""Scattering1D on the numpy reference backend: Kymatio 0.3 numbers, shapes, dtypes, meta."""
import os
from pathlib import Path

import numpy as np
import pytest

import numbascat
from numbascat.numpy import Scattering1D


def _shared():
    env = os.environ.get("NUMBASCAT_SHARED")
    path = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"
    return path if path.is_dir() else None


SHARED = _shared()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (reference data) is absent; "
                                  "set NUMBASCAT_SHARED to its path")


@pytest.fixture(scope="module")
def ref1d():
    with np.load(SHARED / "refdata" / "kymatio_0.3_1d.npz") as data:
        return {k: data[k] for k in data.files}


@needs_shared
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parity_with_kymatio_reference(ref1d, dtype):
    S = Scattering1D(int(ref1d["J"]), ref1d["x"].shape[-1], int(ref1d["Q"]), backend="numpy")
    out = S(ref1d["x"].astype(dtype))
    assert out.shape == ref1d["Sx"].shape == (4, 222, 8) and out.dtype == dtype
    err = np.abs(out.astype(np.float64) - ref1d["Sx"]).max() / np.abs(ref1d["Sx"]).max()
    assert err <= 1e-5


@needs_shared
def test_max_order_1_is_the_first_channels(ref1d):
    S = Scattering1D(6, 512, 16, max_order=1, backend="numpy")
    out = S(ref1d["x"])
    assert out.shape == (4, 64, 8) and S.output_size() == 64
    err = np.abs(out - ref1d["Sx"][:, :64]).max() / np.abs(ref1d["Sx"]).max()
    assert err <= 1e-5


CASES = [dict(J=6, shape=512, Q=16), dict(J=4, shape=300, Q=(4, 2), T=12),
         dict(J=5, shape=333, Q=3, oversampling=2), dict(J=3, shape=1024, Q=8),
         dict(J=4, shape=128, Q=2, max_order=1)]


@pytest.mark.parametrize("params", CASES)
def test_meta_agrees_with_output_order(params):
    S = Scattering1D(**params, out_type="list", backend="numpy")
    out = S(np.random.default_rng(0).standard_normal(params["shape"]).astype(np.float32))
    meta = S.meta()
    assert [e["n"] for e in out] == meta["key"]
    assert len(out) == S.output_size() == sum(S.output_size(detail=True))
    for c, e in enumerate(out):
        order = len(e["n"])
        assert meta["order"][c] == order
        assert tuple(meta["n"][c, :order].astype(int)) == e["n"]
        assert tuple(meta["j"][c, :order].astype(int)) == e["j"]
        assert np.all(np.isnan(meta["xi"][c, order:]))
        if order == 2:
            assert e["j"][1] > e["j"][0]
    arr = Scattering1D(**params, backend="numpy")(
        np.random.default_rng(0).standard_normal(params["shape"]).astype(np.float32))
    np.testing.assert_array_equal(arr, np.stack([e["coef"] for e in out]))
    d = Scattering1D(**params, out_type="dict", backend="numpy")(
        np.random.default_rng(0).standard_normal(params["shape"]).astype(np.float32))
    assert list(d) == meta["key"]


@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (1, 2, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_shapes_and_dtypes(batch, dtype):
    S = Scattering1D(4, 200, Q=2, backend="numpy")
    x = np.random.default_rng(1).standard_normal(batch + (200,)).astype(dtype)
    out = S(x)
    assert out.shape == batch + (S.output_size(), 200 // 16 + (200 % 16 > 0))
    assert out.dtype == dtype
    flat = S(x.reshape((-1, 200)))
    np.testing.assert_array_equal(out.reshape(flat.shape), flat)


def test_empty_batch():
    S = Scattering1D(4, 256, backend="numpy")
    out = S(np.zeros((0, 256), np.float32))
    assert out.shape == (0, S.output_size(), 16) and out.dtype == np.float32
    out = S(np.zeros((2, 0, 256)))
    assert out.shape == (2, 0, S.output_size(), 16) and out.dtype == np.float64


def test_unaveraged_outputs_have_their_own_resolutions():
    S = Scattering1D(5, 400, Q=2, T=0, out_type="list", backend="numpy")
    x = np.random.default_rng(2).standard_normal((3, 400))
    out = S(x)
    np.testing.assert_array_equal(out[0]["coef"], x)  # S0 is the raw input
    for e in out[1:]:
        k = sum(e["j"][:1]) if len(e["j"]) == 1 else e["j"][1]
        assert e["coef"].shape == (3, S.ind_end[k] - S.ind_start[k])
        assert np.all(e["coef"] >= 0)  # moduli


def test_oversampling_refines_time_resolution():
    x = np.random.default_rng(3).standard_normal(512)
    a = Scattering1D(5, 512, backend="numpy")(x)
    b = Scattering1D(5, 512, oversampling=1, backend="numpy")(x)
    assert b.shape[-1] == 2 * a.shape[-1]
    np.testing.assert_allclose(b[..., 0, ::2], a[..., 0, :], rtol=1e-10, atol=1e-14)


def test_dynamic_entry_and_attributes():
    S = numbascat.Scattering1D(6, 512, Q=(8, 2), frontend="numpy", backend="numpy")
    assert isinstance(S, numbascat.Scattering1D)
    assert S.Q == (8, 2) and S.N == 512 and S.J_pad == 10 and len(S.phi_f["levels"]) == 6
    assert {"levels", "xi", "sigma", "j"} <= set(S.psi1_f[0]) and len(S.psi1_f) == 38
    assert [len(p["levels"]) for p in S.psi2_f][-1] == 1 + max(p["j"] for p in S.psi1_f
                                                               if p["j"] < S.psi2_f[-1]["j"])
    assert S.output_size(detail=True) == [1, 38, 211]


def test_float32_float64_agree():
    S = Scattering1D(6, 1000, Q=4, T=100, backend="numpy")
    x = np.random.default_rng(4).standard_normal((2, 1000))
    a, b = S(x.astype(np.float32)), S(x)
    assert np.abs(a - b).max() <= 1e-5 * np.abs(b).max()
