"""The whole GPU check of numbascat in one call: install, versions, parity tests, timings.

    python tools/gpu_check.py [--out DIR] [--simulate] [--budget SECONDS] ...

Steps (each with its own timeout; a failure is recorded and the next step runs):

install     the wheels carried in ``tools/wheels`` (``tools/fetch_gpu_wheels.sh``): pyFFTW,
            platformdirs and pytest into ``WORK/site`` (numbascat's side, beside the machine's
            own numpy, SciPy, torch, CuPy and numba-cuda), Kymatio 0.3.0 with SciPy < 1.17 into
            ``WORK/peer`` (the Kymatio peer's side only). ``pip install --no-index --target``,
            or unpacking the wheels where pip is missing. ``--target`` rather than a venv: a
            ``--system-site-packages`` venv made from a Python that is itself a venv would not
            see that venv's torch.
metadata    ``WORK/site/numbascat-<version>.dist-info`` with the entry points of pyproject.toml,
            so the backend registry finds every backend with numbascat on ``PYTHONPATH`` only.
versions    Python, numpy, SciPy, numba, numba-cuda, CuPy, torch, JAX, the CUDA driver and
            runtimes, the GPU; ``numbascat backends``.
copy_rate   device-to-device copy bandwidth (the yardstick for the bandwidth estimates).
pytest      ``pytest -m gpu tests/numbascat_plugins``: numba_cuda and torch on CUDA against the
            numpy reference, 1D/2D/3D, float32 and float64, zero-copy and no-sync checks.
bench       ``gpu_batch`` workloads of ``numbascat/data/workloads.json`` on numba_cuda,
            numbascat torch on CUDA and Kymatio 0.3's torch frontend on CUDA (one child process
            per engine, ``tools/gpu_bench_worker.py``; a workload that overruns its timeout is
            recorded and the worker restarted on the rest).
summary     speed-ups (geometric means), headline targets, bandwidth, cross-engine agreement.

Writes ``OUT/gpu_check.json`` (rewritten after every step, so a kill leaves what was done) and
``OUT/gpu_check.log``. ``--simulate`` is the CPU rehearsal: numba's CUDA simulator, tiny
workloads (``tools/gpu_check_tiny.json``), torch and Kymatio on the CPU standing in for CUDA.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_check_bench import run_bench, summarise  # noqa: E402
from gpu_check_probes import COPY_RATE, IMPORTS, VERSIONS  # noqa: E402
from gpu_check_steps import Report, run_cmd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
SITE_WHEELS = ("pyfftw", "platformdirs", "pytest", "pluggy", "iniconfig", "pygments",
               "packaging")
PEER_WHEELS = ("kymatio", "scipy", "appdirs", "configparser", "packaging")
ENGINES = ("numba_cuda", "torch-cuda", "kymatio-torch")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "gpu_check_out"),
                   help="where gpu_check.json and gpu_check.log go (default: $OUT)")
    p.add_argument("--work", default=None, help="scratch directory (default: a new temp dir)")
    p.add_argument("--wheels", default=str(TOOLS / "wheels"))
    p.add_argument("--simulate", action="store_true",
                   help="CPU rehearsal: CUDA simulator, tiny workloads, torch/Kymatio on CPU")
    p.add_argument("--budget", type=float, default=330.0,
                   help="seconds for the whole check (default 330; steps get what is left)")
    p.add_argument("--workloads", default=None,
                   help="workloads JSON (default: numbascat/data/workloads.json; "
                        "tools/gpu_check_tiny.json with --simulate)")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="time only these workloads")
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    p.add_argument("--repeat", type=int, default=15, help="timed calls per workload, at most")
    p.add_argument("--workload-timeout", type=float, default=60.0)
    p.add_argument("--pytest-timeout", type=float, default=120.0)
    p.add_argument("--pytest-args", default="", help="extra pytest arguments (one string)")
    p.add_argument("--skip", nargs="+", default=[], metavar="STEP",
                   choices=("install", "versions", "copy_rate", "pytest", "bench"))
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------- install
def _dist_name(wheel: Path) -> str:
    return wheel.name.split("-")[0].lower().replace("_", "-")


def pick_wheels(folder: Path, names) -> tuple[list[Path], list[str]]:
    """The newest wheel of each name in ``folder``, and the names with none."""
    found, missing = [], []
    wheels = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    for name in names:
        mine = [w for w in wheels if _dist_name(w) == name]
        if mine:
            found.append(mine[-1])
        else:
            missing.append(name)
    return found, missing


def unpack_wheel(wheel: Path, target: Path) -> None:
    """Install a wheel by unpacking it (what pip does, minus scripts and RECORD checks)."""
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            parts = member.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                dest = target.joinpath(*parts[2:])
            else:
                dest = target.joinpath(*parts)
            if member.endswith("/"):
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            if parts[-1].endswith(".so") or ".so." in parts[-1]:
                dest.chmod(0o755)


def _fits(wheel: Path) -> bool:
    """Can this interpreter use ``wheel`` (pure Python, or built for this CPython)?"""
    python_tag = wheel.name[:-4].split("-")[-3]
    mine = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return any(t in ("py3", mine) for t in python_tag.split("."))


def install_group(report, python, wheels_dir: Path, names, target: Path, timeout) -> dict:
    wheels, missing = pick_wheels(wheels_dir, names)
    target.mkdir(parents=True, exist_ok=True)
    unfit = [w.name for w in wheels if not _fits(w)]
    wheels = [w for w in wheels if _fits(w)]
    info = {"target": str(target), "wheels": [w.name for w in wheels], "missing": missing,
            "not_for_this_python": unfit}
    if unfit:
        report.log(f"   not for Python {sys.version.split()[0]}, not installed: {unfit}")
    if not wheels:
        info["method"] = "none"
        return info
    cmd = [python, "-m", "pip", "install", "--no-index", "--no-deps", "--find-links",
           str(wheels_dir), "--target", str(target), "--disable-pip-version-check", "--quiet",
           *map(str, wheels)]
    res = run_cmd(cmd, timeout=timeout)
    report.log_block(f"pip install --target {target.name}", res)
    if res["rc"] == 0:
        info["method"] = "pip"
        return info
    for wheel in wheels:  # pip missing or refusing: unpack instead
        unpack_wheel(wheel, target)
    info["method"] = f"unpacked (pip failed: {res['tail'].strip().splitlines()[-1:] or ''})"
    return info


def write_dist_info(site: Path) -> Path:
    """A numbascat ``.dist-info`` with pyproject.toml's entry points, found on ``sys.path``."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    folder = site / f"numbascat-{project['version']}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: numbascat\n"
                                     f"Version: {project['version']}\n")
    groups = dict(project.get("entry-points", {}))
    if project.get("scripts"):
        groups["console_scripts"] = project["scripts"]
    text = "".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
                   for g, eps in groups.items())
    (folder / "entry_points.txt").write_text(text)
    (folder / "top_level.txt").write_text("numbascat\nnumbascat_plugins\n")
    return folder


# ---------------------------------------------------------------------------------- envs
def base_env(work: Path, simulate: bool) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(NUMBASCAT_CACHE=str(work / "numbascat-cache"),
               NUMBA_CACHE_DIR=str(work / "numba-cache"), CUPY_CACHE_DIR=str(work / "cupy-cache"),
               XDG_CACHE_HOME=str(work / "xdg-cache"), XDG_CONFIG_HOME=str(work / "xdg-config"),
               MPLCONFIGDIR=str(work / "mpl"), NUMBASCAT_FFTW_PLANNER="estimate",
               XLA_PYTHON_CLIENT_PREALLOCATE="false", PYTHONUNBUFFERED="1")
    if simulate:
        env.update(NUMBA_ENABLE_CUDASIM="1", NUMBASCAT_CUDA_FFT="numpy",
                   NUMBASCAT_GPU_REHEARSAL="1")
    return env


def _peer_ok(side: dict) -> bool:
    """Kymatio 0.3 importable beside a SciPy older than 1.17 (its 3D needs one)."""
    version = str(side.get("scipy", "missing"))
    if version.startswith("missing") or str(side.get("kymatio", "missing")).startswith("missing"):
        return False
    try:
        return tuple(int(v) for v in version.split(".")[:2]) < (1, 17)
    except ValueError:
        return False


def _tagged(stdout: str, tag: str):
    for line in stdout.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1:])
    return None


# ---------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    work = Path(args.work or tempfile.mkdtemp(prefix="numbascat-gpu-check-"))
    report = Report(out, deadline=time.monotonic() + args.budget, simulate=args.simulate)
    python = sys.executable
    site, peer = work / "site", work / "peer"
    mode = " (REHEARSAL: CUDA simulator, CPU stand-ins)" if args.simulate else ""
    commit = run_cmd(["git", "-C", str(ROOT), "rev-parse", "HEAD"], timeout=10)
    report.data["commit"] = commit["stdout"].strip() if commit["rc"] == 0 else "unknown"
    report.log(f"numbascat GPU check{mode} in {ROOT} (commit {report.data['commit'][:12]}); "
               f"work {work}; python {python}; budget {args.budget:.0f} s")

    with report.step("install", cap=90) as step:
        if "install" in args.skip:
            step.skip("--skip install")
        else:
            site_info = install_group(report, python, Path(args.wheels), SITE_WHEELS, site,
                                      step.timeout / 2)
            peer_info = install_group(report, python, Path(args.wheels), PEER_WHEELS, peer,
                                      step.timeout / 2)
            step.detail.update(site=site_info, peer=peer_info)
            if not site_info["wheels"] and not peer_info["wheels"]:
                step.skip(f"no wheels in {args.wheels} (run tools/fetch_gpu_wheels.sh)")
    with report.step("metadata", cap=10) as step:
        step.detail["dist_info"] = str(write_dist_info(site))

    env = base_env(work, args.simulate)
    # SciPy for numbascat: the machine's; the peer's (< 1.17) only if there is none.
    has_scipy = run_cmd([python, "-c", "import scipy"], timeout=60, env=env)["rc"] == 0
    paths = [str(ROOT), str(site)] + ([] if has_scipy else [str(peer)])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    report.data["numbascat_pythonpath"] = paths
    with report.step("imports", cap=60) as step:
        # What the install gave each side (a failed import is recorded, not fatal).
        res = run_cmd([python, "-c", IMPORTS, "numbascat", "numbascat_plugins", "pyfftw",
                       "pytest", "platformdirs", "scipy"], timeout=step.timeout / 2, env=env)
        step.detail["numbascat_side"] = _tagged(res["stdout"], "IMPORTS")
        peer_python, peer_env = python, dict(env, PYTHONPATH=str(peer))
        res = run_cmd([python, "-c", IMPORTS, "kymatio", "scipy"], timeout=step.timeout / 2,
                      env=peer_env)
        peer_side = _tagged(res["stdout"], "IMPORTS") or {}
        step.detail["kymatio_side"] = peer_side
        if not _peer_ok(peer_side):
            alt = os.environ.get("NUMBASCAT_KYMATIO_PYTHON")
            why = f"the installed Kymatio peer is incomplete ({peer_side})"
            if alt:
                peer_python, peer_env = alt, dict(env)
                peer_env.pop("PYTHONPATH", None)
                report.log(f"   {why}; using NUMBASCAT_KYMATIO_PYTHON={alt}")
            else:
                peer_python = peer_env = None
                report.log(f"   {why}; NUMBASCAT_KYMATIO_PYTHON unset: no Kymatio timings")
        report.log(f"   numbascat side: {step.detail['numbascat_side']}")
    report.data["kymatio_python"] = peer_python

    with report.step("versions", cap=90) as step:
        if "versions" in args.skip:
            step.skip("--skip versions")
        else:
            flag = ["--rehearsal"] if args.simulate else []
            res = run_cmd([python, "-c", VERSIONS, *flag], timeout=step.timeout * 0.6, env=env)
            report.log_block("versions", res)
            step.detail["numbascat_side"] = _tagged(res["stdout"], "VERSIONS")
            if peer_python:
                res = run_cmd([peer_python, "-c", VERSIONS, *flag], timeout=step.timeout * 0.2,
                              env=peer_env)
                peer_versions = _tagged(res["stdout"], "VERSIONS") or {}
                step.detail["kymatio_side"] = {k: peer_versions.get(k) for k in
                                               ("python", "numpy", "scipy", "torch", "kymatio")}
            if shutil.which("nvidia-smi"):
                res = run_cmd(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,"
                               "clocks.max.memory", "--format=csv,noheader"], timeout=20)
                step.detail["nvidia_smi"] = res["stdout"].strip()
            res = run_cmd([python, "-m", "numbascat.cli", "backends"], timeout=step.timeout * 0.2,
                          env=env)
            report.log_block("numbascat backends", res, full=True)
            step.detail["backends"] = res["stdout"].strip().splitlines()
            if step.detail["numbascat_side"] is None:
                step.fail("the versions probe printed nothing")

    with report.step("copy_rate", cap=40) as step:
        if "copy_rate" in args.skip:
            step.skip("--skip copy_rate")
        else:
            res = run_cmd([python, "-c", COPY_RATE, "1" if args.simulate else "0"],
                          timeout=step.timeout, env=env)
            report.log_block("copy rate", res)
            step.detail.update(_tagged(res["stdout"], "COPY") or {})
            if res["rc"] != 0:
                step.fail(res["tail"].strip().splitlines()[-1:] or "no output")

    # Keep ~60 s per engine for the timings, but never more than half of what is left.
    reserve = min(60.0 * len(args.engines), report.remaining() / 2)
    with report.step("pytest", cap=args.pytest_timeout, reserve=reserve) as step:
        if "pytest" in args.skip:
            step.skip("--skip pytest")
        else:
            cmd = [python, "-m", "pytest", "-m", "gpu", "tests/numbascat_plugins", "-q", "-rs",
                   "-p", "no:cacheprovider", "--junitxml", str(out / "gpu_pytest.xml"),
                   *args.pytest_args.split()]
            res = run_cmd(cmd, timeout=step.timeout, env=env, cwd=ROOT)
            report.log_block("pytest -m gpu", res, full=True)
            step.detail.update(rc=res["rc"], summary=(res["stdout"].strip().splitlines()
                                                      or [""])[-1])
            if res["timed_out"]:
                step.fail(f"timed out after {step.timeout:.0f} s")
            elif res["rc"] not in (0, 5):
                step.fail(step.detail["summary"])

    with report.step("bench", cap=None) as step:
        if "bench" in args.skip:
            step.skip("--skip bench")
        else:
            wl_path = args.workloads or str(TOOLS / "gpu_check_tiny.json" if args.simulate
                                            else ROOT / "numbascat" / "data" / "workloads.json")
            workloads = json.loads(Path(wl_path).read_text())["workloads"]
            if args.only:
                workloads = [w for w in workloads if w["name"] in args.only]
            step.detail["workloads_file"] = wl_path
            rows = run_bench(report, args, workloads, work,
                             {"numba_cuda": (python, env), "torch-cuda": (python, env),
                              "kymatio-torch": (peer_python, peer_env)})
            report.data["bench"] = rows
            bad = [r for r in rows if r.get("error")]
            if bad:
                step.fail(f"{len(bad)} of {len(rows)} measurements failed")
    with report.step("summary", cap=30) as step:
        copy = report.data["steps"].get("copy_rate", {}).get("detail", {})
        report.data["summary"] = summarise(report, report.data.get("bench", []),
                                           copy.get("GBps"))
    report.finish()
    shutil.rmtree(work, ignore_errors=True) if args.work is None else None
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
