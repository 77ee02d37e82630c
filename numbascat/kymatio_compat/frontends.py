"""The transform classes served under ``kymatio.<frontend>``, with Kymatio 0.3's output dtypes.

They are numbascat's own frontend classes, except where Kymatio's output dtype differs from
numbascat's float32-in, float32-out rule: Kymatio 0.3's numpy (and sklearn) ``Scattering1D``
multiplies by float64 filters and returns float64 for float32 input. Code run through Kymatio's
import paths gets that dtype, computed in float64 (so small coefficients, such as the ~1e-7
zeroth order of a zero-mean signal, keep Kymatio's digits rather than float32 rounding).

Everything else already has Kymatio's dtype (2D: float32 in, float32 out; torch: float32), or
is deliberately kept: 3D float64 input stays float64 (Kymatio rounds it to float32), torch 1D/2D/3D
accept float64 tensors (Kymatio refuses them).
"""
from __future__ import annotations

import threading

import numpy as np

from numbascat.frontends import FRONTENDS

__all__ = ["FLOAT64_CLASSES", "Float64Outputs1D", "kymatio_class"]

#: (frontend, class) pairs whose Kymatio 0.3 output is float64 whatever the input precision.
FLOAT64_CLASSES = frozenset({("numpy", "Scattering1D"), ("sklearn", "Scattering1D")})

_classes: dict[tuple[str, str], type] = {}
_lock = threading.RLock()  # re-entered: the sklearn class builds the numpy one


def kymatio_class(frontend: str, name: str) -> type:
    """The class ``kymatio.<frontend>.<name>`` stands for (imports the framework on first use).

    Raises ``ImportError`` naming the pip extra when the framework is not installed.
    """
    frontend = frontend.lower()
    key = (frontend, name)
    with _lock:
        cls = _classes.get(key)
        if cls is None:
            cls = _classes[key] = _make(frontend, name)
    return cls


class Float64Outputs1D:
    """Mixin for the numpy 1D class: float32 input is computed and returned in float64, as in
    Kymatio 0.3, except the unaveraged order-0 coefficient, which Kymatio returns as the raw
    input (float32)."""

    compute_float32_as_float64 = True

    def scattering(self, x):
        out = super().scattering(x)
        if self.average or np.asarray(x).dtype != np.float32:
            return out
        if isinstance(out, dict) and () in out:
            out[()] = out[()].astype(np.float32)
        elif isinstance(out, list) and out and out[0].get("n") == ():
            out[0]["coef"] = out[0]["coef"].astype(np.float32)
        return out


def _make(frontend: str, name: str) -> type:
    from numbascat.entry import frontend_module

    base = getattr(frontend_module(frontend), name)
    if (frontend, name) not in FLOAT64_CLASSES or frontend not in FRONTENDS:
        return base
    namespace = {"__module__": f"kymatio.{frontend}", "__qualname__": name,
                 "__doc__": base.__doc__}
    if frontend == "sklearn":  # its inner numpy transform gives the dtype
        namespace["_numpy_class"] = kymatio_class("numpy", name)
        return type(name, (base,), namespace)
    return type(name, (Float64Outputs1D, base), namespace)
