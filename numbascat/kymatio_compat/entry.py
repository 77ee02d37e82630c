"""``kymatio.Scattering1D(J, shape, ..., frontend='numpy')`` under ``install_as_kymatio()``.

As numbascat's own entry (:mod:`numbascat.entry`), but building the classes of
``kymatio.<frontend>`` (Kymatio's output dtypes, see :mod:`.frontends`). The frontend name is
case-insensitive, as in Kymatio.
"""
from __future__ import annotations

from numbascat.entry import _EntryMeta, frontend_module
from numbascat.kymatio_compat.frontends import kymatio_class

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D"]


class _KymatioEntryMeta(_EntryMeta):
    def __call__(cls, *args, frontend: str = "numpy", **kwargs):
        frontend_module(frontend)  # Kymatio's RuntimeError for a name that is not a frontend
        return kymatio_class(frontend.lower(), cls.__name__)(*args, **kwargs)


class Scattering1D(metaclass=_KymatioEntryMeta):
    """``Scattering1D(J, shape, ..., frontend='numpy')``: a 1D transform for ``frontend``."""

    _base_module, _base_name = "numbascat.scattering1d.transform", "Scattering1DBase"


class Scattering2D(metaclass=_KymatioEntryMeta):
    """``Scattering2D(J, shape, ..., frontend='numpy')``: a 2D transform for ``frontend``."""

    _base_module, _base_name = "numbascat.scattering2d.transform", "Scattering2DBase"


class HarmonicScattering3D(metaclass=_KymatioEntryMeta):
    """``HarmonicScattering3D(J, shape, ..., frontend='numpy')``: a 3D transform."""

    _base_module, _base_name = "numbascat.scattering3d.transform", "HarmonicScattering3DBase"
