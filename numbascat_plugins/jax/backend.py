"""The ``jax`` backend: the operator API in ``jax.numpy``.

Every op is a jax.numpy op on static shapes, so the transform traces under ``jax.jit``,
differentiates under ``jax.grad`` and batches under ``jax.vmap``; it runs on jax's default device.

Real spectra are kept as full complex DFTs (``jnp.fft.fftn``), like the numpy reference backend.
Precision follows the input; note that jax computes float64 only with ``jax_enable_x64`` on
(otherwise jax itself turns float64 inputs into float32).

This module imports only ``numbascat.backend_api`` from numbascat (the public plugin surface).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from numbascat.backend_api import Backend, FilterRole
from numbascat_plugins.jax import INFO

__all__ = ["JaxBackend"]


def _axes(d: int) -> tuple[int, ...]:
    return tuple(range(-d, 0))


@jax.custom_jvp
def _safe_sqrt(x):
    """``sqrt(x)`` whose derivative is 0 (not inf) where ``x == 0``."""
    return jnp.sqrt(x)


@_safe_sqrt.defjvp
def _safe_sqrt_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = jnp.sqrt(x)
    safe = jnp.where(y > 0, y, 1)
    return y, jnp.where(y > 0, dx / (2 * safe), 0)


class JaxBackend(Backend):
    """Backend on ``jax.Array`` (concrete or traced), differentiable."""

    info = INFO

    # ------------------------------------------------------------------ array world
    def is_array(self, x):
        return isinstance(x, jax.Array)

    def real_dtype(self, x):
        return np.dtype(x.dtype).type(0).real.dtype

    def reshape(self, x, shape):
        return jnp.reshape(x, shape)

    def concatenate(self, arrays, axis):
        return jnp.concatenate(arrays, axis=axis)

    def take(self, x, indices, axis):
        return jnp.take(x, np.asarray(indices, dtype=np.int32), axis=axis)

    def prepare_filters(self, filters, dtype, role=FilterRole.WAVELET):
        filters = np.asarray(filters)
        real = np.dtype(dtype)
        target = real if not np.iscomplexobj(filters) else np.result_type(real, np.complex64)
        # Concrete even when first asked for under jit, so the cached array never leaks a tracer.
        with jax.ensure_compile_time_eval():
            return jax.device_put(np.ascontiguousarray(filters, dtype=target))

    # ------------------------------------------------------------------ primitives
    def pad(self, x, pad_widths):
        # jnp.pad reflects repeatedly, like numpy, when a pad is as long as the axis or longer.
        widths = [(0, 0)] * (x.ndim - len(pad_widths)) + [tuple(p) for p in pad_widths]
        return jnp.pad(x, widths, mode="reflect")

    def rfft(self, x, d):
        return jnp.fft.fftn(x, axes=_axes(d))

    def irfft(self, x_hat, d, s):
        return jnp.real(jnp.fft.ifftn(x_hat, axes=_axes(d)))

    def ifft(self, x_hat, d):
        return jnp.fft.ifftn(x_hat, axes=_axes(d))

    def fft(self, x, d):
        return jnp.fft.fftn(x, axes=_axes(d))

    def to_full_spectrum(self, x_hat, d, s):
        return x_hat

    def multiply(self, x_hat, filters, d):
        return jnp.expand_dims(x_hat, axis=-d - 1) * filters

    def subsample(self, x_hat, k):
        d = len(k)
        lead = x_hat.shape[:-d]
        split = []
        for n, kk in zip(x_hat.shape[-d:], k, strict=True):
            split += [kk, n // kk]
        y = jnp.reshape(x_hat, lead + tuple(split))
        return jnp.mean(y, axis=tuple(len(lead) + 2 * i for i in range(d)))

    def real(self, x):
        return jnp.real(x)

    def modulus(self, x):
        # jax's abs on complex has derivative 0 (not NaN) at 0.
        return jnp.abs(x)

    def sum_powers(self, x, powers, d):
        axes = _axes(d)
        return jnp.stack([jnp.sum(x ** q, axis=axes) for q in powers], axis=-1)

    def quadrature_modulus(self, x_hat, d, axis):
        z = self.ifft(x_hat, d)
        return _safe_sqrt(jnp.sum(jnp.real(z) ** 2 + jnp.imag(z) ** 2, axis=axis))

    # ------------------------------------------------------------------ frequency axis (JTFS)
    def pad_zeros(self, x, pad_widths):
        widths = [(0, 0)] * (x.ndim - len(pad_widths)) + [tuple(p) for p in pad_widths]
        return jnp.pad(x, widths)

    def frequency_fft(self, x, real_input):
        return jnp.fft.fft(x, axis=-2)

    def frequency_filter(self, x_hat, filters, k):
        Y = jnp.expand_dims(x_hat, -3) * filters
        if k > 1:
            Y = jnp.mean(jnp.reshape(Y, Y.shape[:-2] + (k, Y.shape[-2] // k, Y.shape[-1])),
                         axis=-3)
        return jnp.fft.ifft(Y, axis=-2)

    def frequency_lowpass(self, u, phi, k):
        return jnp.real(self.frequency_filter(self.frequency_fft(u, True), phi, k)[..., 0, :, :])

    def frequency_sum(self, u):
        return jnp.sum(u, axis=-2, keepdims=True)

    # ------------------------------------------------------------------ host transfers
    def to_numpy(self, x):
        return np.asarray(x)

    def from_numpy(self, x):
        return jnp.asarray(x)
