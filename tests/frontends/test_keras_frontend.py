"""numbascat.keras: layers built from the input shape, in Models, saved and reloaded."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from frontend_refdata import assert_parity, reference  # noqa: E402

import numbascat  # noqa: E402
from numbascat import numpy as np_frontend  # noqa: E402
from numbascat.keras import Scattering1D, Scattering2D  # noqa: E402


def test_shape_inferred_at_build():
    out = Scattering2D(J=3)(keras.Input(shape=(28, 28)))
    assert tuple(out.shape) == (None, 1 + 8 * 3 + 64 * 3, 3, 3)
    layer = Scattering1D(J=3, Q=2)
    out = layer(keras.Input(shape=(128,)))
    ref = np_frontend.Scattering1D(3, 128, Q=2)
    assert tuple(out.shape) == (None,) + ref(np.zeros((1, 128), np.float32)).shape[1:]
    assert layer.output_size() == ref.output_size()
    with pytest.raises(RuntimeError, match="not built"):
        Scattering2D(J=2).meta()


@pytest.mark.parametrize("dim", [1, 2])
def test_parity_in_a_model(dim):
    ref = reference(dim)
    x = ref["x"]
    if dim == 1:
        layer = Scattering1D(J=int(ref["J"]), Q=int(ref["Q"]))
    else:
        layer = Scattering2D(J=int(ref["J"]))
    inputs = keras.Input(shape=x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    assert_parity(dim, ref, model.predict(x, verbose=0))


def test_save_and_load_model(tmp_path):
    x = np.random.default_rng(0).standard_normal((4, 12, 16)).astype(np.float32)
    inputs = keras.Input(shape=(12, 16))
    h = Scattering2D(J=2, L=4, max_order=1, name="scat")(inputs)
    outputs = keras.layers.Dense(3)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    before = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.get_layer("scat")
    assert type(layer) is Scattering2D
    assert {k: layer.get_config()[k] for k in ("J", "L", "max_order", "pre_pad")} == {
        "J": 2, "L": 4, "max_order": 1, "pre_pad": False}
    assert layer.output_size() == 1 + 4 * 2
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6, atol=1e-6)


def test_config_round_trip_1d():
    layer = Scattering1D(J=3, Q=(2, 1), T=4, oversampling=1)
    twin = Scattering1D.from_config(layer.get_config())
    assert (twin.J, twin.Q, twin.T, twin.oversampling) == (3, (2, 1), 4, 1)


def test_trains_in_a_model():
    rng = np.random.default_rng(1)
    inputs = keras.Input(shape=(16, 16))
    h = keras.layers.Flatten()(Scattering2D(J=2, L=2)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(h))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(rng.standard_normal((8, 16, 16)).astype("float32"),
                        rng.integers(0, 2, 8), batch_size=3, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_dynamic_entry_and_missing_package(monkeypatch):
    layer = numbascat.Scattering2D(J=2, frontend="keras")
    assert type(layer) is Scattering2D and isinstance(layer, numbascat.Scattering2D)
    with pytest.raises(ValueError, match="pre_pad"):
        Scattering2D(J=2, pre_pad=True)(keras.Input(shape=(8, 8)))
    monkeypatch.setitem(sys.modules, "keras", None)  # as if Keras were not installed
    monkeypatch.delitem(sys.modules, "numbascat.frontends.keras")
    with pytest.raises(ImportError, match=r"needs the package 'keras'.*numbascat\[tensorflow\]"):
        numbascat.Scattering2D(J=2, frontend="keras")


@pytest.mark.parametrize("keras_backend", ["jax"])
def test_other_keras_backend_in_subprocess(keras_backend, tmp_path):
    """The same layer on another Keras backend (chosen at import, hence a subprocess)."""
    pytest.importorskip(keras_backend)
    script = textwrap.dedent("""
        import numpy as np, keras
        from numbascat.keras import Scattering2D
        from numbascat.numpy import Scattering2D as Ref
        x = np.random.default_rng(0).standard_normal((2, 12, 16)).astype("float32")
        inputs = keras.Input(shape=(12, 16))
        model = keras.Model(inputs, Scattering2D(J=2, L=2)(inputs))
        out = model.predict(x, verbose=0)
        err = np.abs(out - Ref(2, (12, 16), L=2, backend="numpy")(x)).max()
        model.save({path!r})
        again = keras.models.load_model({path!r}).predict(x, verbose=0)
        print(keras.backend.backend(), err, np.abs(again - out).max())
    """).format(path=str(tmp_path / "m.keras"))
    env = dict(os.environ, KERAS_BACKEND=keras_backend)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    name, err, reload_err = proc.stdout.split()[-3:]
    assert name == keras_backend and float(err) < 1e-5 and float(reload_err) == 0
