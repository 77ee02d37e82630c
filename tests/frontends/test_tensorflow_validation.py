"""numbascat.tensorflow: bad and unusual inputs (issue 9); the shared cases are in input_cases.py.

Numpy inputs follow the numpy frontend's policy; TF's own dtypes the same policy.
"""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from input_cases import (  # noqa: E402
    CONFIGS,
    NUMPY_LAYOUTS,
    NUMPY_REFUSED,
    FrontendInputChecks,
    assert_close,
    reference,
)

import numbascat.tensorflow  # noqa: E402


class TestTensorFlowFrontendInputs(FrontendInputChecks):
    module = numbascat.tensorflow
    backends = ("tensorflow",)
    refused = NUMPY_REFUSED + [
        ("complex64 tensor", lambda s: tf.ones(s, tf.complex64), TypeError,
         ["x must be real-valued", "complex64", "tf.math.real"]),
        ("string tensor", lambda s: tf.fill(s, "a"), TypeError,
         ["x must be a real numeric tensor", "string"]),
    ]
    layouts = NUMPY_LAYOUTS + [
        ("transposed tensor", lambda x: tf.transpose(tf.constant(np.swapaxes(x, 0, -1)),
                                                     [x.ndim - 1, *range(1, x.ndim - 1), 0])),
        ("variable", lambda x: tf.Variable(x)),
    ]

    def native(self, x):
        return tf.constant(x)

    def to_numpy(self, y):
        return y.numpy()


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_bfloat16_tensor_is_computed_in_float32(dim):
    cls, kwargs, shape = CONFIGS[dim]
    S = getattr(numbascat.tensorflow, cls)(**kwargs)
    low = tf.cast(np.random.default_rng(dim).standard_normal((2,) + shape), tf.bfloat16)
    out = S(low)
    assert out.dtype == tf.float32
    assert_close(out.numpy(), reference(dim, tf.cast(low, tf.float64).numpy()), "bfloat16")
