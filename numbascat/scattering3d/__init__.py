"""3D solid-harmonic scattering (Kymatio 0.3 ``HarmonicScattering3D``), framework-independent."""

__all__ = ["order0_integrals"]


def __getattr__(name):
    # Lazy, so that importing the package (e.g. for filter_bank) pulls in nothing else.
    if name == "order0_integrals":
        from numbascat.scattering3d.transform import order0_integrals

        return order0_integrals
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
