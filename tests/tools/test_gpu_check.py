"""tools/gpu_check.py: its helpers, and its CPU rehearsal end to end (so the one-call GPU check
keeps working between GPU runs).

The rehearsal runs every step under numba's CUDA simulator on one tiny workload, in ~30 s. The
Kymatio part runs when ``NUMBASCAT_KYMATIO_PYTHON`` names a Kymatio 0.3 interpreter.
"""
import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

import gpu_bench_worker  # noqa: E402
import gpu_check  # noqa: E402
from gpu_check_bench import summarise  # noqa: E402
from gpu_check_steps import Report, run_cmd  # noqa: E402


# ---------------------------------------------------------------------------------- helpers
def _fake_wheel(folder: Path, name: str, tag: str = "py3-none-any") -> Path:
    path = folder / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/__init__.py", "__version__ = '1.0'\n")
        zf.writestr(f"{name}-1.0.data/purelib/{name}_extra.py", "X = 1\n")
        zf.writestr(f"{name}-1.0.data/scripts/tool", "#!/bin/sh\n")
        zf.writestr(f"{name}-1.0.dist-info/METADATA", f"Name: {name}\nVersion: 1.0\n")
    return path


def test_pick_wheels_and_python_tags(tmp_path):
    _fake_wheel(tmp_path, "alpha")
    _fake_wheel(tmp_path, "beta", "cp39-cp39-manylinux_2_17_x86_64")
    found, missing = gpu_check.pick_wheels(tmp_path, ("alpha", "beta", "gamma"))
    assert [w.name.split("-")[0] for w in found] == ["alpha", "beta"] and missing == ["gamma"]
    assert gpu_check._fits(found[0]) and not gpu_check._fits(found[1])


def test_unpack_wheel_installs_purelib_and_skips_scripts(tmp_path):
    wheel = _fake_wheel(tmp_path, "alpha")
    target = tmp_path / "site"
    gpu_check.unpack_wheel(wheel, target)
    assert (target / "alpha" / "__init__.py").is_file()
    assert (target / "alpha_extra.py").is_file() and not (target / "tool").exists()


def test_install_group_falls_back_to_unpacking(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _fake_wheel(wheels, "alpha")
    _fake_wheel(wheels, "beta", "cp39-cp39-manylinux_2_17_x86_64")
    report = Report(tmp_path / "out", deadline=1e18, simulate=True)
    info = gpu_check.install_group(report, "/nonexistent/python", wheels, ("alpha", "beta"),
                                   tmp_path / "site", timeout=30)
    assert info["method"].startswith("unpacked")
    assert info["wheels"] == ["alpha-1.0-py3-none-any.whl"]
    assert info["not_for_this_python"] == ["beta-1.0-cp39-cp39-manylinux_2_17_x86_64.whl"]
    assert (tmp_path / "site" / "alpha").is_dir() and not (tmp_path / "site" / "beta").exists()


def test_dist_info_registers_the_backends_from_a_plain_path(tmp_path):
    pytest.importorskip("tomllib")  # Python >= 3.11, as on the GPU machine
    folder = gpu_check.write_dist_info(tmp_path)
    dist = next(importlib.metadata.distributions(path=[str(tmp_path)]))
    assert dist.metadata["Name"] == "numbascat" and folder.name.startswith("numbascat-")
    names = {ep.name for ep in dist.entry_points if ep.group == "numbascat.backends"}
    assert {"numpy", "numba", "torch", "numba_cuda"} <= names
    infos = {ep.name: ep.value for ep in dist.entry_points if ep.group == "numbascat.backend_info"}
    assert infos["numba_cuda"] == "numbascat_plugins.numba_cuda:INFO"


def test_peer_needs_kymatio_and_old_scipy():
    assert gpu_check._peer_ok({"kymatio": "0.3.0", "scipy": "1.16.3"})
    assert not gpu_check._peer_ok({"kymatio": "0.3.0", "scipy": "1.17.1"})
    assert not gpu_check._peer_ok({"kymatio": "missing (ImportError)", "scipy": "1.16.3"})


def test_run_cmd_kills_a_hung_command():
    res = run_cmd([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                  timeout=1.5)
    assert res["timed_out"] and res["rc"] == 124 and "up" in res["stdout"]
    assert res["seconds"] < 30


def test_traffic_counts_leaf_operators_once():
    import numpy as np

    class Ops:
        def modulus(self, x):
            return np.abs(x)

        def ifft_modulus(self, x, d):
            return self.modulus(x)  # a composite: only its leaf is counted

    ops = Ops()
    x = np.ones(1000, np.complex64)
    totals = gpu_bench_worker.count_traffic(ops, lambda: ops.ifft_modulus(x, 1))
    assert totals == {"bytes": x.nbytes + 4000, "leaf_calls": 1, "calls": 2}
    assert "modulus" not in vars(ops)  # the counters are removed afterwards


def test_summary_speedups_and_targets(tmp_path):
    report = Report(tmp_path, deadline=1e18, simulate=True)
    rows = [{"workload": "2d-headline", "engine": "numba_cuda", "median_s": 0.02,
             "traffic_bytes": 8e10},
            {"workload": "2d-headline", "engine": "torch-cuda", "median_s": 0.04},
            {"workload": "2d-headline", "engine": "kymatio-torch", "median_s": 0.2},
            {"workload": "1d-headline", "engine": "numba_cuda", "error": "timed out"}]
    s = summarise(report, rows, 4000.0)
    row = s["table"][0]
    assert row["kymatio_over_numba_cuda"] == pytest.approx(10)
    assert row["numba_cuda_GBps"] == pytest.approx(4000) and row["target_met"] is True
    assert s["geomean_torch_over_numba_cuda"] == pytest.approx(2)
    assert all(s["targets"].values())
    assert s["table"][1]["numba_cuda_ms"] is None


# ---------------------------------------------------------------------------------- rehearsal
def test_cpu_rehearsal_runs_every_step(tmp_path):
    pytest.importorskip("numba_cuda", reason="numba-cuda is not installed")
    pytest.importorskip("torch")
    engines = ["numba_cuda", "torch-cuda"]
    if os.environ.get("NUMBASCAT_KYMATIO_PYTHON"):
        engines.append("kymatio-torch")
    out, wheels = tmp_path / "out", tmp_path / "no-wheels"
    wheels.mkdir()
    cmd = [sys.executable, str(TOOLS / "gpu_check.py"), "--simulate", "--out", str(out),
           "--wheels", str(wheels), "--budget", "150", "--only", "2d-headline", "--repeat", "3",
           "--engines", *engines, "--pytest-args", "-k [2-float32]"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=ROOT)
    log = (out / "gpu_check.log").read_text() if (out / "gpu_check.log").is_file() else ""
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    data = json.loads((out / "gpu_check.json").read_text())
    steps = data["steps"]
    assert steps["install"]["status"] == "skipped" and "no wheels" in steps["install"]["reason"]
    for name in ("metadata", "imports", "versions", "copy_rate", "pytest", "bench", "summary"):
        assert steps[name]["status"] == "ok", (name, steps[name])
    assert steps["versions"]["detail"]["numbascat_side"]["numba_cuda_probe"] == "usable"
    assert any(line.startswith("numba_cuda") and " yes" in line
               for line in steps["versions"]["detail"]["backends"])
    assert " passed" in steps["pytest"]["detail"]["summary"]
    rows = {r["engine"]: r for r in data["bench"]}
    assert set(rows) == set(engines)
    for row in rows.values():
        assert "error" not in row, row
        assert row["median_s"] > 0 and row["calls"] >= 3 and row["out_shape"][-2:] == [4, 4]
    assert rows["numba_cuda"]["traffic_bytes"] > rows["numba_cuda"]["io_bytes"] > 0
    assert rows["numba_cuda"]["kernel_launches"] > 0 and rows["numba_cuda"]["fft_calls"] > 0
    assert all(r["enqueue_median_s"] > 0 for r in rows.values())
    assert rows["torch-cuda"]["vs_numba_cuda"] < 1e-5
    assert data["summary"]["table"][0]["workload"] == "2d-headline"
    assert "geomean Kymatio/numba_cuda" in log and data["ok"] is True


def test_shell_entry_point_finds_the_interpreter():
    env = dict(os.environ, GPU_CHECK_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(TOOLS / "gpu_check.sh"), "--help"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"gpu_check: {sys.executable}" in proc.stdout and "--simulate" in proc.stdout


def test_a_hung_workload_is_recorded_and_the_rest_still_run(tmp_path, monkeypatch):
    import types

    import gpu_check_bench

    fake = tmp_path / "worker.py"
    fake.write_text(
        "import json, sys, time\n"
        "job = json.load(open(sys.argv[1]))\n"
        "for w in job['workloads']:\n"
        "    print('START ' + w['name'], flush=True)\n"
        "    if w['name'] == 'hang':\n"
        "        time.sleep(600)\n"
        "    print('RESULT ' + json.dumps({'workload': w['name'], 'engine': job['engine'],\n"
        "          'median_s': 0.5, 'calls': 3, 'build_s': 0.0}), flush=True)\n")
    monkeypatch.setattr(gpu_check_bench, "WORKER", fake)
    monkeypatch.setattr(gpu_check_bench, "FIRST_WORKLOAD_EXTRA_S", 0.0)
    report = Report(tmp_path / "out", deadline=float("inf"), simulate=True)
    report.remaining = lambda: 60.0
    args = types.SimpleNamespace(simulate=True, engines=["numba_cuda"], repeat=3,
                                 workload_timeout=2.0)
    workloads = [{"name": n} for n in ("first", "hang", "last")]
    rows = gpu_check_bench.run_bench(report, args, workloads, tmp_path,
                                     {"numba_cuda": (sys.executable, None)})
    assert [r["workload"] for r in rows] == ["first", "hang", "last"]
    assert "error" not in rows[0] and "error" not in rows[2]
    assert rows[1]["error"] == "timed out after 2 s"
