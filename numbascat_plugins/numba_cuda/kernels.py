"""The ``@cuda.jit`` kernels of the ``numba_cuda`` backend and how they are launched.

Every kernel works on a canonical 3D layout: a ``d``-dimensional signal of shape ``s`` is seen
as ``(1,) * (3 - d) + s`` and everything before the signal axes is flattened into one batch
axis, so one kernel serves 1D, 2D and 3D. Each kernel runs one thread per output element in a
grid-stride loop (batch and filter axes are part of the flattened grid), so any launch size is
correct and large problems reuse resident threads.

Real spectra are ``rfftn`` half spectra ``(B, n0, n1, n2 // 2 + 1)``; the missing half is read
by Hermitian symmetry, ``X[k] = conj(X[-k])``, in :func:`_spectrum_at`.

Kernels are compiled lazily, on first launch, per argument types (``cache=True`` keeps them on
disk); importing this module compiles nothing.
"""
from __future__ import annotations

import math

import numba
from numba import cuda

__all__ = [
    "SIMULATOR",
    "filter_periodise",
    "hermitian_full",
    "launch",
    "modulus",
    "periodise",
    "quadrature",
    "reflect_pad",
    "sum_powers",
]

#: True when numba runs kernels in its CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``).
SIMULATOR = bool(numba.config.ENABLE_CUDASIM)

# The simulator runs every thread as a Python thread: few threads keep it fast there.
THREADS = 16 if SIMULATOR else 256
MAX_BLOCKS = 2 if SIMULATOR else 4096
# Shared-memory size of the reductions; ROW_THREADS must be a power of two not above it.
REDUCE_SLOTS = 256
ROW_THREADS = 2 if SIMULATOR else 256  # simulated barriers are slow


def launch(kernel, total: int, stream, *args) -> None:
    """Launch ``kernel`` with enough threads for ``total`` outputs (grid-stride beyond)."""
    if total <= 0:
        return
    blocks = min(MAX_BLOCKS, (total + THREADS - 1) // THREADS)
    kernel[blocks, THREADS, stream](*args)


def launch_rows(kernel, rows: int, stream, *args) -> None:
    """Launch a block-per-row reduction ``kernel`` over ``rows`` rows (grid-stride beyond)."""
    if rows <= 0:
        return
    kernel[min(MAX_BLOCKS, rows), ROW_THREADS, stream](*args)


# ---------------------------------------------------------------------------------- helpers
@cuda.jit(device=True, cache=True)
def _spectrum_at(X, b, q0, q1, q2, n0, n1, n2):
    """Full-spectrum value at frequency (q0, q1, q2) of the half spectrum ``X[b]``."""
    if q2 < X.shape[3]:
        return X[b, q0, q1, q2]
    r0 = n0 - q0 if q0 > 0 else 0
    r1 = n1 - q1 if q1 > 0 else 0
    return X[b, r0, r1, n2 - q2].conjugate()


@cuda.jit(device=True, cache=True)
def _reflect(i, n):
    """Source index of padded position ``i`` (relative to the first sample): np.pad 'reflect'.

    Reflection without repeating the edge is periodic with period ``2 (n - 1)``, which also
    covers pads longer than the axis.
    """
    if n == 1:
        return 0
    period = 2 * (n - 1)
    r = i % period  # Python semantics: non-negative for negative i
    return r if r < n else period - r


# ---------------------------------------------------------------------------------- kernels
@cuda.jit(cache=True)
def filter_periodise(X, filt, out, m2, scale, zero):
    """``out[b, f, i] = scale * sum_p X[b, i + p m] * filt[f, i + p m]``.

    X: half spectrum (B, n0, n1, h) complex; filt: (F, n0, n1, n2) real or complex, full;
    out: (B, F, m0, m1, w) complex with ``w = m2`` (full periodised spectrum) or
    ``w = m2 // 2 + 1`` (its half, for a Hermitian-symmetric product). ``m`` divides ``n``;
    ``scale = 1 / (k0 k1 k2)``; ``zero`` is a complex zero of the output precision.
    """
    n0, n1, n2 = filt.shape[1], filt.shape[2], filt.shape[3]
    B, F, m0, m1, w = out.shape[0], out.shape[1], out.shape[2], out.shape[3], out.shape[4]
    k0, k1, k2 = n0 // m0, n1 // m1, n2 // m2
    total = B * F * m0 * m1 * w
    for idx in range(cuda.grid(1), total, cuda.gridsize(1)):
        i2 = idx % w
        t = idx // w
        i1 = t % m1
        t //= m1
        i0 = t % m0
        t //= m0
        f = t % F
        b = t // F
        acc = zero
        for p0 in range(k0):
            q0 = i0 + p0 * m0
            for p1 in range(k1):
                q1 = i1 + p1 * m1
                for p2 in range(k2):
                    q2 = i2 + p2 * m2
                    acc += _spectrum_at(X, b, q0, q1, q2, n0, n1, n2) * filt[f, q0, q1, q2]
        out[b, f, i0, i1, i2] = acc * scale


@cuda.jit(cache=True)
def periodise(Y, out, scale, zero):
    """``out[b, i] = scale * sum_p Y[b, i + p m]``: Y (B, n0, n1, n2), out (B, m0, m1, m2)."""
    n0, n1, n2 = Y.shape[1], Y.shape[2], Y.shape[3]
    B, m0, m1, m2 = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    k0, k1, k2 = n0 // m0, n1 // m1, n2 // m2
    total = B * m0 * m1 * m2
    for idx in range(cuda.grid(1), total, cuda.gridsize(1)):
        i2 = idx % m2
        t = idx // m2
        i1 = t % m1
        t //= m1
        i0 = t % m0
        b = t // m0
        acc = zero
        for p0 in range(k0):
            for p1 in range(k1):
                for p2 in range(k2):
                    acc += Y[b, i0 + p0 * m0, i1 + p1 * m1, i2 + p2 * m2]
        out[b, i0, i1, i2] = acc * scale


@cuda.jit(cache=True)
def hermitian_full(X, out):
    """Full spectrum ``out`` (B, n0, n1, n2) of the half spectrum ``X`` (B, n0, n1, h)."""
    B, n0, n1, n2 = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    total = B * n0 * n1 * n2
    for idx in range(cuda.grid(1), total, cuda.gridsize(1)):
        q2 = idx % n2
        t = idx // n2
        q1 = t % n1
        t //= n1
        q0 = t % n0
        b = t // n0
        out[b, q0, q1, q2] = _spectrum_at(X, b, q0, q1, q2, n0, n1, n2)


@cuda.jit(cache=True)
def reflect_pad(x, out, before0, before1, before2):
    """Reflect-pad x (B, n0, n1, n2) into out (B, M0, M1, M2); ``before*`` are leading pads."""
    n0, n1, n2 = x.shape[1], x.shape[2], x.shape[3]
    B, M0, M1, M2 = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    total = B * M0 * M1 * M2
    for idx in range(cuda.grid(1), total, cuda.gridsize(1)):
        j2 = idx % M2
        t = idx // M2
        j1 = t % M1
        t //= M1
        j0 = t % M0
        b = t // M0
        out[b, j0, j1, j2] = x[b, _reflect(j0 - before0, n0), _reflect(j1 - before1, n1),
                               _reflect(j2 - before2, n2)]


@cuda.jit(cache=True)
def modulus(x, out):
    """``out[i] = |x[i]|`` on flat arrays; hypot avoids overflow and is exact at zero."""
    for idx in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        v = x[idx]
        out[idx] = math.hypot(v.real, v.imag)


@cuda.jit(cache=True)
def quadrature(y, out, zero):
    """``out[a, r] = sqrt(sum_m |y[a, m, r]|^2)``: y (A, M, R) complex, out (A, R) real."""
    A, M, R = y.shape[0], y.shape[1], y.shape[2]
    total = A * R
    for idx in range(cuda.grid(1), total, cuda.gridsize(1)):
        r = idx % R
        a = idx // R
        acc = zero
        for m in range(M):
            v = y[a, m, r]
            acc += v.real * v.real + v.imag * v.imag
        out[a, r] = math.sqrt(acc)


@cuda.jit(cache=True)
def sum_powers(x, powers, out):
    """``out[b, p] = sum_v x[b, v] ** powers[p]``: x (B, V) real, powers (P,), out (B, P).

    One block per (b, p) row: each thread accumulates a strided share in float64, then a
    shared-memory tree reduction (blockDim.x must be a power of two <= REDUCE_SLOTS).
    """
    partial = cuda.shared.array(REDUCE_SLOTS, numba.float64)
    B, V = x.shape[0], x.shape[1]
    P = powers.shape[0]
    tid = cuda.threadIdx.x
    nthreads = cuda.blockDim.x
    for row in range(cuda.blockIdx.x, B * P, cuda.gridDim.x):
        b = row // P
        q = powers[row % P]
        acc = 0.0
        for v in range(tid, V, nthreads):
            u = x[b, v]
            if q == 1:
                acc += u
            elif q == 2:
                acc += u * u
            elif q == 0.5:
                acc += math.sqrt(u)
            else:
                acc += u ** q
        partial[tid] = acc
        cuda.syncthreads()
        step = nthreads // 2
        while step > 0:
            if tid < step:
                partial[tid] += partial[tid + step]
            cuda.syncthreads()
            step //= 2
        if tid == 0:
            out[b, row % P] = partial[0]
        cuda.syncthreads()  # partial is reused by the next row
