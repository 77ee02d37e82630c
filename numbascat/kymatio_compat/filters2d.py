"""``kymatio.scattering2d.filter_bank.filter_bank``: Kymatio 0.3's 2D Morlet filter bank.

Built from :func:`numbascat.scattering2d.filter_bank.filter_bank_2d` (the transforms' filters).
"""
from __future__ import annotations

import numpy as np

from numbascat.scattering2d.filter_bank import filter_bank_2d
from numbascat.validation import check_int

__all__ = ["filter_bank"]


def filter_bank(M, N, J, L=8):
    """Kymatio 0.3's ``filter_bank(M, N, J, L)``: the Fourier filters for size ``(M, N)``.

    ``M`` and ``N`` are the (padded) sizes, multiples of ``2^(J-1)`` so that every level is a
    whole crop. Returns a dict:

    - ``'phi'``: ``{'levels': [(M/2^r, N/2^r) float32 for r = 0..J-1], 'j': J}``;
    - ``'psi'``: for ``j = 0..J-1`` then orientation ``theta = 0..L-1``, dicts
      ``{'levels': [(M/2^r, N/2^r) float32 for r < min(j+1, max(J-1, 1))], 'j', 'theta'}``
      (``theta`` is the orientation index).

    The arrays are fresh, writable copies.
    """
    M, N = check_int("M", M, minimum=1), check_int("N", N, minimum=1)
    J, L = check_int("J", J, minimum=1), check_int("L", L, minimum=1)
    bank = filter_bank_2d(M, N, J, L)
    psi = [{"levels": [np.array(bank[f"psi_j{j}_r{r}"][t])
                       for r in range(min(j + 1, max(J - 1, 1)))], "j": j, "theta": t}
           for j in range(J) for t in range(L)]
    phi = {"levels": [np.array(bank[f"phi_r{r}"][0]) for r in range(J)], "j": J}
    return {"psi": psi, "phi": phi}  # Kymatio's key order
