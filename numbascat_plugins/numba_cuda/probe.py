"""Can the ``numba_cuda`` backend run here? (``BackendInfo.probe`` of the plugin.)

:func:`unavailable_reason` returns None when usable, else one sentence saying what is missing
and how to fix it. It never raises, and imports CuPy only after numba-cuda is known present.
"""
from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os

__all__ = ["unavailable_reason"]

_INSTALL = "pip install 'numbascat[cuda]'"


def driver_cuda_major() -> int | None:
    """The CUDA major version the installed NVIDIA driver supports (``cuDriverGetVersion``,
    which needs no device and no CUDA package), or None without a driver."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
        version = ctypes.c_int(0)
        if lib.cuDriverGetVersion(ctypes.byref(version)) != 0 or version.value <= 0:
            return None
    except (OSError, AttributeError):
        return None
    return version.value // 1000


def _cupy_hint() -> str:
    """How to install the CuPy build that fits this machine's driver."""
    major = driver_cuda_major()
    if major is not None and major >= 13:
        return (f"pip install cupy-cuda{major}x (the driver supports CUDA {major}; "
                f"{_INSTALL} installs the CUDA 12 build, which also runs on it)")
    if major == 12:
        return _INSTALL
    return f"{_INSTALL} (CUDA 12) or pip install cupy-cuda13x (CUDA 13), as nvidia-smi shows"


def _numba_cuda_hint() -> str:
    major = driver_cuda_major()
    if major is not None and major >= 12:
        return f"pip install 'numba-cuda[cu{major}]'"
    return "pip install 'numba-cuda[cu12]' or 'numba-cuda[cu13]' (the CUDA major of nvidia-smi)"


def _cupy_distributions() -> list[str]:
    names = set()
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name == "cupy" or name.startswith("cupy-cuda") or name.startswith("cupy-rocm"):
            names.add(name)
    return sorted(names)


def _first_line(exc: BaseException) -> str:
    """``Type: first sentence`` of an exception, without numba's "Error at driver init:"."""
    text = " ".join(str(exc).split()).removeprefix("Error at driver init:").strip()
    sentence = text.split(". ")[0].rstrip(". :")[:160]
    return f"{type(exc).__name__}: {sentence}" if sentence else type(exc).__name__


def _numba_cuda_reason() -> str | None:
    if importlib.util.find_spec("numba_cuda") is None:
        return (f"needs the numba-cuda package (numba's own CUDA target is deprecated): "
                f"{_numba_cuda_hint()}, or {_INSTALL}")
    try:
        from numba import cuda  # noqa: F401
    except Exception as exc:
        return f"numba.cuda cannot be imported ({_first_line(exc)})"
    return None


def _no_gpu_detail() -> str:
    try:
        from numba.cuda.cudadrv.driver import driver

        driver.get_version()
    except Exception as exc:
        return _first_line(exc)
    return "no CUDA device is visible (check CUDA_VISIBLE_DEVICES)"


def _driver_reason(cupy) -> str | None:
    """A driver older than the CUDA runtime CuPy or numba-cuda was built for."""
    from numba.cuda.cudadrv.driver import driver

    major, minor = driver.get_version()
    needs = []
    try:
        runtime = int(cupy.cuda.runtime.runtimeGetVersion())
        needs.append(("CuPy", runtime // 1000, (runtime % 1000) // 10))
    except Exception:
        pass
    try:
        from cuda import bindings

        needs.append(("numba-cuda's cuda-bindings", int(bindings.__version__.split(".")[0]), 0))
    except Exception:
        pass
    for who, need_major, need_minor in needs:
        if major < need_major:
            return (f"the NVIDIA driver is too old: it supports CUDA {major}.{minor}, but "
                    f"{who} is built for CUDA {need_major}.{need_minor}; update the driver or "
                    f"install packages for CUDA {major} (e.g. cupy-cuda{major}x, "
                    f"numba-cuda[cu{major}])")
    return None


def unavailable_reason() -> str | None:
    """None when ``numba_cuda`` is usable, else why not (missing package, no GPU, old driver).

    Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) it is usable only with the numpy
    FFT provider, which runs everything on the host (for tests).
    """
    reason = _numba_cuda_reason()
    if reason:
        return reason
    try:
        from numbascat_plugins.numba_cuda.fft import ENV_VAR, _simulator, provider_name

        provider = provider_name()
    except ValueError as exc:
        return str(exc)
    if _simulator():
        if provider != "numpy":
            return (f"NUMBA_ENABLE_CUDASIM=1 runs kernels on the host, where only the numpy "
                    f"FFT provider works; set {ENV_VAR}=numpy (or unset it)")
        return None
    # Importing CuPy writes ~/.cupy; look for it without importing until a GPU is known.
    if importlib.util.find_spec("cupy") is None:
        return f"needs CuPy for cuFFT and device arrays: {_cupy_hint()}"
    builds = _cupy_distributions()
    if len(builds) > 1:
        return (f"several CuPy builds are installed ({', '.join(builds)}) and overwrite each "
                f"other: pip uninstall all but the one for this driver's CUDA version")
    from numba import cuda

    try:
        available = cuda.is_available()
    except Exception as exc:
        return f"no usable CUDA GPU ({_first_line(exc)})"
    if not available:
        return f"no usable CUDA GPU: numba.cuda.is_available() is False ({_no_gpu_detail()})"
    try:
        import cupy
    except Exception as exc:
        return f"needs CuPy for cuFFT and device arrays ({_first_line(exc)}): {_cupy_hint()}"
    try:
        reason = _driver_reason(cupy)
    except Exception as exc:
        return f"the CUDA driver version cannot be read ({_first_line(exc)})"
    if reason:
        return reason
    if provider == "cupy" and not cupy.is_available():
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        hint = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
        return f"CuPy sees no usable CUDA device: cupy.is_available() is False{hint}"
    return None
