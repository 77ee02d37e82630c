"""A minimal third-party backend written only against numbascat's public plugin API.

It implements the primitives with plain numpy and keeps every fused default, which is exactly
what a new plugin author would start from.
"""
import numpy as np

from numbascat.backend_api import Backend
from numbascat_testplugin import TESTPLUG_INFO


class TestPlugBackend(Backend):
    info = TESTPLUG_INFO

    def is_array(self, x):
        return isinstance(x, np.ndarray)

    def real_dtype(self, x):
        return np.finfo(x.dtype).dtype if x.dtype.kind in "fc" else np.dtype(np.float64)

    def concatenate(self, arrays, axis):
        return np.concatenate(arrays, axis=axis)

    def take(self, x, indices, axis):
        return np.take(x, indices, axis=axis)

    def prepare_filters(self, filters, dtype, role="wavelet"):
        filters = np.asarray(filters)
        kind = np.result_type(dtype, np.complex64) if np.iscomplexobj(filters) else dtype
        return filters.astype(kind)

    def pad(self, x, pad_widths):
        lead = [(0, 0)] * (x.ndim - len(pad_widths))
        return np.pad(x, lead + [tuple(p) for p in pad_widths], mode="reflect")

    def rfft(self, x, d):
        return np.fft.fftn(x, axes=tuple(range(-d, 0))).astype(np.result_type(x, np.complex64))

    def irfft(self, x_hat, d, s):
        return self.real(self.ifft(x_hat, d))

    def ifft(self, x_hat, d):
        return np.fft.ifftn(x_hat, axes=tuple(range(-d, 0))).astype(x_hat.dtype)

    def fft(self, x, d):
        return np.fft.fftn(x, axes=tuple(range(-d, 0))).astype(x.dtype)

    def to_full_spectrum(self, x_hat, d, s):
        return x_hat

    def multiply(self, x_hat, filters, d):
        return np.expand_dims(x_hat, -d - 1) * filters

    def subsample(self, x_hat, k):
        for offset, kk in zip(range(len(k), 0, -1), k, strict=True):
            axis = x_hat.ndim - offset
            n = x_hat.shape[axis]
            shape = x_hat.shape[:axis] + (kk, n // kk) + x_hat.shape[axis + 1:]
            x_hat = x_hat.reshape(shape).mean(axis=axis)
        return x_hat

    def real(self, x):
        return np.ascontiguousarray(x.real)

    def modulus(self, x):
        return np.abs(x)

    def sum_powers(self, x, powers, d):
        axes = tuple(range(-d, 0))
        return np.stack([np.sum(x ** q, axis=axes) for q in powers], axis=-1)

    def quadrature_modulus(self, x_hat, d, axis):
        u = np.abs(self.ifft(x_hat, d))
        return np.sqrt(np.sum(u * u, axis=axis))

    def to_numpy(self, x):
        return np.asarray(x)

    def from_numpy(self, x):
        return x
