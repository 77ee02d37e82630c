"""``from numbascat.torch import Scattering2D``: the torch frontend (like ``kymatio.torch``).

The transforms are ``torch.nn.Module`` objects; see :mod:`numbascat.frontends.torch`.
"""
from numbascat.frontends.torch import (
                                       HarmonicScattering3D,
                                       Scattering1D,
                                       Scattering2D,
                                       TimeFrequencyScattering,
)

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
