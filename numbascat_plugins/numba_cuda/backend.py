"""The ``numba_cuda`` backend: numba.cuda fused kernels around cuFFT.

Layouts
    A *real spectrum* is the ``rfftn`` half spectrum ``(..., *s[:-1], s[-1] // 2 + 1)``; the
    kernels read its other half by Hermitian symmetry. Full spectra are complex ``(..., *s)``.
Filters
    Prepared once per transform and dtype (:meth:`NumbaCudaBackend.prepare_filters`) and kept
    on the device. ``LOWPASS`` stacks also keep their Hermitian-folded form
    ``g = (f + conj(f[-k])) / 2``, with which ``x_hat * g`` is the spectrum of
    ``real(ifft(x_hat * f))``: the low-pass output is periodised as a half spectrum and
    inverted with one ``irfftn``.
Arrays
    CuPy arrays and torch CUDA tensors are used in place (DLPack /
    ``__cuda_array_interface__``); numpy arrays are copied in by :meth:`from_numpy` and out by
    :meth:`to_numpy` (the numpy frontend does both). Results are CuPy arrays;
    :meth:`wrap_like` turns one into a torch tensor. Tensors that require grad are refused
    (use the ``torch`` backend).
FFTs
    Through a provider (see :mod:`numbascat_plugins.numba_cuda.fft`): cuFFT via ``cupy.fft``
    with cached plans by default; ``numpy.fft`` on host arrays under the CUDA simulator.
    Choose with ``NumbaCudaBackend(fft="numpy"|"cupy")``, ``NUMBASCAT_CUDA_FFT=numpy|cupy``,
    or let it pick (``numpy`` under ``NUMBA_ENABLE_CUDASIM=1``, else ``cupy``).

A forward call launches kernels and FFTs on one stream and never synchronises with the host.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from numbascat.backend_api import Backend, FilterRole
from numbascat_plugins.numba_cuda import INFO, kernels
from numbascat_plugins.numba_cuda.arrays import (
    as_device,
    is_torch_tensor,
    real_dtype_of,
    to_host,
    wrap_like,
)
from numbascat_plugins.numba_cuda.fft import make_provider

__all__ = ["CudaFilters", "NumbaCudaBackend"]

#: Environment variable: the backend's ``block_bytes`` in MiB (default :data:`BLOCK_MB`).
BLOCK_ENV = "NUMBASCAT_CUDA_BLOCK_MB"
#: Default bound on one batched temporary: large enough that a launch covers many paths of a
#: GPU-sized batch, small beside a GPU's memory.
BLOCK_MB = 256

_COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64),
            np.dtype(np.float64): np.dtype(np.complex128)}


def _canon(sig: tuple[int, ...]) -> tuple[int, ...]:
    """Signal shape as 3 axes (leading ones), the kernels' layout."""
    return (1,) * (3 - len(sig)) + tuple(sig)


def _count(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _half(s: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(s[:-1]) + (s[-1] // 2 + 1,)


def hermitian_fold(f: np.ndarray, d: int) -> np.ndarray:
    """``(f + conj(f[-k])) / 2`` over the trailing ``d`` axes (``f[-k]`` in fftfreq order)."""
    axes = tuple(range(-d, 0))
    mirrored = np.roll(np.flip(f, axis=axes), 1, axis=axes)
    return (f + np.conj(mirrored)) / 2


def _block_bytes_from_env() -> int:
    text = os.environ.get(BLOCK_ENV, "").strip()
    if not text:
        return BLOCK_MB * 2 ** 20
    try:
        mb = float(text)
    except ValueError:
        mb = -1.0
    if not mb > 0:
        raise ValueError(f"environment variable {BLOCK_ENV} must be a positive number of MiB "
                         f"(default {BLOCK_MB}); got {text!r}")
    return int(mb * 2 ** 20)


class CudaFilters:
    """A filter stack placed on the device by :meth:`NumbaCudaBackend.prepare_filters`.

    ``data``: ``(F, n0, n1, n2)`` (signal axes padded to three); ``folded``: the same for the
    Hermitian-folded low-pass stack, or None for wavelets; ``shape``: ``(F, *s)``.
    """

    __slots__ = ("data", "folded", "role", "shape")

    def __init__(self, data, folded, shape, role):
        self.data, self.folded, self.shape, self.role = data, folded, tuple(shape), role

    def __repr__(self) -> str:
        return f"<CudaFilters {self.role} shape={self.shape} dtype={self.data.dtype}>"


class NumbaCudaBackend(Backend):
    """GPU backend: ``@cuda.jit`` kernels for every pointwise stage, FFTs from a provider.

    Parameters
    ----------
    fft : 'cupy', 'numpy', a provider instance or None
        The FFT provider (see the module docstring); None reads ``NUMBASCAT_CUDA_FFT``.

    Attributes
    ----------
    provider : the FFT provider in use (``provider.name`` is ``'cupy'`` or ``'numpy'``).
    block_bytes : default ``block_bytes`` of transforms on this backend
        (``$NUMBASCAT_CUDA_BLOCK_MB`` MiB, default 256): how many paths one launch covers.
    """

    info = INFO

    def __init__(self, fft=None):
        self.provider = make_provider(fft)
        self.block_bytes = _block_bytes_from_env()
        self._lock = threading.Lock()
        self._constants: dict[tuple, object] = {}

    def __repr__(self) -> str:
        return f"<numbascat backend 'numba_cuda' (fft={self.provider.name!r})>"

    # ------------------------------------------------------------------ array world
    def _dev(self, x, name="x"):
        return as_device(x, self.provider, name)

    def _launch(self, kernel, total, *args, rows=False):
        args = tuple(self.provider.kernel_arg(a) if isinstance(a, self.provider.xp.ndarray) else a
                     for a in args)
        launch = kernels.launch_rows if rows else kernels.launch
        launch(kernel, total, self.provider.stream(), *args)

    def _constant(self, values: np.ndarray):
        """A small device array with ``values``, uploaded once (no transfer per call)."""
        key = (self.provider.device_id(), values.dtype.str, values.shape, values.tobytes())
        found = self._constants.get(key)
        if found is None:
            with self._lock:
                if len(self._constants) >= 256:  # a few per transform; never grow unbounded
                    self._constants.clear()
                found = self._constants.setdefault(key, self.provider.asarray(values))
        return found

    def is_array(self, x):
        if self.provider.is_native(x):
            return True
        return self.provider.name == "cupy" and is_torch_tensor(x) and bool(x.is_cuda)

    def real_dtype(self, x):
        return real_dtype_of(x)

    def concatenate(self, arrays, axis):
        return self.provider.xp.concatenate([self._dev(a) for a in arrays], axis=axis)

    def take(self, x, indices, axis):
        indices = np.asarray(indices, dtype=np.int64)
        if self.provider.name != "numpy":
            indices = self._constant(indices)
        return self.provider.xp.take(self._dev(x), indices, axis=axis)

    def crop(self, x, starts, stops):
        return super().crop(self._dev(x), starts, stops)

    def to_numpy(self, x):
        return to_host(x, self.provider)

    def from_numpy(self, x):
        return self.provider.asarray(np.asarray(x))

    def wrap_like(self, y, like):
        """``y`` as a torch tensor on ``like``'s device when ``like`` is a tensor, else ``y``."""
        return wrap_like(y, like)

    # ------------------------------------------------------------------ filters
    def prepare_filters(self, filters, dtype, role=FilterRole.WAVELET):
        stack = np.asarray(filters)
        if stack.ndim not in (2, 3, 4):
            raise ValueError(f"filters must have shape (F, *s) with 1 to 3 signal axes; got "
                             f"shape {stack.shape}")
        real = np.dtype(dtype)
        if real not in _COMPLEX:
            raise ValueError(f"dtype must be float32 or float64; got {real}")
        if role not in (FilterRole.WAVELET, FilterRole.LOWPASS):
            raise ValueError(f"role must be FilterRole.WAVELET or FilterRole.LOWPASS; got "
                             f"{role!r}")
        target = _COMPLEX[real] if np.iscomplexobj(stack) else real
        canon = (stack.shape[0],) + _canon(stack.shape[1:])
        data = np.ascontiguousarray(stack, dtype=target).reshape(canon)
        folded = None
        if role == FilterRole.LOWPASS:
            # Fold in double precision: the float32 sum would round before the final cast.
            folded = hermitian_fold(stack.astype(np.result_type(stack.dtype, np.float64)),
                                    stack.ndim - 1)
            folded = np.ascontiguousarray(folded, dtype=target).reshape(canon)
            folded = self.provider.asarray(folded)
        return CudaFilters(self.provider.asarray(data), folded, stack.shape, role)

    @staticmethod
    def _check_filters(filters, d):
        if not isinstance(filters, CudaFilters):
            raise TypeError(f"filters must come from NumbaCudaBackend.prepare_filters; got "
                            f"{type(filters).__name__}")
        if len(filters.shape) - 1 != d:
            raise ValueError(f"filters have {len(filters.shape) - 1} signal axes but d={d}")
        return filters

    def _spectrum_batch(self, x_hat, s, d):
        """``(x_hat as (B, *canon(half)), leading shape)`` for a half spectrum of ``s``."""
        X = self._dev(x_hat, "x_hat")
        shape = tuple(X.shape)
        if len(shape) < d or shape[-d:] != _half(s):
            raise ValueError(f"x_hat must be a half spectrum (..., {_half(s)}) of signals "
                             f"{tuple(s)} (from rfft); got shape {shape}")
        lead = shape[:-d]
        return X.reshape((_count(lead),) + _canon(shape[-d:])), lead

    @staticmethod
    def _check_k(k, s):
        k = tuple(int(v) for v in k)
        if len(k) != len(s) or any(v < 1 or n % v for v, n in zip(k, s, strict=True)):
            raise ValueError(f"k must hold one positive divisor of each signal axis {tuple(s)}; "
                             f"got {k}")
        return k

    # ------------------------------------------------------------------ fused spectral ops
    def multiply_subsample(self, x_hat, filters, k, d):
        """Half spectrum ``(..., *half(s))`` x filters ``(F, *s)`` -> ``(..., F, *(s // k))``."""
        filt = self._check_filters(filters, d)
        s = filt.shape[1:]
        k = self._check_k(k, s)
        X, lead = self._spectrum_batch(x_hat, s, d)
        m = tuple(n // v for n, v in zip(s, k, strict=True))
        F = filt.shape[0]
        ctype = np.dtype(X.dtype)
        out = self.provider.empty((X.shape[0], F) + _canon(m), ctype)
        scale = real_dtype_of(X).type(1.0 / _count(k))
        self._launch(kernels.filter_periodise, _count(out.shape), X, filt.data, out, m[-1],
                     scale, ctype.type(0))
        return out.reshape(lead + (F,) + m)

    def multiply(self, x_hat, filters, d):
        return self.multiply_subsample(x_hat, filters, (1,) * d, d)

    def multiply_full(self, x_hat, filters, d):
        filt = self._check_filters(filters, d)
        data = filt.data.reshape(filt.shape)
        return self._dev(x_hat, "x_hat")[(Ellipsis, None) + (slice(None),) * d] * data

    def pad_zeros(self, x, pad_widths):
        X = self._dev(x)
        widths = [(0, 0)] * (X.ndim - len(pad_widths)) + [tuple(p) for p in pad_widths]
        return self.provider.xp.pad(X, widths)

    def lowpass_irfft(self, x_hat, phi, k, d, s):
        """Half spectrum ``(..., *half(s))`` -> real ``(..., *(s // k))`` (see Backend)."""
        filt = self._check_filters(phi, d)
        if filt.folded is None:
            return super().lowpass_irfft(x_hat, phi, k, d, s)
        if filt.shape[0] != 1 or tuple(s) != filt.shape[1:]:
            raise ValueError(f"phi must hold one filter of shape {tuple(s)}; got stack "
                             f"{filt.shape}")
        k = self._check_k(k, s)
        X, lead = self._spectrum_batch(x_hat, s, d)
        m = tuple(n // v for n, v in zip(s, k, strict=True))
        half_m = _half(m)
        ctype = np.dtype(X.dtype)
        out = self.provider.empty((X.shape[0], 1) + _canon(half_m), ctype)
        scale = real_dtype_of(X).type(1.0 / _count(k))
        # The folded product is Hermitian-symmetric, so its periodisation is too: computing
        # the half spectrum suffices and irfftn returns exactly the real part.
        self._launch(kernels.filter_periodise, _count(out.shape), X, filt.folded, out, m[-1],
                     scale, ctype.type(0))
        return self.provider.irfftn(out.reshape(lead + half_m), d, m)

    def subsample(self, x_hat, k):
        d = len(k)
        Y = self._dev(x_hat, "x_hat")
        shape = tuple(Y.shape)
        s = shape[-d:]
        k = self._check_k(k, s)
        lead = shape[:-d]
        m = tuple(n // v for n, v in zip(s, k, strict=True))
        out = self.provider.empty((_count(lead),) + _canon(m), Y.dtype)
        scale = real_dtype_of(Y).type(1.0 / _count(k))
        self._launch(kernels.periodise, _count(out.shape), Y.reshape((_count(lead),) + _canon(s)),
                     out, scale, np.dtype(Y.dtype).type(0))
        return out.reshape(lead + m)

    def to_full_spectrum(self, x_hat, d, s):
        X, lead = self._spectrum_batch(x_hat, tuple(s), d)
        out = self.provider.empty((X.shape[0],) + _canon(tuple(s)), X.dtype)
        self._launch(kernels.hermitian_full, _count(out.shape), X, out)
        return out.reshape(lead + tuple(s))

    # ------------------------------------------------------------------ FFTs
    def rfft(self, x, d):
        return self.provider.rfftn(self._dev(x), d)

    def irfft(self, x_hat, d, s):
        return self.provider.irfftn(self._dev(x_hat, "x_hat"), d, s)

    def fft(self, x, d):
        return self.provider.fftn(self._dev(x), d)

    def ifft(self, x_hat, d):
        return self.provider.ifftn(self._dev(x_hat, "x_hat"), d)

    # ------------------------------------------------------------------ pointwise
    def pad(self, x, pad_widths):
        """Reflect padding with np.pad semantics, pads longer than the axis included."""
        X = self._dev(x)
        widths = tuple((int(a), int(b)) for a, b in pad_widths)
        d = len(widths)
        if not 1 <= d <= 3 or any(a < 0 or b < 0 for a, b in widths):
            raise ValueError(f"pad_widths must be 1 to 3 pairs of non-negative ints; got "
                             f"{pad_widths!r}")
        shape = tuple(X.shape)
        lead, s = shape[:-d], shape[-d:]
        S = tuple(n + a + b for n, (a, b) in zip(s, widths, strict=True))
        B = _count(lead)
        out = self.provider.empty((B,) + _canon(S), X.dtype)
        before = (0,) * (3 - d) + tuple(a for a, _ in widths)
        self._launch(kernels.reflect_pad, _count(out.shape), X.reshape((B,) + _canon(s)), out,
                     *before)
        return out.reshape(lead + S)

    def real(self, x):
        return self.provider.xp.ascontiguousarray(self._dev(x).real)

    def modulus(self, x):
        X = self.provider.xp.ascontiguousarray(self._dev(x))
        out = self.provider.empty((X.size,), real_dtype_of(X))
        self._launch(kernels.modulus, X.size, X.reshape(-1), out)
        return out.reshape(X.shape)

    def quadrature_modulus(self, x_hat, d, axis):
        """``sqrt(sum_axis |ifft(x_hat)|^2)``: full spectra ``(..., M, ..., *s)``, axis removed."""
        X = self._dev(x_hat, "x_hat")
        nd = X.ndim
        ax = axis + nd if axis < 0 else axis
        if not 0 <= ax < nd - d:
            raise ValueError(f"axis must name a non-signal axis of an array with {nd} axes and "
                             f"d={d}; got {axis}")
        y = self.provider.xp.ascontiguousarray(self.provider.ifftn(X, d))
        shape = tuple(y.shape)
        A, M, R = _count(shape[:ax]), shape[ax], _count(shape[ax + 1:])
        rtype = real_dtype_of(y)
        out = self.provider.empty((A, R), rtype)
        self._launch(kernels.quadrature, A * R, y.reshape((A, M, R)), out, rtype.type(0))
        return out.reshape(shape[:ax] + shape[ax + 1:])

    def sum_powers(self, x, powers, d):
        """``sum(x ** q)`` over the trailing ``d`` axes, per q: ``(..., *s)`` -> ``(..., P)``."""
        X = self.provider.xp.ascontiguousarray(self._dev(x))
        shape = tuple(X.shape)
        lead = shape[:-d]
        rtype = real_dtype_of(X)
        q = np.asarray(powers, dtype=rtype).reshape(-1)
        if q.size == 0:
            raise ValueError("powers must hold at least one exponent; got none")
        q = q if self.provider.name == "numpy" else self._constant(q)
        B = _count(lead)
        out = self.provider.empty((B, q.shape[0]), rtype)
        self._launch(kernels.sum_powers, B * q.shape[0], X.reshape((B, _count(shape[-d:]))), q,
                     out, rows=True)
        return out.reshape(lead + (q.shape[0],))
