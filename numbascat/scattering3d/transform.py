"""HarmonicScattering3D (placeholder until the 3D transform lands)."""
from numbascat.transform import ScatteringTransform


class HarmonicScattering3DBase(ScatteringTransform):
    """3D solid-harmonic scattering transform (not yet implemented)."""

    signal_ndim = 3

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("HarmonicScattering3D is not implemented yet")
