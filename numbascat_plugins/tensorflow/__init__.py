"""The ``tensorflow`` backend plugin (metadata only here; TF is imported by ``.backend``)."""
from numbascat.backend_api import BackendInfo

INFO = BackendInfo(
    name="tensorflow",
    dims=(1, 2, 3),
    array_kinds=("tensorflow",),
    devices=("cpu", "gpu"),
    differentiable=True,
    priority=10,
    requires=("tensorflow",),
    extra="tensorflow",
    description="tf.signal FFTs and TF ops: GradientTape and tf.function",
)
