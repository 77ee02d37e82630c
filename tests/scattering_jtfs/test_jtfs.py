"""TimeFrequencyScattering on the numpy-array backends: Kymatio main's numbers, keys, errors."""
import sys
from pathlib import Path

import numpy as np
import pytest

from numbascat.numpy import TimeFrequencyScattering as TFS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peer import kymatio_main_reference, shared_dir  # noqa: E402
from peer import reference_params as case_params  # noqa: E402

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (reference data) is absent; "
                                  "set NUMBASCAT_SHARED to its path")
CASES = ["jtfs_a", "jtfs_b", "jtfs_c"]


@pytest.fixture(scope="module")
def ref():
    return kymatio_main_reference()


def rel(a, b):
    return np.abs(np.asarray(a, np.float64) - b).max() / np.abs(b).max()


@needs_shared
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("case", CASES)
def test_refdata_parity(ref, case, backend):
    S = TFS(**case_params(ref, case), backend=backend)
    x = ref[case + "_x"]
    out = S(x)
    assert out.shape == ref[case + "_Sx"].shape and out.dtype == np.float32
    assert rel(out, ref[case + "_Sx"]) <= 1e-5
    # float64: the reference went through a complex64 first FFT (~1e-8 apart, spec §2.11.8);
    # float64 parity to 1e-12 is checked against the peer with float64 inputs.
    out64 = S(x.astype(np.float64))
    assert out64.dtype == np.float64 and rel(out64, ref[case + "_Sx"]) <= 1e-7


@needs_shared
@pytest.mark.parametrize("case", CASES)
def test_refdata_keys_and_spins(ref, case):
    S = TFS(**case_params(ref, case), backend="numpy")
    meta = S.meta()
    width = ref[case + "_n"].shape[1]
    keys = [list(k) + [-1] * (width - len(k)) for k in meta["key"]]
    spin = meta["spin"]
    if case == "jtfs_b":  # joint array: no order-0 row
        assert S.output_size() == len(keys) == 50
    else:
        keys, spin = keys[1:], spin[1:]
        assert np.isnan(meta["spin"][0])
    assert keys == ref[case + "_n"].tolist()[-len(keys):]
    np.testing.assert_array_equal(spin, ref[case + "_spin"][-len(spin):])
    assert S.output_size() == len(meta["key"])


@needs_shared
def test_refdata_joint_order0_from_list(ref):
    params = dict(case_params(ref, "jtfs_b"), out_type="list")
    out = TFS(**params, backend="numpy")(ref["jtfs_b_x"].astype(np.float64))
    assert out[0]["n"] == () and out[0]["order"] == 0
    assert rel(out[0]["coef"], ref["jtfs_b_S0"]) <= 1e-7
    assert len(out) == 51 and out[1]["coef"].shape == (2, 1 + 37 // 8, 16)


def test_shapes_of_the_worked_examples():
    # main spec §2.6
    assert TFS(6, 2, 8, 1024).output_size() == 209
    assert TFS(7, 3, 6, 2048, format="joint").output_size() == 50
    assert TFS(6, 2, 8, 1024, F=0).output_size() == 671
    assert TFS(6, 2, 8, 1024, F="global").output_size() == 62
    assert TFS(6, 2, 8, 1024, F=2).output_size() == 356
    S = TFS(6, 2, 8, 1024, format="joint", backend="numpy")
    assert S._N_padded_fr == 88 and S.F == 4 and S.stride_fr == 4 and S.Q == (8, 1)
    x = np.random.default_rng(0).standard_normal((3, 2, 1024))
    assert S(x).shape == (3, 2, 32, 22, 16)
    assert TFS(6, 2, 8, 1024, backend="numpy")(x).shape == (3, 2, 209, 16)
    assert TFS(6, 2, 8, 1024, T="global", backend="numpy")(x[0]).shape == (2, 209, 1)
    assert TFS(6, 2, 8, 1024, stride=16, backend="numpy")(x[0, 0]).shape == (209, 64)


def test_list_and_dict_follow_generation_order():
    x = np.random.default_rng(1).standard_normal(1024)
    S = TFS(6, 2, 8, 1024, out_type="list", backend="numpy")
    out = S(x)
    array = TFS(6, 2, 8, 1024, backend="numpy")(x)
    np.testing.assert_allclose(np.stack([e["coef"] for e in out]), array, rtol=0, atol=0)
    assert [e["n"] for e in out] == S.meta()["key"]
    # numbascat: 'order' is the true order (Kymatio main's 'time' format: one less, quirk 2)
    assert [e["order"] for e in out] == S.meta()["order"].tolist()
    assert {len(e["n"]): e["order"] for e in out} == {0: 0, 2: 1, 3: 2}
    first = out[1]
    assert set(first) == {"coef", "j", "n", "j_fr", "n_fr", "spin", "order"}
    assert first["j"] == (-1,) and first["n_fr"] == (0,) and first["spin"] == 0
    d = TFS(6, 2, 8, 1024, out_type="dict", format="joint", backend="numpy")(x)
    assert list(d)[:3] == [(), (0,), (1,)] and d[(0,)].shape == (10, 16)


def test_unaveraged_first_order_is_not_empty():
    # Kymatio main returns empty first-order arrays here (quirk 1); numbascat unpads them at
    # their real resolution, as format 'joint' does.
    x = np.random.default_rng(2).standard_normal(1024)
    out = TFS(6, 2, 8, 1024, T=0, out_type="list", backend="numpy")(x)
    joint = TFS(6, 2, 8, 1024, T=0, out_type="dict", format="joint", backend="numpy")(x)
    first = [e for e in out if e["order"] == 1]
    assert len(first) == 40 and all(e["coef"].shape == (16,) for e in first)
    np.testing.assert_allclose(first[0]["coef"], joint[(0,)][0])
    second = [e for e in out if e["order"] == 2]
    assert {e["coef"].shape[-1] for e in second} == {512, 256, 128, 64}  # resolution j2


def test_meta_describes_output_channels():
    S = TFS(6, 2, 8, 1024, format="joint", backend="numpy")
    meta = S.meta()
    # Kymatio main keeps () in 'key' only and counts it in output_size() (quirk 3)
    assert len(meta["key"]) == S.output_size() == 32 == len(meta["order"])
    assert meta["n"][0, 0] == range(0, 38, 4) and np.isnan(meta["xi"][:, 0]).all()
    t = TFS(6, 2, 8, 1024, backend="numpy").meta()
    assert t["key"][:3] == [(), (0, 0), (4, 0)]
    assert t["n_fr"][1] == 0 and t["j_fr"][1] == 2 and t["sigma_fr"][1] == 0.1 / 4


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(Q_fr=0), ValueError, "Q_fr must be >= 1, got 0"),
    (dict(Q_fr=(1, 2)), NotImplementedError, "Q_fr must be an integer or 1-tuple."),
    (dict(Q_fr=1.5), ValueError, "Q_fr must be an integer or 1-tuple."),
    (dict(F=100), ValueError, "The support F of the low-pass filter cannot exceed input length "
                              "(got 100 > 56). For large averaging size, consider passing "
                              "F='global'."),
    (dict(F=0.5), ValueError, "F must be ==0 or >=1 (got 0.5)"),
    (dict(F=4.0), TypeError, "F must be None, 0, 'global' or an integer"),
    (dict(J_fr=3, F=16), ValueError, "must divide the padded frequency length N_fr = 120"),
    (dict(F=0, format="joint"), ValueError, "Cannot convert to format='joint' with "
                                            "out_type='array' and F=0."),
    (dict(format="tf"), ValueError, "format must be 'time' or 'joint'. Got: tf"),
    (dict(stride_fr=3), ValueError, "stride_fr must be a power of two. Got: 3"),
    (dict(stride_fr=2.0), ValueError, "stride_fr must be integer. Got: 2.0"),
    (dict(F=0, stride_fr=2), ValueError, "stride_fr=2 is incompatible with F=0."),
    (dict(T=0), ValueError, "Cannot convert to out_type='array' with T=0."),
    (dict(T="global", stride=4), ValueError, "stride=4 is incompatible with T=global."),
    (dict(stride=1), ValueError, "stride >= 2**max(j2) = 16"),
    (dict(F="global", format="joint"), ValueError, "the same number of frequency rows"),
    (dict(J_fr=3, stride_fr=16), ValueError, "stride_fr=16 must divide"),
    (dict(J_fr=5, stride_fr=2), ValueError, "stride_fr=2 and F=32 are incompatible"),
])
def test_errors(kwargs, exc, message):
    params = dict(dict(J=6, J_fr=2, Q=8, shape=1024), **kwargs)
    with pytest.raises(exc) as info:
        TFS(**params, backend="numpy")(np.zeros(1024))
    assert message in str(info.value)


def test_no_oversampling_or_max_order():
    with pytest.raises(TypeError):
        TFS(6, 2, 8, 1024, oversampling=1)
    with pytest.raises(TypeError):
        TFS(6, 2, 8, 1024, max_order=1)
