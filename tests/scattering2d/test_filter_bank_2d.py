"""The 2D Gabor filters skip only terms that round to exactly zero: bit-identical to the full
5x5-tile sum (the rounding Kymatio's numbers come from)."""
import numpy as np
import pytest

from numbascat.scattering2d import filter_bank as fb


def full_sum(M, N, sigma, theta, xi, slant):
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]], np.float32)
    R_inv = np.array([[c, s], [-s, c]], np.float32)
    curv = R @ np.array([[1, 0], [0, slant * slant]]) @ R_inv / (2 * sigma * sigma)
    cross = curv[0, 1] + curv[1, 0]
    kx, ky = xi * np.cos(theta), xi * np.sin(theta)
    rows = np.arange(-2 * M, 3 * M, dtype=np.float64).reshape(5, M)
    cols = np.arange(-2 * N, 3 * N, dtype=np.float64).reshape(5, N)
    gab = np.zeros((M, N), np.complex64)
    for ex in range(5):
        xx = rows[ex][:, None]
        for ey in range(5):
            yy = cols[ey][None, :]
            gab += np.exp(-(curv[0, 0] * xx * xx + cross * xx * yy + curv[1, 1] * yy * yy)
                          + 1j * (xx * kx + yy * ky))
    gab /= 2 * fb._KYMATIO_PI * sigma * sigma / slant
    return gab


@pytest.mark.parametrize("M,N,sigma,theta,xi,slant", [
    (40, 48, 0.8, 0.3, 2.3, 0.5), (64, 64, 3.2, 1.2, 0.6, 0.5), (16, 24, 6.4, 0.0, 0.0, 0.5),
    (128, 96, 12.8, 2.0, 0.3, 0.5), (33, 17, 1.6, 2.7, 1.1, 1.0), (8, 8, 25.6, 0.4, 0.0, 0.25)])
def test_gabor_is_the_full_tile_sum_bit_for_bit(M, N, sigma, theta, xi, slant):
    np.testing.assert_array_equal(fb.gabor_2d(M, N, sigma, theta, xi, slant),
                                  full_sum(M, N, sigma, theta, xi, slant))
