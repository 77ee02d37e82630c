"""The shared transform machinery: batch flattening, empty batches, chunked batches."""
import numpy as np
import pytest

from numbascat.numpy import Scattering2D


@pytest.fixture
def S():
    return Scattering2D(2, (16, 16), L=2, backend="numpy")


@pytest.mark.parametrize("batch_size", [1, 3, 4, 100])
def test_chunked_batches_equal_one_pass(S, batch_size):
    x = np.random.default_rng(0).standard_normal((3, 5, 16, 16)).astype(np.float32)
    ref = S(x)
    S.batch_size = batch_size
    np.testing.assert_array_equal(S(x), ref)
    S.out_type = "list"
    out = S(x)
    assert len(out) == ref.shape[-3]
    for c, entry in enumerate(out):
        np.testing.assert_array_equal(entry["coef"], ref[..., c, :, :])
    assert out[3]["n"] == (2,) and out[3]["j"] == (1,)


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "10"])
def test_bad_batch_size(S, bad):
    S.batch_size = bad
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        S(np.zeros((2, 16, 16)))


def test_prepared_filters_are_reused_per_dtype(S):
    x = np.zeros((16, 16), np.float32)
    S(x)
    first = S.prepared_filters(np.float32)
    S(x)
    assert S.prepared_filters(np.float32) is first
    assert S.prepared_filters(np.float64) is not first
