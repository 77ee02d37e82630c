"""Accepting numpy, CuPy and torch arrays in the ``numba_cuda`` backend (no torch import).

Device arrays are taken without copies (DLPack / ``__cuda_array_interface__``); numpy arrays are
copied to the device. A torch tensor that requires grad is refused: numba kernels do not
propagate gradients, the ``torch`` backend does.
"""
from __future__ import annotations

import numpy as np

__all__ = ["as_device", "is_torch_tensor", "real_dtype_of", "to_host", "wrap_like"]

_TORCH_REAL = {"torch.float32": np.float32, "torch.float64": np.float64,
               "torch.float16": np.float32, "torch.bfloat16": np.float32}


def is_torch_tensor(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "requires_grad")


def _check_torch(x, name: str) -> None:
    if x.requires_grad:
        raise TypeError(f"{name} is a torch tensor that requires grad, but backend 'numba_cuda' "
                        f"does not propagate gradients. Use backend='torch' for differentiable "
                        f"scattering, or pass {name}.detach().")


def as_device(x, provider, name: str = "x"):
    """``x`` as an array of ``provider``'s world (zero copy for device arrays)."""
    if provider.accepts(x):
        return x
    if is_torch_tensor(x):
        _check_torch(x, name)
        if x.is_cuda:
            return provider.from_foreign(x)
        if provider.name == "numpy":
            return x.numpy()
        raise TypeError(f"{name} is a torch tensor on {x.device}; backend 'numba_cuda' computes "
                        f"on CUDA tensors. Move it with {name}.cuda(), or use backend='torch'.")
    if isinstance(x, np.ndarray):
        return provider.asarray(x)
    if hasattr(x, "__cuda_array_interface__") or hasattr(x, "__dlpack_device__"):
        return provider.from_foreign(x)
    raise TypeError(f"{name} must be a numpy array, a CuPy array or a torch CUDA tensor; got "
                    f"{type(x).__module__}.{type(x).__name__}")


def real_dtype_of(x) -> np.dtype:
    """float32 or float64: the precision a computation on ``x`` uses."""
    if is_torch_tensor(x):
        name = str(x.dtype)
        if name.startswith("torch.complex"):
            return np.dtype(np.float64 if name.endswith("128") else np.float32)
        if name not in _TORCH_REAL:
            return np.dtype(np.float64)
        return np.dtype(_TORCH_REAL[name])
    dtype = np.dtype(x.dtype)
    if dtype.kind == "c":
        return np.dtype(np.float64 if dtype.itemsize == 16 else np.float32)
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def to_host(x, provider):
    """A numpy array with the values of ``x`` (a device array, a torch tensor or numpy)."""
    if isinstance(x, np.ndarray):
        return x
    if is_torch_tensor(x):
        return x.detach().cpu().numpy()
    return provider.asnumpy(x)


def wrap_like(y, like):
    """``y`` in the array world of ``like``: a torch tensor on its device when ``like`` is one.

    For frontends that hand torch CUDA tensors to the backend and want tensors back (zero copy).
    """
    if not is_torch_tensor(like):
        return y
    import torch

    if isinstance(y, np.ndarray):
        return torch.from_numpy(y).to(like.device)
    return torch.from_dlpack(y)
