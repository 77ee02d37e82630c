"""Unchanged Kymatio 0.3 scripts (``scripts/*.py``) run with ``python -m numbascat.kymatio``,
and, with the Kymatio peer, give Kymatio's numbers (each array to float32 tolerance, same dtype).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from peer import kymatio_python, requires_kymatio

SCRIPTS = sorted(Path(__file__).with_name("scripts").glob("*.py"))
ROOT = Path(__file__).resolve().parents[2]


def _env(tmp):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"), XDG_CONFIG_HOME=str(tmp / "cfg"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {k: v for k, v in env.items() if not k.startswith(("NUMBASCAT_BACKEND",
                                                                "KYMATIO_BACKEND"))}


def _run(cmd, tmp):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_env(tmp),
                          cwd=tmp)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ours")
    out = {}
    for script in SCRIPTS:
        path = tmp / f"{script.stem}.npz"
        _run([sys.executable, "-m", "numbascat.kymatio", str(script), str(path)], tmp)
        out[script.stem] = dict(np.load(path))
    return out


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_runs_unchanged_under_numbascat(script, ours):
    arrays = ours[script.stem]
    assert arrays and all(np.any(np.isfinite(a)) for a in arrays.values())
    assert "import numbascat" not in script.read_text()  # really unchanged Kymatio code


@requires_kymatio
@pytest.mark.peer
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_gives_kymatios_numbers(script, ours, tmp_path):
    path = tmp_path / "kymatio.npz"
    _run([kymatio_python(), str(script), str(path)], tmp_path)
    ref, mine = dict(np.load(path)), ours[script.stem]
    assert list(ref) == list(mine)
    for key, a in ref.items():
        b = mine[key]
        assert (a.shape, a.dtype) == (b.shape, b.dtype), key
        nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
        np.testing.assert_array_equal(nan, np.isnan(b) if b.dtype.kind == "f" else nan, key)
        a, b = a[~nan], b[~nan]  # meta() pads with NaN
        scale = float(np.max(np.abs(a), initial=0.0))
        err = float(np.max(np.abs(a.astype(np.float64) - b), initial=0.0))
        assert err <= 1e-5 * scale, f"{key}: max abs error {err:.3g}, max|ref| {scale:.3g}"
