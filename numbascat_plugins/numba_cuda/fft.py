"""FFT providers of the ``numba_cuda`` backend: where arrays live and who transforms them.

The backend's kernels are FFT-agnostic; a *provider* owns the array world they run on:
allocation, host transfers, the four FFTs over the trailing ``d`` axes, and how arrays and the
stream are handed to a numba kernel launch.

``cupy`` (default on a GPU)
    CuPy device arrays, cuFFT through ``cupy.fft``. cuFFT plans are cached by CuPy's per-thread,
    per-device plan cache (grown to at least :data:`PLAN_CACHE_SIZE` plans so that every
    resolution of a transform keeps its plan). Kernels are launched on CuPy's current stream and
    arrays are handed over without the synchronisation numba would otherwise do on each
    ``__cuda_array_interface__`` import, so a forward call never waits on the host.
``numpy``
    numpy arrays on the host, ``numpy.fft``. Under numba's CUDA simulator
    (``NUMBA_ENABLE_CUDASIM=1``) this lets every kernel run and be checked without a GPU. On a
    real GPU it works too (numba copies arrays in and out at each launch): a debugging aid.

Selection (first that applies): the ``fft=`` argument of ``NumbaCudaBackend``; the environment
variable ``NUMBASCAT_CUDA_FFT=numpy|cupy``; ``numpy`` under the simulator, else ``cupy``.
"""
from __future__ import annotations

import os
import threading

import numpy as np

__all__ = ["ENV_VAR", "PROVIDERS", "CupyFFT", "NumpyFFT", "make_provider", "provider_name"]

ENV_VAR = "NUMBASCAT_CUDA_FFT"
PROVIDERS = ("numpy", "cupy")
PLAN_CACHE_SIZE = 64


def _simulator() -> bool:
    import numba

    return bool(numba.config.ENABLE_CUDASIM)


def provider_name(choice: str | None = None) -> str:
    """The provider name selected by ``choice``, ``$NUMBASCAT_CUDA_FFT`` or the default."""
    source = "fft"
    if choice is None:
        choice = os.environ.get(ENV_VAR, "").strip() or None
        source = f"environment variable {ENV_VAR}"
    if choice is None:
        return "numpy" if _simulator() else "cupy"
    name = str(choice).strip().lower()
    if name not in PROVIDERS:
        raise ValueError(f"{source} must be one of {', '.join(map(repr, PROVIDERS))}; "
                         f"got {choice!r}")
    return name


def _axes(d: int) -> tuple[int, ...]:
    return tuple(range(-d, 0))


class NumpyFFT:
    """Host numpy arrays and ``numpy.fft`` (precision preserving since numpy 2.0)."""

    name = "numpy"
    xp = np

    def is_native(self, x) -> bool:
        # numpy arrays are host arrays for the frontends: they go through from_numpy.
        return False

    def accepts(self, x) -> bool:
        return isinstance(x, np.ndarray)

    def asarray(self, x):
        return np.ascontiguousarray(x)

    def asnumpy(self, x):
        return np.asarray(x)

    def from_foreign(self, x):
        raise TypeError(f"the numpy FFT provider computes on host arrays; got a device array "
                        f"({type(x).__name__}). Use the cupy provider (NUMBASCAT_CUDA_FFT=cupy).")

    def empty(self, shape, dtype):
        return np.empty(shape, dtype=dtype)

    def rfftn(self, x, d):
        return np.fft.rfftn(x, axes=_axes(d))

    def irfftn(self, x, d, s):
        return np.fft.irfftn(x, s=tuple(s), axes=_axes(d))

    def fftn(self, x, d):
        return np.fft.fftn(x, axes=_axes(d))

    def ifftn(self, x, d):
        return np.fft.ifftn(x, axes=_axes(d))

    def device_id(self):
        return None

    def kernel_arg(self, x):
        # numba copies host arguments back after a launch: read-only inputs (cached filter
        # banks) need a writeable stand-in.
        return x if x.flags.writeable else x.copy()

    def stream(self):
        return 0


class CupyFFT:
    """CuPy device arrays and cuFFT (``cupy.fft``, plans cached by CuPy).

    ``xp`` and ``cuda`` default to the ``cupy`` and ``numba.cuda`` modules.
    """

    name = "cupy"

    def __init__(self, xp=None, cuda=None):
        # xp / cuda stand-ins let tests drive this class through the simulator.
        if xp is None:
            import cupy as xp
        if cuda is None:
            from numba import cuda

        self.xp = xp
        self._cuda = cuda
        self._streams: dict[int, object] = {}
        self._lock = threading.Lock()
        self._sized: set[tuple[int, int]] = set()

    def is_native(self, x) -> bool:
        return isinstance(x, self.xp.ndarray)

    def accepts(self, x) -> bool:
        return isinstance(x, self.xp.ndarray)

    def asarray(self, x):
        return self.xp.asarray(np.ascontiguousarray(x))

    def asnumpy(self, x):
        return self.xp.asnumpy(x)

    def from_foreign(self, x):
        # torch CUDA tensors and other __cuda_array_interface__ / DLPack producers: zero copy.
        if hasattr(x, "__dlpack__"):
            return self.xp.from_dlpack(x)
        return self.xp.asarray(x)

    def empty(self, shape, dtype):
        return self.xp.empty(shape, dtype=dtype)

    def _plan_cache(self) -> None:
        # CuPy's cache is per thread and device; make sure it holds every resolution's plan.
        key = (threading.get_ident(), self.device_id())
        if key not in self._sized:
            cache = self.xp.fft.config.get_plan_cache()
            if 0 <= cache.get_size() < PLAN_CACHE_SIZE:
                cache.set_size(PLAN_CACHE_SIZE)
            self._sized.add(key)

    def rfftn(self, x, d):
        self._plan_cache()
        return self.xp.fft.rfftn(x, axes=_axes(d))

    def irfftn(self, x, d, s):
        self._plan_cache()
        return self.xp.fft.irfftn(x, s=tuple(s), axes=_axes(d))

    def fftn(self, x, d):
        self._plan_cache()
        return self.xp.fft.fftn(x, axes=_axes(d))

    def ifftn(self, x, d):
        self._plan_cache()
        return self.xp.fft.ifftn(x, axes=_axes(d))

    def device_id(self):
        return self.xp.cuda.runtime.getDevice()

    def kernel_arg(self, x):
        # sync=False: kernels run on CuPy's current stream (see stream()), so numba's
        # per-import stream synchronisation would only add a host round trip.
        return self._cuda.as_cuda_array(x, sync=False)

    def stream(self):
        ptr = self.xp.cuda.get_current_stream().ptr
        if ptr == 0:
            return 0  # the legacy default stream, numba's default too
        stream = self._streams.get(ptr)
        if stream is None:
            with self._lock:
                stream = self._streams.setdefault(ptr, self._cuda.external_stream(ptr))
        return stream


def make_provider(choice: str | object | None = None):
    """A provider instance from a name, an instance (returned as is) or ``None`` (default)."""
    if choice is not None and not isinstance(choice, str):
        return choice
    name = provider_name(choice)
    if name == "cupy":
        if _simulator():
            raise ValueError("fft='cupy' cannot run under numba's CUDA simulator "
                             "(NUMBA_ENABLE_CUDASIM=1): select the numpy provider "
                             f"({ENV_VAR}=numpy, or leave it unset)")
        return CupyFFT()
    return NumpyFFT()
