"""The ``jax`` backend plugin (metadata only here; jax is imported by ``.backend``)."""
from numbascat.backend_api import BackendInfo

INFO = BackendInfo(
    name="jax",
    dims=(1, 2, 3),
    array_kinds=("jax",),
    devices=("cpu", "gpu"),
    differentiable=True,
    priority=10,
    requires=("jax",),
    extra="jax",
    description="jax.numpy: jit and grad",
)
