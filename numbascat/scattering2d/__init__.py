"""2D Morlet scattering (Kymatio 0.3 ``Scattering2D``), framework-independent parts."""
