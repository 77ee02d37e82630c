"""The dynamic entry: ``numbascat.Scattering2D(J, shape, frontend='torch')``.

Calling an entry class builds the transform of the named frontend; ``isinstance`` against the
entry class holds for every frontend's transform of that dimension.
"""
from __future__ import annotations

import importlib
import importlib.util

from numbascat.frontends import FRONTENDS

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering"]


def frontend_module(frontend: str):
    """Import the frontend module named ``frontend``, with a clear error when impossible."""
    if not isinstance(frontend, str) or frontend.lower() not in FRONTENDS:
        raise RuntimeError(f"The frontend '{frontend}' is not valid. Must be one of "
                           f"{', '.join(repr(f) for f in FRONTENDS)}.")
    module_name, extra = FRONTENDS[frontend.lower()]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("numbascat"):
            raise RuntimeError(f"The frontend {frontend!r} is not available in this version of "
                               f"numbascat.") from exc
        raise ImportError(f"The {frontend!r} frontend needs the package {exc.name!r}: "
                          f"pip install 'numbascat[{extra}]'") from exc


class _EntryMeta(type):
    def __call__(cls, *args, frontend: str = "numpy", **kwargs):
        return getattr(frontend_module(frontend), cls.__name__)(*args, **kwargs)

    def __instancecheck__(cls, obj):
        base = importlib.import_module(cls._base_module)
        return isinstance(obj, getattr(base, cls._base_name))


class Scattering1D(metaclass=_EntryMeta):
    """``Scattering1D(J, shape, ..., frontend='numpy')``: a 1D transform for ``frontend``."""

    _base_module, _base_name = "numbascat.scattering1d.transform", "Scattering1DBase"


class Scattering2D(metaclass=_EntryMeta):
    """``Scattering2D(J, shape, ..., frontend='numpy')``: a 2D transform for ``frontend``."""

    _base_module, _base_name = "numbascat.scattering2d.transform", "Scattering2DBase"


class HarmonicScattering3D(metaclass=_EntryMeta):
    """``HarmonicScattering3D(J, shape, ..., frontend='numpy')``: a 3D transform."""

    _base_module, _base_name = "numbascat.scattering3d.transform", "HarmonicScattering3DBase"


class TimeFrequencyScattering(metaclass=_EntryMeta):
    """``TimeFrequencyScattering(J, J_fr, Q, shape, ..., frontend='numpy')``: joint
    time-frequency scattering (Kymatio main) for ``frontend``."""

    _base_module = "numbascat.scattering_jtfs.transform"
    _base_name = "TimeFrequencyScatteringBase"
