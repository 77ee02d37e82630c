"""The ``numba_cuda`` backend plugin (metadata only here; CUDA is touched by ``.backend``)."""
from numbascat.backend_api import BackendInfo

INFO = BackendInfo(
    name="numba_cuda",
    dims=(1, 2, 3),
    array_kinds=("numpy", "cupy", "torch"),
    devices=("gpu",),
    priority=5,
    requires=("numba", "cupy"),
    extra="cuda",
    probe="numbascat_plugins.numba_cuda.probe:unavailable_reason",
    description="numba.cuda fused kernels around cuFFT (CuPy); numpy, CuPy and torch CUDA arrays",
    aliases=("torch_skcuda", "torch17_skcuda"),
)
