"""Solid-harmonic wavelets in the Fourier domain (Kymatio 0.3 numbers, compat spec §3.2).

For ``l = 0..L`` and ``j = 0..J`` the filter ``psi_{l,j}`` is a stack ``(2l+1, M, N, O)``
complex64, row ``i`` holding order ``m = i - l``:

- ``l = 0``: the Gaussian ``exp(-sigma^2 |w|^2 / 2)`` (no normalisation), ``sigma = sigma_0 2^j``;
- ``l >= 1``: ``Y_l^m(theta, phi) (sigma |w|)^l exp(-sigma^2 |w|^2 / 2) c_l (2 pi)^{3/2} (-i)^l``.

Every float32 intermediate, rounding step and operation order below is the one that makes the
bank bit-identical to Kymatio 0.3.0's (checked on even and odd grids); do not "simplify" them.
The bank is built once per parameter set and cached in memory and on disk. Only the orders
``m >= 0`` are stored: ``psi_{l,j}[-m] = (-1)^(l+m) conj(psi_{l,j}[m])`` exactly (SciPy's
``Y_l^-m`` is ``(-1)^m conj(Y_l^m)`` to the bit, which the builder checks, and every later step
commutes with conjugation). Of each stack's ``2l+1`` orders the ``l`` negative ones are laid
out only when asked for: a third of the bank at ``L = 2``.
"""
from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Mapping

import numpy as np

from numbascat.backend_api import ConjugateSymmetricStack
from numbascat.cache import cached_arrays

__all__ = ["HarmonicFilterBank", "filter_bank_3d", "filter_name", "frequency_grid", "grid_angles",
           "normalisation", "spherical_harmonic"]


def filter_name(l: int, j: int) -> str:
    """Key of the stack ``psi_{l,j}`` in :func:`filter_bank_3d`."""
    return f"psi_l{l}_j{j}"


def frequency_grid(M: int, N: int, O: int) -> np.ndarray:
    """Angular frequencies ``(3, M, N, O)`` float32, axis 0 = (z, y, x), in DFT index order.

    Kymatio's construction ``ifftshift(mgrid[-M//2 : -M//2 + M, ...])`` with Python's floor
    division: for even sizes this is ``fftfreq * size``; for odd sizes the zero frequency lands
    at index 1, not 0 (a quirk kept on purpose for identical numbers).
    """
    grid = np.mgrid[-M // 2:-M // 2 + M, -N // 2:-N // 2 + N, -O // 2:-O // 2 + O]
    grid = np.fft.ifftshift(grid.astype(np.float32), axes=(1, 2, 3))
    for axis, size in enumerate((M, N, O)):
        grid[axis] *= 2 * np.pi / size  # in place: stays float32
    return grid


def grid_angles(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(polar, azimuth)`` float32 of each frequency.

    ``polar = arctan2(z, sqrt(x^2 + y^2)) + pi/2``, which is pi minus the usual polar angle
    (Kymatio's convention); ``azimuth = arctan2(y, x)``.
    """
    z, y, x = grid
    azimuth = np.arctan2(y, x)
    polar = np.arctan2(z, np.sqrt(x ** 2 + y ** 2)) + np.pi / 2
    return polar, azimuth


def _scipy_sph_harm_y() -> Callable:
    import scipy.special

    if hasattr(scipy.special, "sph_harm_y"):  # SciPy >= 1.15 (sph_harm is gone in 1.17)
        return scipy.special.sph_harm_y
    legacy = scipy.special.sph_harm  # SciPy 1.14: sph_harm(m, l, azimuth, polar)
    return lambda l, m, polar, azimuth: legacy(m, l, azimuth, polar)


def spherical_harmonic(l: int, m: int, polar: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """Orthonormal ``Y_l^m`` with the Condon-Shortley phase, complex128.

    Equals the removed ``scipy.special.sph_harm(m, l, azimuth, polar)`` bit for bit.
    """
    return _scipy_sph_harm_y()(l, m, polar, azimuth)


def normalisation(l: int) -> float:
    """Kymatio's constant ``c_l`` (its even and odd formulas are kept as they are)."""
    if l % 2 == 0:
        double_factorial = np.prod(np.arange(l + 1, 0, -2))
        return 1 / (2 * np.pi * np.sqrt(l + 0.5) * double_factorial)
    return 1 / (2 ** ((l + 3) / 2) * np.sqrt(np.pi * (2 * l + 1)) * math.gamma((l + 1) / 2 + 1))


#: Planes of the first axis per slab when the builder checks ``Y_l^-m`` against ``Y_l^m``
#: (bounds the check's temporaries, two complex128 slabs).
_CHECK_SLAB_VALUES = 1 << 20


def _mirror_orders_exact(l: int, m: int, Y: np.ndarray, polar: np.ndarray,
                         azimuth: np.ndarray) -> bool:
    """Whether ``Y_l^-m == (-1)^m conj(Y_l^m)`` holds exactly (SciPy derives negative orders
    this way; checked on every value, a slab at a time, rather than assumed)."""
    M = Y.shape[0]
    step = max(1, _CHECK_SLAB_VALUES // max(1, Y[0].size))
    sign = -1.0 if m % 2 else 1.0
    for a in range(0, M, step):
        b = min(M, a + step)
        direct = spherical_harmonic(l, -m, polar[a:b], azimuth[a:b])
        if not np.array_equal(direct, sign * np.conj(Y[a:b])):
            return False
    return True


def _build(M: int, N: int, O: int, J: int, L: int, sigma_0: float) -> dict[str, np.ndarray]:
    """The bank as stored: for ``l >= 1`` only the orders ``m = 0..l`` (rows ``0..l``) when the
    orders ``-m`` are exactly ``(-1)^(l+m)`` times their conjugates, else all ``2l+1``."""
    grid = frequency_grid(M, N, O)
    r2 = (grid ** 2).sum(axis=0)  # |w|^2, float32
    polar, azimuth = grid_angles(grid)
    del grid
    sigmas = [sigma_0 * 2 ** j for j in range(J + 1)]
    # Gaussian written with the Fourier width 1/sigma, in float32, as Kymatio rounds it.
    gaussians = [np.exp(-r2 / (2 * (1 / s) ** 2)) for s in sigmas]
    arrays = {}
    for j, gauss in enumerate(gaussians):
        arrays[filter_name(0, j)] = gauss.astype(np.complex64)[None]
    for l in range(1, L + 1):
        radial = np.sqrt(r2 ** l)  # |w|^l through (|w|^2)^l, float32
        profiles = [(radial * gauss) * s ** l for s, gauss in zip(sigmas, gaussians, strict=True)]
        del radial
        stacks = [np.empty((l + 1, M, N, O), np.complex64) for _ in sigmas]
        half = True
        for m in range(l + 1):
            Y = spherical_harmonic(l, m, polar, azimuth)  # shared by every j
            half = half and (m == 0 or _mirror_orders_exact(l, m, Y, polar, azimuth))
            for stack, profile in zip(stacks, profiles, strict=True):
                stack[m] = Y * profile  # complex128 product rounded to complex64
            del Y
        if not half:  # another SciPy: compute the negative orders too
            lower = [np.empty((l, M, N, O), np.complex64) for _ in sigmas]
            for i, m in enumerate(range(-l, 0)):
                Y = spherical_harmonic(l, m, polar, azimuth)
                for rows, profile in zip(lower, profiles, strict=True):
                    rows[i] = Y * profile
                del Y
            stacks = [np.concatenate([a, b]) for a, b in zip(lower, stacks, strict=True)]
        del profiles
        scale = np.float64(normalisation(l) * (2 * np.pi) ** 1.5)
        phase = (-1j) ** l
        for j, stack in enumerate(stacks):
            stack *= scale  # rounded again to complex64 after each factor, like Kymatio
            stack *= phase
            arrays[filter_name(l, j)] = stack
    return arrays


def _source(stack: np.ndarray, l: int) -> np.ndarray | ConjugateSymmetricStack:
    """A stored stack as the whole ``(2l+1, ...)`` stack: rows ``-m`` derived from ``m``."""
    if stack.shape[0] == 2 * l + 1:
        return stack
    # Row i < l is order m = i - l, equal to (-1)^(l + |m|) conj(order |m|) = (-1)^i conj(...).
    return ConjugateSymmetricStack(stack, [(-1) ** i for i in range(l)])


class HarmonicFilterBank(Mapping):
    """The solid-harmonic filter bank: ``bank[filter_name(l, j)]`` is the stack
    ``(2l+1, M, N, O)`` complex64, row ``i`` order ``m = i - l``, read-only.

    Only the orders ``m >= 0`` are stored (the others are exact conjugates): a stack asked for
    is laid out whole, once while it is held. :meth:`sources` gives the stacks without laying
    them out, for backends that use the stored orders alone.
    """

    def __init__(self, stored: dict[str, np.ndarray], L: int, J: int):
        self._stored = stored
        self._sources = {filter_name(l, j): _source(stored[filter_name(l, j)], l)
                         for l in range(L + 1) for j in range(J + 1)}

    def __getitem__(self, name: str) -> np.ndarray:
        source = self._sources[name]
        return source.dense() if isinstance(source, ConjugateSymmetricStack) else source

    def __iter__(self):
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def sources(self) -> dict[str, np.ndarray | ConjugateSymmetricStack]:
        """name -> the stack as stored: a numpy array, or a
        :class:`~numbascat.backend_api.ConjugateSymmetricStack` holding the orders ``m >= 0``."""
        return dict(self._sources)

    @property
    def nbytes(self) -> int:
        """Bytes the bank holds (the stored orders)."""
        return sum(s.upper.nbytes if isinstance(s, ConjugateSymmetricStack) else s.nbytes
                   for s in self._sources.values())


_banks: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_banks_lock = threading.Lock()


def filter_bank_3d(M: int, N: int, O: int, J: int, L: int,
                   sigma_0: float) -> HarmonicFilterBank:
    """The (cached, read-only) solid-harmonic filter bank for grid ``(M, N, O)``.

    Keys ``filter_name(l, j)`` for ``l = 0..L``, ``j = 0..J``; values ``(2l+1, M, N, O)``
    complex64, row ``i`` is ``m = i - l`` (see :class:`HarmonicFilterBank`).
    """
    params = {"M": int(M), "N": int(N), "O": int(O), "J": int(J), "L": int(L),
              "sigma_0": float(sigma_0), "stored": "m>=0"}
    stored = cached_arrays("harmonic3d", params,
                           lambda: _build(int(M), int(N), int(O), int(J), int(L),
                                          float(sigma_0)))
    key = tuple(params.values())
    with _banks_lock:
        bank = _banks.get(key)
        if bank is None or bank._stored is not stored:
            # One bank per cached entry: transforms of one parameter set share its stacks.
            bank = _banks[key] = HarmonicFilterBank(stored, int(L), int(J))
    return bank
