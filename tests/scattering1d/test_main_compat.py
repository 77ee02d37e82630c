"""Scattering1D(..., compat='main'): Kymatio main's semantics (main spec §1)."""
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from numbascat.numpy import Scattering1D

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peer import (  # noqa: E402
    kymatio_main_reference,
    requires_kymatio_main,
    run_kymatio_main,
    shared_dir,
)

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (reference data) is absent; "
                                  "set NUMBASCAT_SHARED to its path")
BACKENDS = ["numpy", "numba"]


@pytest.fixture(scope="module")
def ref():
    return kymatio_main_reference()


def _rel(a, b):
    return np.abs(np.asarray(a, np.float64) - b).max() / np.abs(b).max()


@needs_shared
@pytest.mark.parametrize("backend", BACKENDS)
def test_refdata_stride(ref, backend):
    S = Scattering1D(6, 1024, 8, stride=16, compat="main", backend=backend)
    out = S(ref["s1d_stride_x"])
    assert out.shape == ref["s1d_stride_Sx"].shape == (2, 126, 64) and out.dtype == np.float32
    assert _rel(out, ref["s1d_stride_Sx"]) <= 1e-5
    # float64: the reference went through a complex64 first FFT (spec §2.11.8), ~1e-8 apart.
    assert _rel(S(ref["s1d_stride_x"].astype(np.float64)), ref["s1d_stride_Sx"]) <= 1e-7


@needs_shared
@pytest.mark.parametrize("backend", BACKENDS)
def test_refdata_unaveraged_list(ref, backend):
    S = Scattering1D(5, 800, 4, T=0, out_type="list", compat="main", backend=backend)
    out = S(ref["s1d_T0_x"])
    assert [e["coef"].shape[-1] for e in out] == ref["s1d_T0_lengths"].tolist()
    keys = [list(e["n"]) + [-1] * (2 - len(e["n"])) for e in out]
    assert keys == ref["s1d_T0_n"].tolist()
    assert [e["order"] for e in out] == [len(e["n"]) for e in out]
    assert _rel(np.concatenate([e["coef"] for e in out], -1), ref["s1d_T0_concat"]) <= 1e-5


def test_period_sums_scale_0_3_numbers():
    # Main spec §1.7: order 1 is 2^k1 and order 2 is 2^(2 k1 + k2) times 0.3.0's value.
    x = np.random.default_rng(1).standard_normal(1024)
    old = Scattering1D(6, 1024, 8, out_type="list", backend="numpy")(x)
    new = Scattering1D(6, 1024, 8, out_type="list", compat="main", backend="numpy")(x)
    for a, b in zip(old, new, strict=True):
        k1 = min(a["j"][0], 6) if a["n"] else 0
        k2 = max(min(a["j"][1], 6) - k1, 0) if len(a["n"]) == 2 else 0
        factor = 2.0 ** (k1 if len(a["n"]) == 1 else 2 * k1 + k2 if a["n"] else 0)
        np.testing.assert_allclose(b["coef"], factor * a["coef"], rtol=1e-12, atol=1e-14)


def test_global_and_dict_order():
    x = np.random.default_rng(2).standard_normal((3, 256))
    S = Scattering1D(4, 256, 2, T="global", out_type="dict", compat="main", backend="numpy")
    out = S(x)
    keys = list(out)
    assert keys[:3] == [(), (0,), (0, 0)] or keys[:2] == [(), (0,)]
    # depth-first: each (n1,) is followed by its children
    for i, key in enumerate(keys[1:], 1):
        if len(key) == 2:
            assert keys[i - 1][0] == key[0]
    assert all(v.shape == (3, 1) for v in out.values())
    # S0 is the sum of the reflect-padded input (quirk kept: spec §1.5)
    U0 = np.pad(x, ((0, 0), (S.pad_left, S.pad_right)), mode="reflect")
    np.testing.assert_allclose(out[()][:, 0], U0.sum(-1), rtol=1e-12)


def test_max_order_three_is_two_and_detail_tuple():
    S = Scattering1D(6, 1024, 8, max_order=3, compat="main", backend="numpy")
    assert S.output_size(detail=True) == (1, 38, 87)
    assert S.meta()["n"].shape == (126, 3)


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(average=True), TypeError, "unexpected keyword argument 'average'"),
    (dict(T=0), ValueError, "Cannot convert to out_type='array' with T=0. Please set out_type "
                            "to 'dict' or 'list'."),
    (dict(stride=4.0), ValueError, "stride must be integer. Got: 4.0"),
    (dict(stride=3), ValueError, "stride must be a power of two. Got: 3"),
    (dict(stride=4, T=0, out_type="list"), ValueError, "stride=4 is incompatible with T=0."),
    (dict(stride=4, T="global"), ValueError, "stride=4 is incompatible with T=global."),
    (dict(stride=128), KeyError, "7"),
    (dict(T=2000), ValueError, "The support T of the low-pass filter cannot exceed input length "
                               "(got 2000 > 1024). For large averaging size, consider passing "
                               "T='global'."),
    (dict(T=0.5), ValueError, "T must be ==0 or >=1 (got 0.5)"),
    (dict(Q=0), ValueError, "Q must always be >= 1, got 0"),
    (dict(Q=[8]), ValueError, "Q must be an integer or a tuple"),
    (dict(Q=(1, 2, 3)), NotImplementedError, "Scattering transforms beyond order 2"),
    (dict(oversampling=-1), ValueError, "oversampling must be nonnegative. Got: -1"),
    (dict(oversampling=1, stride=4), ValueError, "oversampling=1 and stride=4are incompatible"),
    (dict(out_type="tuple"), ValueError, "out_type must be one of 'array', 'dict', or 'list'. "
                                         "Got: tuple"),
])
def test_main_errors(kwargs, exc, message):
    kwargs = dict(dict(J=6, shape=1024, Q=8), **kwargs)
    with warnings.catch_warnings(), pytest.raises(exc) as info:
        warnings.simplefilter("ignore", DeprecationWarning)
        Scattering1D(**kwargs, compat="main", backend="numpy")(np.zeros(1024))
    assert message in (str(info.value) if exc is not KeyError else str(info.value.args[0]))


def test_switch_is_explicit():
    with pytest.raises(TypeError, match="compat='main'"):
        Scattering1D(6, 1024, stride=16)
    with pytest.raises(ValueError, match="compat must be"):
        Scattering1D(6, 1024, compat="0.4")


def test_oversampling_maps_to_stride_with_off_by_one_check():
    with pytest.warns(DeprecationWarning):
        S = Scattering1D(6, 1024, 8, oversampling=1, stride=16, compat="main",
                         backend="numpy")
    assert S.stride == 32  # main accepts 2^(log2_T - os - 1) and uses 2^(log2_T - os)


PEER_CASES = [dict(J=6, shape=1024, Q=8, stride=4), dict(J=6, shape=1024, Q=8, T="global"),
              dict(J=5, shape=999, Q=(4, 2), T=12.5), dict(J=6, shape=512, Q=8, T=0,
                                                          out_type="dict"),
              dict(J=6, shape=512, Q=8, stride=8, out_type="dict"),
              dict(J=7, shape=2048, Q=12, max_order=1), dict(J=5, shape=300, Q=4, oversampling=1),
              dict(J=6, shape=1024, Q=8, max_order=3),
              dict(J=4, shape=1000, Q=1, T=20, out_type="list"),
              dict(J=6, shape=1024, Q=8, T="global", out_type="list"),
              dict(J=6, shape=1024, Q=8, oversampling=1, stride=16),
              dict(J=6, shape=1024, Q=8, stride=128), dict(J=6, shape=1024, stride=3)]


def _leaves(out):
    if isinstance(out, dict):
        return list(out), list(out.values())
    if isinstance(out, list):
        return [(e["n"], e["j"], e["order"]) for e in out], [e["coef"] for e in out]
    return None, [out]


@requires_kymatio_main
@pytest.mark.peer
def test_side_by_side_with_kymatio_main():
    rng = np.random.default_rng(0)
    jobs = [dict(cls="Scattering1D", params=c, x=rng.standard_normal((2, c["shape"])),
                 meta=True) for c in PEER_CASES]
    for case, job, res in zip(PEER_CASES, jobs, run_kymatio_main(jobs), strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if "error" in res:
                with pytest.raises(Exception) as info:
                    Scattering1D(**case, compat="main", backend="numpy")(job["x"])
                assert type(info.value).__name__ == res["error"][0]
                assert str(info.value) == res["error"][1], case
                continue
            S = Scattering1D(**case, compat="main", backend="numpy")
            keys, ours = _leaves(S(job["x"]))
        ref_keys, theirs = _leaves(res["output"])
        assert keys == ref_keys, case
        for a, b in zip(ours, theirs, strict=True):
            assert a.shape == np.shape(b), case
            assert _rel(a, b) <= 1e-12, case
        meta = S.meta()
        for name, value in res["meta"].items():
            if name == "key":
                assert meta["key"] == value
            else:
                np.testing.assert_array_equal(meta[name], value, err_msg=f"{case} {name}")


def test_sklearn_scattering1d_passes_the_switch():
    pytest.importorskip("sklearn")
    from numbascat.sklearn import Scattering1D as SkScattering1D

    x = np.random.default_rng(4).standard_normal((2, 1024))
    S = SkScattering1D(6, 1024, 8, stride=16, compat="main")
    assert S.get_params()["compat"] == "main"
    want = Scattering1D(6, 1024, 8, stride=16, compat="main", backend=S._scattering().backend)(x)
    np.testing.assert_allclose(S.fit_transform(x), want.reshape(2, -1), rtol=1e-12)
