"""``numbascat tune``: measured plans saved as wisdom that later processes start from."""
import subprocess
import sys

import pytest

pytest.importorskip("pyfftw")


def _run(args, cache):
    env = {"NUMBASCAT_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "numbascat.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_tune_writes_wisdom_that_a_new_process_uses(tmp_path):
    done = _run(["tune", "--dim", "1", "--shape", "512", "--J", "4", "--Q", "2",
                 "--batch", "1", "3"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tuned 1D shape=(512,), input (3, 512)" in done.stdout
    assert list(tmp_path.glob("fftw_wisdom-*.bin"))
    # A fresh process on the default auto planner finds every FFT of that pass measured.
    code = ("import numpy as np, numbascat.numpy as f; from numbascat.backends import fftw_plans"
            " as p; S = f.Scattering1D(J=4, shape=512, Q=2, backend='numba');"
            " S(np.zeros((3, 512), np.float32));"
            " print(all(s.measured for s in p._states.values()), len(p._states))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"NUMBASCAT_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin",
                              "NUMBASCAT_NUMBA_WARMUP": "off"},  # numba's FFTs, not numpy's
                         timeout=300)
    assert out.returncode == 0, out.stderr
    measured, count = out.stdout.split()
    assert measured == "True" and int(count) > 0


def test_tune_needs_a_target(tmp_path):
    done = _run(["tune"], tmp_path)
    assert done.returncode == 2 and "nothing to tune" in done.stderr
    done = _run(["tune", "--dim", "2", "--shape", "32"], tmp_path)
    assert done.returncode == 2 and "--shape needs 2 sizes" in done.stderr


def test_tune_a_workload(tmp_path):
    done = _run(["tune", "--workload", "2d-mnist"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tuned 2d-mnist, input (32, 3, 32, 32)" in done.stdout
    done = _run(["tune", "--workload", "no-such"], tmp_path)
    assert done.returncode == 2 and "unknown workload 'no-such'" in done.stderr
