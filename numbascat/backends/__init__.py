"""Built-in backends: ``numpy`` (reference semantics) and ``numba`` (fast CPU)."""
