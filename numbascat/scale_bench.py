"""The scale benchmark: every point of :mod:`numbascat.scale_sweep` in a fresh process, per
library, with a time limit and a memory guard, side by side with Kymatio.

Each (library, point) runs ``numbascat/data/scale_runner.py`` in a new process with
``NUMBASCAT_CACHE`` pointing at a new empty directory (filters and any FFT wisdom numbascat
keeps there are made from scratch). The numba JIT cache on disk (``__pycache__``) is left
as it is: warm after the first run on a machine, as a user's second script finds it.

The parent watches the child: above ``memory_limit`` bytes of resident memory (read from
``/proc/PID/statm`` every 20 ms) or after ``timeout_s`` it kills the child's process group and
reports ``over memory limit`` or ``timeout`` as that point's result. The child also raises its
own ``oom_score_adj`` to 1000, so should memory run out before the guard sees it, the kernel
ends the child and nothing else. Peak RSS is the child's own high-water mark (``VmHWM``, which
it reports when it ends), or the largest RSS the parent's polling saw for a killed child. Not
``ru_maxrss``: Linux carries a parent's peak into its children across fork and exec.

Engines run in alternating order from one point to the next (numbascat first, then Kymatio
first, ...) so that machine noise reaches both. Once an engine hits the time or memory limit,
its larger points of the same dimension and batch kind are skipped.
"""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from numbascat.scale_sweep import Point

__all__ = [
    "KYMATIO_FRONTENDS",
    "ScaleEngine",
    "add_ratios",
    "default_memory_limit",
    "numbascat_engine",
    "run_point",
    "run_sweep",
]

#: Frontends of numbascat's backends (as in ``numbascat.benchmarking.ENGINES``, CPU only).
NUMBASCAT_FRONTENDS = {"numpy": "numpy", "numba": "numpy", "torch": "torch", "jax": "jax",
                       "tensorflow": "tensorflow"}
KYMATIO_FRONTENDS = ("numpy", "torch", "jax", "tensorflow")
#: Kill statuses that make the larger points of an engine pointless.
LIMIT_STATUSES = ("timeout", "over memory limit")
POLL_S = 0.02


@dataclass(frozen=True)
class ScaleEngine:
    """One library reached through one frontend (and, for numbascat, one backend)."""

    name: str  # 'numba', 'torch', ..., 'kymatio-numpy', 'kymatio-torch'
    library: str  # 'numbascat' or 'kymatio'
    frontend: str
    backend: str | None
    python: str  # the interpreter that runs it

    @property
    def is_kymatio(self) -> bool:
        return self.library == "kymatio"


def numbascat_engine(backend: str) -> ScaleEngine:
    if backend not in NUMBASCAT_FRONTENDS:
        raise ValueError(f"--backend: the scale benchmark runs {', '.join(NUMBASCAT_FRONTENDS)} "
                         f"(CPU), got {backend!r}")
    return ScaleEngine(backend, "numbascat", NUMBASCAT_FRONTENDS[backend], backend,
                       sys.executable)


def kymatio_engine(frontend: str, python: str) -> ScaleEngine:
    if frontend not in KYMATIO_FRONTENDS:
        raise ValueError(f"--kymatio-frontends: choose from {', '.join(KYMATIO_FRONTENDS)}, "
                         f"got {frontend!r}")
    return ScaleEngine(f"kymatio-{frontend}", "kymatio", frontend, None, python)


def default_memory_limit() -> int:
    """80 % of the memory available now (``MemAvailable``), in bytes; 4 GiB if unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(int(line.split()[1]) * 1024 * 0.8)
    except OSError:
        pass
    return 4 * 2 ** 30


def _runner_path() -> Path:
    path = Path(str(resources.files("numbascat").joinpath("data", "scale_runner.py")))
    if not path.is_file():
        raise RuntimeError(f"the scale benchmark runner {path} is missing from this installation")
    return path


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _stderr_tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def run_point(engine: ScaleEngine, point: Point, *, timeout_s: float = 600.0,
              memory_limit: int | None = None, steady_seconds: float = 10.0,
              min_calls: int = 3, max_calls: int = 20, data_limit: int | None = None) -> dict:
    """Run ``point`` on ``engine`` in a fresh process; the result row (never raises for a
    failure of the point itself: ``status`` says ``ok``, ``timeout``, ``over memory limit``
    or ``error``).

    Row keys (seconds, bytes; ``None`` where the phase did not finish): ``import_s``,
    ``construct_s``, ``first_forward_s``, ``first_s`` (construction + first forward: what a
    user waits for after the import line), ``steady_s`` (median of calls after a warm-up:
    for the numba backend, after its stand-in calls, ``standin_times_s``, the last of which
    loaded numba),
    ``startup_s`` (import + first_s: a short script's cost), ``steady_calls``,
    ``rss_after_imports``, ``peak_rss``, ``wall_s``, ``note``.
    """
    memory_limit = memory_limit or default_memory_limit()
    with tempfile.TemporaryDirectory(prefix="numbascat-scale-") as tmp:
        tmp_path = Path(tmp)
        result_file, stderr_file = tmp_path / "result.json", tmp_path / "stderr.txt"
        job = {"library": engine.library, "frontend": engine.frontend, "backend": engine.backend,
               "transform": point.transform, "params": point.params, "shape": list(point.shape),
               "batch": point.batch, "steady_seconds": steady_seconds, "min_calls": min_calls,
               "max_calls": max_calls, "result_file": str(result_file),
               "data_limit_bytes": data_limit}
        env = dict(os.environ, NUMBASCAT_CACHE=str(tmp_path / "cache"))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
        start = time.monotonic()
        with open(stderr_file, "w") as err:
            proc = subprocess.Popen([engine.python, str(_runner_path()), json.dumps(job)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, env=env, start_new_session=True)
        killed, rss_seen = None, 0
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = _rss_of(proc.pid)
            rss_seen = max(rss_seen, rss)
            if rss > memory_limit:
                killed = "over memory limit"
            elif time.monotonic() - start > timeout_s:
                killed = "timeout"
            if killed:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
                except ProcessLookupError:  # it ended meanwhile
                    pass
                _, wait_status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(POLL_S)
        proc.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped here, not by Popen
        wall = time.monotonic() - start
        try:
            data = json.loads(result_file.read_text())
        except (OSError, ValueError):
            data = {}
        why = _stderr_tail(stderr_file)
    row = {**point.to_dict(), "engine": engine.name, "library": engine.library,
           "import_s": data.get("import_s"), "construct_s": data.get("construct_s"),
           "first_forward_s": data.get("first_s"), "steady_s": data.get("steady_s"),
           "steady_calls": len(data.get("steady_times_s") or []) or None,
           "steady_times_s": data.get("steady_times_s"),
           "standin_times_s": data.get("standin_times_s") or [],
           "rss_after_imports": data.get("rss_after_imports"),
           # The child's own high-water mark, or what polling saw when it was killed; never
           # wait4's ru_maxrss, which includes this parent's peak (inherited across exec).
           "peak_rss": max(data.get("peak_rss") or 0, rss_seen), "wall_s": wall,
           "versions": data.get("versions", {}), "last_phase": data.get("phase"), "note": ""}
    row["first_s"] = (row["construct_s"] + row["first_forward_s"]
                      if row["first_forward_s"] is not None else None)
    row["startup_s"] = row["import_s"] + row["first_s"] if row["first_s"] is not None else None
    if killed:
        row["status"] = killed
        row["note"] = (f"killed above {memory_limit / 1e9:.2f} GB RSS" if killed !=
                       "timeout" else f"killed after {timeout_s:g} s") + \
            f" (last phase finished: {data.get('phase', 'none')})"
    elif data.get("memory_error"):
        row["status"], row["note"] = "over memory limit", data["error"]
    elif data.get("error") or proc.returncode != 0 or data.get("phase") != "done":
        row["status"] = "error"
        row["note"] = data.get("error") or why or f"exit status {proc.returncode}"
    else:
        row["status"] = "ok"
        standin = row["standin_times_s"]
        if len(standin) > 1:  # the last of them loaded numba
            row["note"] = (f"{len(standin) - 1} calls on the numpy stand-in first, median "
                           f"{statistics.median(standin[:-1]) * 1e3:.3g} ms")
    return row


def _skipped(engine: ScaleEngine, point: Point, why: str) -> dict:
    keys = ("import_s", "construct_s", "first_forward_s", "first_s", "startup_s", "steady_s",
            "steady_calls",
            "steady_times_s", "rss_after_imports", "peak_rss", "wall_s", "last_phase")
    return {**point.to_dict(), "engine": engine.name, "library": engine.library,
            **dict.fromkeys(keys), "standin_times_s": [], "versions": {}, "status": "skipped",
            "note": why}


def run_sweep(points: list[Point], engines: list[ScaleEngine], progress=None, on_row=None,
              **limits) -> list[dict]:
    """Run every point on every engine (order alternating per point); rows with ratios.

    ``limits`` go to :func:`run_point`. ``progress(message)`` is called before each run and
    ``on_row(rows)`` after each, with the rows so far (to save partial results).
    """
    rows, stopped = [], {}  # (engine, dim, batch_kind) -> (values, status)
    for i, point in enumerate(points):
        order = engines if i % 2 == 0 else engines[::-1]
        for engine in order:
            key = (engine.name, point.dim, point.batch_kind)
            if key in stopped and point.values >= stopped[key][0]:
                rows.append(_skipped(engine, point, f"skipped: a smaller point hit the "
                                                    f"{stopped[key][1]}"))
                continue
            if progress:
                progress(f"{point.label} batch {point.batch}: {engine.name}")
            row = run_point(engine, point, **limits)
            if row["status"] in LIMIT_STATUSES:
                stopped[key] = (point.values, "time limit" if row["status"] == "timeout"
                                else "memory limit")
            rows.append(row)
            if on_row:
                on_row(rows)
    order_index = {e.name: k for k, e in enumerate(engines)}
    rows.sort(key=lambda r: (points.index(_point_of(r, points)), order_index[r["engine"]]))
    return add_ratios(rows)


def _point_of(row: dict, points: list[Point]) -> Point:
    for p in points:
        if (p.dim, list(p.shape), p.batch, p.batch_kind) == \
                (row["dim"], row["shape"], row["batch"], row["batch_kind"]):
            return p
    raise KeyError(row)


def add_ratios(rows: list[dict]) -> list[dict]:
    """Add, to every numbascat row with a Kymatio row of the same point, the comparisons
    with the issue's targets (``None`` where a side is missing):

    - ``first_ratio``: our first call / Kymatio numpy's (or its first frontend run): <= 1.5;
      ``startup_ratio``: the same with the imports (not a target: a short script's view);
    - ``steady_speedup``: Kymatio's fastest frontend's steady time / ours: >= 2;
    - ``rss_excess``: our peak RSS - Kymatio numpy's, bytes: <= 150 MB;
    - ``targets``: the names of the targets missed ('first', 'steady', 'rss'), or [].
    """
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["dim"], tuple(r["shape"]), r["batch"]), []).append(r)
    for group in groups.values():
        kym = [r for r in group if r["library"] == "kymatio" and r["status"] == "ok"]
        ref = next((r for r in kym if r["engine"] == "kymatio-numpy"), kym[0] if kym else None)
        fastest = min((r["steady_s"] for r in kym), default=None)
        for r in group:
            if r["library"] != "numbascat":
                continue
            ok = r["status"] == "ok"
            r["first_ratio"] = (r["first_s"] / ref["first_s"]) if ok and ref else None
            r["startup_ratio"] = (r["startup_s"] / ref["startup_s"]) if ok and ref else None
            r["steady_speedup"] = (fastest / r["steady_s"]) if ok and fastest else None
            r["rss_excess"] = (r["peak_rss"] - ref["peak_rss"]) if ok and ref else None
            missed = []
            if ref and (not ok or r["first_ratio"] > 1.5):
                missed.append("first")
            if fastest and (not ok or r["steady_speedup"] < 2.0):
                missed.append("steady")
            if ref and (not ok or r["rss_excess"] > 150e6):
                missed.append("rss")
            r["targets"] = missed if ref else None
    return rows
