"""3D solid-harmonic scattering (Kymatio 0.3 ``HarmonicScattering3D``), framework-independent."""
