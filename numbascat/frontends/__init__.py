"""Frontends: one module per framework, each serving the 1D, 2D and 3D transforms."""

#: frontend name -> (module, pip extra that installs its framework)
FRONTENDS = {
    "numpy": ("numbascat.frontends.numpy", None),
    "torch": ("numbascat.frontends.torch", "torch"),
    "sklearn": ("numbascat.frontends.sklearn", "sklearn"),
    "tensorflow": ("numbascat.frontends.tensorflow", "tensorflow"),
    "keras": ("numbascat.frontends.keras", "tensorflow"),
    "jax": ("numbascat.frontends.jax", "jax"),
}
