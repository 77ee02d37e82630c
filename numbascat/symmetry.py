"""Conjugate-mirror pairs in filter stacks: work a backend may skip (part of the plugin API).

For a real signal ``x`` (Hermitian spectrum ``X``) and two filters with
``f_j[k] = s conj(f_i[-k])``, ``s = +-1``, the two filtered signals are conjugates up to sign:
``|ifft(X f_j)| = |ifft(X f_i)|``. The solid harmonics of the 3D transform pair the orders
``m`` and ``-m`` this way on even grids, so a quadrature modulus over the ``2l+1`` orders needs
only ``m = 0..l``, with ``m > 0`` counted twice. The pairing is checked on the filter values
themselves, to a few roundings of the signal precision: Kymatio's narrowest filters break it on
the Nyquist planes (deviation ~5e-2 of the peak), odd grids break it everywhere, and a
float32 bank used for float64 signals pairs only to float32 rounding; all of those keep the full
computation (:func:`stored_pairs` checks the pairs of a bank stored as its orders ``m >= 0``,
one pair at a time).
"""
from __future__ import annotations

import numpy as np

from numbascat.backend_api import ConjugateSymmetricStack

__all__ = ["PAIRING_TOLERANCE", "conjugate_pairs", "stored_pairs"]

#: Largest deviation from an exact pairing accepted, relative to the stack's peak, per real
#: signal dtype: a few roundings (float32 banks computed per order differ by 2-5 ulps).
PAIRING_TOLERANCE = {np.dtype(np.float32): 2.0 ** -20, np.dtype(np.float64): 2.0 ** -50}


def _mirror(row: np.ndarray, d: int) -> np.ndarray:
    """``conj(row[-k])`` over the trailing ``d`` axes."""
    mirrored = row
    for axis in range(-d, 0):
        n = row.shape[axis]
        mirrored = np.take(mirrored, (-np.arange(n)) % n, axis=axis)
    return np.conj(mirrored)


def _is_pair(row: np.ndarray, partner: np.ndarray, d: int, limit: float) -> bool:
    mirrored = _mirror(row, d)
    return any(float(np.abs(partner - sign * mirrored).max()) <= limit for sign in (1, -1))


def _limit(peak: float, real_dtype) -> float:
    return PAIRING_TOLERANCE[np.dtype(real_dtype)] * peak


def conjugate_pairs(filters: np.ndarray, d: int, real_dtype) -> bool:
    """Whether rows ``i`` and ``F-1-i`` of the complex stack ``filters`` ``(F, *s)`` (``d``
    signal axes) satisfy ``f[F-1-i][k] = +-conj(f[i][-k])`` for every ``i < F // 2``, within
    :data:`PAIRING_TOLERANCE` of the stack's peak for signals of ``real_dtype``."""
    filters = np.asarray(filters)
    F = filters.shape[0]
    if F < 2 or filters.ndim != d + 1 or not np.iscomplexobj(filters):
        return False
    limit = _limit(float(np.abs(filters).max()), real_dtype)
    return all(_is_pair(filters[i], filters[F - 1 - i], d, limit) for i in range(F // 2))


def stored_pairs(stack: ConjugateSymmetricStack, d: int, real_dtype) -> list[bool]:
    """For each derived row ``i`` of ``stack`` (with stored partner ``upper[k]``, see
    :attr:`~numbascat.backend_api.ConjugateSymmetricStack.partners`), whether the two are
    conjugate mirrors as in :func:`conjugate_pairs` (same tolerance, same peak). Each derived
    row exists only while it is compared."""
    upper = stack.upper
    peak = max(float(np.abs(row).max()) for row in upper)
    limit = _limit(peak, real_dtype)
    return [_is_pair(stack.rows(i, i + 1)[0], upper[k], d, limit) for i, k in stack.partners]
