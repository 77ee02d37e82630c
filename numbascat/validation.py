"""Parameter checks shared by the transforms: each error names the parameter, the value
received and what is allowed.

Integers and flags are read the NumPy way, as Kymatio's callers pass them: a Python ``int``,
a NumPy integer scalar (``np.int64(4)``) or a 0-d integer array (``np.load(...)["J"]``) is an
integer; ``True``/``False``, ``np.bool_`` and 0-d boolean arrays are flags. Booleans are not
integers here (``J=True`` is refused).
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_flag", "as_integer", "as_real", "check_choice", "check_int", "check_shape"]


def _describe(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def _scalar(value):
    """A 0-d array's item (``np.array(4)`` -> 4); anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def as_integer(value) -> int | None:
    """``value`` as an int if it is an integer (int, NumPy integer, 0-d integer array), else
    None. Booleans are not integers."""
    value = _scalar(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def as_flag(value) -> bool | None:
    """``value`` as a bool if it is a flag (bool, ``np.bool_``, 0-d boolean array), else None."""
    value = _scalar(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return None


def as_real(value) -> float | int | None:
    """``value`` as a Python number if it is real (int/float, NumPy scalar, 0-d array), else
    None. Integers stay ints; booleans are not numbers here."""
    value = _scalar(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None,
              error: type[Exception] = ValueError) -> int:
    """``value`` as an int (see :func:`as_integer`); bools, floats and strings are refused."""
    number = as_integer(value)
    if number is None:
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    if minimum is not None and number < minimum:
        raise error(f"{name} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise error(f"{name} must be <= {maximum}, got {number}")
    return number


def check_choice(name: str, value, allowed: tuple, error: type[Exception] = ValueError):
    """``value`` if it is one of ``allowed`` (flags and integers read as in the module doc)."""
    flag, number = as_flag(value), as_integer(value)
    value = flag if flag is not None else number if number is not None else value
    if not isinstance(value, str | bool | int | type(None)) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise error(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_shape(name: str, value, ndim: int) -> tuple[int, ...]:
    """A tuple of ``ndim`` positive ints (an integer is accepted when ``ndim == 1``; a 1-d
    integer array or a list is read as a tuple)."""
    if ndim == 1 and as_integer(value) is not None:
        value = (value,)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value)
    if not isinstance(value, tuple | list) or len(value) != ndim:
        raise ValueError(f"{name} must be a tuple of {ndim} positive integers, got "
                         f"{_describe(value)}")
    return tuple(check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value))
