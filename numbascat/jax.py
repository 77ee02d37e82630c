"""``from numbascat.jax import Scattering2D``: the JAX frontend (jit, grad, vmap)."""
from numbascat.frontends.jax import (
                                     HarmonicScattering3D,
                                     Scattering1D,
                                     Scattering2D,
                                     TimeFrequencyScattering,
)

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
