"""Jitted pointwise stages of the ``numba`` backend (the FFTs run on planned pyFFTW objects).

Every kernel works on a canonical 3D layout: a signal ``(L, M, N)`` (1D and 2D signals get
leading axes of length 1), a batch axis ``B`` in front, and *half spectra* ``(B, L, M, N//2+1)``
as produced by a real FFT. Complex arrays are passed as float views (``a.view(float_dtype)``,
interleaved re/im, last axis doubled) so that the loops multiply real filters with two real
multiplications and vectorise. Spectrum entries with column ``c > N//2`` are read by Hermitian
symmetry: ``X[a, r, c] = conj(X[-a, -r, N - c])``.

Compiled lazily on first call and cached on disk (``cache=True``); nothing here runs at import.
``nogil``: the batch halves of one call run in parallel Python threads
(:func:`numbascat.backends.fftw_plans.run_parallel`). No ``fastmath``: the modulus must stay
exact at zero.
"""
from __future__ import annotations

import numpy as np

from numbascat.backends.lazy_jit import njit, prange

__all__ = ["float_view", "lowpass_half_real", "modulus_scaled", "multiply_periodise_complex",
           "multiply_periodise_real", "multiply_periodise_real_par", "accumulate_squares",
           "root_powers", "quadrature_scaled", "squares_inplace", "sum_powers", "threshold_runs"]


def float_view(a: np.ndarray) -> np.ndarray:
    """The interleaved float view of a C-contiguous complex array (last axis doubled): the
    form in which every kernel here and in ``frequency_kernels`` takes complex arrays."""
    return a.view(a.real.dtype)


#: Signals processed together by the real kernels: per-segment bookkeeping is paid once per
#: block, and a block of small spectra stays in cache across the filters.
SIGNAL_BLOCK = 16


@njit(cache=True, nogil=True)
def _mp_block(Xv, fv, ptr, seg, b0, b1, F, L, M, N, k0, k1, k2, scale, ov):
    """Signals ``b0:b1`` of :func:`multiply_periodise_real`."""
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    # Flat views and row offsets: per segment and signal only two 1D slices are made, which
    # matters when rows are short (small images, deep periodisation).
    xf, of = Xv.reshape(-1), ov.reshape(-1)
    x_row, o_row = Xv.shape[3], 2 * Nk
    x_sig, o_sig = L * M * x_row, F * Lk * Mk * o_row
    for b in range(b0, b1):
        of[b * o_sig:(b + 1) * o_sig] = 0.0
    # Rows outermost: a row of the block's spectra is read from memory once and stays in
    # cache while every filter uses it.
    for a in range(L):
        ao, an = a % Lk, (L - a) % L
        for r in range(M):
            x_at = (a * M + r) * x_row
            xn_at = (an * M + (M - r) % M) * x_row  # the row holding X[-a, -r, :]
            for fi in range(F):
                row = (fi * L + a) * M + r
                o_at = fi * Lk * Mk * o_row + (ao * Mk + r % Mk) * o_row
                for p in range(ptr[row], ptr[row + 1]):
                    sc, ec, j = seg[p, 0], seg[p, 1], 2 * seg[p, 2]
                    nc = ec - sc
                    n = 2 * nc
                    v0 = seg[p, 4]
                    fs = fv[v0:v0 + nc]
                    if seg[p, 3]:
                        # Past the half: X[c] = conj(X[N - c]), read backwards; xs holds the
                        # columns N - ec + 1 .. N - sc.
                        for b in range(b0, b1):
                            src = xn_at + b * x_sig + 2 * (N - ec + 1)
                            xs = xf[src:src + n]
                            dst = o_at + b * o_sig + j
                            os_ = of[dst:dst + n]
                            for t in range(nc):
                                m = nc - 1 - t
                                f = fs[t]
                                os_[2 * t] += xs[2 * m] * f * scale
                                os_[2 * t + 1] -= xs[2 * m + 1] * f * scale
                    else:
                        for b in range(b0, b1):
                            src = x_at + b * x_sig + 2 * sc
                            xs = xf[src:src + n]
                            dst = o_at + b * o_sig + j
                            os_ = of[dst:dst + n]
                            for t in range(nc):
                                f = fs[t]
                                os_[2 * t] += xs[2 * t] * f * scale
                                os_[2 * t + 1] += xs[2 * t + 1] * f * scale


@njit(cache=True, nogil=True)
def multiply_periodise_real(Xv, fv, ptr, seg, F, L, M, N, k0, k1, k2, scale, ov):
    """Filter a half spectrum by a real stack and periodise, writing full spectra.

    Xv : (B, L, M, 2*(N//2+1)) float view of the half spectrum.
    fv : (V,) the stack's kept filter values. Only the support is stored (a long 1D wavelet
        covers a few percent of its spectrum): segment ``p`` reads its values from
        ``fv[seg[p, 4]:]``, each multiplying the re and im lanes of one complex entry.
    ptr, seg : the stack's support cut for this periodisation
        (:func:`~numbascat.backends.support.periodised_segments`), rows of the canonical
        ``(F, L, M, N)`` stack; only those entries are multiplied, the rest are negligible.
    scale : the periodisation's ``1 / (k0 k1 k2)``, applied to each product: for the powers of
        two every transform uses this rounds exactly as pre-scaled filters would, and one copy
        of the values serves every periodisation.
    ov : (B, F, L//k0, M//k1, 2*(N//k2)) float view of the complex output, overwritten with
        the mean over periods of ``X * f``.
    """
    B = Xv.shape[0]
    for b0 in range(0, B, SIGNAL_BLOCK):
        _mp_block(Xv, fv, ptr, seg, b0, min(B, b0 + SIGNAL_BLOCK), F, L, M, N, k0, k1, k2, scale,
                  ov)


@njit(cache=True, nogil=True, parallel=True)
def multiply_periodise_real_par(Xv, fv, ptr, seg, F, L, M, N, k0, k1, k2, scale, ov):
    """:func:`multiply_periodise_real` with the signal blocks spread over threads."""
    B = Xv.shape[0]
    for i in prange((B + SIGNAL_BLOCK - 1) // SIGNAL_BLOCK):
        b0 = i * SIGNAL_BLOCK
        _mp_block(Xv, fv, ptr, seg, b0, min(B, b0 + SIGNAL_BLOCK), F, L, M, N, k0, k1, k2, scale,
                  ov)


@njit(cache=True, nogil=True, parallel=True)
def warm_parallel_kernel(a):
    """A trivial parallel kernel: launching it loads numba's threading layer."""
    for i in prange(a.shape[0]):
        a[i] += 1.0


def warm_parallel() -> None:
    """Load the threading layer now (raises ValueError when no allowed layer can load)."""
    warm_parallel_kernel(np.zeros(2))


@njit(cache=True, nogil=True)
def multiply_periodise_complex(Xv, fv, ptr, runs, N, k0, k1, k2, scale, ov):
    """As :func:`multiply_periodise_real` for complex filters.

    Xv : (B, L, M, 2*(N//2+1)) float view; fv : (F, L, M, 2N) float view of the complex
    filters; ov : (B, F, L//k0, M//k1, 2*(N//k2)) float view of the output. Columns past the
    half are read by Hermitian symmetry, so no full spectrum is built.
    """
    B, F, L, M = Xv.shape[0], fv.shape[0], fv.shape[1], fv.shape[2]
    Nh = N // 2 + 1
    Lk, Mk, Nk = L // k0, M // k1, N // k2
    unfolded = Lk == L and Mk == M and Nk == N
    for b in range(B):
        for fi in range(F):
            o = ov[b, fi]
            if not unfolded:
                o[:] = 0.0
            for a in range(L):
                ao, an = a % Lk, (L - a) % L
                for r in range(M):
                    ro, rn = r % Mk, (M - r) % M
                    orow = o[ao, ro]
                    if unfolded:
                        # Each output row has one source row: zero it while it is in cache.
                        for t in range(2 * N):
                            orow[t] = 0.0
                    row = (fi * L + a) * M + r
                    xr = Xv[b, a, r]
                    xn = Xv[b, an, rn]
                    fr = fv[fi, a, r]
                    for p in range(ptr[row], ptr[row + 1]):
                        s, e = runs[p, 0], runs[p, 1]
                        while s < e:
                            base = (s // Nk) * Nk
                            stop = min(e, base + Nk)
                            # Direct half: columns below Nh.
                            for c in range(s, min(stop, Nh)):
                                xre, xim = xr[2 * c], xr[2 * c + 1]
                                fre, fim = fr[2 * c], fr[2 * c + 1]
                                j = c - base
                                orow[2 * j] += xre * fre - xim * fim
                                orow[2 * j + 1] += xre * fim + xim * fre
                            # Mirrored half: X[c] = conj(X[-c]).
                            for c in range(max(s, Nh), stop):
                                m = N - c
                                xre, xim = xn[2 * m], -xn[2 * m + 1]
                                fre, fim = fr[2 * c], fr[2 * c + 1]
                                j = c - base
                                orow[2 * j] += xre * fre - xim * fim
                                orow[2 * j + 1] += xre * fim + xim * fre
                            s = stop
            if scale != 1.0:
                for a in range(Lk):
                    for r in range(Mk):
                        orow = o[a, r]
                        for t in range(2 * Nk):
                            orow[t] *= scale


@njit(cache=True, nogil=True)
def lowpass_half_real(Xv, f, ptr, seg, N, k0, k1, k2, scale, ov):
    """Filter a half spectrum by one real (symmetrised) filter, periodise, keep the half.

    Xv : (B, L, M, 2*(N//2+1)) float view; f : (L, M, N) real, Hermitian-symmetric;
    ptr, seg : its support cut for this periodisation, keeping output columns below
        ``(N//k2)//2 + 1`` (:func:`~numbascat.backends.support.periodised_segments`);
    ov : (B, L//k0, M//k1, 2*((N//k2)//2+1)) float view of the low-resolution half spectrum.
    """
    B, L, M = Xv.shape[0], f.shape[0], f.shape[1]
    Lk, Mk = L // k0, M // k1
    ov[:] = 0.0
    for b0 in range(0, B, SIGNAL_BLOCK):
        b1 = min(B, b0 + SIGNAL_BLOCK)
        for a in range(L):
            ao, an = a % Lk, (L - a) % L
            for r in range(M):
                ro, rn = r % Mk, (M - r) % M
                fr = f[a, r]
                for p in range(ptr[a * M + r], ptr[a * M + r + 1]):
                    s, e, j0 = seg[p, 0], seg[p, 1], seg[p, 2]
                    fs = fr[s:e]
                    n = e - s
                    if seg[p, 3]:
                        # Past the half: X[c] = conj(X[-c]), read backwards from column N - s.
                        for b in range(b0, b1):
                            xn = Xv[b, an, rn]
                            os_ = ov[b, ao, ro, 2 * j0:2 * (j0 + n)]
                            for t in range(n):
                                m = N - s - t
                                os_[2 * t] += xn[2 * m] * fs[t]
                                os_[2 * t + 1] -= xn[2 * m + 1] * fs[t]
                    else:
                        for b in range(b0, b1):
                            xs = Xv[b, a, r, 2 * s:2 * e]
                            os_ = ov[b, ao, ro, 2 * j0:2 * (j0 + n)]
                            for t in range(n):
                                os_[2 * t] += xs[2 * t] * fs[t]
                                os_[2 * t + 1] += xs[2 * t + 1] * fs[t]
    ov *= scale


@njit(cache=True, nogil=True)
def modulus_scaled(tv, scale, out):
    """``out[i] = scale * |t[i]|`` for a flat complex array given as its float view ``tv``."""
    for i in range(out.shape[0]):
        re = np.float64(tv[2 * i])
        im = np.float64(tv[2 * i + 1])
        out[i] = np.sqrt(re * re + im * im) * scale


@njit(cache=True, nogil=True)
def quadrature_scaled(tv, scale, out):
    """``out[p, q] = scale * sqrt(sum_a |t[p, a, q]|^2)``; ``tv`` (P, A, 2Q) float view."""
    P, A, Q = tv.shape[0], tv.shape[1], out.shape[1]
    block = 2048  # columns per pass: the accumulator and A input blocks stay in cache
    acc = np.empty(block, dtype=np.float64)
    for p in range(P):
        for q0 in range(0, Q, block):
            n = min(block, Q - q0)
            acc[:n] = 0.0
            for a in range(A):
                row = tv[p, a, 2 * q0:2 * (q0 + n)]
                for q in range(n):
                    re = np.float64(row[2 * q])
                    im = np.float64(row[2 * q + 1])
                    acc[q] += re * re + im * im
            dst = out[p, q0:q0 + n]
            for q in range(n):
                dst[q] = np.sqrt(acc[q]) * scale


@njit(cache=True, nogil=True)
def _sum8(t, n):
    """``sum(t[:n])`` with eight independent running sums: they overlap in the pipeline
    without reassociating anything the compiler must keep in order (no ``fastmath``)."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    body = n - n % 8
    for k in range(0, body, 8):
        a0 += t[k]
        a1 += t[k + 1]
        a2 += t[k + 2]
        a3 += t[k + 3]
        a4 += t[k + 4]
        a5 += t[k + 5]
        a6 += t[k + 6]
        a7 += t[k + 7]
    rest = 0.0
    for k in range(body, n):
        rest += t[k]
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + rest


@njit(cache=True, nogil=True)
def _add_powers(vals, n, powers, totals, tmp):
    """``totals[i] += sum(vals[:n] ** powers[i])`` in float64 (``tmp``: float64 scratch).

    The powers go to ``tmp`` first, a loop that vectorises, then are summed.
    """
    for i in range(powers.shape[0]):
        q = powers[i]
        if q == 1.0:
            for k in range(n):
                tmp[k] = np.float64(vals[k])
        elif q == 2.0:
            for k in range(n):
                v = np.float64(vals[k])
                tmp[k] = v * v
        elif q == 0.5:
            for k in range(n):
                tmp[k] = np.sqrt(np.float64(vals[k]))
        else:
            for k in range(n):
                tmp[k] = np.float64(vals[k]) ** q
        totals[i] += _sum8(tmp, n)


@njit(cache=True, nogil=True)
def accumulate_squares(tv, weight, first, acc):
    """``acc[p, q] (+)= weight * |t[p, q]|^2``, each term formed in float64; ``tv`` (P, 2Q)
    float view, ``acc`` (P, Q) of any float precision; ``first`` overwrites instead of adding."""
    P, Q = acc.shape
    for p in range(P):
        row = tv[p]
        dst = acc[p]
        if first:
            for q in range(Q):
                re = np.float64(row[2 * q])
                im = np.float64(row[2 * q + 1])
                dst[q] = weight * (re * re + im * im)
        else:
            for q in range(Q):
                re = np.float64(row[2 * q])
                im = np.float64(row[2 * q + 1])
                dst[q] += weight * (re * re + im * im)


@njit(cache=True, nogil=True)
def squares_inplace(tv, weight):
    """``weight * |t[q]|^2`` (formed in float64, as :func:`accumulate_squares` does) written to
    ``tv[q]``: ``tv`` is the flat float view ``(2Q,)`` of a complex array, whose first ``Q``
    floats become the real result. Forward order is safe in place: entry ``q`` reads floats
    ``2q, 2q+1 >= q`` and every later entry reads beyond what has been written."""
    for q in range(tv.shape[0] // 2):
        re = np.float64(tv[2 * q])
        im = np.float64(tv[2 * q + 1])
        tv[q] = weight * (re * re + im * im)


@njit(cache=True, nogil=True)
def root_powers(acc, scale, powers, keep, u, sums):
    """``v = scale * sqrt(acc[p])`` rounded to the precision of ``sums``; ``u[p] = v`` when
    ``keep`` (``u`` (P, Q), which may be ``acc`` itself); ``sums[p, i] = sum_q v[q] **
    powers[i]`` (float64 sums)."""
    P, Q = acc.shape
    block = 2048
    vals = np.empty(block, dtype=sums.dtype)
    tmp = np.empty(block, dtype=np.float64)
    totals = np.empty(powers.shape[0], dtype=np.float64)
    for p in range(P):
        totals[:] = 0.0
        for q0 in range(0, Q, block):
            n = min(block, Q - q0)
            src = acc[p, q0:q0 + n]
            for q in range(n):
                vals[q] = np.sqrt(src[q]) * scale
            if keep:
                dst = u[p, q0:q0 + n]
                for q in range(n):
                    dst[q] = vals[q]
            _add_powers(vals, n, powers, totals, tmp)
        for i in range(powers.shape[0]):
            sums[p, i] = totals[i]


@njit(cache=True, nogil=True)
def sum_powers(x, powers, out):
    """``out[b, i] = sum_n x[b, n] ** powers[i]`` accumulated in float64; x (B, n)."""
    block = 2048
    tmp = np.empty(block, dtype=np.float64)
    totals = np.empty(powers.shape[0], dtype=np.float64)
    for b in range(x.shape[0]):
        totals[:] = 0.0
        for n0 in range(0, x.shape[1], block):
            n = min(block, x.shape[1] - n0)
            _add_powers(x[b, n0:n0 + n], n, powers, totals, tmp)
        for i in range(powers.shape[0]):
            out[b, i] = totals[i]


@njit(cache=True, nogil=True)
def _row_runs(row, t, merge_gap, out):
    """Writes the runs of ``row > t`` (gaps under ``merge_gap`` bridged) to ``out``; returns
    how many there are."""
    N = row.shape[0]
    k = 0
    start = -1
    for j in range(N + 1):
        above = j < N and row[j] > t
        if above and start < 0:
            start = j
        elif not above and start >= 0:
            if k > 0 and start - out[k - 1, 1] < merge_gap:
                out[k - 1, 1] = j  # continues the previous run
            else:
                out[k, 0] = start
                out[k, 1] = j
                k += 1
            start = -1
    return k


@njit(cache=True, nogil=True)
def threshold_runs(rows, thresholds, rows_per_filter, merge_gap):
    """Column runs ``[start, stop)`` where ``rows (R, N) > thresholds[r // rows_per_filter]``,
    gaps shorter than ``merge_gap`` bridged: ``(ptr (R + 1,), runs (n, 2))`` int64, as
    :class:`numbascat.backends.support.SupportRuns` holds them. One pass; the runs array
    grows by doubling, keeping room for a row's most runs (one every other column)."""
    R, N = rows.shape
    room = N // 2 + 1
    runs = np.empty((max(4 * R, room), 2), np.int64)
    ptr = np.zeros(R + 1, np.int64)
    for r in range(R):
        if runs.shape[0] - ptr[r] < room:
            grown = np.empty((max(2 * runs.shape[0], ptr[r] + room), 2), np.int64)
            grown[:ptr[r]] = runs[:ptr[r]]
            runs = grown
        ptr[r + 1] = ptr[r] + _row_runs(rows[r], thresholds[r // rows_per_filter], merge_gap,
                                        runs[ptr[r]:])
    return ptr, runs[:ptr[R]].copy()
