"""Frequency-axis operations of the ``numba`` backend (joint time-frequency scattering).

JTFS filters a coefficient ``(..., n, t)`` along its first-order index n (a few hundred bins
at most) for every time sample. The backend's frequency spectrum (:meth:`frequency_fft`) is a
:class:`FrequencySpectrum`: the spectrum stored transposed, ``(..., t, N)``, so that the FFTs
run along contiguous rows, in blocks of a fixed number of rows (one plan per length N, cheap to
measure and reused at every signal length and batch size).

:meth:`FrequencyAxisOps.frequency_modulus` is the fast path. For one signal and one filter it
works through blocks of time samples small enough to stay in cache: support-limited product
and periodisation, inverse FFT along the block's rows, modulus written back in the natural
``(n, t)`` layout; then, when asked, it low-passes the rows in time, in blocks of rows. The
complex product (twice the output) never exists whole. The (signal, filter) pairs, or the
blocks of one pair when there are too few pairs, are spread over the idle cores.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numbascat.backends import fftw_plans as fp
from numbascat.backends import frequency_kernels as fk
from numbascat.backends.numba_kernels import float_view as _fview

__all__ = ["FrequencyAxisOps", "FrequencySpectrum", "FrequencyWeights", "frequency_weights"]

#: Bytes of one complex block of time samples (rows of the transposed spectrum).
BLOCK_BYTES = 256 << 10
#: Bytes of the block of rows one worker low-passes in time at a time.
ROW_BLOCK_BYTES = 2 << 20
#: Below this many output values per (signal, filter), the blocks run on one thread: handing
#: them to workers costs more than it saves.
PARALLEL_MIN_VALUES = 1 << 16
#: Filter stacks whose nonzero entries are kept (per stack, periodisation, precision).
_WEIGHTS_CACHE_SIZE = 256


@dataclass(frozen=True)
class FrequencySpectrum:
    """The numba backend's spectrum along axis -2 of a signal ``(*lead, n, t)``: ``data``
    ``(B, t, n)`` complex, the spectrum of each signal transposed."""

    data: np.ndarray
    lead: tuple

    @property
    def n(self) -> int:
        return self.data.shape[-1]


@dataclass(frozen=True)
class FrequencyWeights:
    """The nonzero entries of a frequency filter stack ``(F, n, 1)``, scaled by ``1/k``, as
    runs of consecutive bins that do not wrap under the periodisation by ``k``."""

    F: int
    n: int
    k: int
    ptr: np.ndarray  # (F + 1,) int64: filter f owns runs[ptr[f]:ptr[f+1]]
    runs: np.ndarray  # (R, 4) int64: m0, m1, i0, v0
    re: np.ndarray  # weights, real precision of the signal (each twice when ``real``)
    im: np.ndarray
    real: bool  # every im is 0


_weights_cache: dict = {}


def _runs_of(row: np.ndarray, nk: int):
    """(m0, m1) runs of the nonzero bins of ``row``, cut at multiples of ``nk``."""
    nz = np.flatnonzero(row)
    if not len(nz):
        return []
    cuts = np.flatnonzero((np.diff(nz) != 1) | (nz[1:] % nk == 0)) + 1
    return [(int(part[0]), int(part[-1]) + 1) for part in np.split(nz, cuts)]


def frequency_weights(filters, dense, k: int, real: np.dtype) -> FrequencyWeights:
    """The support of a prepared frequency stack (``dense()`` gives its ``(F, n, 1)`` array),
    cached per stack object: ``filters`` stays referenced by its entry, so that its ``id``
    cannot be reused meanwhile."""
    key = (id(filters), int(k), np.dtype(real).str)
    hit = _weights_cache.get(key)
    if hit is not None and hit[0] is filters:
        return hit[1]
    f = np.asarray(dense())
    if f.ndim != 3 or f.shape[-1] != 1:
        raise ValueError(f"frequency filters must be prepared from a stack (F, n, 1); got "
                         f"shape {f.shape}")
    f = f[..., 0]
    F, n = f.shape
    if k < 1 or n % k:
        raise ValueError(f"frequency subsampling k={k} must divide the frequency length n={n}")
    nk = n // k
    ptr, runs, values = [0], [], []
    offset = 0
    for row in f:
        for m0, m1 in _runs_of(row, nk):
            runs.append((m0, m1, m0 % nk, offset))
            values.append(row[m0:m1])
            offset += m1 - m0
        ptr.append(len(runs))
    vals = (np.concatenate(values) if values else np.zeros(0)) / k
    is_real = not np.iscomplexobj(vals) or not np.any(np.imag(vals))
    re = np.repeat(np.real(vals), 2) if is_real else np.real(vals)  # real: re/im lanes
    weights = FrequencyWeights(F, n, int(k), np.asarray(ptr, np.int64),
                               np.asarray(runs, np.int64).reshape(-1, 4),
                               np.ascontiguousarray(re, dtype=real),
                               np.ascontiguousarray(np.imag(vals), dtype=real), is_real)
    if len(_weights_cache) >= _WEIGHTS_CACHE_SIZE:
        _weights_cache.clear()
    _weights_cache[key] = (filters, weights)
    return weights


def _blocks(total: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(total, a + step)) for a in range(0, total, step)]


def _split(items: list, parts: int) -> list[list]:
    """``items`` in ``parts`` contiguous groups of near-equal length (none empty)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        stop = start + size + (i < extra)
        out.append(items[start:stop])
        start = stop
    return out


def _block_rows(n: int, itemsize: int) -> int:
    """Time samples per block: a multiple of 8 (so blocks of a C-contiguous ``(t, n)`` array
    stay SIMD-aligned) holding about :data:`BLOCK_BYTES`."""
    return max(8, (BLOCK_BYTES // (n * 2 * itemsize)) // 8 * 8)


def _workers() -> int:
    """Threads one call may spread its blocks over: none inside a parallel section (the
    caller's batch parts are the parallelism), else the free threads."""
    return 1 if fp.in_parallel() else fp.free_threads()


def _fft_rows(kind: str, block: np.ndarray) -> None:
    """In-place unnormalised FFT along the rows of a C-contiguous block."""
    # pocketfft where the length has a prime factor above 13, which FFTW has no codelet for
    # (blocks of 256 KiB, one thread: n = 136, 272, 68 took 2.2x longer in FFTW, measured plans
    # included; n = 128, 120, 30 were faster in FFTW).
    if fp.large_prime_factor(block.shape[-1]):
        import scipy.fft

        # norm='forward' leaves the inverse unscaled, like FFTW's.
        transform = scipy.fft.fft if kind == "fft" else scipy.fft.ifft
        result = transform(block, axis=-1, norm="backward" if kind == "fft" else "forward",
                           overwrite_x=True, workers=1)
        if result is not block:
            block[...] = result
        return
    if fp.is_aligned(block):
        fp.execute(kind, block, block, 1)
        return
    tmp = fp.aligned(block)
    fp.execute(kind, tmp, tmp, 1)
    block[...] = tmp


def _run(tasks: list) -> None:
    """Run the callables ``tasks`` concurrently (inline when there is one)."""
    if len(tasks) > 1:
        fp.run_parallel(tasks)
    elif tasks:
        tasks[0]()


class FrequencyAxisOps:
    """Mixin of :class:`~numbascat.backends.numba_backend.NumbaBackend`: the JTFS ops along
    axis -2 (see the module docstring). Relies on the host's ``rfft``, ``lowpass_irfft``,
    ``real_dtype`` and ``_filter_array``."""

    def frequency_fft(self, x, real_input):
        return self.frequency_fft_padded(x, x.shape[-2], real_input)

    def frequency_fft_padded(self, x, n, real_input):
        x = np.ascontiguousarray(x)
        lead, (m, t) = x.shape[:-2], x.shape[-2:]
        if n < m:
            raise ValueError(f"frequency_fft_padded: n={n} is shorter than the {m} rows of x")
        B = math.prod(lead)
        src = x.reshape((B, m, t))
        cplx = np.iscomplexobj(src)
        out = fp.empty((B, t, n), np.result_type(x.dtype, np.complex64))
        rows = _block_rows(n, out.real.itemsize)
        items = [(b, t0, t1) for b in range(B) for t0, t1 in _blocks(t, rows)]

        def run(group):
            for b, t0, t1 in group:
                block = out[b, t0:t1]
                xv = _fview(src[b]) if cplx else src[b]
                fk.transpose_pad(xv, cplx, t0, t1, _fview(block))
                _fft_rows("fft", block)

        workers = _workers() if B * n * t >= PARALLEL_MIN_VALUES else 1
        _run([lambda g=g: run(g) for g in _split(items, workers)])
        return FrequencySpectrum(out, lead)

    def _spectrum_weights(self, x_hat, filters, k):
        if not isinstance(x_hat, FrequencySpectrum):
            raise TypeError(f"the numba backend's frequency ops take the FrequencySpectrum of "
                            f"its frequency_fft; got {type(x_hat).__name__}")
        real = self.real_dtype(x_hat.data)
        w = frequency_weights(filters, lambda: self._filter_array(filters), int(k), real)
        if w.n != x_hat.n:
            raise ValueError(f"frequency filters of length {w.n} do not match a spectrum with "
                             f"{x_hat.n} frequency bins")
        return w, real

    def frequency_filter(self, x_hat, filters, k):
        w, _ = self._spectrum_weights(x_hat, filters, k)
        X = x_hat.data
        B, t, n = X.shape
        nk = n // w.k
        out = fp.empty((B, w.F, nk, t), X.dtype)
        rows = _block_rows(nk, out.real.itemsize)
        scratch = {}
        for b in range(B):
            xv = _fview(X[b])
            for f in range(w.F):
                ov = _fview(out[b, f])
                for t0, t1 in _blocks(t, rows):
                    buf = scratch.get(t1 - t0)
                    if buf is None:
                        buf = scratch[t1 - t0] = fp.empty((t1 - t0, nk), X.dtype)
                    bv = _fview(buf)
                    fk.block_product(xv, t0, t1, w.runs, w.ptr, w.re, w.im, w.real, f, bv)
                    _fft_rows("ifft", buf)
                    fk.transpose_block(bv, 1.0 / nk, ov, t0)
        return out.reshape(x_hat.lead + (w.F, nk, t))

    def frequency_modulus(self, x_hat, filters, k, lowpass=None):
        w, real = self._spectrum_weights(x_hat, filters, k)
        X = x_hat.data
        B, t, n = X.shape
        nk = n // w.k
        if lowpass is not None:
            phi, kt = lowpass
            kt = int(kt)
            if kt < 1 or t % kt:
                raise ValueError(f"frequency_modulus: time subsampling {kt} must divide t={t}")
        t_out = t if lowpass is None else t // kt
        out = np.empty((B, w.F, nk, t_out), real)
        pairs = [(b, f) for b in range(B) for f in range(w.F)]
        workers = _workers() if nk * t >= PARALLEL_MIN_VALUES else 1
        # Enough pairs: each worker takes whole pairs; else the blocks of each pair are split.
        across_pairs = workers > 1 and len(pairs) >= workers
        inner = 1 if across_pairs else workers

        def run(group):
            scratch = {}
            U = fp.empty((nk, t), real) if lowpass is not None else None
            for b, f in group:
                dest = out[b, f] if U is None else U
                self._modulus_rows(X[b], w, f, nk, dest, inner, scratch)
                if U is not None:
                    self._lowpass_rows(U, phi, kt, out[b, f], inner)

        _run([lambda g=g: run(g) for g in _split(pairs, workers if across_pairs else 1)])
        return out.reshape(x_hat.lead + (w.F, nk, t_out))

    def _modulus_rows(self, Xb, w, f, nk, dest, workers, scratch):
        """``dest (nk, t) = |ifft_n(periodise(X * w_f))|``, block by block of time samples;
        ``Xb`` (t, n) is one signal's transposed spectrum."""
        t = Xb.shape[0]
        xv = _fview(Xb)
        rows = _block_rows(nk, Xb.real.itemsize)

        def run(blocks, scratch):
            if "tmp" not in scratch:
                scratch["tmp"] = np.empty((rows, nk), dest.dtype)
            for t0, t1 in blocks:
                buf = scratch.get(t1 - t0)
                if buf is None:
                    buf = scratch[t1 - t0] = fp.empty((t1 - t0, nk), Xb.dtype)
                bv = _fview(buf)
                fk.block_product(xv, t0, t1, w.runs, w.ptr, w.re, w.im, w.real, f, bv)
                _fft_rows("ifft", buf)
                fk.modulus_transposed(bv, 1.0 / nk, dest, t0, scratch["tmp"])

        blocks = _blocks(t, rows)
        if workers > 1 and len(blocks) > 1:
            fp.run_parallel([lambda g=g: run(g, {}) for g in _split(blocks, workers)])
        else:
            run(blocks, scratch)

    def _lowpass_rows(self, U, phi, kt, dest, workers):
        """``dest (r, t // kt)``: the rows of ``U (r, t)`` low-passed by ``phi`` in time."""
        r, t = U.shape
        rows = max(1, min(r, ROW_BLOCK_BYTES // (t * U.itemsize)))

        def run(blocks):
            for r0, r1 in blocks:
                dest[r0:r1] = self.lowpass_irfft(self.rfft(U[r0:r1], 1), phi, (kt,), 1, (t,))

        blocks = _blocks(r, rows)
        if workers > 1 and len(blocks) > 1:
            fp.run_parallel([lambda g=g: run(g) for g in _split(blocks, workers)])
        else:
            run(blocks)
