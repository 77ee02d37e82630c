"""Scattering1D against Kymatio 0.3.0 itself, side by side (outputs, meta, errors)."""
import numpy as np
import pytest
from peer import requires_kymatio, run_kymatio

from numbascat.numpy import Scattering1D

pytestmark = [pytest.mark.peer, requires_kymatio,
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Signal support:UserWarning")]

# (params, batch shape): J 1..13, Q 1..16 and 2-tuples, T below / equal to 2^J and non-powers
# of two, oversampling 0..2, average=False with list/dict, odd and non-power-of-two N.
CONFIGS = [
    (dict(J=1, shape=64), (2,)),
    (dict(J=2, shape=33, Q=3), (3,)),
    (dict(J=3, shape=1024, Q=8), (2,)),
    (dict(J=4, shape=300, Q=4, T=12), (2, 2)),
    (dict(J=5, shape=300, Q=4, oversampling=1), (2,)),
    (dict(J=5, shape=257, Q=(4, 2), T=20.5), ()),
    (dict(J=6, shape=512, Q=16), (4,)),
    (dict(J=6, shape=512, Q=1, max_order=1), (3,)),
    (dict(J=6, shape=500, Q=(6, 3), oversampling=2), (1, 2)),
    (dict(J=6, shape=1000, Q=2, T=64, oversampling=1, out_type="list"), (2,)),
    (dict(J=7, shape=777, Q=5, T=100), (2,)),
    (dict(J=7, shape=2048, Q=12, T=0, out_type="dict"), (2,)),
    (dict(J=5, shape=511, Q=2, T=0, out_type="list", oversampling=1), (2,)),
    (dict(J=4, shape=128, Q=3, average=False, out_type="dict"), (3,)),
    (dict(J=4, shape=128, Q=3, average=True, T=8, out_type="dict"), (3,)),
    (dict(J=8, shape=4096, Q=(8, 2)), (2,)),
    (dict(J=8, shape=1024, Q=1), (2, 1, 2)),
    (dict(J=9, shape=1500, Q=10, T=300), ()),
    (dict(J=10, shape=1024, Q=1), (2,)),
    (dict(J=10, shape=3000, Q=(16, 2), T=512, oversampling=2), (1,)),
    (dict(J=11, shape=4000, Q=4, T=1000), (1,)),
    (dict(J=12, shape=512, Q=2, T=64), (2,)),
    (dict(J=13, shape=8192, Q=12), (1,)),
    (dict(J=3, shape=64, Q=1, T=8, max_order=1, out_type="list"), (2,)),
    (dict(J=6, shape=200, Q=7, T=1), (2,)),
    (dict(J=4, shape=100, Q=16, T=16, oversampling=5), (2,)),
]


def _ids():
    return ["-".join(f"{k}={v}" for k, v in p.items()) + f"-B{b}" for p, b in CONFIGS]


@pytest.fixture(scope="module")
def kymatio_results():
    rng = np.random.default_rng(0)
    jobs = []
    for params, batch in CONFIGS:
        x = rng.standard_normal(batch + (params["shape"],)).astype(np.float32)
        jobs.append({"cls": "Scattering1D", "params": params, "x": x, "meta": True,
                     "attrs": ["pad_left", "pad_right", "log2_T", "T", "average", "Q"]})
    return jobs, run_kymatio(jobs)


def _leaves(out):
    """(key, array) pairs in output order for array/dict/list outputs."""
    if isinstance(out, dict):
        return list(out.items())
    if isinstance(out, list):
        return [((e["n"], e["j"]), e["coef"]) for e in out]
    return [(c, out[..., c, :]) for c in range(out.shape[-2])]


@pytest.mark.parametrize("case", range(len(CONFIGS)), ids=_ids())
def test_matches_kymatio(case, kymatio_results):
    jobs, results = kymatio_results
    job, res = jobs[case], results[case]
    assert "error" not in res, res.get("error")
    S = Scattering1D(**job["params"], backend="numpy")
    out = S(job["x"])
    ref = res["output"]
    assert type(out) is type(ref)
    mine, theirs = _leaves(out), _leaves(ref)
    assert [k for k, _ in mine] == [k for k, _ in theirs]
    # float32 tolerance per path, 1e-5 * max|ref path|, with a float32 noise floor for paths
    # that are themselves at rounding level (1e-6 * the largest coefficient anywhere).
    floor = 1e-6 * max(np.abs(b).max(initial=0.0) for _, b in theirs)
    for (key, a), (_, b) in zip(mine, theirs, strict=True):
        assert a.dtype == np.float32  # Kymatio's numpy backend promotes to float64; we do not
        assert a.shape == b.shape, key
        err = np.abs(a - b).max(initial=0.0)
        assert err <= 1e-5 * np.abs(b).max(initial=0.0) + floor, (key, err)
    meta, ref_meta = S.meta(), res["meta"]
    assert meta["key"] == ref_meta["key"]
    np.testing.assert_array_equal(meta["order"], ref_meta["order"])
    for name in ("xi", "sigma", "j", "n"):
        np.testing.assert_allclose(meta[name], ref_meta[name], rtol=1e-13, equal_nan=True)
    for attr in ("pad_left", "pad_right", "log2_T", "T", "average", "Q"):
        assert getattr(S, attr) == res["attrs"][attr], attr


def test_filters_match_kymatio():
    params = dict(J=8, shape=1000, Q=(8, 2), T=200)
    (res,) = run_kymatio([{"cls": "Scattering1D", "params": params,
                           "attrs": ["psi1_f", "psi2_f", "phi_f"]}])
    S = Scattering1D(**params, backend="numpy")
    for mine, theirs in [(S.psi1_f, res["attrs"]["psi1_f"]), (S.psi2_f, res["attrs"]["psi2_f"]),
                         ([S.phi_f], [res["attrs"]["phi_f"]])]:
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            assert a["j"] == b["j"] and a["xi"] == pytest.approx(b["xi"], rel=1e-14)
            assert a["sigma"] == pytest.approx(b["sigma"], rel=1e-14)
            assert len(a["levels"]) == len(b["levels"])
            for la, lb in zip(a["levels"], b["levels"], strict=True):
                assert np.abs(la - lb).max() <= 1e-14 * np.abs(lb).max()


ERROR_CASES = [
    dict(J=6, shape=512, Q=0),
    dict(J=6, shape=512, Q=(1, 2, 3)),
    dict(J=6, shape=512, Q=[8]),
    dict(J=6, shape=(512, 2)),
    dict(J=6, shape=[512]),
    dict(J=6, shape=512, T=1024),
    dict(J=6, shape=512, T=0.5),
    dict(J=6, shape=512, T=0, average=True),
    dict(J=6, shape=512, T=32, average=False),
]


def test_errors_have_kymatio_types():
    results = run_kymatio([{"cls": "Scattering1D", "params": p} for p in ERROR_CASES])
    for params, res in zip(ERROR_CASES, results, strict=True):
        assert "error" in res, params
        kind = {"ValueError": ValueError, "NotImplementedError": NotImplementedError}[
            res["error"][0]]
        with pytest.raises(kind):
            Scattering1D(**params, backend="numpy")


def test_runtime_errors_have_kymatio_types():
    x = np.zeros(64, np.float32)
    cases = [dict(J=3, shape=64, T=0), dict(J=3, shape=64, oversampling=-1),
             dict(J=3, shape=64, oversampling=1.5), dict(J=3, shape=64, out_type="tuple")]
    results = run_kymatio([{"cls": "Scattering1D", "params": p, "x": x} for p in cases])
    for params, res in zip(cases, results, strict=True):
        assert res["error"][0] == "ValueError", (params, res)
        with pytest.raises(ValueError):
            Scattering1D(**params, backend="numpy")(x)
