"""The fused wavelet step of the ``numba`` backend: filter, periodise, invert, modulus, FFT.

``multiply_subsample`` followed by ``ifft_modulus_rfft`` writes the whole complex product and
the whole modulus to memory before the next stage reads them back: together 3x the spectrum
that comes out. :meth:`WaveletModulusOps.wavelet_modulus_rfft` runs the four stages on blocks
of (signal, filter) pairs instead, each block sized to stay in a core's cache, so only the
output spectra reach memory (2d-imagenet: traced working memory 29.3 -> 20.8 MiB). Pairs
too large for a cache go one per block: still a product of one filter at a time, not of the
whole stack.

The product kernel reads the columns past the half of each spectrum from a mirrored copy
(:func:`mirrored_half`), so that they are not read backwards once per filter: every loop runs
forwards and vectorises (one 2064^2 spectrum and one filter at j = 0: 8.7 ms read backwards,
3.2 ms forwards, the mirror 1.1 ms).
The copy is made once per signal and call, or once for a whole sequence of stacks
(:meth:`WaveletModulusOps.wavelet_modulus_rfft_stacks`). The sums are those of the unfused
kernel, term for term and in the same order; only the FFT plans for the blocks differ.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from numbascat.backends import fftw_plans as fp
from numbascat.backends.lazy_jit import njit
from numbascat.backends.numba_kernels import float_view, modulus_scaled

__all__ = ["PAIR_BLOCK_BYTES", "SHARED_MIRROR_MAX_BYTES", "WaveletModulusOps", "mirrored_half",
           "multiply_periodise_pairs"]

#: Target size of one block's complex product (bytes): the product, its modulus and its
#: spectrum (2.0x the product together) fit a 2 MiB L2 cache.
PAIR_BLOCK_BYTES = 1 << 19
#: :meth:`WaveletModulusOps.wavelet_modulus_rfft_stacks` mirrors the spectra once for all its
#: stacks when the mirrored columns take at most this many bytes (a 2048^2 image: 17 MB).
SHARED_MIRROR_MAX_BYTES = 32 << 20
#: Calls with fewer output values (pairs x product size) run their blocks on one thread.
PARALLEL_MIN_VALUES = 1 << 18


@njit(cache=True, nogil=True)
def mirrored_half(Xv, b0, b1, N, c_lo, mv):
    """The columns past the half of the full spectra of signals ``b0:b1``.

    Xv : (B, L, M, 2*(N//2+1)) float view of half spectra; mv : (>= b1 - b0, L, M,
    2*(N - N//2 - 1)) float view, item ``i`` given, on each row ``(a, r)``, columns
    ``c = c_lo[a * M + r] .. N-1`` (the filters read no column before it there) of signal
    ``b0 + i`` at ``2*(c - N//2 - 1)``, by Hermitian symmetry:
    ``X[a, r, c] = conj(X[-a, -r, N - c])``.
    """
    L, M, h = Xv.shape[1], Xv.shape[2], N // 2 + 1
    for i in range(b1 - b0):
        for a in range(L):
            an = (L - a) % L
            for r in range(M):
                dst = mv[i, a, r]
                mirror = Xv[b0 + i, an, (M - r) % M]
                for c in range(max(h, c_lo[a * M + r]), N):
                    dst[2 * (c - h)] = mirror[2 * (N - c)]
                    dst[2 * (c - h) + 1] = -mirror[2 * (N - c) + 1]


@njit(cache=True, nogil=True)
def multiply_periodise_pairs(Xv, mv, first, fv, ptr, seg, p0, p1, F, N, k0, k1, k2, ov):
    """Pairs ``p0:p1`` (pair ``p`` is signal ``p // F`` with filter ``p % F``) of
    :func:`numbascat.backends.numba_kernels.multiply_periodise_real`.

    Xv : (B, L, M, 2*(N//2+1)) float view of the half spectra.
    mv : (S, L, M, 2*(N - N//2 - 1)) their columns past the half (:func:`mirrored_half`) for
        signals ``first:first + S``, holding every signal the pairs use: every segment is
        read forwards (no backwards read per filter), so every loop vectorises.
    fv, ptr, seg : the real stack's values and support cut, as for ``multiply_periodise_real``.
    ov : (>= p1 - p0, L//k0, M//k1, 2*(N//k2)) float view; its first ``p1 - p0`` items are
        overwritten with the periodised sums of products, pair ``p`` at item ``p - p0``; unlike
        there, not yet divided by ``k0 k1 k2`` (the caller folds that power of two into its
        next scaling).

    Every output value is the sum of the same terms, added in the same order, as there.
    """
    L, M = Xv.shape[1], Xv.shape[2]
    h = N // 2 + 1
    Lk, Mk, Nk = L // k0, M // k1, ov.shape[3] // 2
    of = ov.reshape(-1)
    o_row = 2 * Nk
    o_pair = Lk * Mk * o_row
    of[:(p1 - p0) * o_pair] = 0.0
    # Rows outermost, then filters, then the block's signals for that filter: a segment's
    # bookkeeping is paid once for all of them, and the block's rows stay in cache.
    for a in range(L):
        ao = a % Lk
        for r in range(M):
            o_row_at = (ao * Mk + r % Mk) * o_row
            for fi in range(F):
                q0 = (fi - p0) % F  # first item of the block that uses filter fi
                if q0 >= p1 - p0:
                    continue
                b0 = (p0 + q0) // F
                nb = (p1 - p0 - q0 + F - 1) // F
                row = (fi * L + a) * M + r
                for p in range(ptr[row], ptr[row + 1]):
                    sc, ec, j = seg[p, 0], seg[p, 1], 2 * seg[p, 2]
                    nc = ec - sc
                    v0 = seg[p, 4]
                    fs = fv[v0:v0 + nc]
                    past = seg[p, 3] != 0
                    for i in range(nb):
                        if past:
                            xs = mv[b0 + i - first, a, r, 2 * (sc - h):2 * (ec - h)]
                        else:
                            xs = Xv[b0 + i, a, r, 2 * sc:2 * ec]
                        dst = (q0 + i * F) * o_pair + o_row_at + j
                        os_ = of[dst:dst + 2 * nc]
                        for t in range(nc):
                            f = fs[t]
                            os_[2 * t] += xs[2 * t] * f
                            os_[2 * t + 1] += xs[2 * t + 1] * f


def _first_mirrored_columns(filters, Nk: int, ptr, seg, N: int) -> np.ndarray:
    """Per signal row ``(a, r)`` (flat, ``L * M``), the first column past the half that a
    segment of any filter reads there, ``N`` if none: low-frequency wavelets read a few
    columns of a few rows there, and only those are mirrored (cached per ``Nk``)."""
    key = ("first mirrored columns", Nk)
    value = filters._segments.get(key)
    if value is None:
        rows_per_filter = (len(ptr) - 1) // filters.shape[0]
        row = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr)) % rows_per_filter
        past = seg[:, 3] != 0
        value = np.full(rows_per_filter, N, np.int64)
        np.minimum.at(value, row[past], seg[past, 0])
        filters._segments[key] = value
    return value


def _block_pairs(pairs: int, F: int, fit: int) -> int:
    """Pairs per block: at most ``fit`` (at least 1); a multiple of the filter count ``F`` when
    it holds ``F`` or more, so that such blocks cover whole signals. Full blocks and one
    shorter last block: two FFT plan shapes per call at most."""
    fit = max(1, min(pairs, fit))
    return fit - fit % F if fit >= F else fit


def _mirror_all(X: np.ndarray, N: int) -> np.ndarray:
    """Float view of every column past the half of every signal of the half spectra ``X``
    ``(B, L, M, N//2+1)`` (:func:`mirrored_half` from the first such column), made once for
    several stacks (:meth:`WaveletModulusOps.wavelet_modulus_rfft_stacks`)."""
    B, L, M = X.shape[:3]
    mirrored = fp.empty((B, L, M, N - N // 2 - 1), X.dtype)
    mv = float_view(mirrored)
    mirrored_half(float_view(X), 0, B, N, np.zeros(L * M, np.int64), mv)
    return mv


def _blocking(B: int, F: int, n_low: int, itemsize: int) -> tuple[int, int]:
    """Pairs per block (:func:`_block_pairs`) for ``B`` signals and ``F`` filters whose
    products have ``n_low`` values, and the signals whose mirrored halves one worker holds at
    a time (those a block can touch)."""
    block = _block_pairs(B * F, F, PAIR_BLOCK_BYTES // (n_low * itemsize))
    return block, min(B, -(-block // F) + (block % F != 0 and F % block != 0))


class WaveletModulusOps:
    """Mixin of :class:`~numbascat.backends.numba_backend.NumbaBackend`: the fused
    ``wavelet_modulus_rfft`` (module docstring)."""

    def wavelet_modulus_rfft(self, x_hat, filters, k, d):
        return self._wavelet_modulus_rfft(x_hat, filters, k, d, None)

    def wavelet_modulus_rfft_stacks(self, x_hat, stacks, d):
        """One spectrum through several stacks. Where each call would mirror every signal
        of the batch at once (large images, small batches) and that mirror fits
        :data:`SHARED_MIRROR_MAX_BYTES`, it is made once for all the stacks and freed when
        the iterator ends: the 2D second order filters one spectrum by up to ``L (J - 1)``
        stacks in turn, and mirroring it for each cost 13 % of a 2048^2 image's transform."""
        from numbascat.backends.numba_backend import PreparedStack

        shared = None
        for filters, k in stacks:
            if not isinstance(filters, PreparedStack):
                filters = self.prepare_filters(filters, self.real_dtype(x_hat))
            if shared is None and not filters.is_complex:
                from numbascat.backends.numba_backend import _canon, _check_half

                _check_half(x_hat, tuple(filters.shape[1:]), d, "wavelet_modulus_rfft_stacks")
                L, M, N = _canon(tuple(filters.shape[1:]))
                X = np.ascontiguousarray(x_hat).reshape((-1, L, M, N // 2 + 1))
                B, F = X.shape[0], filters.shape[0]
                n_low = math.prod(n // int(kk) for n, kk in zip(filters.shape[1:], k,
                                                                 strict=True))
                # Only where each call would mirror every signal anyway: a window of fewer
                # signals stays in cache, the whole batch's mirror would not (2d-imagenet,
                # 12 images of 240^2: 11 % slower shared).
                if (_blocking(B, F, n_low, X.itemsize)[1] == B and X.nbytes * (N - N // 2 - 1)
                        // (N // 2 + 1) <= SHARED_MIRROR_MAX_BYTES):
                    shared = _mirror_all(X, N)
            yield self._wavelet_modulus_rfft(x_hat, filters, k, d, shared)

    def _wavelet_modulus_rfft(self, x_hat, filters, k, d, shared: np.ndarray | None):
        from numbascat.backends.numba_backend import PreparedStack, _canon, _check_half

        if not isinstance(filters, PreparedStack):
            filters = self.prepare_filters(filters, self.real_dtype(x_hat))
        s = tuple(filters.shape[1:])
        k = tuple(int(v) for v in k)
        s_low = tuple(n // kk for n, kk in zip(s, k, strict=True))
        n_low = math.prod(s_low)
        if filters.is_complex:
            return super().wavelet_modulus_rfft(x_hat, filters, k, d)
        _check_half(x_hat, s, d, "wavelet_modulus_rfft")
        lead = x_hat.shape[:-d]
        B, F = math.prod(lead), filters.shape[0]
        L, M, N = _canon(s)
        k3 = _canon(k)
        half_low = s_low[:-1] + (s_low[-1] // 2 + 1,)
        X = np.ascontiguousarray(x_hat).reshape((B, L, M, N // 2 + 1))
        out = fp.empty((B * F,) + half_low, x_hat.dtype)
        pairs = B * F
        block, held = _blocking(B, F, n_low, x_hat.itemsize)
        ptr, seg = filters.segments(s_low[-1])
        c_lo = _first_mirrored_columns(filters, s_low[-1], ptr, seg, N)
        fv = filters.kernel_values()
        # The periodisation's 1/prod(k) (a power of two) goes with the modulus's 1/n_low: the
        # products and the inverse FFT scale exactly, so this rounds as scaled filters would.
        modulus_scale = 1.0 / (n_low * math.prod(k3))
        Xv = float_view(X)
        real = self.real_dtype(x_hat)
        # The mirrored halves of the signals the current block uses (``held`` of them), each
        # made once per call and worker (the blocks walk the signals in order); or shared.

        def run(first_pair: int, last_pair: int) -> None:
            t = fp.empty((block,) + s_low, x_hat.dtype)
            u = fp.empty((block,) + s_low, real)
            tv, uf = float_view(t.reshape((block,) + _canon(s_low))), u.reshape(-1)
            if shared is None:
                mirrored = fp.empty((held, L, M, N - N // 2 - 1), x_hat.dtype)
                mv = float_view(mirrored)
                w0 = w1 = 0
            else:
                mv, w0, w1 = shared, 0, B
            for p0 in range(first_pair, last_pair, block):
                p1 = min(last_pair, p0 + block)
                rows = p1 - p0
                b_lo, b_hi = p0 // F, (p1 - 1) // F + 1
                if b_lo < w0 or b_hi > w1:
                    keep = max(0, w1 - b_lo)
                    if keep:
                        mirrored[:keep] = mirrored[b_lo - w0:w1 - w0]
                    start = b_lo + keep
                    w0, w1 = b_lo, min(B, b_lo + held)
                    mirrored_half(Xv, start, w1, N, c_lo, mv[keep:])
                multiply_periodise_pairs(Xv, mv, w0, fv, ptr, seg, p0, p1, F, N, *k3, tv)
                tc, uc = t[:rows], u[:rows]
                fp.execute("ifft", tc, tc, d)
                modulus_scaled(float_view(tc.reshape(-1)), modulus_scale, uf[:rows * n_low])
                dst = out[p0:p1]
                if fp.is_aligned(dst):
                    fp.execute("rfft", uc, dst, d)
                else:  # an odd spectrum size shifts the block off SIMD alignment
                    dst[...] = fp.execute("rfft", uc, fp.empty(dst.shape, dst.dtype), d)

        # Outside a parallel section (batch 1, or batch parts not used), the blocks are
        # spread over the idle cores in contiguous runs; the FFTs then run on one thread each.
        blocks = -(-pairs // block)
        workers = (1 if fp.in_parallel() or pairs * n_low < PARALLEL_MIN_VALUES
                   else min(blocks, fp.free_threads()))
        if workers == 1:
            run(0, pairs)
        else:
            cuts = [i * blocks // workers * block for i in range(workers)] + [pairs]
            fp.run_parallel([functools.partial(run, a, b)
                             for a, b in zip(cuts[:-1], cuts[1:], strict=True)])
        return out.reshape(lead + (F,) + half_low)
