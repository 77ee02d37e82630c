"""numbascat.keras: bad and unusual inputs (issue 9), on the active Keras backend.

Keras layers take a batch axis and compute in the layer's compute dtype (float32 by default):
every accepted input dtype, integers and booleans included, gives float32. Bad numpy inputs
raise the numpy frontend's errors; wrong shapes raise at build (Keras's ``ValueError``) or, once
built, the transform's own error.
"""
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from input_cases import (  # noqa: E402
    ACCEPTED,
    CONFIGS,
    NUMPY_LAYOUTS,
    NUMPY_REFUSED,
    assert_close,
    assert_raises,
    reference,
    signals,
)

import numbascat.keras  # noqa: E402

DIMS = [1, 2]
SIGNAL = {1: (64,), 2: (8, 8)}


def layer(dim, **extra):
    cls, kwargs, _ = CONFIGS[dim]
    kwargs = {k: v for k, v in kwargs.items() if k != "shape"}
    return getattr(numbascat.keras, cls)(**{**kwargs, **extra})


def built(dim):
    lay = layer(dim)
    lay(np.zeros((1,) + SIGNAL[dim], np.float32))
    return lay


@pytest.mark.parametrize("dim", DIMS)
def test_shape_errors_at_build_and_after(dim):
    shape = SIGNAL[dim]
    for bad in [(), shape, (None,) + shape[:-1] + (None,)]:
        assert_raises(ValueError, ["needs inputs", f"got input_shape {bad}"],
                      lambda bad=bad: layer(dim).build(bad), bad)
    wrong = (2,) + shape[:-1] + (shape[-1] + 1,)
    assert_raises(RuntimeError, [str(wrong)], lambda: built(dim)(np.zeros(wrong, np.float32)),
                  wrong)


@pytest.mark.parametrize("dim", DIMS)
def test_invalid_parameters_raise_at_build_naming_them(dim):
    x = np.zeros((1,) + SIGNAL[dim], np.float32)
    assert_raises(TypeError, ["J must be an integer", "'a'"], lambda: layer(dim, J="a")(x))
    assert_raises(ValueError, ["max_order", "3"], lambda: layer(dim, max_order=3)(x))


@pytest.mark.parametrize("dim", DIMS)
def test_refused_inputs_raise_naming_the_dtype(dim):
    lay = built(dim)
    for label, make, exc, fragments in NUMPY_REFUSED:
        if label == "None":
            continue  # Keras's own "no input" error
        assert_raises(exc, fragments, lambda make=make: lay(make((2,) + SIGNAL[dim])), label)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        assert_raises(TypeError, ["real-valued", "complex64"],
                      lambda: lay(tf.ones((2,) + SIGNAL[dim], tf.complex64)))


@pytest.mark.parametrize("dim", DIMS)
def test_every_accepted_dtype_gives_the_compute_dtype(dim):
    lay = built(dim)
    values = np.random.default_rng(dim).integers(-3, 4, (2,) + SIGNAL[dim])
    for dtype in ACCEPTED:
        x = ((values > 0) if dtype is np.bool_ else np.abs(values)).astype(dtype)
        out = keras.ops.convert_to_numpy(lay(x))
        assert out.dtype == np.float32, dtype
        assert_close(out, reference(dim, x.astype(np.float64)), np.dtype(dtype).name)
        native = keras.ops.convert_to_tensor(x)  # a backend tensor of that dtype
        assert keras.ops.convert_to_numpy(lay(native)).dtype == np.float32, dtype


@pytest.mark.parametrize("dim", DIMS)
def test_empty_batch_layouts_and_nan(dim):
    lay = built(dim)
    empty = keras.ops.convert_to_numpy(lay(np.zeros((0,) + SIGNAL[dim], np.float32)))
    assert empty.shape == reference(dim, np.zeros((0,) + SIGNAL[dim])).shape
    x = signals(SIGNAL[dim], seed=dim, batch=(3,)).astype(np.float32)
    want = reference(dim, x)
    for label, make in NUMPY_LAYOUTS:
        if label == "list":
            continue  # Keras reads a list as several inputs
        assert_close(keras.ops.convert_to_numpy(lay(make(x))), want, label)
    x[1, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = keras.ops.convert_to_numpy(lay(x))
    assert not np.isfinite(out[1]).any() and np.isfinite(out[[0, 2]]).all()
    assert_close(out[[0, 2]], want[[0, 2]], "NaN neighbours")
