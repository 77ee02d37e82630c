"""Registers the ``gpu`` marker used by the numba_cuda tests (skipped without a real GPU)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a real CUDA GPU; skipped when none is usable")
