"""numbascat.jax: bad and unusual inputs (issue 9); the shared cases are in input_cases.py.

Numpy inputs follow the numpy frontend's policy, then jax's: without ``jax_enable_x64`` the
computation (and output) is float32 whatever the input precision.
"""
import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
from input_cases import (  # noqa: E402
    ACCEPTED,
    CONFIGS,
    NUMPY_LAYOUTS,
    NUMPY_REFUSED,
    FrontendInputChecks,
    assert_close,
    reference,
)

import numbascat.jax  # noqa: E402


class TestJaxFrontendInputs(FrontendInputChecks):
    module = numbascat.jax
    backends = ("jax",)
    refused = NUMPY_REFUSED + [
        ("complex64 jax array", lambda s: jnp.ones(s, jnp.complex64), TypeError,
         ["x must be real-valued", "complex64"]),
    ]
    layouts = NUMPY_LAYOUTS + [
        ("transposed jax array", lambda x: jnp.swapaxes(jnp.asarray(np.swapaxes(x, 0, -1)),
                                                        0, -1)),
    ]

    def native(self, x):
        return jnp.asarray(x)

    def expected_dtype(self, dtype):
        # jax's float type for the numpy policy's choice (float32 unless x64 is enabled).
        return np.dtype(jnp.asarray(np.zeros(0, ACCEPTED[np.dtype(dtype).type])).dtype)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_bfloat16_and_jit(dim):
    cls, kwargs, shape = CONFIGS[dim]
    S = getattr(numbascat.jax, cls)(**kwargs)
    low = jnp.asarray(np.random.default_rng(dim).standard_normal((2,) + shape), jnp.bfloat16)
    out = S(low)
    assert out.dtype == jnp.float32
    ref = reference(dim, np.asarray(low.astype(jnp.float32), np.float64))
    assert_close(out, ref, "bfloat16")
    # The same checks hold when the call is traced by jax.jit.
    with pytest.raises(RuntimeError, match=r"got input of shape"):
        jax.jit(S)(jnp.zeros((2,) + tuple(n + 1 for n in shape)))
    assert jax.jit(S)(jnp.zeros((0,) + shape)).shape[0] == 0
