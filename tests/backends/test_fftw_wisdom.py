"""pyFFTW's core as the numba backend loads it: how long FFTW's idle OpenMP threads spin."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("pyfftw")

from numbascat.backends import fftw_wisdom  # noqa: E402

# Loads pyFFTW's core the way the backend does, then reports what is left in the environment.
# OMP_DISPLAY_ENV makes libgomp print its settings to stderr when it is loaded; GOMP_SPINCOUNT
# is how long its idle workers spin (its default, 300000, also displays as a PASSIVE policy).
LOAD = ("import os; from numbascat.backends import fftw_wisdom; fftw_wisdom.pyfftw_core(); "
        "print(os.environ.get('GOMP_SPINCOUNT', '<unset>'))")


def _load(**env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_changes, OMP_DISPLAY_ENV="VERBOSE")
    out = subprocess.run([sys.executable, "-c", LOAD], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip(), out.stderr


def _spin_count(stderr):
    lines = [line for line in stderr.splitlines() if "GOMP_SPINCOUNT" in line]
    if not lines:
        pytest.skip("this pyFFTW's OpenMP runtime is not libgomp, or does not display settings")
    return int(lines[0].split("=", 1)[1].strip().strip("'"))


def test_fftw_threads_spin_briefly_and_the_environment_is_restored():
    left, stderr = _load()
    assert _spin_count(stderr) == int(fftw_wisdom.OPENMP_SPIN_COUNT) == 10_000  # default 300000
    assert left == "<unset>"  # other libraries' OpenMP runtimes keep their own defaults


@pytest.mark.parametrize("name, value, spins", [("OMP_WAIT_POLICY", "ACTIVE", 30_000_000_000),
                                                ("GOMP_SPINCOUNT", "1000000", 1_000_000)])
def test_a_users_openmp_setting_wins(name, value, spins):
    left, stderr = _load(**{name: value})
    assert _spin_count(stderr) == spins
    assert left == (value if name == "GOMP_SPINCOUNT" else "<unset>")
