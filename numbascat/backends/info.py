"""Cheap metadata records of the built-in backends (entry-point group numbascat.backend_info).

This module must stay importable without numba, pyfftw or any optional dependency.
"""
from numbascat.backend_api import BackendInfo

NUMPY = BackendInfo(
    name="numpy",
    dims=(1, 2, 3),
    array_kinds=("numpy",),
    devices=("cpu",),
    priority=10,
    requires=("numpy", "scipy"),
    description="reference semantics: numpy arrays, scipy.fft",
)

NUMBA = BackendInfo(
    name="numba",
    dims=(1, 2, 3),
    array_kinds=("numpy",),
    devices=("cpu",),
    priority=20,
    requires=("numba", "pyfftw"),
    description="numba-jitted fused kernels around planned pyFFTW transforms",
)
