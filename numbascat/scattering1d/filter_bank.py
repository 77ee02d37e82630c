"""1D Morlet / Gauss filter bank in the Fourier domain (Kymatio 0.3 numbers, compat spec §1.2-1.4).

Every filter is a Gaussian bump (minus a scaled Gaussian at 0 for Morlets) periodised over up to
9 periods and normalised to unit L1 norm in time. Away from its centre a Gaussian falls below
``exp(-CUTOFF) ~ 2e-22`` of its peak; those entries are below float64 rounding of the filter, so
each filter is computed and stored as one cyclic *band* of bins (start, length, values), all
filters at once with flat index arithmetic. Filters wider than the period are computed densely,
exactly as the spec describes. The bands are what is cached (compact on disk); dense stacks and
lower-resolution "levels" (the mean of ``2^k`` periods, spec §1.4 -- the mean, not the sum) are
laid out from them on demand.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.fft

from numbascat.cache import cached_arrays

__all__ = ["compute_params_filterbank", "filter_bank_1d", "layout", "morlet_1d",
           "temporal_support"]

#: Gaussian entries below exp(-CUTOFF) of the peak are dropped (2e-22: under float64 rounding).
CUTOFF = 50.0
_HALF_WIDTH = math.sqrt(2 * CUTOFF)  # band half-width in units of sigma
#: Bump when the numbers produced here change, so stale disk caches are rebuilt.
BANK_VERSION = 1


# ---------------------------------------------------------------------------------- parameters
def compute_params_filterbank(sigma_min: float, Q: int, alpha: float = 5.0,
                              r_psi: float = math.sqrt(0.5)):
    """Centre frequencies, bandwidths and maximal dyadic subsampling of one wavelet layer.

    Returns ``xi`` (F,) float64 decreasing, ``sigma`` (F,) float64 and ``j`` (F,) int64
    non-decreasing (spec §1.2).
    """
    xi_max = max(1.0 / (1.0 + 2 ** (3.0 / Q)), 0.35)
    c = 2 ** (-1.0 / Q)

    def sigma_psi(xi):
        return xi * (1 - c) / (1 + c) / np.sqrt(2 * np.log(1.0 / r_psi))

    sigma_max = sigma_psi(xi_max)
    if sigma_max <= sigma_min:
        xi, sigma, elbow = np.zeros(0), np.zeros(0), sigma_max  # sic (Kymatio)
    else:
        factor = 2 ** (1.0 / Q)
        threshold = sigma_min * factor
        # Repeated division, as a sequential accumulate (bit-identical to the scalar loop).
        n = int(math.ceil(math.log(sigma_max / threshold) / math.log(factor))) + 3
        steps = np.full(n + 1, factor)
        steps[0] = sigma_max
        sigma = np.divide.accumulate(steps)
        steps[0] = xi_max
        xi = np.divide.accumulate(steps)
        count = int(np.argmax(sigma <= threshold)) + 1  # keep up to the first one <= threshold
        xi, sigma = xi[:count], sigma[:count]
        elbow = xi[-1]
    q = np.arange(1, Q)
    xi = np.concatenate([xi, elbow - (q / Q) * elbow])
    sigma = np.concatenate([sigma, np.full(Q - 1, sigma_min)])
    j = np.floor(-np.log2(np.minimum(xi + alpha * sigma, 0.5))).astype(np.int64) - 1
    return xi, sigma, j


def _periods(sigma: np.ndarray) -> np.ndarray:
    """P per filter: 2P - 1 periods are summed (capped at P = 5)."""
    P = np.ceil(np.sqrt(-2 * sigma ** 2 * np.log(1e-7)) + 1)
    return np.minimum(P, 5).astype(np.int64)


# ------------------------------------------------------------------------- dense reference
def morlet_1d(N: int, xi: float | None, sigma: float) -> np.ndarray:
    """Dense Morlet (``xi`` truthy) or Gauss (``xi=None``) filter ``(N,)`` float64, unit time L1."""
    P = int(_periods(np.array([sigma]))[0])
    f = np.arange((1 - P) * N, P * N) / N
    low = np.exp(-f ** 2 / (2 * sigma ** 2)).reshape(2 * P - 1, N).mean(0)
    if xi:
        gab = np.exp(-(f - xi) ** 2 / (2 * sigma ** 2)).reshape(2 * P - 1, N).mean(0)
        h = gab - (gab[0] / low[0]) * low
    else:
        h = low
    return h / np.sum(np.abs(scipy.fft.ifft(h)))


def temporal_support(N: int, sigma_low: float, criterion: float = 1e-3) -> tuple[int, bool]:
    """Support of the unpadded low-pass filter (spec §1.5): ``(support, hit N // 2)``."""
    half = np.abs(scipy.fft.ifft(morlet_1d(N, None, sigma_low)))[: N // 2]
    tail = np.cumsum(half[::-1])[::-1]  # tail[n] = sum(half[n:])
    below = np.flatnonzero(tail <= criterion)
    if below.size == 0:
        return N // 2, True
    return int(below[0]) + 1, False


# --------------------------------------------------------------------------------- bands
def _sequential_period_sum(centre: np.ndarray, sigma: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Sum over p = 1-P..P-1 (ascending) of exp(-(p - centre)^2 / (2 sigma^2)): bin 0."""
    total = np.zeros(len(sigma))
    for p in range(-4, 5):  # over periods, vectorised across filters
        term = np.exp(-(p - centre) ** 2 / (2 * sigma ** 2))
        total = total + np.where(np.abs(p) <= P - 1, term, 0.0)
    return total


def _flat_positions(start, length, n):
    """Row of, and cyclic position in ``[0, n)`` of, every band entry (concatenated)."""
    rows = np.repeat(np.arange(len(length)), length)
    offsets = np.cumsum(length) - length
    pos = start[rows] + (np.arange(int(length.sum())) - offsets[rows])
    return rows, pos % n


def _bands(N: int, xi: np.ndarray, sigma: np.ndarray, gauss: bool):
    """Unnormalised bands ``(start, length, values)`` of Morlets (or Gausses) of length N."""
    F = len(sigma)
    P = _periods(sigma)
    nper = (2 * P - 1).astype(np.float64)
    centre = np.zeros(F) if gauss else xi
    if gauss:
        kappa = np.zeros(F)
        with_low = np.zeros(F, bool)
    else:
        kappa = (_sequential_period_sum(xi, sigma, P) / nper) / \
            (_sequential_period_sum(np.zeros(F), sigma, P) / nper)
    # Cut relative to the largest *sampled* value: a bump narrower than a bin peaks off-grid.
    width = sigma * N
    nearest = np.abs(centre * N - np.round(centre * N))
    x_min = nearest ** 2 / (2 * width ** 2)
    if not gauss:
        with_low = kappa > np.exp(-(x_min + CUTOFF))  # else kappa * low is below rounding
    half = width * np.sqrt(2 * (x_min + CUTOFF))
    lo = np.ceil(centre * N - half)
    lo = np.where(with_low, np.minimum(lo, np.ceil(-width * _HALF_WIDTH)), lo)
    lo = np.maximum(lo, (1 - P) * N).astype(np.int64)
    hi = np.minimum(np.floor(centre * N + half), P * N - 1).astype(np.int64)
    length = hi - lo + 1
    # Dense, exactly as specified: bands wider than a period, and Morlets whose nearest bin to
    # the centre is DC (h[0] = 0 cancels their sampled peak, so no relative cut is safe).
    wide = (length > N) | ((not gauss) & (np.round(centre * N) == 0))
    length = np.where(wide, N, length)
    start = np.where(wide, 0, lo % N)
    values = np.empty(int(length.sum()))
    offsets = np.cumsum(length) - length

    # One filter at a time, written in place: flat index arrays over all bands (rows, local
    # offsets, gathered parameters) cost more than the exponentials on long signals.
    for i in np.flatnonzero(~wide):
        f = np.arange(lo[i], lo[i] + length[i], dtype=np.float64)
        f /= N  # the very frequencies Kymatio's arange(...)/N gives
        band = values[offsets[i]:offsets[i] + length[i]]
        np.subtract(f, centre[i], out=band)
        np.square(band, out=band)
        band /= -(2 * sigma[i] ** 2)
        np.exp(band, out=band)
        band /= nper[i]
        if with_low[i]:
            np.square(f, out=f)
            f /= -(2 * sigma[i] ** 2)
            np.exp(f, out=f)
            f /= nper[i]
            f *= kappa[i]
            band -= f

    for p in np.unique(P[wide]):  # wide filters: dense over all periods, as specified
        idx = np.flatnonzero(wide & (P == p))
        f = np.arange((1 - p) * N, p * N) / N
        s2 = 2 * sigma[idx, None] ** 2
        low = np.exp(-f ** 2 / s2).reshape(len(idx), 2 * p - 1, N).mean(1)
        if gauss:
            h = low
        else:
            gab = np.exp(-(f - xi[idx, None]) ** 2 / s2).reshape(len(idx), 2 * p - 1, N).mean(1)
            h = gab - (gab[:, :1] / low[:, :1]) * low
        for row, i in enumerate(idx):
            values[offsets[i]:offsets[i] + N] = h[row]
    return start, length, values


def _norm_threads() -> int:
    """Threads for the norms' FFTs: the cores this process may use, at most 4."""
    from numbascat.backends.cpu_load import usable_cores

    return min(usable_cores(), 4)


def _time_l1_norms(N, start, length, values, chunk_bytes=32 * 2 ** 20):
    """``sum(|ifft(h)|)`` per filter, through real FFTs of the bands laid out densely.

    Most of a long bank's construction: 118 FFTs of 2^21 points took 8.9 s on one thread.
    The filters are split between up to :func:`_norm_threads` threads (SciPy's FFTs release
    the GIL; its own ``workers`` barely helped on a few long rows), each laying out chunks of
    at most ``chunk_bytes`` (one filter at least), so the numbers do not depend on the split.
    """
    F = len(length)
    norms = np.empty(F)
    # |ifft(h)| is even in time for real h: count every rfft bin twice except 0 and N/2.
    weights = np.full(N // 2 + 1, 2.0)
    weights[0] = 1.0
    if N % 2 == 0:
        weights[-1] = 1.0
    offsets = np.cumsum(length) - length
    step = max(1, chunk_bytes // (8 * N))

    def run(lo, hi):
        buffer = np.empty((min(step, hi - lo), N))
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            buffer.fill(0.0)  # a memset: cheap next to the FFT of the same rows
            for i in range(a, b):  # the cyclic band of filter i
                band = values[offsets[i]:offsets[i] + length[i]]
                first = min(len(band), N - int(start[i]))
                buffer[i - a, start[i]:start[i] + first] = band[:first]
                buffer[i - a, :len(band) - first] = band[first:]
            spectrum = np.abs(scipy.fft.rfft(buffer[: b - a], axis=-1))
            norms[a:b] = spectrum @ weights / N

    chunks = -(-F // step)
    threads = min(_norm_threads(), chunks)  # no thread without a chunk of its own
    if threads <= 1:
        run(0, F)
        return norms
    from concurrent.futures import ThreadPoolExecutor

    # Contiguous parts, each a whole number of chunks.
    bounds = [min(F, step * (chunks * k // threads)) for k in range(threads + 1)]
    with ThreadPoolExecutor(threads) as pool:
        parts = [pool.submit(run, lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]
        for part in parts:
            part.result()
    return norms


def normalised_bands(N: int, xi: np.ndarray, sigma: np.ndarray, gauss: bool):
    """Bands of unit-time-L1 filters: ``(start, length, values)``, values concatenated."""
    start, length, values = _bands(N, xi, sigma, gauss)
    norms = _time_l1_norms(N, start, length, values)
    values /= np.repeat(norms, length)
    return start, length, values


# ----------------------------------------------------------------------------- the bank
def _build(N_pad: int, J: int, Q: tuple[int, int], T: float, alpha: float, r_psi: float,
           sigma0: float) -> dict[str, np.ndarray]:
    sigma_min = sigma0 / 2 ** J
    arrays = {}
    for name, q in (("psi1", Q[0]), ("psi2", Q[1])):
        xi, sigma, j = compute_params_filterbank(sigma_min, q, alpha, r_psi)
        start, length, values = normalised_bands(N_pad, xi, sigma, gauss=False)
        arrays.update({f"{name}_xi": xi, f"{name}_sigma": sigma, f"{name}_j": j,
                       f"{name}_start": start, f"{name}_length": length,
                       f"{name}_values": values})
    sigma_low = np.array([sigma0 / T])
    start, length, values = normalised_bands(N_pad, np.zeros(1), sigma_low, gauss=True)
    arrays.update({"phi_sigma": sigma_low, "phi_start": start, "phi_length": length,
                   "phi_values": values})
    return arrays


def filter_bank_1d(N_pad: int, J: int, Q: tuple[int, int], T: float, alpha: float = 5.0,
                   r_psi: float = math.sqrt(0.5), sigma0: float = 0.1) -> dict[str, np.ndarray]:
    """The cached, read-only compact bank for padded length ``N_pad``.

    Keys, for ``name`` in ``psi1``, ``psi2``: ``{name}_xi``, ``{name}_sigma``, ``{name}_j`` (F,);
    ``{name}_start``, ``{name}_length`` (F,) and ``{name}_values`` (sum of lengths,): the cyclic
    band of each level-0 filter. ``phi_sigma`` (1,) and ``phi_start/length/values`` likewise.
    Use :func:`layout` to get dense filters at any resolution.
    """
    params = {"N_pad": int(N_pad), "J": int(J), "Q": [int(q) for q in Q], "T": float(T),
              "alpha": float(alpha), "r_psi": float(r_psi), "sigma0": float(sigma0),
              "cutoff": CUTOFF, "version": BANK_VERSION}
    return cached_arrays("morlet1d", params,
                         lambda: _build(N_pad, J, Q, float(T), alpha, r_psi, sigma0))


def layout(bank: dict[str, np.ndarray], name: str, N_pad: int, k: int,
           rows: np.ndarray | None = None) -> np.ndarray:
    """Dense filters ``(len(rows), N_pad / 2^k)`` of ``name`` at resolution ``k``.

    Level ``k`` is the mean of the ``2^k`` periods of length ``N_pad / 2^k`` of level 0, i.e. the
    filter for a signal subsampled by ``2^k`` (Kymatio 0.3 periodisation, spec §1.4).
    """
    start, length = bank[f"{name}_start"], bank[f"{name}_length"]
    values = bank[f"{name}_values"]
    offsets = np.cumsum(length) - length
    if rows is None:
        rows = np.arange(len(length))
    rows = np.asarray(rows, dtype=np.int64)
    n = N_pad >> k
    out = np.zeros((len(rows), n))
    if len(rows) == 0:
        return out
    sel_len = length[rows]
    r, pos = _flat_positions(start[rows], sel_len, n)
    src = np.repeat(offsets[rows], sel_len) + (np.arange(int(sel_len.sum()))
                                                - np.repeat(np.cumsum(sel_len) - sel_len, sel_len))
    v = values[src]
    if k:
        v = v / 2 ** k  # a power of two: exact, same as dividing the sum
    folded = sel_len > n  # several periods land on one bin: sum them (in ascending order)
    if folded.any():
        many = folded[r]
        np.add.at(out, (r[many], pos[many]), v[many])
        r, pos, v = r[~many], pos[~many], v[~many]
    out[r, pos] = v
    return out
