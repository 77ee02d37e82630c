"""The ``tensorflow`` backend plugin: periodisation with an unknown batch axis (Keras graphs)."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from numbascat.registry import get_backend  # noqa: E402


@pytest.mark.parametrize("k", [(2, 4), (1, 8), (4, 1), (3, 2)])
def test_subsample_unknown_batch_matches_numpy(k):
    backend = get_backend("tensorflow")
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((5, 3, 24, 16)) + 1j * rng.standard_normal((5, 3, 24, 16)))
    x = x.astype(np.complex64)
    f = tf.function(lambda v: backend.subsample(v, k),
                    input_signature=[tf.TensorSpec((None, 3, 24, 16), tf.complex64)])
    got = f(tf.constant(x)).numpy()
    want = x.reshape(5, 3, k[0], 24 // k[0], k[1], 16 // k[1]).mean(axis=(2, 4))
    assert got.shape == (5, 3, 24 // k[0], 16 // k[1]) and got.dtype == np.complex64
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
