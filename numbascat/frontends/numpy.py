"""The numpy frontend: numpy arrays in, numpy arrays out, on any backend.

Input policy (same for every transform):

- anything ``numpy.asarray`` accepts; big-endian and non-contiguous arrays are converted;
- float32 and float64 keep their precision; float16 is computed in float32; integer and
  boolean arrays are computed in float64 (numpy's own promotion for FFTs);
- complex and object arrays raise ``TypeError``.

NaN or inf in the input propagate into the coefficients they touch (through the FFTs that means
every coefficient of that signal); other signals of the batch are unaffected.
"""
from __future__ import annotations

import numpy as np

from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering3d.transform import HarmonicScattering3DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase

__all__ = ["HarmonicScattering3D", "NumpyFrontend", "Scattering1D", "Scattering2D",
           "TimeFrequencyScattering", "as_real_array", "map_output_arrays"]


def as_real_array(x, name: str = "x") -> np.ndarray:
    """``x`` as a native-endian, C-contiguous float32/float64 numpy array (see module doc)."""
    if x is None:
        raise TypeError(f"{name} must be a real array, got None")
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}. Scatter the real "
                        f"and imaginary parts separately (x.real, x.imag).")
    if kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if kind == "f" and arr.dtype.itemsize <= 4:
        target = np.float32
    elif kind == "f" and arr.dtype.itemsize == 8:
        target = np.float64
    elif kind == "f":
        raise TypeError(f"{name} has dtype {arr.dtype}; use float32 or float64")
    else:
        target = np.float64
    # np.asarray with order="C" (unlike ascontiguousarray) keeps 0-d inputs 0-d, so the
    # transform can report "at least one axis".
    return np.asarray(arr, dtype=np.dtype(target).newbyteorder("="), order="C")


class NumpyFrontend:
    """Mixin: call the transform on numpy arrays (``S(x)`` or ``S.scattering(x)``)."""

    frontend_name = "numpy"
    array_kind = "numpy"
    #: Compute (and return) float32 input in float64: Kymatio 0.3's numpy 1D output dtype, set
    #: by the classes served under ``kymatio.*`` (``numbascat.kymatio_compat.frontends``).
    compute_float32_as_float64 = False

    def scattering(self, x):
        """Apply the transform; see the class docstring for shapes."""
        x = as_real_array(x)
        if self.compute_float32_as_float64 and x.dtype == np.float32:
            x = x.astype(np.float64)
        backend = self.backend
        out = self._forward(x if backend.is_array(x) else backend.from_numpy(x))
        return _tree_map(out, lambda a: a if isinstance(a, np.ndarray) else backend.to_numpy(a))

    def __call__(self, x):
        return self.scattering(x)


def map_output_arrays(out, fn):
    """Apply ``fn`` to every array of a transform output (array, list of dicts, or dict)."""
    return _tree_map(out, fn)


def _tree_map(out, fn):
    if isinstance(out, dict):
        return {k: _tree_map(v, fn) for k, v in out.items()}
    if isinstance(out, list):
        return [_tree_map(v, fn) for v in out]
    if isinstance(out, tuple | str | int | float | type(None)):
        return out
    return fn(out)


class Scattering1D(NumpyFrontend, Scattering1DBase):
    __doc__ = Scattering1DBase.__doc__


class Scattering2D(NumpyFrontend, Scattering2DBase):
    __doc__ = Scattering2DBase.__doc__


class HarmonicScattering3D(NumpyFrontend, HarmonicScattering3DBase):
    __doc__ = HarmonicScattering3DBase.__doc__


class TimeFrequencyScattering(NumpyFrontend, TimeFrequencyScatteringBase):
    __doc__ = TimeFrequencyScatteringBase.__doc__
