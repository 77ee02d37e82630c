"""numbascat: fast wavelet scattering transforms, a drop-in for Kymatio 0.3.

``import numbascat`` is cheap: it imports no optional dependency, compiles nothing and writes
nothing. Transforms live in ``numbascat.numpy``, ``numbascat.torch``, ``numbascat.sklearn``, ...,
or are built through the dynamic entry ``numbascat.Scattering2D(..., frontend='numpy')``.
``numbascat.install_as_kymatio()`` serves Kymatio 0.3's own import paths (``kymatio.numpy``, ...).
"""
from numbascat.config import use_backend
from numbascat.entry import (
    HarmonicScattering3D,
    Scattering1D,
    Scattering2D,
    TimeFrequencyScattering,
)
from numbascat.kymatio_compat import install_as_kymatio, uninstall_as_kymatio
from numbascat.registry import get_backend, list_backends, refresh_backends

__version__ = "0.1.0"

__all__ = [
    "HarmonicScattering3D",
    "Scattering1D",
    "Scattering2D",
    "TimeFrequencyScattering",
    "__version__",
    "get_backend",
    "install_as_kymatio",
    "list_backends",
    "refresh_backends",
    "uninstall_as_kymatio",
    "use_backend",
]
