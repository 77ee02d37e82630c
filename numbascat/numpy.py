"""``from numbascat.numpy import Scattering2D``: the numpy frontend (like ``kymatio.numpy``)."""
from numbascat.frontends.numpy import (
                                       HarmonicScattering3D,
                                       Scattering1D,
                                       Scattering2D,
                                       TimeFrequencyScattering,
)

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
