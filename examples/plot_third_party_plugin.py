"""
A third-party backend plugin
============================

Every backend, the built-in ones included, is a plugin: a subclass of
:class:`numbascat.backend_api.Backend` that implements a handful of array operations, plus a
:class:`~numbascat.backend_api.BackendInfo` record. This example writes a complete one in a few
dozen lines of plain numpy, checks it with the conformance kit
:func:`numbascat.testing.check_backend`, and runs every transform on it. A real plugin would
also register itself through entry points, as ``tests/testplugin`` in the repository does; see
the page "Writing a backend plugin".
"""

# %%
# The backend
# -----------
# It supplies the *primitives* (FFTs, multiply, periodise, modulus, ...) and inherits every
# *fused* operation, whose defaults are compositions of the primitives. Its real spectra are
# full complex spectra, the simplest layout; a fast backend would keep half spectra.
import time

import matplotlib.pyplot as plt
import numpy as np

from numbascat.backend_api import Backend, BackendInfo
from numbascat.numpy import HarmonicScattering3D, Scattering1D, Scattering2D
from numbascat.registry import list_backends
from numbascat.testing import check_backend


class PlainBackend(Backend):
    """numpy.fft and numpy ops, nothing fused: the shortest correct backend."""

    info = BackendInfo(name="plain", dims=(1, 2, 3), array_kinds=("numpy",),
                       description="example plugin: plain numpy")

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
        target = np.result_type(dtype, np.complex64) if np.iscomplexobj(filters) else dtype
        return filters.astype(target)

    def pad(self, x, pad_widths):
        lead = [(0, 0)] * (x.ndim - len(pad_widths))
        return np.pad(x, lead + [tuple(p) for p in pad_widths], mode="reflect")

    def _axes(self, d):
        return tuple(range(-d, 0))

    def rfft(self, x, d):  # full spectrum: this backend's "real spectrum" layout
        return np.fft.fftn(x, axes=self._axes(d)).astype(np.result_type(x, np.complex64))

    def irfft(self, x_hat, d, s):
        return self.real(self.ifft(x_hat, d))

    def fft(self, x, d):
        return np.fft.fftn(x, axes=self._axes(d)).astype(x.dtype)

    def ifft(self, x_hat, d):
        return np.fft.ifftn(x_hat, axes=self._axes(d)).astype(x_hat.dtype)

    def to_full_spectrum(self, x_hat, d, s):
        return x_hat

    def multiply(self, x_hat, filters, d):
        return np.expand_dims(x_hat, -d - 1) * filters

    def subsample(self, x_hat, k):
        # periodise: mean over the k[i] periods of each signal axis
        for offset, kk in zip(range(len(k), 0, -1), k, strict=True):
            axis = x_hat.ndim - offset
            n = x_hat.shape[axis]
            x_hat = x_hat.reshape(x_hat.shape[:axis] + (kk, n // kk)
                                  + x_hat.shape[axis + 1:]).mean(axis=axis)
        return x_hat

    def real(self, x):
        return np.ascontiguousarray(x.real)

    def modulus(self, x):
        return np.abs(x)

    def sum_powers(self, x, powers, d):
        return np.stack([np.sum(x ** q, axis=self._axes(d)) for q in powers], axis=-1)

    def quadrature_modulus(self, x_hat, d, axis):
        u = np.abs(self.ifft(x_hat, d))
        return np.sqrt(np.sum(u * u, axis=axis))

    def to_numpy(self, x):
        return np.asarray(x)

    def from_numpy(self, x):
        return x


# %%
# The conformance kit
# -------------------
# ``check_backend`` runs every operation against the numpy reference backend, in float32 and
# float64, for each dimension the backend declares, then compares a small transform of each
# dimension end to end. It raises ``AssertionError`` naming the operation when one is wrong.
plain = PlainBackend()
report = check_backend(plain)
print("operations checked (dimension, dtype):", report["ops"])
print("transforms compared end to end:", report["transforms"])

# %%
# Using it
# --------
# A ``Backend`` instance can be passed as ``backend=`` directly. An installed plugin is chosen
# by its registered name instead (``backend="plain"``, ``numbascat.use_backend("plain")``, an
# environment variable or the configuration file).
rng = np.random.default_rng(0)
cases = {
    "1D": (Scattering1D, dict(J=6, shape=1024, Q=8), rng.standard_normal((4, 1024))),
    "2D": (Scattering2D, dict(J=2, shape=(32, 32)), rng.standard_normal((4, 32, 32))),
    "3D": (HarmonicScattering3D, dict(J=1, shape=(16, 16, 16), L=2),
           rng.standard_normal((2, 16, 16, 16))),
}
errors, seconds = {}, {}
for dim, (cls, params, x) in cases.items():
    x = x.astype(np.float32)
    S_plain, S_ref = cls(backend=plain, **params), cls(backend="numpy", **params)
    start = time.perf_counter()
    got = S_plain(x)
    seconds[dim, "plain"] = time.perf_counter() - start
    start = time.perf_counter()
    want = S_ref(x)
    seconds[dim, "numpy"] = time.perf_counter() - start
    errors[dim] = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    print(f"{dim}: output {got.shape} {got.dtype}, max relative difference to the numpy "
          f"backend {errors[dim]:.1e}")

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax.bar(list(errors), list(errors.values()))
ax.axhline(1e-5, color="r", ls="--", lw=0.8, label="float32 tolerance of check_backend")
ax.set_yscale("log")
ax.set_ylabel("max |plain - numpy| / max |numpy|")
ax.set_title("the plugin reproduces the reference backend")
ax.legend(fontsize=8)
plt.show()

# %%
# Registered plugins
# ------------------
# What ``numbascat backends`` reads, in Python: every plugin found through the entry-point
# groups ``numbascat.backends`` and ``numbascat.backend_info`` and the distribution that
# registered it, without importing any backend. (The ``plain`` backend above is not installed,
# so it is not listed; ``testplug`` and ``broken`` appear where ``tests/testplugin`` is
# installed, and ``numbascat backends --check`` would import ``broken`` and report its import
# error.)
for row in list_backends():
    dims = ",".join(f"{d}D" for d in row.info.dims)
    print(f"{row.name:11s} {dims:9s} from {row.source:22s} requirements "
          f"{'present' if row.available else 'missing'}")
