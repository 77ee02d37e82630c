"""TimeFrequencyScattering parameters: Q_fr, F, stride_fr, format and the frequency padding.

Kymatio main semantics (main spec §2.2, §2.4); messages are Kymatio main's where it raises one,
and clear numbascat messages where Kymatio fails with an internal numpy error.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

from numbascat.scattering1d import main_params as MP

__all__ = ["FORMATS", "FreqParams", "check_Q_fr", "check_call", "make_freq_params"]

FORMATS = ("time", "joint")


def check_Q_fr(Q_fr) -> int:
    if isinstance(Q_fr, tuple):
        if len(Q_fr) != 1:
            raise NotImplementedError("Q_fr must be an integer or 1-tuple. Time-frequency "
                                      "scattering beyond order 2 is not implemented.")
        Q_fr = Q_fr[0]
    if isinstance(Q_fr, bool) or not isinstance(Q_fr, numbers.Integral):
        raise ValueError("Q_fr must be an integer or 1-tuple.")
    if Q_fr < 1:
        raise ValueError(f"Q_fr must be >= 1, got {Q_fr}")
    return int(Q_fr)


@dataclass(frozen=True)
class FreqParams:
    """The frequency axis: averaging mode, scales and the padded length N_fr."""

    J_fr: int
    Q_fr: int
    mode: MP.MainMode  # average_fr ('local', 'global' or False), numeric F, log2_F
    N_in_fr: int  # Kymatio main's estimate (J + 1) Q1 of the number of first-order wavelets
    N_fr: int  # padded frequency length, a multiple of 2**J_fr


def make_freq_params(J: int, Q1: int, J_fr, Q_fr, F) -> FreqParams:
    if isinstance(J_fr, bool) or not isinstance(J_fr, numbers.Integral) or J_fr < 0:
        raise ValueError(f"J_fr must be an integer >= 0 (log2 of the frequential scale); got "
                         f"{J_fr!r}")
    J_fr = int(J_fr)
    Q_fr = check_Q_fr(Q_fr)
    N_in_fr = (J + 1) * Q1
    mode = MP.parse_T_main(F, J_fr, N_in_fr, name="F")
    if F is not None and not isinstance(F, str) and (
            isinstance(F, bool) or not isinstance(F, numbers.Integral)):
        # Kymatio main accepts it here and fails at call time inside numpy.pad.
        raise TypeError(f"F must be None, 0, 'global' or an integer >= 1 (the frequential "
                        f"averaging scale, in first-order wavelets); got {F!r} "
                        f"({type(F).__name__})")
    F_num = int(mode.T)
    pad_fr = 8 * min(F_num, 2 ** J_fr)
    N_fr = (N_in_fr + pad_fr) // 2 ** J_fr * 2 ** J_fr
    if N_fr % 2 ** mode.log2_T:
        # Kymatio main: a numpy reshape error while periodising phi_F.
        raise ValueError(f"F={F} is incompatible with the frequency padding: 2**floor(log2(F))"
                         f" = {2 ** mode.log2_T} must divide the padded frequency length "
                         f"N_fr = {N_fr} (from J={J}, Q={Q1}, J_fr={J_fr}); choose a smaller F "
                         f"or another J_fr")
    return FreqParams(J_fr, Q_fr, mode, N_in_fr, N_fr)


def check_call(out_type, format_, average, average_fr) -> None:
    """Kymatio main's call-time checks, in its order (main spec §2.2)."""
    MP.check_out_type_main(out_type, average)
    if format_ == "joint" and out_type == "array" and average_fr is False:
        raise ValueError("Cannot convert to format='joint' with out_type='array' and F=0. "
                         "Either set format='time', out_type='dict', or out_type='list'.")
    if not isinstance(format_, str) or format_ not in FORMATS:
        raise ValueError(f"format must be 'time' or 'joint'. Got: {format_}")
