"""The drop-in table (``cases.py``) run in Kymatio 0.3.0 and in numbascat, compared case by case.

Kymatio runs every case in one subprocess of the peer interpreter (``NUMBASCAT_KYMATIO_PYTHON``);
numbascat runs the same code in-process under ``installed_as_kymatio()``, through Kymatio's
import paths. Skipped without the peer.
"""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from peer import kymatio_python, requires_kymatio

sys.path.insert(0, str(Path(__file__).parent))
from cases import build_cases  # noqa: E402
from compare import differences  # noqa: E402

pytestmark = [pytest.mark.peer, requires_kymatio]

RUNNER = Path(__file__).with_name("dropin_runner.py")
IDS = [case["id"] for case in build_cases("TMP")]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dropin")
    cases = build_cases(str(tmp))
    src, dst = tmp / "cases.pkl", tmp / "kymatio.pkl"
    src.write_bytes(pickle.dumps(cases, protocol=4))
    proc = subprocess.run([kymatio_python(), str(RUNNER), str(src), str(dst)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not dst.exists():
        raise RuntimeError(f"Kymatio runner failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    ref = pickle.loads(dst.read_bytes())
    with pytest.MonkeyPatch.context() as mp:  # numbascat's caches and config: private
        mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
        mp.setenv("XDG_CONFIG_HOME", str(tmp / "config"))
        for var in [v for v in os.environ if v.startswith(("NUMBASCAT_BACKEND",
                                                           "KYMATIO_BACKEND"))]:
            mp.delenv(var)
        from dropin_runner import run_cases

        from numbascat.kymatio_compat import installed_as_kymatio

        with installed_as_kymatio():
            ours = run_cases(cases)
    return {c["id"]: (c, r, o) for c, r, o in zip(cases, ref, ours, strict=True)}


@pytest.mark.parametrize("case_id", IDS)
def test_same_as_kymatio(case_id, results):
    case, ref, ours = results[case_id]
    problems = differences(case, ref, ours)
    assert not problems, "\n".join(problems)


def test_table_covers_every_peer_frontend_and_helper():
    cases = build_cases("TMP")
    frontends = {c.get("frontend") for c in cases if c["kind"] == "object"}
    assert {"numpy", "torch", "sklearn"} <= frontends
    assert len(cases) >= 200
    helpers = {c["func"].rsplit(".", 1)[-1] for c in cases if c["kind"] == "helper"}
    assert {"scattering_filter_factory", "filter_bank", "generate_weighted_sum_of_gaussians",
            "compute_integrals", "get_cache_dir", "get_dataset_dir"} <= helpers
