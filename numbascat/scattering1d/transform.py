"""Scattering1D (placeholder until the 1D transform lands)."""
from numbascat.transform import ScatteringTransform


class Scattering1DBase(ScatteringTransform):
    """1D Morlet scattering transform (not yet implemented)."""

    signal_ndim = 1

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("Scattering1D is not implemented yet")
