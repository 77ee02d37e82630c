"""Mirror-image pairs in a stack of 3D solid-harmonic filters.

For a real signal ``x`` and filters with ``g_{F-1-i}(r) = +-conj(g_i(r))`` in space (solid
harmonics: ``Y_l^{-m} = (-1)^m conj(Y_l^m)``), the convolutions are conjugates of each other
up to sign, so ``|x * g_{F-1-i}| == |x * g_i|``: a quadrature modulus over the ``2l+1`` orders
needs only ``l+1`` inverse FFTs. In Fourier the condition reads
``G_{F-1-i}(k) = +-conj(G_i(-k))``; it is checked on the prepared values, to the rounding of the
precision used, so stacks that only approximately pair up (Kymatio's narrowest 3D filters break
the symmetry on the Nyquist planes) keep the full computation.
"""
from __future__ import annotations

import torch

__all__ = ["mirrored_pairs"]


def _negate_frequencies(f: torch.Tensor, d: int) -> torch.Tensor:
    """``f[..., -k]`` over the trailing ``d`` axes (index ``i`` -> ``-i mod n``)."""
    dims = tuple(range(-d, 0))
    return torch.roll(torch.flip(f, dims), shifts=[1] * d, dims=dims)


def mirrored_pairs(filters: torch.Tensor, d: int, rtol: float) -> bool:
    """True when the stack ``(F, *s)`` (``F`` odd, ``>= 3``, ``d`` signal axes) pairs row ``i``
    with row ``F-1-i`` as above, every pair within ``rtol`` of its largest value."""
    if filters.ndim != d + 1 or not filters.is_complex():
        return False
    F = int(filters.shape[0])
    if F < 3 or F % 2 == 0:
        return False
    with torch.no_grad():
        for i in range(F // 2):
            a = filters[F - 1 - i]
            b = _negate_frequencies(filters[i], d).conj()
            scale = float(a.abs().max())
            err = min(float((a - b).abs().max()), float((a + b).abs().max()))
            if not scale or err > rtol * scale:
                return False
    return True
