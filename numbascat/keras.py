"""``from numbascat.keras import Scattering2D``: Keras 3 layers (1D and 2D, like kymatio.keras)."""
from numbascat.frontends.keras import Scattering1D, Scattering2D, TimeFrequencyScattering

__all__ = ["Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
