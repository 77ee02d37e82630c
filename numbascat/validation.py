"""Parameter checks shared by the transforms: each error names the parameter, the value
received and what is allowed."""
from __future__ import annotations

import numbers

__all__ = ["check_choice", "check_int", "check_shape"]


def _describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None,
              error: type[Exception] = ValueError) -> int:
    """``value`` as an int; bools, floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise error(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise error(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(name: str, value, allowed: tuple, error: type[Exception] = ValueError):
    """``value`` if it is one of ``allowed``."""
    if not isinstance(value, str | bool | int | type(None)) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise error(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_shape(name: str, value, ndim: int) -> tuple[int, ...]:
    """A tuple of ``ndim`` positive ints (an int is accepted when ``ndim == 1``)."""
    if ndim == 1 and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, tuple | list) or len(value) != ndim:
        raise ValueError(f"{name} must be a tuple of {ndim} positive integers, got "
                         f"{_describe(value)}")
    return tuple(check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value))
