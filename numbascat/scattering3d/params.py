"""HarmonicScattering3D parameters: validation and path list (Kymatio 0.3 semantics)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from numbascat.validation import as_flag, as_integer, as_real, check_choice, check_int, check_shape

__all__ = ["METHODS_3D", "Params3D", "make_params"]

#: The only method Kymatio 0.3 has; 'standard' and 'local' (0.1, torch only) were removed in 0.2.
METHODS_3D = ("integral",)


@dataclass(frozen=True)
class Params3D:
    J: int
    shape: tuple[int, int, int]
    L: int
    sigma_0: float
    max_order: int
    rotation_covariant: bool
    method: str
    integral_powers: tuple[float, ...]

    @property
    def paths(self) -> tuple[tuple[int, ...], ...]:
        """Scale paths of one ``l``, in output order: ``(j1,)`` for every j1, then ``(j1, j2)``
        with ``j1 < j2`` (j1-major)."""
        J = self.J
        first = [(j1,) for j1 in range(J + 1)]
        second = [(j1, j2) for j1 in range(J + 1) for j2 in range(j1 + 1, J + 1)]
        return tuple(first + (second if self.max_order == 2 else []))

    @property
    def n_paths(self) -> int:
        """``P = (J+1) + J(J+1)/2`` with ``max_order=2``, ``J+1`` with 1."""
        J = self.J
        return J + 1 + (J * (J + 1) // 2 if self.max_order == 2 else 0)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """Trailing output shape ``(P, L+1, len(integral_powers))``."""
        return (self.n_paths, self.L + 1, len(self.integral_powers))


def _check_real(name: str, value: Any) -> float:
    if as_real(value) is None:
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(as_real(value))
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_powers(integral_powers: Any) -> tuple[float, ...]:
    """``integral_powers`` as a non-empty tuple of finite floats."""
    if isinstance(integral_powers, str | bytes) or not hasattr(integral_powers, "__iter__"):
        raise TypeError(f"integral_powers must be a sequence of real numbers, got "
                        f"{integral_powers!r} ({type(integral_powers).__name__})")
    powers = tuple(_check_real(f"integral_powers[{i}]", q)
                   for i, q in enumerate(list(integral_powers)))
    if not powers:
        raise ValueError("integral_powers must hold at least one power, got an empty sequence")
    return powers


def make_params(J, shape, L, sigma_0, max_order, rotation_covariant, method,
                integral_powers) -> Params3D:
    """Validate the constructor arguments; every error names the parameter and the value."""
    J = check_int("J", J, minimum=0)
    shape = check_shape("shape", shape, 3)
    L = check_int("L", L, minimum=0)
    sigma_0 = _check_real("sigma_0", sigma_0)
    if sigma_0 <= 0:
        raise ValueError(f"sigma_0 must be > 0, got {sigma_0}")
    max_order = check_int("max_order", max_order)
    check_choice("max_order", max_order, (1, 2))
    if not (as_flag(rotation_covariant) is not None or as_integer(rotation_covariant) in (0, 1)):
        raise TypeError(f"rotation_covariant must be True or False, got {rotation_covariant!r}")
    if not isinstance(method, str) or method not in METHODS_3D:
        raise ValueError(f"method must be 'integral' (the only method of Kymatio 0.3; 'standard' "
                         f"and 'local' were removed in Kymatio 0.2), got {method!r}")
    rotation_covariant = bool(as_flag(rotation_covariant) if as_flag(rotation_covariant)
                              is not None else as_integer(rotation_covariant))
    return Params3D(J, shape, L, sigma_0, max_order, rotation_covariant, method,
                    check_powers(integral_powers))
