"""HarmonicScattering3D side by side with Kymatio 0.3.0 (its own interpreter, see tests/peer.py)."""
import numpy as np
import pytest
from peer import requires_kymatio, run_kymatio

from numbascat.numpy import HarmonicScattering3D
from numbascat.scattering3d.filter_bank import filter_name

pytestmark = [requires_kymatio, pytest.mark.peer]

# (params, batch shape): odd and non-cubic grids, both modulus modes, both orders, J = 0.
CONFIGS = [
    ({"J": 2, "shape": (16, 16, 16), "L": 2}, (2,)),
    ({"J": 1, "shape": (9, 7, 11), "L": 3, "sigma_0": 1.5}, (2,)),
    ({"J": 2, "shape": (12, 10, 8), "L": 1, "sigma_0": 0.8, "rotation_covariant": False}, (3,)),
    ({"J": 0, "shape": (8, 8, 8), "L": 0}, (2,)),
    ({"J": 3, "shape": (16, 12, 10), "L": 2, "max_order": 1, "integral_powers": (1.0, 2.0, 3.0)},
     (1,)),
    ({"J": 1, "shape": (5, 6, 7), "L": 4, "sigma_0": 2.0, "rotation_covariant": False,
      "integral_powers": (0.5, 1.5)}, (2,)),
    ({"J": 2, "shape": (10, 10, 10), "L": 3, "sigma_0": 1.2}, (2, 3)),
]


def rel_sum(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).sum() / max(np.abs(a).sum(), np.abs(b).sum())


@pytest.fixture(scope="module")
def peer_results():
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal(batch + params["shape"]).astype(np.float32)
              for params, batch in CONFIGS]
    jobs = [{"cls": "HarmonicScattering3D", "params": params, "x": x, "attrs": ["filters"]}
            for (params, _), x in zip(CONFIGS, inputs, strict=True)]
    return inputs, run_kymatio(jobs)


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_output_matches_kymatio(peer_results, index):
    inputs, results = peer_results
    params, batch = CONFIGS[index]
    res = results[index]
    assert "error" not in res, res.get("error")
    S = HarmonicScattering3D(**params, backend="numpy")
    x = inputs[index]
    ref = res["output"]
    out = S(x)
    assert out.shape == ref.shape == batch + S.output_shape
    assert out.dtype == np.float32
    assert rel_sum(out, ref) < 1e-6
    assert np.abs(out - ref).max() <= 1e-5 * np.abs(ref).max()
    # float64 input: float64 output, same numbers to float32 precision.
    out64 = S(x.astype(np.float64))
    assert out64.dtype == np.float64
    assert rel_sum(out64, ref) < 1e-6


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_filters_are_bit_identical(peer_results, index):
    _, results = peer_results
    params, _ = CONFIGS[index]
    theirs = results[index]["attrs"]["filters"]
    S = HarmonicScattering3D(**params, backend="numpy")
    assert len(theirs) == S.L + 1
    for l, stack in enumerate(theirs):
        assert stack.shape == (S.J + 1, 2 * l + 1) + S.shape
        for j in range(S.J + 1):
            mine = S.filters[filter_name(l, j)]
            assert mine.dtype == stack.dtype == np.complex64
            np.testing.assert_array_equal(mine, stack[j])
