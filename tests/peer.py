"""Side-by-side runs against Kymatio 0.3.0 in its own interpreter (the "peer").

Kymatio 0.3.0 needs SciPy < 1.17, so it lives in a separate virtual environment
(``../shared/tools/setup_kymatio_venv.sh``). Tests name that interpreter through the environment
variable ``NUMBASCAT_KYMATIO_PYTHON`` and are skipped, with that reason, when it is unset.

Usage in a test::

    from peer import requires_kymatio, run_kymatio

    @requires_kymatio
    @pytest.mark.peer
    def test_against_kymatio():
        jobs = [{"cls": "Scattering1D", "params": {"J": 6, "shape": 512, "Q": 8},
                 "x": x, "meta": True}]
        (res,) = run_kymatio(jobs)
        res["output"]   # Kymatio's output: numpy array, or list/dict with numpy leaves
        res["meta"]     # S.meta() when "meta" was requested
        res["error"]    # (exception type name, message) when construction or the call raised

A job is a dict: ``cls`` (class name in ``kymatio.<frontend>``), ``params`` (keyword arguments),
optional ``frontend`` (default ``"numpy"``; ``"torch"`` converts x to a tensor and the output
back), optional ``x`` (numpy input), optional ``meta`` (bool), optional ``attrs`` (names of
attributes to return in ``res["attrs"]``), optional ``call`` (name of a method to call with x
instead of ``__call__``). All jobs of one call share one interpreter start (a few seconds), so
batch them.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

__all__ = ["kymatio_main_python", "kymatio_python", "requires_kymatio", "requires_kymatio_main",
           "run_kymatio", "run_kymatio_main", "shared_dir"]

RUNNER = Path(__file__).with_name("kymatio_runner.py")


def kymatio_python() -> str | None:
    """The Kymatio 0.3.0 interpreter named by NUMBASCAT_KYMATIO_PYTHON, if it exists."""
    path = os.environ.get("NUMBASCAT_KYMATIO_PYTHON", "").strip()
    return path if path and Path(path).exists() else None


requires_kymatio = pytest.mark.skipif(
    kymatio_python() is None,
    reason="no Kymatio 0.3.0 interpreter: set NUMBASCAT_KYMATIO_PYTHON to the python of a venv "
           "made by ../shared/tools/setup_kymatio_venv.sh",
)


def shared_dir() -> Path | None:
    """``../shared`` beside the repository (``NUMBASCAT_SHARED`` overrides), if present."""
    env = os.environ.get("NUMBASCAT_SHARED")
    path = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"
    return path if path.is_dir() else None


def kymatio_main_reference() -> dict:
    """The arrays of ``refdata/kymatio_main_jtfs.npz`` (skips the test when ../shared is
    absent)."""
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared (reference data) is absent; set NUMBASCAT_SHARED to its path")
    import numpy as np

    with np.load(shared / "refdata" / "kymatio_main_jtfs.npz") as data:
        return {k: data[k] for k in data.files}


def reference_params(ref: dict, prefix: str) -> dict:
    """The constructor arguments of reference case ``prefix`` (its ``<prefix>_param_*``)."""
    out = {}
    for key, value in ref.items():
        if key.startswith(prefix + "_param_"):
            name = key[len(prefix) + len("_param_"):]
            out[name] = tuple(int(v) for v in value) if value.ndim else value.item()
    return out


def kymatio_main_python() -> str | None:
    """The Kymatio main (0.4.0.dev0) interpreter named by NUMBASCAT_KYMATIO_MAIN_PYTHON."""
    path = os.environ.get("NUMBASCAT_KYMATIO_MAIN_PYTHON", "").strip()
    return path if path and Path(path).exists() else None


requires_kymatio_main = pytest.mark.skipif(
    kymatio_main_python() is None,
    reason="no Kymatio main interpreter: set NUMBASCAT_KYMATIO_MAIN_PYTHON to the python of a "
           "venv made by ../shared/tools/setup_kymatio_main_venv.sh",
)


def run_kymatio_main(jobs: list[dict], timeout: float = 900) -> list[dict]:
    """:func:`run_kymatio` against Kymatio main (same job format)."""
    python = kymatio_main_python()
    if python is None:
        pytest.skip("no Kymatio main interpreter (NUMBASCAT_KYMATIO_MAIN_PYTHON)")
    return _run(python, jobs, timeout)


def run_kymatio(jobs: list[dict], timeout: float = 900) -> list[dict]:
    """Run ``jobs`` in the Kymatio interpreter; one result dict per job (see module doc)."""
    python = kymatio_python()
    if python is None:
        pytest.skip("no Kymatio 0.3.0 interpreter (NUMBASCAT_KYMATIO_PYTHON)")
    return _run(python, jobs, timeout)


def _run(python: str, jobs: list[dict], timeout: float) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "jobs.pkl"), Path(tmp, "results.pkl")
        src.write_bytes(pickle.dumps(jobs, protocol=4))
        proc = subprocess.run([python, str(RUNNER), str(src), str(dst)], capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0 or not dst.exists():
            raise RuntimeError(f"Kymatio runner failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return pickle.loads(dst.read_bytes())


if __name__ == "__main__":  # smoke test: python tests/peer.py
    import numpy as np

    out = run_kymatio([{"cls": "Scattering1D", "params": {"J": 3, "shape": 64},
                        "x": np.ones(64, np.float32), "meta": True}])
    print({k: type(v) for k, v in out[0].items()}, file=sys.stderr)
