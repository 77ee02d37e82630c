"""Band-limited 1D filters: filter and periodise touching only the blocks a filter covers.

Periodising a product by ``k`` sums its ``k`` blocks of length ``m = N / k``:
``Y[i] = sum_p X[i + p m] f[i + p m] / k``. Kymatio's 1D Morlet and Gaussian filters are exactly
zero outside a narrow band, so most blocks contribute nothing: on the 1D workloads 73 of 3450
first-order blocks (``J=10, Q=8``) and 140 of 36854 (``J=13, Q=12``) are non-zero. Gathering the
non-zero blocks of ``X`` and multiplying them by the matching filter blocks skips the rest; no
term is dropped (the skipped filter values are exact zeros), only the summation order changes.

The block layout depends on the filter values, so it is computed once per prepared stack and
``k`` (eagerly, outside autograd and ``torch.compile``) and cached on the stack tensor.
"""
from __future__ import annotations

import torch

__all__ = ["Bands", "bands"]

_ATTR = "_numbascat_bands"


class Bands:
    """Non-zero blocks of a stack ``(F, N)`` for periodisation by ``k``.

    ``index``: ``(c * F,)`` block numbers, ``c``-major (row ``r * F + f`` is the ``r``-th block
    of filter ``f``); ``blocks``: ``(c, F, N / k)`` the filter values there, divided by ``k``
    (zero where a filter has fewer than ``c`` non-zero blocks).
    """

    def __init__(self, index: torch.Tensor, blocks: torch.Tensor):
        self.index, self.blocks = index, blocks
        self.count, self.size = int(blocks.shape[0]), int(blocks.shape[-1])
        # Real filters (stored complex): the values twice, ``(c, F, N / k, 2)``, to multiply
        # the gathered blocks' real view (half the arithmetic of complex products).
        self.pairs = None
        if blocks.is_complex() and not bool((blocks.imag != 0).any()):
            self.pairs = torch.stack([blocks.real, blocks.real], dim=-1).contiguous()

    def apply(self, x_hat: torch.Tensor) -> torch.Tensor:
        """``(..., N)`` full spectrum -> ``(..., F, N / k)`` periodised products."""
        lead = tuple(x_hat.shape[:-1])
        gathered = x_hat.reshape(lead + (-1, self.size)).index_select(-2, self.index)
        if self.pairs is not None and not (torch.is_grad_enabled() and x_hat.requires_grad):
            # Inference: accumulate block by block into the output, no (c, F, m) product.
            parts = torch.view_as_real(gathered).reshape(lead + tuple(self.pairs.shape))
            out = torch.mul(parts[..., 0, :, :, :], self.pairs[0])
            for r in range(1, self.count):
                out.addcmul_(parts[..., r, :, :, :], self.pairs[r])
            return torch.view_as_complex(out)
        if self.count == 1:
            return gathered * self.blocks[0]
        product = gathered.reshape(lead + tuple(self.blocks.shape)) * self.blocks
        return product.sum(dim=-3)


def bands(filters: torch.Tensor, k: int, max_fraction: float = 0.5) -> Bands | None:
    """The :class:`Bands` of a prepared stack ``(F, N)`` for ``k``, or ``None`` when skipping
    blocks would save less than ``1 - max_fraction`` of the product (or ``k == 1``)."""
    if k <= 1:
        return None
    cache = filters.__dict__.setdefault(_ATTR, {})
    if k in cache:
        return cache[k]
    F, N = (int(n) for n in filters.shape)
    m = N // k
    with torch.inference_mode(False), torch.no_grad():  # cached: never an inference tensor
        blocks = filters.reshape(F, k, m)
        nonzero = (blocks != 0).any(dim=-1).cpu().tolist()
        lists = [[p for p in range(k) if row[p]] or [0] for row in nonzero]
        c = max(len(b) for b in lists)
        result = None
        if c <= max_fraction * k:
            index = [b[r] if r < len(b) else b[0] for r in range(c) for b in lists]
            index_t = torch.tensor(index, dtype=torch.int64, device=filters.device)
            keep = torch.tensor([r < len(b) for r in range(c) for b in lists],
                                device=filters.device)
            values = blocks.reshape(F * k, m)[
                index_t + k * torch.arange(F, device=filters.device).repeat(c)]
            values = torch.where(keep[:, None], values, torch.zeros_like(values))
            result = Bands(index_t, (values * (1.0 / k)).reshape(c, F, m).contiguous())
    cache[k] = result
    return result
