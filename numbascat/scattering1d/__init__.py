"""1D Morlet scattering (Kymatio 0.3 ``Scattering1D``), framework-independent parts."""
