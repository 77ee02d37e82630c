"""The numpy reference backend: the semantics every other backend is tested against.

Real spectra are kept as full complex DFTs (``scipy.fft.fftn`` of the real signal) and
``lowpass_irfft`` takes the real part of a full inverse transform, exactly as Kymatio 0.3 does.
It favours clarity over speed; the ``numba`` backend is the fast CPU path.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from numbascat.backend_api import Backend, ConjugateSymmetricStack, FilterRole
from numbascat.backends.info import NUMPY


def _axes(d: int) -> tuple[int, ...]:
    return tuple(range(-d, 0))


class NumpyArrays:
    """The array-world operations shared by the backends computing on numpy arrays."""

    #: Arrays live in host memory: transforms keep a forward call within their memory budget.
    host_memory = True

    def is_array(self, x):
        return isinstance(x, np.ndarray)

    def real_dtype(self, x):
        return np.dtype(x.dtype).type(0).real.dtype

    def concatenate(self, arrays, axis):
        return np.concatenate(arrays, axis=axis)

    def take(self, x, indices, axis):
        return np.take(x, indices, axis=axis)

    def batch_range(self, x, start, stop):
        return x[start:stop]

    def subsample(self, x_hat, k):
        d = len(k)
        lead = x_hat.shape[:-d]
        split = []
        for n, kk in zip(x_hat.shape[-d:], k, strict=True):
            split += [kk, n // kk]
        y = x_hat.reshape(lead + tuple(split))
        period_axes = tuple(len(lead) + 2 * i for i in range(d))
        return y.mean(axis=period_axes)

    def output_array(self, shape, dtype):
        return np.empty(shape, dtype)

    # Frequency-axis ops: per-axis FFTs, the reference semantics (Kymatio main's JTFS).
    _fft_workers = 1  # the reference computes in one thread

    def _filter_array(self, filters):
        return filters

    def pad_zeros(self, x, pad_widths):
        widths = [(0, 0)] * (x.ndim - len(pad_widths)) + [tuple(p) for p in pad_widths]
        return np.pad(x, widths)

    def frequency_fft(self, x, real_input):
        return scipy.fft.fft(x, axis=-2, workers=self._fft_workers)

    def frequency_filter(self, x_hat, filters, k):
        f = self._filter_array(filters)
        Y = x_hat[..., None, :, :] * f
        if k > 1:
            Y = Y.reshape(Y.shape[:-2] + (k, Y.shape[-2] // k, Y.shape[-1])).mean(axis=-3)
        return scipy.fft.ifft(Y, axis=-2, overwrite_x=True, workers=self._fft_workers)

    def frequency_lowpass(self, u, phi, k):
        y = self.frequency_filter(self.frequency_fft(u, True), phi, k)
        return np.ascontiguousarray(y[..., 0, :, :].real)

    def frequency_sum(self, u):
        return u.sum(axis=-2, keepdims=True)

    def write_channels(self, out, block, channels):
        first = channels[0] if channels else 0
        if list(channels) == list(range(first, first + len(channels))):
            out[:, first:first + len(channels)] = block
        else:
            out[:, channels] = block

    def to_numpy(self, x):
        return np.asarray(x)

    def from_numpy(self, x):
        return x


class NumpyBackend(NumpyArrays, Backend):
    """Reference backend on numpy arrays (CPU, scipy.fft)."""

    info = NUMPY
    lazy_filters = True  # dense through numpy.asarray; conjugate-symmetric stacks kept stored
    memory_factor = 6.0  # full spectra and whole filter stacks at once (traced: up to ~3x numba)

    def prepare_filters(self, filters, dtype, role=FilterRole.WAVELET):
        real = np.dtype(dtype)
        if isinstance(filters, ConjugateSymmetricStack):
            # Kept in its stored form; each product lays the whole stack out for that call.
            target = np.result_type(real, np.complex64)
            return ConjugateSymmetricStack(np.ascontiguousarray(filters.upper, dtype=target),
                                           filters.signs)
        filters = np.asarray(filters)
        target = real if not np.iscomplexobj(filters) else np.result_type(real, np.complex64)
        return np.ascontiguousarray(filters, dtype=target)

    def pad(self, x, pad_widths):
        # np.pad's reflect handles pads >= the axis length by repeated reflection (index period
        # 2(n-1)); Kymatio 2D relies on it for images of side 2^J.
        widths = [(0, 0)] * (x.ndim - len(pad_widths)) + [tuple(p) for p in pad_widths]
        return np.pad(x, widths, mode="reflect")

    def rfft(self, x, d):
        return scipy.fft.fftn(x, axes=_axes(d))

    def irfft(self, x_hat, d, s):
        return scipy.fft.ifftn(x_hat, axes=_axes(d)).real

    def ifft(self, x_hat, d):
        return scipy.fft.ifftn(x_hat, axes=_axes(d))

    def fft(self, x, d):
        return scipy.fft.fftn(x, axes=_axes(d))

    def to_full_spectrum(self, x_hat, d, s):
        return x_hat

    def multiply(self, x_hat, filters, d):
        return x_hat[(Ellipsis, None) + (slice(None),) * d] * np.asarray(filters)

    def real(self, x):
        return np.ascontiguousarray(x.real)

    def modulus(self, x):
        return np.abs(x)

    def sum_powers(self, x, powers, d):
        axes = _axes(d)
        out = [np.sum(x ** q, axis=axes) for q in powers]
        return np.stack(out, axis=-1)

    def quadrature_modulus(self, x_hat, d, axis):
        u = np.abs(self.ifft(x_hat, d))
        return np.sqrt(np.sum(u * u, axis=axis))
