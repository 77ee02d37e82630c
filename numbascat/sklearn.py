"""``from numbascat.sklearn import Scattering2D``: scattering as sklearn transformers."""
from numbascat.frontends.sklearn import (
                                         HarmonicScattering3D,
                                         Scattering1D,
                                         Scattering2D,
                                         TimeFrequencyScattering,
)

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
