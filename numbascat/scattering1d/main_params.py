"""Kymatio main (0.4.0.dev0) semantics of Scattering1D's parameters (main spec §1.1-1.3).

Selected by ``compat='main'``. Main replaces ``average`` by ``T`` (``T=0``: no averaging,
``T='global'``: a sum over the padded time axis), adds ``stride`` (validated when the transform
is called, as in Kymatio main) and maps the deprecated ``oversampling`` onto a stride. The
messages are Kymatio main's, verbatim; the checks run in Kymatio main's order.
"""
from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["COMPATS", "MainMode", "check_compat", "check_main_Q", "check_main_shape",
           "check_out_type_main", "check_oversampling_main", "log2_stride_main",
           "map_oversampling", "main_xi_sigma", "parse_T_main"]

#: The values of the ``compat`` switch.
COMPATS = ("0.3", "main")

LOCAL, GLOBAL = "local", "global"


def check_compat(compat) -> str:
    if not isinstance(compat, str) or compat not in COMPATS:
        raise ValueError(f"compat must be '0.3' (Kymatio 0.3.0 semantics, the default) or "
                         f"'main' (Kymatio main: stride, T=0, T='global', period-sum "
                         f"normalisation); got {compat!r}")
    return compat


@dataclass(frozen=True)
class MainMode:
    """How a main-semantics transform averages: ``average`` is 'local', 'global' or False."""

    average: str | bool
    T: float  # numeric T (2**J for None, 0 and 'global')
    log2_T: int


def check_main_shape(shape) -> int:
    if isinstance(shape, tuple):
        if len(shape) != 1:
            raise ValueError(f"If shape is specified as a tuple, it must have exactly one "
                             f"element. Got: {shape}")
        shape = shape[0]
    if isinstance(shape, bool) or not isinstance(shape, numbers.Integral):
        raise ValueError(f"shape must be an integer or a 1-tuple. Got: {shape}")
    if shape < 1:  # numbascat: Kymatio main fails later with a numpy error
        raise ValueError(f"shape (the signal length N) must be >= 1. Got: {shape}")
    return int(shape)


def check_main_Q(Q) -> tuple[int, int]:
    """``Q`` as ``(Q1, Q2)``, Kymatio main's messages (main spec §1.2)."""
    if isinstance(Q, numbers.Integral) and not isinstance(Q, bool):
        Q = (int(Q),)
    elif not isinstance(Q, tuple):
        raise ValueError("Q must be an integer or a tuple")
    if len(Q) > 2:
        raise NotImplementedError(f"Q must be an integer, 1-tuple or 2-tuple. Scattering "
                                  f"transforms beyond order 2 are not implemented. Got: {Q}")
    if len(Q) == 0 or any(isinstance(q, bool) or not isinstance(q, numbers.Integral)
                          for q in Q):
        raise ValueError(f"Q must be an integer or a tuple of integers. Got: {Q}")
    if np.any(np.array(Q) < 1):
        raise ValueError(f"Q must always be >= 1, got {Q if len(Q) > 1 else Q[0]}")
    Q = tuple(int(q) for q in Q)
    return Q + (1,) if len(Q) == 1 else Q


def parse_T_main(T, J: int, N: int, name: str = "T", scale_name: str = "J",
                 length_text: str = "input length") -> MainMode:
    """``T`` (or ``F``) -> :class:`MainMode` (main spec §1.3, §2.2)."""
    if T is None:
        return MainMode(LOCAL, 2 ** J, J)
    if isinstance(T, str):
        if T != GLOBAL:
            raise ValueError(f"{name} must be None, 0, 'global' or a number >= 1; got {T!r}")
        return MainMode(GLOBAL, 2 ** J, J)
    if isinstance(T, bool) or not isinstance(T, numbers.Real) or not math.isfinite(T):
        raise ValueError(f"{name} must be None, 0, 'global' or a finite number >= 1; got {T!r}")
    if T > N:
        raise ValueError(f"The support {name} of the low-pass filter cannot exceed {length_text} "
                         f"(got {T} > {N}). For large averaging size, consider passing "
                         f"{name}='global'.")
    if T == 0:
        return MainMode(False, 2 ** J, J)
    if T < 1:
        raise ValueError(f"{name} must be ==0 or >=1 (got {T})")
    return MainMode(LOCAL, T, int(math.floor(math.log2(T))))


def check_oversampling_main(oversampling) -> None:
    if oversampling is not None and oversampling < 0:
        raise ValueError(f"oversampling must be nonnegative. Got: {oversampling}")
    if isinstance(oversampling, bool) or not isinstance(oversampling, numbers.Integral):
        raise ValueError(f"oversampling must be integer. Got: {oversampling}")


def map_oversampling(oversampling, stride, log2_T: int):
    """The stride a deprecated ``oversampling > 0`` stands for (main spec §1.3, with its
    off-by-one compatibility check kept)."""
    if oversampling == 0:
        return stride
    warnings.warn("oversampling is deprecated and will be removed in a future version; pass "
                  "stride instead", DeprecationWarning, stacklevel=4)
    if stride is not None and stride != 2 ** (log2_T - oversampling - 1):
        raise ValueError(f"oversampling={oversampling} and stride={stride}are incompatible")
    return 2 ** max(log2_T - oversampling, 0)


def log2_stride_main(stride, mode: MainMode, n_levels: int, name: str = "stride",
                     scale_name: str = "T", shown=None) -> int:
    """``log2(stride)`` checked as Kymatio main does when the transform is called.

    ``n_levels`` is the largest resolution with border indices (``max(log2_T, J)``); a finer
    subsampling raises ``KeyError(log2_stride)`` as in Kymatio main. ``shown`` is the value
    printed in the 'incompatible' message: Kymatio main prints the temporal stride there even
    for ``stride_fr`` (quirk 5), kept for message compatibility.
    """
    if stride is None:
        return mode.log2_T
    if isinstance(stride, bool) or not isinstance(stride, numbers.Integral):
        raise ValueError(f"{name} must be integer. Got: {stride}")
    if stride < 1 or stride & (stride - 1):
        raise ValueError(f"{name} must be a power of two. Got: {stride}")
    if mode.average in (False, GLOBAL):
        value = 0 if mode.average is False else GLOBAL
        raise ValueError(f"{name}={stride if shown is None else shown} is incompatible with "
                         f"{scale_name}={value}.")
    log2 = int(stride).bit_length() - 1
    if n_levels is not None and log2 > n_levels:
        raise KeyError(log2)
    return log2


def check_out_type_main(out_type, average) -> None:
    if not isinstance(out_type, str) or out_type not in ("array", "dict", "list"):
        raise ValueError(f"out_type must be one of 'array', 'dict', or 'list'. Got: {out_type}")
    if average is False and out_type == "array":
        raise ValueError("Cannot convert to out_type='array' with T=0. Please set out_type to "
                         "'dict' or 'list'.")


def main_xi_sigma(xi: np.ndarray, sigma: np.ndarray, Q: int, r_psi: float):
    """``(xi, sigma)`` of one layer with Kymatio main's rounding: main evaluates ``sigma_max``
    as a three-factor product where 0.3.0 divides, and steps the linear part down by repeated
    subtraction of ``xi_elbow / Q``. Only last bits differ (reported by ``meta()``)."""
    xi, sigma = np.array(xi, dtype=np.float64), np.array(sigma, dtype=np.float64)
    n_geo = len(xi) - (Q - 1)
    if n_geo <= 0:
        return xi, sigma
    x, step = xi[n_geo - 1], xi[n_geo - 1] / Q
    for i in range(n_geo, len(xi)):
        x = x - step
        xi[i] = x
    c = 1 / 2 ** (1 / Q)
    first = xi[0] * ((1 - c) / (1 + c)) * (1 / np.sqrt(2 * np.log(1 / r_psi)))
    steps = np.full(n_geo, 2 ** (1.0 / Q))
    steps[0] = first
    sigma[:n_geo] = np.divide.accumulate(steps)
    return xi, sigma
