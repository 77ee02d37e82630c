"""``from numbascat.tensorflow import Scattering2D``: the TensorFlow frontend (``tf.Module``)."""
from numbascat.frontends.tensorflow import (
                                            HarmonicScattering3D,
                                            Scattering1D,
                                            Scattering2D,
                                            TimeFrequencyScattering,
)

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]
