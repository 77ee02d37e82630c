"""Kymatio 0.3 reference outputs (``../shared/refdata``) for the frontend parity tests.

``reference(dim)`` loads ``kymatio_0.3_{dim}d.npz`` (skipping with the reason when ``../shared``
is absent; ``NUMBASCAT_SHARED`` overrides its location), ``transform_args(dim, ref)`` gives the
constructor arguments that produced it, and ``assert_parity(dim, ref, out)`` applies the
project's tolerance: max abs error <= 1e-5 * max |ref|.
"""
from __future__ import annotations

import numpy as np
import pytest
from peer import shared_dir

SHARED = shared_dir()


def reference(dim: int) -> dict:
    if SHARED is None:
        pytest.skip("../shared (Kymatio reference data) is absent; set NUMBASCAT_SHARED")
    with np.load(SHARED / "refdata" / f"kymatio_0.3_{dim}d.npz") as data:
        return {k: data[k] for k in data.files}


def transform_args(dim: int, ref: dict) -> tuple[tuple, dict]:
    """(args, kwargs) of the Kymatio call that made ``ref``."""
    x = ref["x"]
    if dim == 1:
        return (int(ref["J"]), x.shape[-1]), {"Q": int(ref["Q"])}
    if dim == 2:
        return (int(ref["J"]), x.shape[-2:]), {"pre_pad": bool(ref["pre_pad"])}
    powers = tuple(float(q) for q in ref["integral_powers"])
    return (int(ref["J"]), x.shape[-3:]), {"L": int(ref["L"]), "integral_powers": powers}


def expected(dim: int, ref: dict) -> np.ndarray:
    """The transform's expected output (3D: Kymatio's order-0 integrals dropped, reshaped)."""
    if dim < 3:
        return ref["Sx"]
    n0 = len(ref["integral_powers"])
    return ref["Sx"][:, n0:].reshape(ref["x"].shape[0], -1, int(ref["L"]) + 1, n0)


def assert_parity(dim: int, ref: dict, out) -> None:
    out = np.asarray(out)
    want = expected(dim, ref)
    assert out.shape == want.shape
    assert out.dtype == np.float32
    err = np.abs(out.astype(np.float64) - want).max() / np.abs(want).max()
    assert err <= 1e-5, f"{dim}D max abs error {err:.2e} x max|ref| exceeds 1e-5"
