"""Conjugate-mirror pairs in filter stacks: work a backend may skip (part of the plugin API).

For a real signal ``x`` (Hermitian spectrum ``X``) and two filters with
``f_j[k] = s conj(f_i[-k])``, ``s = +-1``, the two filtered signals are conjugates up to sign:
``|ifft(X f_j)| = |ifft(X f_i)|``. The solid harmonics of the 3D transform pair the orders
``m`` and ``-m`` this way on even grids, so a quadrature modulus over the ``2l+1`` orders needs
only ``m = 0..l``, with ``m > 0`` counted twice. The pairing is checked on the filter values
themselves, to a few roundings of the signal precision: Kymatio's narrowest filters break it on
the Nyquist planes (deviation ~5e-2 of the peak), odd grids break it everywhere, and a
float32 bank used for float64 signals pairs only to float32 rounding; all of those keep the full
computation.
"""
from __future__ import annotations

import numpy as np

__all__ = ["PAIRING_TOLERANCE", "conjugate_pairs"]

#: Largest deviation from an exact pairing accepted, relative to the stack's peak, per real
#: signal dtype: a few roundings (float32 banks computed per order differ by 2-5 ulps).
PAIRING_TOLERANCE = {np.dtype(np.float32): 2.0 ** -20, np.dtype(np.float64): 2.0 ** -50}


def conjugate_pairs(filters: np.ndarray, d: int, real_dtype) -> bool:
    """Whether rows ``i`` and ``F-1-i`` of the complex stack ``filters`` ``(F, *s)`` (``d``
    signal axes) satisfy ``f[F-1-i][k] = +-conj(f[i][-k])`` for every ``i < F // 2``, within
    :data:`PAIRING_TOLERANCE` of the stack's peak for signals of ``real_dtype``."""
    filters = np.asarray(filters)
    F = filters.shape[0]
    if F < 2 or filters.ndim != d + 1 or not np.iscomplexobj(filters):
        return False
    limit = PAIRING_TOLERANCE[np.dtype(real_dtype)] * float(np.abs(filters).max())
    for i in range(F // 2):
        mirrored = filters[i]
        for axis in range(d):
            n = filters.shape[axis + 1]
            mirrored = np.take(mirrored, (-np.arange(n)) % n, axis=axis)
        mirrored = np.conj(mirrored)
        partner = filters[F - 1 - i]
        if not any(float(np.abs(partner - sign * mirrored).max()) <= limit for sign in (1, -1)):
            return False
    return True
