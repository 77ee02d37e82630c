"""The numba backend's warm-up: numba imported only when a kernel runs, small first calls of a
process on the numpy reference until they have cost what loading numba costs."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")
pytest.importorskip("pyfftw")


def _run(code: str, warmup: str | None = "numpy") -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned."""
    env = dict(os.environ)
    env.pop("NUMBASCAT_NUMBA_WARMUP", None)
    if warmup is not None:
        env["NUMBASCAT_NUMBA_WARMUP"] = warmup
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


PRELUDE = """
import json, sys, numpy as np
import numbascat.numpy as nn
from numbascat.backends import numba_backend as nb, lazy_jit
rng = np.random.default_rng(0)
small = rng.standard_normal((2, 256)).astype(np.float32)
S = nn.Scattering1D(J=4, Q=4, shape=256, backend="numba")
R = nn.Scattering1D(J=4, Q=4, shape=256, backend="numpy")
ref = R(small)
def err(a):
    return float(np.abs(a - ref).max() / np.abs(ref).max())
"""


def test_importing_the_backend_and_building_a_transform_import_no_numba():
    got = _run(PRELUDE + "print(json.dumps({'numba': 'numba' in sys.modules,"
                         " 'name': S.backend.name}))")
    assert got == {"numba": False, "name": "numba"}


def test_small_first_calls_run_on_the_reference_then_on_numba():
    got = _run(PRELUDE + """
first = S(small)
before = 'numba' in sys.modules
held = sorted(k[0] for k in S._prepared)
S(small)
nb.WARMUP_SECONDS = 0.0  # as if the stand-in calls had cost the warm-up by now
later = S(small)
print(json.dumps({'before': before, 'after': 'numba' in sys.modules,
                  'held': held, 'now': sorted(k[0] for k in S._prepared),
                  'loaded': lazy_jit.kernels_loaded(), 'first': err(first), 'later': err(later),
                  'dtype': str(later.dtype), 'shape': list(later.shape) == list(ref.shape)}))
""")
    assert got["before"] is False and got["after"] is True and got["loaded"] is True
    assert got["first"] == 0.0  # the reference itself
    assert got["held"] == ["numpy"] and got["now"] == ["numba"]  # the reference's filters go
    assert 0.0 < got["later"] <= 1e-5  # numba's kernels: same numbers, other rounding
    assert got["dtype"] == "float32" and got["shape"]


def test_a_large_call_loads_numba_at_once_and_ends_the_warm_up():
    got = _run(PRELUDE + """
big = rng.standard_normal((1025, 256)).astype(np.float32)  # above 1D's 2^18 values
S(big)
loaded = lazy_jit.kernels_loaded()
print(json.dumps({'loaded': loaded, 'small': err(S(small)),
                  'standin': nb.NumbaBackend().warmup_standin(16) is not None}))
""")
    assert got["loaded"] is True and got["standin"] is False
    assert 0.0 < got["small"] <= 1e-5


def test_the_warm_up_can_be_turned_off():
    got = _run(PRELUDE + "out = S(small); print(json.dumps({'numba': 'numba' in sys.modules,"
                         " 'err': err(out)}))", warmup="off")
    assert got["numba"] is True and 0.0 < got["err"] <= 1e-5


def test_a_bad_warm_up_setting_names_the_variable():
    code = PRELUDE + "S(small)"
    env = dict(os.environ, NUMBASCAT_NUMBA_WARMUP="sometimes")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert "NUMBASCAT_NUMBA_WARMUP" in run.stderr and "'sometimes'" in run.stderr


def test_lazy_kernels_load_their_module_and_its_imports_on_first_call():
    got = _run("""
import json, sys, numpy as np
from numbascat.backends import lazy_jit, numba_kernels as nk, numba_wavelet_modulus as wm
lazy = [isinstance(nk.multiply_periodise_real, lazy_jit.LazyKernel),
        isinstance(wm.modulus_scaled, lazy_jit.LazyKernel), 'numba' in sys.modules]
t = np.array([3.0, 4.0, 0.0, 0.0], np.float32)
out = np.empty(2, np.float32)
wm.multiply_periodise_pairs.signatures  # loads numba_wavelet_modulus and what it imports
nk.modulus_scaled(t, 2.0, out)
import numba
print(json.dumps({'lazy': lazy, 'out': out.tolist(),
                  'wm': isinstance(wm.modulus_scaled, numba.core.registry.CPUDispatcher),
                  'nk': isinstance(nk.modulus_scaled, numba.core.registry.CPUDispatcher),
                  'prange': nk.prange is numba.prange}))
""")
    assert got["lazy"] == [True, True, False]
    assert got["out"] == [10.0, 0.0]
    assert got["wm"] and got["nk"] and got["prange"]


def test_the_fft_floor_and_the_benchmarks_measure_numba_itself():
    got = _run(PRELUDE + """
from numbascat.fft_floor import fft_floor
from numbascat.transform import own_backend
floor = fft_floor(S, small, repeat=1)
with own_backend():
    inside = err(S(small))
print(json.dumps({'floor': floor, 'loaded': lazy_jit.kernels_loaded(), 'inside': inside}))
""")
    assert got["floor"] > 0 and got["loaded"] is True and 0.0 < got["inside"] <= 1e-5


def test_the_transform_sets_how_large_a_call_the_stand_in_takes():
    # 1D: up to 2^18 values on the reference, 3D up to 2^15; 2D keeps the backend's 2^13.
    got = _run(PRELUDE + """
mid = rng.standard_normal((1024, 256)).astype(np.float32)  # 2^18 values
R_mid = R(mid)
one_d = S(mid)
after_1d = lazy_jit.kernels_loaded()
S2 = nn.Scattering2D(J=2, shape=(128, 128), backend="numba")  # 16384 values
S2(rng.standard_normal((1, 128, 128)).astype(np.float32))
print(json.dumps({'after_1d': after_1d, 'after_2d': lazy_jit.kernels_loaded(),
                  'err': float(np.abs(one_d - R_mid).max()),
                  'limits': [nn.Scattering1D.standin_max_values,
                             nn.Scattering2D.standin_max_values,
                             nn.HarmonicScattering3D.standin_max_values]}))
""")
    assert got["after_1d"] is False and got["err"] == 0.0
    assert got["after_2d"] is True
    assert got["limits"] == [1 << 18, None, 1 << 15]


def test_a_32_cubed_volume_runs_on_the_reference_and_a_larger_one_loads_numba():
    got = _run(PRELUDE + """
kw = dict(J=1, L=1, integral_powers=[1.0])
v = rng.standard_normal((1, 32, 32, 32)).astype(np.float32)  # 2^15 values: the 3D limit
S3 = nn.HarmonicScattering3D(shape=(32, 32, 32), backend="numba", **kw)
R3 = nn.HarmonicScattering3D(shape=(32, 32, 32), backend="numpy", **kw)
same = float(np.abs(S3(v) - R3(v)).max())
at_limit = lazy_jit.kernels_loaded()
w = rng.standard_normal((2, 32, 32, 32)).astype(np.float32)  # above it
nn.HarmonicScattering3D(shape=(32, 32, 32), backend="numba", **kw)(w)
print(json.dumps({'same': same, 'at_limit': at_limit, 'above': lazy_jit.kernels_loaded()}))
""")
    assert got == {"same": 0.0, "at_limit": False, "above": True}
