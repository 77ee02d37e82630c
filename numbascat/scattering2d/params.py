"""Scattering2D parameters: validation, padding and output sizes (Kymatio 0.3 semantics)."""
from __future__ import annotations

from dataclasses import dataclass

from numbascat.validation import check_choice, check_int, check_shape

__all__ = ["Params2D", "make_params"]


@dataclass(frozen=True)
class Params2D:
    J: int
    shape: tuple[int, int]
    L: int
    max_order: int
    pre_pad: bool

    @property
    def padded_shape(self) -> tuple[int, int]:
        """``2^J (floor(M / 2^J) + 2)`` per axis: where the filters live."""
        step = 2 ** self.J
        return tuple(((n + step) // step + 1) * step for n in self.shape)

    @property
    def pads(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(before, after) reflect pads per axis; the odd pixel goes after."""
        if self.pre_pad:
            return ((0, 0), (0, 0))
        return tuple(((p - n) // 2, (p - n + 1) // 2)
                     for p, n in zip(self.padded_shape, self.shape, strict=True))

    @property
    def input_shape(self) -> tuple[int, int]:
        """The spatial size the input must have: ``padded_shape`` when ``pre_pad``."""
        return self.padded_shape if self.pre_pad else self.shape

    @property
    def output_spatial_shape(self) -> tuple[int, int]:
        """Size after subsampling by 2^J and removing one border pixel per side."""
        return tuple(p // 2 ** self.J - 2 for p in self.padded_shape)

    @property
    def n_coefficients(self) -> int:
        J, L = self.J, self.L
        return 1 + L * J + (L * L * J * (J - 1) // 2 if self.max_order == 2 else 0)


def make_params(J, shape, L, max_order, pre_pad) -> Params2D:
    J = check_int("J", J, minimum=1)
    shape = check_shape("shape", shape, 2)
    L = check_int("L", L, minimum=1)
    max_order = check_int("max_order", max_order)
    check_choice("max_order", max_order, (1, 2))
    if 2 ** J > min(shape):
        # Kymatio raises RuntimeError here; keep the type, say more.
        raise RuntimeError(f"The smallest dimension should be larger than 2^J. shape={shape} "
                           f"and J={J} give 2^J={2 ** J}. Use J <= "
                           f"{min(shape).bit_length() - 1} for this shape.")
    return Params2D(J, shape, L, max_order, bool(check_choice("pre_pad", pre_pad,
                                                              (False, True))))
