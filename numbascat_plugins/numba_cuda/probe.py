"""Can the ``numba_cuda`` backend run here? (``BackendInfo.probe`` of the plugin.)

:func:`unavailable_reason` returns None when usable, else one sentence saying what is missing
and how to fix it. It never raises, and imports CuPy only after numba-cuda is known present.
"""
from __future__ import annotations

import importlib.util
import os

__all__ = ["unavailable_reason"]

_INSTALL = "pip install 'numbascat[cuda]'"


def _first_line(exc: BaseException) -> str:
    """``Type: first sentence`` of an exception, without numba's "Error at driver init:"."""
    text = " ".join(str(exc).split()).removeprefix("Error at driver init:").strip()
    sentence = text.split(". ")[0].rstrip(". :")[:160]
    return f"{type(exc).__name__}: {sentence}" if sentence else type(exc).__name__


def _numba_cuda_reason() -> str | None:
    if importlib.util.find_spec("numba_cuda") is None:
        return (f"needs the numba-cuda package (numba's own CUDA target is deprecated): "
                f"{_INSTALL} or pip install 'numba-cuda[cu12]'")
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
        return f"needs CuPy for cuFFT and device arrays: {_INSTALL}"
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
        return f"needs CuPy for cuFFT and device arrays ({_first_line(exc)}): {_INSTALL}"
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
