"""numbascat.jax and the ``jax`` backend: parity, jax.jit, jax.grad, vmap, pytree use."""
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
from frontend_refdata import assert_parity, reference, transform_args  # noqa: E402

import numbascat  # noqa: E402
from numbascat import numpy as np_frontend  # noqa: E402
from numbascat.jax import HarmonicScattering3D, Scattering1D, Scattering2D  # noqa: E402

CLASSES = {1: Scattering1D, 2: Scattering2D, 3: HarmonicScattering3D}
SMALL2D = dict(J=2, shape=(12, 16), L=2)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_parity_with_kymatio_reference_under_jit(dim):
    ref = reference(dim)
    args, kwargs = transform_args(dim, ref)
    S = CLASSES[dim](*args, **kwargs)
    assert S.backend.name == "jax"
    out = jax.jit(lambda x: S(x))(jnp.asarray(ref["x"]))
    assert isinstance(out, jax.Array)
    assert_parity(dim, ref, out)


def test_eager_call_equals_jit_and_numpy_frontend():
    x = np.random.default_rng(0).standard_normal((2, 12, 16)).astype(np.float32)
    S = Scattering2D(**SMALL2D)
    eager = np.asarray(S(x))
    np.testing.assert_allclose(eager, np.asarray(jax.jit(S)(x)), rtol=1e-6, atol=1e-7)
    ref = np_frontend.Scattering2D(**SMALL2D, backend="numpy")(x)
    np.testing.assert_allclose(eager, ref, rtol=1e-5, atol=1e-6)
    assert S(jnp.asarray(x, jnp.float16)).dtype == jnp.float32
    with pytest.raises(TypeError, match="real-valued"):
        S(jnp.asarray(x) + 1j)
    with pytest.raises(RuntimeError, match="spatial size"):
        S(np.zeros((2, 12, 15), np.float32))


def test_list_output_and_batch_shapes():
    x = np.random.default_rng(1).standard_normal((2, 3, 12, 16)).astype(np.float32)
    out = Scattering2D(**SMALL2D, out_type="list")(x)
    ref = np.asarray(Scattering2D(**SMALL2D)(x))
    assert ref.shape == (2, 3, 9, 3, 4) and len(out) == 9
    for c, entry in enumerate(out):
        np.testing.assert_allclose(np.asarray(entry["coef"]), ref[:, :, c], rtol=1e-5,
                                   atol=1e-6)
        assert isinstance(entry["n"], tuple)
    assert Scattering2D(**SMALL2D)(np.zeros((0, 12, 16), np.float32)).shape == (0, 9, 3, 4)


def test_grad_matches_finite_differences():
    # float32 central differences are noisy: compare a directional derivative at 1e-2.
    rng = np.random.default_rng(2)
    S = Scattering2D(**SMALL2D)
    x = jnp.asarray(rng.standard_normal((12, 16)), jnp.float32)
    v = jnp.asarray(rng.standard_normal((12, 16)), jnp.float32)

    def f(y):
        return jnp.sum(S(y) ** 2)

    g = jax.jit(jax.grad(f))(x)
    assert bool(jnp.isfinite(g).all())
    eps = 1e-2
    numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(float(jnp.vdot(g, v)), float(numeric), rtol=2e-3)
    # jvp (forward mode) agrees with grad (reverse mode).
    _, tangent = jax.jvp(f, (x,), (v,))
    np.testing.assert_allclose(float(tangent), float(jnp.vdot(g, v)), rtol=1e-4)


@pytest.mark.parametrize("dim", [1, 3])
def test_grad_1d_3d_and_at_zero(dim):
    S = Scattering1D(3, 128, Q=2) if dim == 1 else HarmonicScattering3D(1, (8, 8, 8), L=1)
    shape = (2,) + tuple(np.atleast_1d(S.shape))
    grad = jax.jit(jax.grad(lambda y: jnp.sum(S(y))))
    x = jnp.asarray(np.random.default_rng(4).standard_normal(shape), jnp.float32)
    for y in (x, jnp.zeros(shape, jnp.float32)):  # at zero the modulus has a kink
        g = grad(y)
        assert g.shape == shape and bool(jnp.isfinite(g).all())
    assert float(jnp.abs(grad(x)).max()) > 0


def test_vmap_and_transform_as_jit_argument():
    x = np.random.default_rng(3).standard_normal((4, 12, 16)).astype(np.float32)
    S = Scattering2D(**SMALL2D)
    batched = np.asarray(S(x))
    np.testing.assert_allclose(np.asarray(jax.vmap(S)(x)), batched, rtol=1e-6, atol=1e-7)
    # A transform is a pytree with no leaves: it can be an argument of a jitted function.
    assert jax.tree_util.tree_leaves(S) == []
    out = jax.jit(lambda s, y: s(y))(S, x)
    np.testing.assert_allclose(np.asarray(out), batched, rtol=1e-6, atol=1e-7)


def test_dynamic_entry_and_missing_package(monkeypatch):
    S = numbascat.Scattering2D(**SMALL2D, frontend="jax")
    assert type(S) is Scattering2D and isinstance(S, numbascat.Scattering2D)
    monkeypatch.setitem(sys.modules, "jax", None)  # as if jax were not installed
    monkeypatch.delitem(sys.modules, "numbascat.frontends.jax")
    with pytest.raises(ImportError, match=r"pip install 'numbascat\[jax\]'"):
        numbascat.Scattering2D(**SMALL2D, frontend="jax")


def test_backend_conformance_float32():
    from numbascat.testing import check_backend

    # End to end is covered by the parity tests above. The ops are generic over the number of
    # axes; eager jax dispatch is slow, so float32 is checked in 3D (the ops the 3D transform
    # adds included) and float64 in 2D below.
    report = check_backend("jax", dims=(3,), dtypes=(np.float32,), end_to_end=False)
    assert report["ops"] == [(3, "float32")]


def test_float64_with_x64_enabled():
    from numbascat.testing import check_backend

    x = np.random.default_rng(5).standard_normal((2, 12, 16))
    with jax.enable_x64(True):
        check_backend("jax", dims=(2,), dtypes=(np.float64,), end_to_end=False)
        out = Scattering2D(**SMALL2D)(x)
        assert out.dtype == jnp.float64
        ref = np_frontend.Scattering2D(**SMALL2D, backend="numpy")(x)
        np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-10, atol=1e-12)
