"""The Keras 3 frontend: scattering layers whose signal shape is read at build time.

``Scattering2D(J=3)(keras.Input(shape=(28, 28)))`` gives a symbolic tensor
``(None, C, 28 // 8, 28 // 8)``; ``Scattering1D(J=6, Q=8)`` takes inputs ``(batch, N)``. The layer
has no weights; ``build(input_shape)`` creates the inner transform of the frontend matching the
Keras backend (``tensorflow`` -> :mod:`numbascat.frontends.tensorflow`, ``jax`` ->
:mod:`numbascat.frontends.jax`, ``torch`` -> :mod:`numbascat.frontends.torch`, ``numpy`` ->
:mod:`numbascat.frontends.numpy`, not differentiable), and ``call`` applies it. Gradients flow
to the input on the tensorflow, jax and torch Keras backends.

Layers are registered as Keras serializables (package ``numbascat``): ``model.save('m.keras')``
and ``keras.models.load_model('m.keras')`` round-trip them (``get_config`` holds the
constructor arguments, Keras's build config the input shape).

Keras casts inputs to the layer's compute dtype (float32 by default); the output has that dtype.
Integer and boolean inputs are cast to it too; numpy inputs follow the numpy frontend's policy
first (complex, object and string arrays raise ``TypeError``; big-endian and non-contiguous
arrays are converted).
"""
from __future__ import annotations

import importlib
from typing import Any, ClassVar

import keras
import numpy as np

from numbascat.frontends.numpy import as_real_array
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase

__all__ = ["KerasFrontend", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]

#: Keras backend -> numbascat frontend module computing on that backend's tensors.
KERAS_BACKENDS = {
    "tensorflow": "numbascat.frontends.tensorflow",
    "jax": "numbascat.frontends.jax",
    "torch": "numbascat.frontends.torch",
    "numpy": "numbascat.frontends.numpy",
}


def inner_frontend_module():
    """The numbascat frontend module for the active Keras backend."""
    name = keras.backend.backend()
    if name not in KERAS_BACKENDS:
        raise RuntimeError(f"numbascat's Keras layers support the Keras backends "
                           f"{', '.join(KERAS_BACKENDS)}; the active one is {name!r}")
    return importlib.import_module(KERAS_BACKENDS[name])


class KerasFrontend(keras.layers.Layer):
    """Mixin: a weightless Keras layer wrapping a transform built in :meth:`build`.

    Subclasses set :attr:`config_keys` (their constructor arguments, saved by ``get_config``)
    and :meth:`_transform_kwargs`.
    """

    frontend_name = "keras"
    config_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def array_kind(self) -> str:
        return keras.backend.backend()

    def _transform_kwargs(self, signal_shape: tuple[int, ...]) -> dict[str, Any]:
        raise NotImplementedError

    def build(self, input_shape):
        d = self.signal_ndim
        input_shape = tuple(input_shape)
        if len(input_shape) < d + 1 or any(n is None for n in input_shape[-d:]):
            raise ValueError(f"{type(self).__name__} needs inputs (batch, ..., {d} signal axes) "
                             f"with known signal axes; got input_shape {input_shape}")
        cls = getattr(inner_frontend_module(), type(self).__name__)
        #: The inner transform (of the Keras backend's frontend) doing the work.
        self.scattering_transform = cls(**self._transform_kwargs(tuple(input_shape[-d:])))
        super().build(input_shape)

    def __call__(self, *args, **kwargs):
        # Keras's own conversion of numpy inputs fails vaguely on object/string arrays: apply
        # the numpy frontend's input policy first, so errors name x and its dtype.
        if args and isinstance(args[0], np.ndarray):
            args = (as_real_array(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def call(self, x):
        dtype = keras.backend.standardize_dtype(x.dtype)
        if keras.backend.is_int_dtype(dtype) or dtype == "bool":
            # Keras autocasts floating inputs only: integers and booleans take the compute
            # dtype too, so the output dtype is the layer's whatever the input.
            x = keras.ops.cast(x, self.compute_dtype)
        return self.scattering_transform(x)

    def compute_output_shape(self, input_shape):
        # Shapes come from a numpy-backend twin run on an empty batch (cheap), so Keras never
        # traces the transform symbolically (the jax Keras backend uses symbolic batch sizes).
        d = self.signal_ndim
        input_shape = tuple(input_shape)
        signal = tuple(int(n) for n in input_shape[-d:])
        cached = self.__dict__.get("_output_tail")
        if cached is None or cached[0] != signal:
            from numbascat.frontends import numpy as numpy_frontend

            twin = getattr(numpy_frontend, type(self).__name__)(
                **self._transform_kwargs(signal), backend="numpy")
            tail = twin(np.zeros((0,) + signal, dtype=np.float32)).shape[1:]
            cached = (signal, tuple(int(n) for n in tail))
            self.__dict__["_output_tail"] = cached
        return input_shape[:-d] + cached[1]

    def _built_transform(self):
        if not self.built:
            raise RuntimeError(f"{type(self).__name__} is not built yet: call it on an input "
                               f"(or call build(input_shape)) first")
        return self.scattering_transform

    def meta(self) -> dict:
        """The inner transform's ``meta()`` (after build)."""
        return self._built_transform().meta()

    def output_size(self, *args, **kwargs):
        """The inner transform's ``output_size()`` (after build)."""
        return self._built_transform().output_size(*args, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({key: getattr(self, key) for key in self.config_keys})
        return config


@keras.saving.register_keras_serializable(package="numbascat")
class Scattering2D(KerasFrontend, Scattering2DBase):
    """2D scattering layer: ``(batch, ..., M, N)`` -> ``(batch, ..., C, M/2^J, N/2^J)``.

    Parameters as :class:`numbascat.numpy.Scattering2D` without ``shape`` (read at build),
    plus Keras layer keywords (``name``, ``dtype``, ...).
    """

    config_keys = ("J", "L", "max_order", "pre_pad")

    def __init__(self, J, L=8, max_order=2, pre_pad=False, **kwargs):
        KerasFrontend.__init__(self, **kwargs)
        self.J, self.L, self.max_order, self.pre_pad = J, L, max_order, pre_pad

    def _transform_kwargs(self, signal_shape):
        if self.pre_pad:
            raise ValueError("pre_pad=True is not supported by the Keras layer: the input shape "
                             "would be the padded shape, not the signal shape")
        return {"J": self.J, "shape": signal_shape, "L": self.L, "max_order": self.max_order}


@keras.saving.register_keras_serializable(package="numbascat")
class Scattering1D(KerasFrontend, Scattering1DBase):
    """1D scattering layer: ``(batch, ..., N)`` -> ``(batch, ..., C, N_out)``.

    Parameters as :class:`numbascat.numpy.Scattering1D` without ``shape`` (read at build).
    """

    config_keys = ("J", "Q", "T", "max_order", "oversampling")

    def __init__(self, J, Q=1, T=None, max_order=2, oversampling=0, **kwargs):
        KerasFrontend.__init__(self, **kwargs)
        self.J, self.T, self.max_order, self.oversampling = J, T, max_order, oversampling
        # Keras turns tuples into lists in configs; Q may be an int or a 1/2-tuple.
        self.Q = tuple(Q) if isinstance(Q, list) else Q

    def _transform_kwargs(self, signal_shape):
        return {"J": self.J, "shape": signal_shape, "Q": self.Q, "T": self.T,
                "max_order": self.max_order, "oversampling": self.oversampling}


@keras.saving.register_keras_serializable(package="numbascat")
class TimeFrequencyScattering(KerasFrontend, TimeFrequencyScatteringBase):
    """Joint time-frequency scattering layer: ``(batch, ..., N)`` -> ``(batch, ..., C, t)``
    ('time') or ``(batch, ..., C, rows, t)`` ('joint'). Kymatio main has no Keras JTFS.

    Parameters as :class:`numbascat.numpy.TimeFrequencyScattering` without ``shape`` (read at
    build) and with ``out_type='array'``.
    """

    config_keys = ("J", "J_fr", "Q", "T", "stride", "Q_fr", "F", "stride_fr", "format")
    # Plain attributes here (the transform base has read-only properties of these names).
    stride = stride_fr = None

    def __init__(self, J, J_fr, Q, T=None, stride=None, Q_fr=1, F=None, stride_fr=None,
                 format="time", **kwargs):
        KerasFrontend.__init__(self, **kwargs)
        self.J, self.J_fr, self.T, self.stride = J, J_fr, T, stride
        self.Q_fr, self.F, self.stride_fr, self.format = Q_fr, F, stride_fr, format
        self.Q = tuple(Q) if isinstance(Q, list) else Q

    def _transform_kwargs(self, signal_shape):
        return {"J": self.J, "J_fr": self.J_fr, "Q": self.Q, "shape": signal_shape,
                "T": self.T, "stride": self.stride, "Q_fr": self.Q_fr, "F": self.F,
                "stride_fr": self.stride_fr, "format": self.format}
