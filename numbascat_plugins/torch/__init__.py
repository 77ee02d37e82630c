"""The ``torch`` backend plugin (metadata only here; torch is imported by ``.backend``)."""
from numbascat.backend_api import BackendInfo

INFO = BackendInfo(
    name="torch",
    dims=(1, 2, 3),
    array_kinds=("torch",),
    devices=("cpu", "gpu"),
    differentiable=True,
    priority=10,
    requires=("torch",),
    extra="torch",
    description="torch.fft and torch ops: differentiable, CPU and CUDA tensors",
    aliases=("torch17",),
)
