"""The ``backend`` objects of ``kymatio.scattering{1d,2d,3d}.backend.<name>_backend``.

Kymatio's backend modules hold a ``backend`` object with a ``.name``; passing it as
``backend=`` selects that backend (numbascat reads the name, so ``'numpy'`` selects numbascat's
``numpy`` backend, ``'torch'`` its ``torch`` backend, ``'torch_skcuda'`` ``numba_cuda``). The 3D
numpy and torch objects also carry Kymatio's ``compute_integrals``, used by its examples for the
order-0 coefficients.
"""
from __future__ import annotations

import numpy as np

__all__ = ["JaxBackend1D", "JaxBackend2D", "JaxBackend3D", "NumpyBackend1D", "NumpyBackend2D",
           "NumpyBackend3D", "TensorFlowBackend1D", "TensorFlowBackend2D",
           "TensorFlowBackend3D", "TorchBackend1D", "TorchBackend2D", "TorchBackend3D",
           "TorchSkcudaBackend1D", "TorchSkcudaBackend2D"]


class KymatioBackend:
    """A Kymatio backend handle: only its ``name`` matters to numbascat."""

    name = ""

    def __repr__(self):
        return f"<Kymatio backend {self.name!r} (numbascat)>"


def _sum_powers(x, powers, xp):
    """``(*batch, len(powers))``: ``sum over the last three axes of x ** q`` for each ``q``."""
    return xp.stack([(x ** float(q)).sum(axis=(-3, -2, -1)) for q in powers], -1)


class NumpyBackend1D(KymatioBackend):
    name = "numpy"


class NumpyBackend2D(KymatioBackend):
    name = "numpy"


class NumpyBackend3D(KymatioBackend):
    name = "numpy"

    @staticmethod
    def compute_integrals(input_array, integral_powers):
        """Order-0 integrals: ``input_array`` ``(B, M, N, O)`` -> ``(B, len(integral_powers))``
        float32, ``sum over voxels of input_array ** q`` (no normalisation; a fractional power
        of a negative voxel gives NaN)."""
        x = np.asarray(input_array)
        if x.ndim < 3:
            raise RuntimeError(f"Input tensor must have at least three dimensions, got shape "
                               f"{x.shape}")
        return _sum_powers(x, list(integral_powers), np).astype(np.float32)


class TorchBackend1D(KymatioBackend):
    name = "torch"


class TorchBackend2D(KymatioBackend):
    name = "torch"


class TorchBackend3D(KymatioBackend):
    name = "torch"

    @staticmethod
    def compute_integrals(input_array, integral_powers):
        """As :meth:`NumpyBackend3D.compute_integrals` for a torch tensor (float32 result on
        the input's device, differentiable)."""
        import torch

        if not isinstance(input_array, torch.Tensor):
            raise TypeError(f"The input should be a torch.Tensor, got "
                            f"{type(input_array).__name__}")
        if input_array.dim() < 3:
            raise RuntimeError(f"Input tensor must have at least three dimensions, got shape "
                               f"{tuple(input_array.shape)}")
        out = torch.stack([(input_array ** float(q)).sum(dim=(-3, -2, -1))
                           for q in integral_powers], -1)
        return out.to(torch.float32)


class TorchSkcudaBackend1D(KymatioBackend):
    name = "torch_skcuda"


class TorchSkcudaBackend2D(KymatioBackend):
    name = "torch_skcuda"


class TensorFlowBackend1D(KymatioBackend):
    name = "tensorflow"


class TensorFlowBackend2D(KymatioBackend):
    name = "tensorflow"


class TensorFlowBackend3D(KymatioBackend):
    name = "tensorflow"


class JaxBackend1D(KymatioBackend):
    name = "jax"


class JaxBackend2D(KymatioBackend):
    name = "jax"


class JaxBackend3D(KymatioBackend):
    name = "jax"
