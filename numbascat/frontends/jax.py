"""The JAX frontend: transforms on ``jax.Array``, usable under ``jit``, ``grad`` and ``vmap``.

``S = Scattering2D(J, shape)`` then ``S(x)`` for a jax or numpy array of shape
``(*batch, *shape)``; the result is a ``jax.Array``. The default backend is ``jax``
(jax.numpy), so ``jax.jit(S)``, ``jax.grad(lambda x: S(x).sum())`` and ``jax.vmap(S)`` work.
A transform is a pytree with no leaves, so it can also be passed as an argument of a jitted
function. Calls are compiled with ``jax.jit`` (once per input shape and dtype) except with
``out_type='list'``, whose path tuples are not array outputs.

Input policy: float32 and float64 keep their precision (float64 needs ``jax_enable_x64``; without
it jax computes in float32); float16 / bfloat16 are computed in float32; integer and boolean
arrays in jax's default float type; complex arrays raise ``TypeError``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from numbascat.frontends.numpy import as_real_array
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering3d.transform import HarmonicScattering3DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase

__all__ = ["HarmonicScattering3D", "JaxFrontend", "Scattering1D", "Scattering2D",
           "TimeFrequencyScattering",
           "as_real_jax"]


def as_real_jax(x, name: str = "x") -> jax.Array:
    """``x`` as a real floating ``jax.Array`` (see the module doc for the dtype policy)."""
    if not isinstance(x, jax.Array):
        return jnp.asarray(as_real_array(x, name))
    dtype = np.dtype(x.dtype)
    kind = dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real-valued, got dtype {dtype}. Scatter the real and "
                        f"imaginary parts separately (x.real, x.imag).")
    if dtype in (np.float32, np.float64):
        return x
    if jnp.issubdtype(dtype, jnp.floating):  # float16, bfloat16
        return x.astype(jnp.float32)
    if kind in "iub":
        return x.astype(jnp.result_type(float))
    raise TypeError(f"{name} must be a real numeric array, got dtype {dtype}")


class JaxFrontend:
    """Mixin: call the transform on jax arrays (``S(x)`` or ``S.scattering(x)``)."""

    frontend_name = "jax"
    array_kind = "jax"

    def scattering(self, x):
        """Apply the transform; see the class docstring for shapes."""
        x = as_real_jax(x)
        if getattr(self, "out_type", "array") != "array":
            return self._forward(x)  # dicts of path tuples are not jit outputs
        # Compiled once per input shape: op-by-op eager dispatch is many times slower, and a
        # nested jit inside the user's own jit/grad/vmap is simply inlined.
        jitted = self.__dict__.get("_jitted_forward")
        if jitted is None:
            jitted = self.__dict__["_jitted_forward"] = jax.jit(self._forward)
        return jitted(x)

    def __call__(self, x):
        return self.scattering(x)


def _register_static_pytree(cls):
    # No leaves: the transform is static data to jit (its hash is its identity).
    jax.tree_util.register_pytree_node(cls, lambda s: ((), s), lambda s, _: s)
    return cls


@_register_static_pytree
class Scattering1D(JaxFrontend, Scattering1DBase):
    __doc__ = Scattering1DBase.__doc__


@_register_static_pytree
class Scattering2D(JaxFrontend, Scattering2DBase):
    __doc__ = Scattering2DBase.__doc__


@_register_static_pytree
class HarmonicScattering3D(JaxFrontend, HarmonicScattering3DBase):
    __doc__ = HarmonicScattering3DBase.__doc__


class TimeFrequencyScattering(JaxFrontend, TimeFrequencyScatteringBase):
    __doc__ = TimeFrequencyScatteringBase.__doc__
