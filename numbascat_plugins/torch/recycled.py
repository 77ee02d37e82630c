"""CPU inference paths of the ``torch`` backend: ``out=`` and in-place ops on recycled buffers.

When autograd records nothing and ``torch.compile`` traces nothing, the backend's CPU operations
run here instead of as chains of functional torch ops: every large temporary and result comes
from :mod:`~numbascat_plugins.torch.workspace` (fresh multi-MB tensors cost page faults that
measured up to 6x the arithmetic), and products that are periodised afterwards are computed in
cache-sized pieces of one scratch buffer. Values equal the functional paths' up to rounding.
"""
from __future__ import annotations

import itertools
import math

import torch

from numbascat_plugins.torch import workspace
from numbascat_plugins.torch.ops import axes, periodise_sum

__all__ = ["FUSED_MAX_BLOCKS", "fuses", "ifft_modulus_into", "ifft_modulus_rfft_into",
           "multiply_periodise_into", "multiply_periodise_real_into", "quadrature_into",
           "recycles", "rfft_full_into", "sum_powers_into"]

#: Periodisations into at most this many blocks are computed block by block with real filters
#: (:func:`multiply_periodise_real_into`); more blocks mean more, smaller strided ops.
FUSED_MAX_BLOCKS = 16
#: Below this output row length (complex values), a one-filter block product is slower than
#: the product-then-fold path (measured on 2D MNIST's 10x10 low-pass outputs).
_FUSED_MIN_ROW = 32

def recycles(x: torch.Tensor, compiling: bool | None = None) -> bool:
    if compiling is None:
        compiling = torch.compiler.is_compiling()
    # Small tensors take the functional path: fewer Python-level ops, and torch's allocator
    # recycles small blocks anyway.
    return (x.device.type == "cpu" and not compiling and workspace.MAX_BYTES > 0
            and x.numel() * x.element_size() >= workspace.MIN_BYTES
            and not (torch.is_grad_enabled() and x.requires_grad))


def multiply_periodise_into(flat: torch.Tensor, filters: torch.Tensor, k, block_bytes: int):
    """``periodise_sum(flat * filters, k)`` for ``flat`` ``(n, 1, *s)``, ``filters`` ``(F, *s)``,
    in cache-sized pieces of a recycled scratch buffer."""
    n, F = int(flat.shape[0]), int(filters.shape[0])
    signal = tuple(int(v) for v in flat.shape[2:])
    out_signal = tuple(s // kk for s, kk in zip(signal, k, strict=True))
    dtype = torch.promote_types(flat.dtype, filters.dtype)
    if math.prod(k) == 1:
        out = workspace.empty((n, F) + signal, dtype)
        return torch.mul(flat, filters, out=out)
    row_bytes = F * math.prod(signal) * flat.element_size()
    step = max(1, min(n, block_bytes // max(row_bytes, 1)))
    out = workspace.empty((n, F) + out_signal, dtype)
    scratch = workspace.empty((step, F) + signal, dtype)
    for i in range(0, n, step):
        rows = min(step, n - i)
        part = scratch[:rows]
        torch.mul(flat[i:i + rows], filters, out=part)
        out[i:i + rows].copy_(periodise_sum(part, k, inplace=True))
    return out


def fuses(F: int, k, out_signal) -> bool:
    """Whether :func:`multiply_periodise_real_into` is the faster path for ``F`` real filters
    periodised by ``k`` into ``out_signal``."""
    return math.prod(k) <= FUSED_MAX_BLOCKS and (F > 1 or int(out_signal[-1]) >= _FUSED_MIN_ROW)


def multiply_periodise_real_into(flat: torch.Tensor, pairs: torch.Tensor, k,
                                 half_columns: bool = False) -> torch.Tensor:
    """``periodise_sum(flat * f, k)`` for a real filter stack ``f``, one block at a time.

    ``flat``: complex ``(n, 1, *s)``; ``pairs``: real ``(F, *s, 2)``, each value of ``f``
    twice (:func:`~numbascat_plugins.torch.backend.real_pairs`), so that the product is a real
    product of the spectrum's real view (no complex arithmetic, half the multiplications).
    The first block's product is written into the output, the others are accumulated with
    ``addcmul_``: no temporary of the full-resolution product, one pass over each block.
    ``half_columns``: only the output columns ``0 .. s[-1] // k[-1] // 2`` (what ``irfftn``
    reads of a Hermitian result). Returns complex ``(n, F, *(s // k))`` (last axis halved).
    """
    n, F = int(flat.shape[0]), int(pairs.shape[0])
    signal = tuple(int(v) for v in flat.shape[2:])
    size = tuple(s // kk for s, kk in zip(signal, k, strict=True))
    width = size[:-1] + ((size[-1] // 2 + 1,) if half_columns else (size[-1],))
    out = workspace.empty((n, F) + width, flat.dtype)
    out_r = torch.view_as_real(out)
    x_r = torch.view_as_real(flat)
    for i, block in enumerate(itertools.product(*(range(kk) for kk in k))):
        index = (Ellipsis,) + tuple(slice(p * m, p * m + w)
                                    for p, m, w in zip(block, size, width, strict=True))
        xs, fs = x_r[index + (slice(None),)], pairs[index + (slice(None),)]
        if i == 0:
            torch.mul(xs, fs, out=out_r)
        else:
            out_r.addcmul_(xs, fs)
    return out


def _modulus_into(z: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``u = |z|``, squaring ``z``'s real view in place (``z`` is scratch): one contiguous
    pass, then the sum of the two parts and the root (faster than ``mul`` and ``addcmul_``
    on the strided parts)."""
    parts = torch.view_as_real(z)
    parts.mul_(parts)
    torch.add(parts[..., 0], parts[..., 1], out=u)
    return u.sqrt_()


def ifft_modulus_into(x_hat: torch.Tensor, d: int) -> torch.Tensor:
    shape = tuple(x_hat.shape)
    z = torch.fft.ifftn(x_hat, dim=axes(d), out=workspace.empty(shape, x_hat.dtype))
    u = _modulus_into(z, workspace.empty(shape, z.real.dtype))
    del z
    return u


def ifft_modulus_rfft_into(x_hat: torch.Tensor, d: int, block_bytes: int):
    """``u = |ifft(x_hat)|`` and ``rfft_full(u)``, in pieces of about ``block_bytes`` of
    spectra along the flattened leading axes, so that the inverse FFT, the modulus and the
    forward FFT of a piece run while it is in cache (small signals: 2D MNIST's 20x20; signals
    too large for 8 of them to fit take one piece)."""
    shape = tuple(x_hat.shape)
    signal = shape[-d:]
    n = math.prod(shape[:-d])
    flat = x_hat.reshape((n,) + signal)
    step = block_bytes // max(math.prod(signal) * x_hat.element_size(), 1)
    # Large signals gain nothing from pieces but smaller FFT batches: one piece.
    step = n if step < 8 else min(n, step)
    real = torch.float32 if x_hat.dtype == torch.complex64 else torch.float64
    u = workspace.empty((n,) + signal, real)
    full = workspace.empty((n,) + signal, x_hat.dtype)
    z = workspace.empty((step,) + signal, x_hat.dtype)
    for i in range(0, n, step):
        rows = min(step, n - i)
        zi, ui = z[:rows], u[i:i + rows]
        torch.fft.ifftn(flat[i:i + rows], dim=axes(d), out=zi)
        _modulus_into(zi, ui)
        _rfft_full(ui, full[i:i + rows], d)
    return u.reshape(shape), full.reshape(shape)


def rfft_full_into(x: torch.Tensor, d: int) -> torch.Tensor:
    """``hermitian_full(rfftn(x))`` into a recycled buffer."""
    dtype = torch.complex64 if x.dtype == torch.float32 else torch.complex128
    return _rfft_full(x, workspace.empty(tuple(x.shape), dtype), d)


def _rfft_full(x: torch.Tensor, full: torch.Tensor, d: int) -> torch.Tensor:
    """:func:`~numbascat_plugins.torch.ops.hermitian_full` of ``rfftn(x)``, written into
    ``full``.

    Column ``c > n // 2`` is ``conj(X[-i, n - c])`` with ``-i`` taken modulo each leading signal
    axis: index 0 maps to itself and ``1 ..`` to a reversed ``1 ..``, so the mirror is
    ``2 ** (d - 1)`` flipped slices (no roll). The FFT writes a contiguous half spectrum: with
    ``out=`` a strided view of ``full`` it measured slower (torch copies it in anyway).
    """
    n = int(full.shape[-1])
    h = n // 2 + 1
    half = workspace.empty(tuple(full.shape[:-1]) + (h,), full.dtype)
    torch.fft.rfftn(x, dim=axes(d), out=half)
    full[..., :h].copy_(half)
    lead = full.ndim - d
    for parts in itertools.product((slice(0, 1), slice(1, None)), repeat=d - 1):
        flips = [lead + i for i, p in enumerate(parts) if p.start == 1] + [-1]
        source = half[(Ellipsis,) + parts + (slice(1, (n + 1) // 2),)]
        full[(Ellipsis,) + parts + (slice(h, None),)].copy_(source.flip(flips).conj())
    return full


def quadrature_into(x_hat: torch.Tensor, d: int, axis: int, halve: bool) -> torch.Tensor:
    """``sqrt(sum_axis |ifft(x_hat)|^2)``, one inverse FFT of the ``axis`` at a time.

    ``halve``: rows ``i`` and ``F-1-i`` have equal moduli (mirrored pairs), so only rows
    ``i <= F // 2`` are inverted and the paired ones counted twice.
    """
    rows = x_hat.unbind(axis)
    F = len(rows)
    shape = tuple(rows[0].shape)
    z = workspace.empty(shape, x_hat.dtype)
    acc = workspace.empty(shape, z.real.dtype)
    for i, row in enumerate(rows[: F // 2 + 1] if halve else rows):
        torch.fft.ifftn(row, dim=axes(d), out=z)
        parts = torch.view_as_real(z)
        re, im = parts[..., 0], parts[..., 1]
        weight = 2.0 if halve and i < F // 2 else 1.0
        if i == 0:
            torch.mul(re, re, out=acc)
            if weight != 1.0:
                acc.mul_(weight)
        else:
            acc.addcmul_(re, re, value=weight)
        acc.addcmul_(im, im, value=weight)
    return acc.sqrt_()


def sum_powers_into(x: torch.Tensor, powers, dims) -> torch.Tensor:
    scratch = None
    sums = []
    for q in powers:
        q = float(q)
        if q == 1.0:
            sums.append(x.sum(dim=dims))
            continue
        if scratch is None:
            scratch = workspace.empty(tuple(x.shape), x.dtype)
        if q == 2.0:
            torch.mul(x, x, out=scratch)
        elif q == 0.5:
            torch.sqrt(x, out=scratch)
        else:
            torch.pow(x, q, out=scratch)
        sums.append(scratch.sum(dim=dims))
    return torch.stack(sums, dim=-1)
