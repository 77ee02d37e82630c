"""Scattering1D parameters: validation, padding, border indices and output sizes.

Kymatio 0.3 semantics (compat spec §1.1, §1.5, §1.7). Kymatio's exception types are kept where it
raises (``ValueError`` mostly); numbascat adds checks Kymatio lacks (J, max_order, shape type) and
every message names the parameter, the value received and what is allowed.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from numbascat.cache import cached_arrays
from numbascat.scattering1d.filter_bank import BANK_VERSION, temporal_support
from numbascat.validation import as_flag, as_integer, as_real, check_int

__all__ = ["OUT_TYPES_1D", "Params1D", "check_averaging_scale", "check_oversampling",
           "check_runtime", "make_params"]

OUT_TYPES_1D = ("array", "dict", "list")

# Kymatio's fixed constants (set in its build()).
SIGMA0 = 0.1
ALPHA = 5.0
R_PSI = math.sqrt(0.5)


@dataclass(frozen=True)
class Params1D:
    """Validated parameters and everything derived from them that does not need filters."""

    J: int
    N: int
    Q: tuple[int, int]
    T: float  # the averaging scale as given (2**J when None or 0); may be a non-integer
    average: bool
    max_order: int
    log2_T: int
    support: int  # temporal support of the low-pass filter at the unpadded length
    J_pad: int
    pad_left: int
    pad_right: int

    @property
    def shape(self) -> tuple[int]:
        return (self.N,)

    @property
    def N_pad(self) -> int:
        return 2 ** self.J_pad

    @property
    def sigma_low(self) -> float:
        return SIGMA0 / self.T

    @property
    def n_levels_ind(self) -> int:
        """Border indices exist for resolutions 0..max(log2_T, J)."""
        return max(self.log2_T, self.J)

    @property
    def ind_start(self) -> dict[int, int]:
        return _border_indices(self.pad_left, self.n_levels_ind)

    @property
    def ind_end(self) -> dict[int, int]:
        return _border_indices(self.pad_left + self.N, self.n_levels_ind)


def _border_indices(first: int, n: int) -> dict[int, int]:
    out = {0: first}
    for j in range(1, n + 1):
        out[j] = -(-out[j - 1] // 2)  # ceil(i / 2)
    return out


def _below_one(Q) -> bool:
    """Kymatio's first check, ``np.any(np.array(Q) < 1)``, for numeric Q only."""
    try:
        return bool(np.any(np.asarray(Q, dtype=float) < 1))
    except (TypeError, ValueError):
        return False


def _check_Q(Q) -> tuple[int, int]:
    allowed = "an integer >= 1, a 1-tuple or a 2-tuple of integers >= 1"
    if _below_one(Q):
        raise ValueError(f"Q should always be >= 1, got {Q}. Q is the number of wavelets per "
                         f"octave: {allowed}")
    if as_integer(Q) is not None:
        Q = (as_integer(Q),)
    elif not isinstance(Q, tuple):
        raise ValueError(f"Q must be an integer or a tuple ({allowed}); got {Q!r} "
                         f"({type(Q).__name__})")
    if len(Q) > 2:
        raise NotImplementedError(f"Q should be an integer, 1-tuple or 2-tuple. Scattering "
                                  f"transforms beyond order 2 are not implemented. Got Q={Q!r}")
    if len(Q) == 0:
        raise ValueError(f"Q must be an integer or a tuple ({allowed}); got an empty tuple")
    for q in Q:
        if as_integer(q) is None:
            raise ValueError(f"Q must be an integer or a tuple ({allowed}); got Q={Q!r} with "
                             f"element {q!r} ({type(q).__name__})")
    Q = tuple(as_integer(q) for q in Q)
    return Q + (1,) if len(Q) == 1 else Q


def _check_shape(shape) -> int:
    if as_integer(shape) is not None:
        shape = (shape,)
    elif isinstance(shape, tuple):
        if len(shape) != 1:
            raise ValueError(f"If shape is specified as a tuple, it must have exactly one "
                             f"element; got shape={shape!r}")
    else:
        raise ValueError(f"shape must be an integer or a 1-tuple (the signal length N); got "
                         f"{shape!r} ({type(shape).__name__})")
    return check_int("shape[0] (the signal length N)", shape[0], minimum=1)


def _check_T_average(T, average, J: int, N: int) -> tuple[float, bool]:
    if average is not None:
        if as_flag(average) is None and average not in (0, 1):
            raise ValueError(f"average must be None, True or False; got {average!r}")
        average = bool(average)
    if T is None:
        return 2 ** J, True if average is None else average
    if as_real(T) is None:
        raise TypeError(f"T must be None, 0 or a number >= 1 (the averaging scale, at most the "
                        f"signal length {N}); got {T!r} ({type(T).__name__})")
    T = as_real(T)
    if not math.isfinite(T):
        raise ValueError(f"T must be None, 0 or a finite number in [1, {N}]; got {T!r}")
    if T > N:
        raise ValueError(f"The temporal support T of the low-pass filter cannot exceed input "
                         f"length (got {T} > {N})")
    if T == 0:
        if average:
            raise ValueError("average must not be True if T=0 (got True)")
        return 2 ** J, False
    if T < 1:
        raise ValueError(f"T must be ==0 or >=1 (got {T})")
    if average is False:
        raise ValueError(f"average=False is not permitted when T>=1, (got {T}). average is "
                         f"deprecated in v0.3 in favour of T and will be removed in v0.4. Set "
                         f"T=0 for no averaging, or leave average unset")
    return T, True


def check_oversampling(oversampling) -> int:
    """``oversampling`` as an int >= 0 (Kymatio raises ValueError for both faults)."""
    if as_integer(oversampling) is None:
        raise ValueError(f"oversampling must be integer. Got: {oversampling!r} "
                         f"({type(oversampling).__name__}); allowed: an integer >= 0")
    if as_integer(oversampling) < 0:
        raise ValueError(f"oversampling must be nonnegative. Got: {oversampling}; allowed: an "
                         f"integer >= 0")
    return as_integer(oversampling)


def check_runtime(out_type, average: bool, oversampling) -> int:
    """Checks Kymatio runs on every call (attributes may have been changed since construction)."""
    if not isinstance(out_type, str) or out_type not in OUT_TYPES_1D:
        raise ValueError(f"The out_type must be one of 'array', 'dict', or 'list'. Got: "
                         f"{out_type}")
    if not average and out_type == "array":
        raise ValueError("Cannot convert to out_type='array' with average=False. Please set "
                         "out_type to 'dict' or 'list'.")
    return check_oversampling(oversampling)


def make_params(J, shape, Q=1, T=None, max_order=2, average=None) -> Params1D:
    """Validate Scattering1D's constructor arguments and derive padding (spec §1.1, §1.5)."""
    J = check_int("J", J, minimum=1)
    max_order = check_int("max_order", max_order, minimum=1, maximum=2)
    Q = _check_Q(Q)
    N = _check_shape(shape)
    T, average = _check_T_average(T, average, J, N)
    log2_T = int(math.floor(math.log2(T)))
    support, too_small = _cached_support(N, float(T))
    if too_small:
        warnings.warn("Signal support is too small to avoid border effects", UserWarning,
                      stacklevel=4)
    J_pad = _padded_log2(N, support)
    pad_left = (2 ** J_pad - N) // 2
    params = Params1D(J, N, Q, T, average, max_order, log2_T, support, J_pad, pad_left,
                      2 ** J_pad - N - pad_left)
    return params


def largest_averaged_J(N: int) -> int:
    """The largest J whose default averaging (``T = 2^J``) fits the padded length of a signal
    of length ``N``: averaging subsamples by ``2^J``, so ``J <= J_pad``."""
    for J in range(_padded_log2(N, N), 0, -1):  # the cap on J_pad comes first
        if J <= _padded_log2(N, temporal_support(N, SIGMA0 / 2 ** J)[0]):
            return J
    return 0


def check_averaging_scale(p: Params1D) -> None:
    """Raise ValueError when the averaging subsamples past the padded length (``T=None``, J
    too large for the shape); Kymatio 0.3 fails there on a reshape (at construction from
    ``J_pad + 3`` on, at the first call before), whose message comes first."""
    if not p.average or p.log2_T <= p.J_pad:
        return
    N_pad = p.N_pad
    kymatio = (f"cannot reshape array of size {N_pad} into shape "
               f"({2 ** p.J if p.J <= p.J_pad + 2 else 2 * N_pad},0)")
    largest = largest_averaged_J(p.N)
    fix = (f"The largest J that works for shape={p.N} is {largest}" if largest >= 1 else
           f"No J works for shape={p.N} with the default T")
    raise ValueError(f"{kymatio}: J={p.J} is too large for a signal of length {p.N}. "
                     f"Averaging by T=2^J subsamples by 2^{p.log2_T}, but the signal is padded "
                     f"to 2^{p.J_pad} = {N_pad} samples only. {fix}; or keep J and set "
                     f"T <= {p.N}.")


def _cached_support(N: int, T: float) -> tuple[int, bool]:
    """``temporal_support`` of the unpadded low-pass filter, cached like the filters."""
    arrays = cached_arrays("support1d", {"N": N, "T": T, "version": BANK_VERSION},
                           lambda: {"support": np.array(temporal_support(N, SIGMA0 / T))})
    support, too_small = arrays["support"].tolist()
    return int(support), bool(too_small)


def _padded_log2(N: int, support: int) -> int:
    """``min(ceil(log2(N + 6 support)), floor(log2(3N - 2)))``; the cap keeps each pad < N."""
    wanted = N + 2 * (3 * support)
    return min((wanted - 1).bit_length(), max(3 * N - 2, 1).bit_length() - 1)

