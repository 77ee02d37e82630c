"""``kymatio.scattering3d.utils``: densities made of Gaussians (Kymatio's QM7 example)."""
from __future__ import annotations

import numpy as np

__all__ = ["generate_weighted_sum_of_gaussians"]


def generate_weighted_sum_of_gaussians(grid, positions, weights, sigma):
    """Sums of normalised 3D Gaussians placed at ``positions``, weighted by ``weights``.

    Parameters
    ----------
    grid : array ``(3, M, N, O)``
        Coordinates of every voxel (e.g. ``np.mgrid[-M//2:-M//2+M, ...]``).
    positions : array ``(B, K, 3)``
        ``K`` centres per density, in the grid's coordinates.
    weights : array ``(B, K)``
        Weight of each Gaussian (0 for padding entries).
    sigma : float
        Width of every Gaussian.

    Returns
    -------
    array ``(B, M, N, O)`` float64: ``sum_k weights[b, k] * exp(-|g - p_bk|^2 / (2 sigma^2))
    / (2 pi sigma^2)^(3/2)``, so each Gaussian has unit mass on a fine, large grid.
    """
    grid = np.asarray(grid, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if grid.ndim != 4 or grid.shape[0] != 3:
        raise ValueError(f"grid must have shape (3, M, N, O), got {grid.shape}")
    if positions.ndim != 3 or positions.shape[-1] != 3:
        raise IndexError(f"positions must have shape (B, K, 3), got {positions.shape}")
    if weights.shape != positions.shape[:2]:
        raise IndexError(f"weights must have shape (B, K) = {positions.shape[:2]}, got "
                         f"{weights.shape}")
    sigma = float(sigma)
    norm = (2 * np.pi * sigma ** 2) ** 1.5
    out = np.zeros((positions.shape[0],) + grid.shape[1:])
    for b in range(positions.shape[0]):
        for k in range(positions.shape[1]):
            if weights[b, k] == 0:
                continue
            d2 = sum((grid[a] - positions[b, k, a]) ** 2 for a in range(3))
            out[b] += weights[b, k] * np.exp(-d2 / (2 * sigma ** 2))
    return out / norm
