"""Runs simulated_cases.py in a fresh interpreter under numba's CUDA simulator.

``NUMBA_ENABLE_CUDASIM`` is read once, when numba is imported, and switching it would change
numba.cuda for every other test of this pytest process. A subprocess running pytest on the
dedicated module keeps the simulator out of this process entirely.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CASES = HERE / "simulated_cases.py"


def test_kernels_under_cuda_simulator_match_numpy_reference():
    pytest.importorskip("numba_cuda", reason="numba-cuda is not installed")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", NUMBASCAT_CUDA_FFT="numpy")
    cmd = [sys.executable, "-m", "pytest", str(CASES), "-q", "-rs", "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, env=env, cwd=HERE.parents[2], capture_output=True, text=True,
                          timeout=600)
    report = proc.stdout[-8000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, f"simulated numba_cuda cases failed:\n{report}"
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary, report
    print(summary)  # shown with -s / -rP: which transforms were skipped as not implemented
