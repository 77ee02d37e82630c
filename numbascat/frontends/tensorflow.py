"""The TensorFlow frontend: ``tf.Module`` transforms on ``tf.Tensor``, differentiable.

``S = Scattering2D(J, shape)`` then ``S(x)`` for a tensor (or anything ``tf.convert_to_tensor``
accepts) of shape ``(*batch, *shape)``; the result is a ``tf.Tensor``. The default backend is
``tensorflow`` (TF ops), so ``tf.GradientTape`` and ``tf.function`` work and the computation
runs on TF's default device. Inside ``tf.function`` the batch axes may be unknown (``None``);
the signal axes must be known.

Input policy: float32 and float64 keep their precision; float16 / bfloat16 are computed in
float32; integer and boolean tensors in float64; complex tensors raise ``TypeError``.
"""
from __future__ import annotations

import tensorflow as tf

from numbascat.frontends.numpy import as_real_array, map_output_arrays
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering3d.transform import HarmonicScattering3DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase
from numbascat.transform import ScatteringTransform

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TensorFlowFrontend",
           "TimeFrequencyScattering",
           "as_real_tensor"]


def as_real_tensor(x, name: str = "x") -> tf.Tensor:
    """``x`` as a float32/float64 ``tf.Tensor`` (see the module doc for the dtype policy)."""
    if not isinstance(x, tf.Tensor | tf.Variable):
        return tf.convert_to_tensor(as_real_array(x, name))
    x = tf.convert_to_tensor(x)
    dtype = x.dtype.base_dtype
    if dtype.is_complex:
        raise TypeError(f"{name} must be real-valued, got dtype {dtype.name}. Scatter the real "
                        f"and imaginary parts separately (tf.math.real(x), tf.math.imag(x)).")
    if dtype in (tf.float32, tf.float64):
        return x
    if dtype.is_floating:  # float16, bfloat16
        return tf.cast(x, tf.float32)
    if dtype.is_integer or dtype == tf.bool:
        return tf.cast(x, tf.float64)
    raise TypeError(f"{name} must be a real numeric tensor, got dtype {dtype.name}")


def _transform_base(cls) -> type:
    """The dimension base (e.g. Scattering2DBase) whose ``__init__`` builds the transform."""
    for klass in cls.__mro__:
        if issubclass(klass, ScatteringTransform) and "__init__" in vars(klass):
            return klass
    raise TypeError(f"{cls.__name__} does not derive from a numbascat transform base")


class TensorFlowFrontend(tf.Module):
    """Mixin: a ``tf.Module`` applying the transform to tensors (``S(x)``, ``S.scattering(x)``).

    Takes the dimension base's arguments plus ``name`` (the module's name scope).
    """

    frontend_name = "tensorflow"
    array_kind = "tensorflow"

    def __init__(self, *args, name: str | None = None, **kwargs):
        tf.Module.__init__(self, name=name or type(self).__name__)
        _transform_base(type(self)).__init__(self, *args, **kwargs)

    # Python control flow here depends only on static shapes: AutoGraph need not (and, slowly,
    # would) transpile the transform when it is called inside tf.function.
    @tf.autograph.experimental.do_not_convert
    def scattering(self, x):
        """Apply the transform; see the class docstring for shapes."""
        with self.name_scope:
            x = as_real_tensor(x)
            d = self.signal_ndim
            if x.shape.rank is None:
                raise RuntimeError(f"Input tensor must have a known rank (at least {d}); got "
                                   f"shape {x.shape}")
            dims = tuple(-1 if n is None else int(n) for n in x.shape)
            if all(n >= 0 for n in dims):
                return self._forward(x)
            # Unknown axes (graph mode): only batch axes may be unknown; run on a flat batch.
            self._check_input_shape(dims)
            signal = dims[-d:]
            if min(signal) < 0:
                raise RuntimeError(f"The signal axes of the input must be known when tracing; "
                                   f"got shape {x.shape}")
            batch = tf.shape(x)[:-d]
            out = self._scatter(tf.reshape(x, (-1,) + signal), (-1,))
            return map_output_arrays(out, lambda y: _restore(y, batch, x.shape[:-d]))

    @tf.autograph.experimental.do_not_convert
    def __call__(self, x):
        return self.scattering(x)


def _restore(y, batch, static_batch):
    """``(B, *rest)`` -> ``(*batch, *rest)`` with a dynamic ``batch`` shape tensor."""
    rest = y.shape[1:]
    out = tf.reshape(y, tf.concat([batch, tf.constant(rest.as_list(), dtype=batch.dtype)], 0))
    out.set_shape(static_batch.concatenate(rest))
    return out


class Scattering1D(TensorFlowFrontend, Scattering1DBase):
    __doc__ = Scattering1DBase.__doc__


class Scattering2D(TensorFlowFrontend, Scattering2DBase):
    __doc__ = Scattering2DBase.__doc__


class HarmonicScattering3D(TensorFlowFrontend, HarmonicScattering3DBase):
    __doc__ = HarmonicScattering3DBase.__doc__



class TimeFrequencyScattering(TensorFlowFrontend, TimeFrequencyScatteringBase):
    __doc__ = TimeFrequencyScatteringBase.__doc__
