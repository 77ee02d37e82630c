"""Solid-harmonic wavelets in the Fourier domain (Kymatio 0.3 numbers, compat spec §3.2).

For ``l = 0..L`` and ``j = 0..J`` the filter ``psi_{l,j}`` is a stack ``(2l+1, M, N, O)``
complex64, row ``i`` holding order ``m = i - l``:

- ``l = 0``: the Gaussian ``exp(-sigma^2 |w|^2 / 2)`` (no normalisation), ``sigma = sigma_0 2^j``;
- ``l >= 1``: ``Y_l^m(theta, phi) (sigma |w|)^l exp(-sigma^2 |w|^2 / 2) c_l (2 pi)^{3/2} (-i)^l``.

Every float32 intermediate, rounding step and operation order below is the one that makes the
bank bit-identical to Kymatio 0.3.0's (checked on even and odd grids); do not "simplify" them.
The bank is built once per parameter set and cached in memory and on disk.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from numbascat.cache import cached_arrays

__all__ = ["filter_bank_3d", "filter_name", "frequency_grid", "grid_angles",
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


def _build(M: int, N: int, O: int, J: int, L: int, sigma_0: float) -> dict[str, np.ndarray]:
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
        stacks = [np.empty((2 * l + 1, M, N, O), np.complex64) for _ in sigmas]
        for i, m in enumerate(range(-l, l + 1)):
            Y = spherical_harmonic(l, m, polar, azimuth)  # shared by every j
            for stack, profile in zip(stacks, profiles, strict=True):
                stack[i] = Y * profile  # complex128 product rounded to complex64
        scale = np.float64(normalisation(l) * (2 * np.pi) ** 1.5)
        phase = (-1j) ** l
        for j, stack in enumerate(stacks):
            stack *= scale  # rounded again to complex64 after each factor, like Kymatio
            stack *= phase
            arrays[filter_name(l, j)] = stack
    return arrays


def filter_bank_3d(M: int, N: int, O: int, J: int, L: int,
                   sigma_0: float) -> dict[str, np.ndarray]:
    """The (cached, read-only) solid-harmonic filter bank for grid ``(M, N, O)``.

    Keys ``filter_name(l, j)`` for ``l = 0..L``, ``j = 0..J``; values ``(2l+1, M, N, O)``
    complex64, row ``i`` is ``m = i - l``.
    """
    params = {"M": int(M), "N": int(N), "O": int(O), "J": int(J), "L": int(L),
              "sigma_0": float(sigma_0)}
    return cached_arrays("harmonic3d", params,
                         lambda: _build(int(M), int(N), int(O), int(J), int(L), float(sigma_0)))
