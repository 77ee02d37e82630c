"""numbascat.tensorflow and the ``tensorflow`` backend: parity, GradientTape, tf.function."""
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from frontend_refdata import assert_parity, reference, transform_args  # noqa: E402

import numbascat  # noqa: E402
from numbascat import numpy as np_frontend  # noqa: E402
from numbascat.tensorflow import HarmonicScattering3D, Scattering1D, Scattering2D  # noqa: E402

CLASSES = {1: Scattering1D, 2: Scattering2D, 3: HarmonicScattering3D}


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_parity_with_kymatio_reference(dim):
    ref = reference(dim)
    args, kwargs = transform_args(dim, ref)
    S = CLASSES[dim](*args, **kwargs)
    assert S.backend.name == "tensorflow" and isinstance(S, tf.Module)
    out = S(tf.constant(ref["x"]))
    assert isinstance(out, tf.Tensor)
    assert_parity(dim, ref, out.numpy())
    if dim == 3:
        n0 = len(ref["integral_powers"])
        order0 = S.order0(tf.constant(ref["x"])).numpy()
        np.testing.assert_allclose(order0, ref["Sx"][:, :n0], rtol=1e-5)


def _small2d(**kw):
    return dict(J=2, shape=(12, 16), L=2, **kw)


def test_matches_numpy_frontend_in_float64_and_keeps_dtypes():
    x = np.random.default_rng(0).standard_normal((2, 12, 16))
    S = Scattering2D(**_small2d())
    ref = np_frontend.Scattering2D(**_small2d(), backend="numpy")(x)
    out = S(x)
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    assert S(tf.constant(x, tf.float32)).dtype == tf.float32
    assert S(tf.constant(x, tf.float16)).dtype == tf.float32
    assert S(tf.constant(x > 0)).dtype == tf.float64
    with pytest.raises(TypeError, match="real-valued"):
        S(tf.complex(tf.constant(x), tf.constant(x)))
    with pytest.raises(RuntimeError, match="spatial size"):
        S(tf.zeros((2, 12, 15)))
    empty = S(tf.zeros((0, 3, 12, 16)))
    assert empty.shape == (0, 3, 1 + 2 * 2 + 4, 3, 4)


def test_list_output_and_batch_shapes():
    x = np.random.default_rng(1).standard_normal((2, 3, 12, 16)).astype(np.float32)
    S = Scattering2D(**_small2d(), out_type="list")
    out = S(x)
    ref = Scattering2D(**_small2d())(x).numpy()
    assert len(out) == ref.shape[2]
    for c, entry in enumerate(out):
        np.testing.assert_array_equal(entry["coef"].numpy(), ref[:, :, c])


def _directional_check(S, x, v, eps=1e-6):
    """Tape gradient . v against a central difference of sum(S(x) ** 2)."""
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(S(x) ** 2)
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all()

    def f(y):
        return float(tf.reduce_sum(S(tf.constant(y)) ** 2))

    numeric = (f(x.numpy() + eps * v) - f(x.numpy() - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.sum(grad * v), numeric, rtol=1e-6)


def test_gradient_tape_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 12, 16))
    _directional_check(Scattering2D(**_small2d()), x, rng.standard_normal(x.shape))


@pytest.mark.parametrize("dim", [1, 3])
def test_gradient_tape_1d_3d(dim):
    rng = np.random.default_rng(3)
    S = Scattering1D(3, 128, Q=2) if dim == 1 else HarmonicScattering3D(1, (8, 8, 8), L=1)
    x = rng.standard_normal((2,) + tuple(np.atleast_1d(S.shape)))
    _directional_check(S, x, rng.standard_normal(x.shape))


def test_modulus_gradient_is_finite_at_zero():
    for S in (Scattering2D(**_small2d()), HarmonicScattering3D(1, (8, 8, 8), L=1)):
        x = tf.Variable(tf.zeros((1,) + tuple(S.shape), tf.float32))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(S(x))
        assert np.isfinite(tape.gradient(loss, x).numpy()).all()


def test_tf_function_with_unknown_batch_axes():
    S = Scattering2D(**_small2d())
    x = np.random.default_rng(4).standard_normal((2, 3, 12, 16)).astype(np.float32)
    eager = S(x).numpy()
    graph = tf.function(S, input_signature=[tf.TensorSpec((None, None, 12, 16), tf.float32)])
    out = graph(x)
    np.testing.assert_allclose(out.numpy(), eager, rtol=1e-6, atol=1e-7)
    assert graph(x[:1, :2]).shape == (1, 2) + eager.shape[2:]
    traced = graph.get_concrete_function().structured_outputs
    assert traced.shape.as_list() == [None, None] + list(eager.shape[2:])


def test_tf_function_gradient_and_1d_3d():
    S1, S3 = Scattering1D(3, 128, Q=2), HarmonicScattering3D(1, (8, 8, 8), L=1)
    rng = np.random.default_rng(5)
    for S in (S1, S3):
        x = rng.standard_normal((3,) + tuple(np.atleast_1d(S.shape))).astype(np.float32)
        spec = tf.TensorSpec((None,) + x.shape[1:], tf.float32)

        @tf.function(input_signature=[spec])
        def step(x, S=S):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = S(x)
                loss = tf.reduce_sum(y)
            return y, tape.gradient(loss, x)

        y, g = step(x)
        np.testing.assert_allclose(y.numpy(), S(x).numpy(), rtol=1e-5, atol=1e-6)
        assert g.shape == x.shape and np.isfinite(g.numpy()).all()


@pytest.mark.skipif(not tf.config.list_physical_devices("GPU"), reason="TensorFlow sees no GPU")
def test_runs_on_gpu():
    S = Scattering2D(**_small2d())
    x = np.random.default_rng(6).standard_normal((2, 12, 16)).astype(np.float32)
    with tf.device("GPU:0"):
        out = S(tf.constant(x))
    assert "GPU" in out.device
    np.testing.assert_allclose(out.numpy(), np_frontend.Scattering2D(**_small2d())(x),
                               rtol=1e-4, atol=1e-5)


def test_backend_conformance():
    from numbascat.testing import check_backend

    report = check_backend("tensorflow")  # every op, 1D/2D/3D, float32 and float64
    assert len(report["ops"]) == 6 and report["transforms"] == [1, 2, 3]


def test_dynamic_entry_and_missing_package(monkeypatch):
    S = numbascat.Scattering2D(**_small2d(), frontend="tensorflow")
    assert type(S) is Scattering2D and isinstance(S, numbascat.Scattering2D)
    with pytest.raises(RuntimeError, match="not valid"):
        numbascat.Scattering2D(**_small2d(), frontend="tensorflw")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # as if TF were not installed
    monkeypatch.delitem(sys.modules, "numbascat.frontends.tensorflow")
    with pytest.raises(ImportError, match=r"pip install 'numbascat\[tensorflow\]'"):
        numbascat.Scattering2D(**_small2d(), frontend="tensorflow")
