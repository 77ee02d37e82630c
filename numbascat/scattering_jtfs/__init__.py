"""Joint time-frequency scattering (Kymatio main's TimeFrequencyScattering)."""
