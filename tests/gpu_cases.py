"""Shared cases of the ``gpu`` tests (numba_cuda and torch on CUDA against the numpy reference).

On a real GPU the cases are moderate (a few ms each); in the CPU rehearsal of
``tools/gpu_check.py --simulate`` (``NUMBASCAT_GPU_REHEARSAL=1`` with ``NUMBA_ENABLE_CUDASIM=1``)
they are tiny, because the simulator runs every GPU thread as a Python thread, and torch runs on
the CPU in place of CUDA.
"""
import os

import numpy as np

REHEARSAL = (os.environ.get("NUMBASCAT_GPU_REHEARSAL") == "1"
             and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1")
DTYPES = (np.float32, np.float64)
# (class name, constructor keywords, batch)
CASES = {
    1: ("Scattering1D", {"J": 6, "shape": 1024, "Q": 8}, (4,)),
    2: ("Scattering2D", {"J": 3, "shape": (64, 64), "L": 8}, (3,)),
    3: ("HarmonicScattering3D", {"J": 2, "shape": (32, 32, 32), "L": 2,
                                 "integral_powers": (0.5, 1.0, 2.0)}, (2,)),
}
TINY = {
    1: ("Scattering1D", {"J": 3, "shape": 256, "Q": 1}, (2,)),
    2: ("Scattering2D", {"J": 2, "shape": (16, 16), "L": 2}, (2,)),
    3: ("HarmonicScattering3D", {"J": 1, "shape": (8, 8, 8), "L": 1}, (1,)),
}


def case(d):
    return (TINY if REHEARSAL else CASES)[d]


def signal(d, dtype, seed=0):
    _, kwargs, batch = case(d)
    shape = np.atleast_1d(kwargs["shape"]).tolist()
    return np.random.default_rng(seed).standard_normal(batch + tuple(shape)).astype(dtype)


def build(module, d, backend):
    name, kwargs, _ = case(d)
    return getattr(module, name)(backend=backend, **kwargs)


def reference(d, x):
    """The numpy reference backend's output for ``x`` (same dtype)."""
    import numbascat.numpy as nsn

    return build(nsn, d, "numpy")(x)


def assert_matches(out, ref, dtype, what):
    out = np.asarray(out)
    assert out.shape == ref.shape, f"{what}: shape {out.shape} != reference {ref.shape}"
    assert out.dtype == np.dtype(dtype), f"{what}: dtype {out.dtype}, expected {np.dtype(dtype)}"
    rel = float(np.abs(out.astype(np.float64) - ref).max() / max(np.abs(ref).max(), 1e-30))
    limit = 1e-5 if np.dtype(dtype) == np.float32 else 1e-10
    assert rel <= limit, f"{what}: max error {rel:.3g} of the maximum > {limit:g}"
