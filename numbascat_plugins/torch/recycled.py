"""CPU inference paths of the ``torch`` backend: ``out=`` and in-place ops on recycled buffers.

When autograd records nothing and ``torch.compile`` traces nothing, the backend's CPU operations
run here instead of as chains of functional torch ops: every large temporary and result comes
from :mod:`~numbascat_plugins.torch.workspace` (fresh multi-MB tensors cost page faults that
measured up to 6x the arithmetic), and products that are periodised afterwards are computed in
cache-sized pieces of one scratch buffer. Values equal the functional paths' up to rounding.
"""
from __future__ import annotations

import math

import torch

from numbascat_plugins.torch import workspace
from numbascat_plugins.torch.ops import axes, periodise_sum

__all__ = ["ifft_modulus_into", "ifft_modulus_rfft_into", "multiply_periodise_into",
           "quadrature_into", "recycles", "rfft_full_into", "sum_powers_into"]

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


def _squared_modulus_into(z: torch.Tensor, out: torch.Tensor, accumulate: bool) -> None:
    parts = torch.view_as_real(z)
    re, im = parts[..., 0], parts[..., 1]
    if accumulate:
        out.addcmul_(re, re)
    else:
        torch.mul(re, re, out=out)
    out.addcmul_(im, im)


def ifft_modulus_into(x_hat: torch.Tensor, d: int) -> torch.Tensor:
    shape = tuple(x_hat.shape)
    z = torch.fft.ifftn(x_hat, dim=axes(d), out=workspace.empty(shape, x_hat.dtype))
    u = workspace.empty(shape, z.real.dtype)
    _squared_modulus_into(z, u, False)
    del z
    return u.sqrt_()


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
    half = workspace.empty((step,) + signal[:-1] + (signal[-1] // 2 + 1,), x_hat.dtype)
    for i in range(0, n, step):
        rows = min(step, n - i)
        zi, ui = z[:rows], u[i:i + rows]
        torch.fft.ifftn(flat[i:i + rows], dim=axes(d), out=zi)
        _squared_modulus_into(zi, ui, False)
        ui.sqrt_()
        _fill(torch.fft.rfftn(ui, dim=axes(d), out=half[:rows]), full[i:i + rows], d)
    return u.reshape(shape), full.reshape(shape)


def rfft_full_into(x: torch.Tensor, d: int) -> torch.Tensor:
    """``hermitian_full(rfftn(x))`` into recycled buffers."""
    shape = tuple(x.shape)
    n = shape[-1]
    dtype = torch.complex64 if x.dtype == torch.float32 else torch.complex128
    half = torch.fft.rfftn(x, dim=axes(d),
                           out=workspace.empty(shape[:-1] + (n // 2 + 1,), dtype))
    return _fill(half, workspace.empty(shape, dtype), d)


def _fill(half: torch.Tensor, full: torch.Tensor, d: int) -> torch.Tensor:
    """:func:`~numbascat_plugins.torch.ops.hermitian_full` of ``half`` written into ``full``."""
    n = int(full.shape[-1])
    full[..., : n // 2 + 1].copy_(half)
    dims = axes(d)
    tail = half[..., 1:(n + 1) // 2].flip(dims)
    if d > 1:
        tail = tail.roll([1] * (d - 1), dims[:-1])
    full[..., n // 2 + 1:].copy_(tail.conj())
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
