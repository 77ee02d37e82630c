"""``numbascat bench``: time the reference workloads on each backend, optionally beside Kymatio.

In-process by default: each (workload, backend) is built, run once to warm up (filters, numba
kernels, FFT plans) and timed ``--repeat`` times; the median is reported with the throughput and
the ratio to the FFT floor (numba backend only). With ``--vs-kymatio PYTHON`` every measurement
runs in its own process instead (numbascat in this interpreter, Kymatio 0.3's numpy and torch
frontends in PYTHON), alternating engines for ``--rounds`` rounds; the median of the round
medians is reported with Kymatio's time over ours.

With ``--scale``, each transform is swept over sizes instead (1D 2^10..2^22, 2D 32..2048
squared, 3D 32..256 cubed; batch 1 and a large batch), each point in a fresh process with an
empty numbascat cache, a time limit and a memory guard: first-call time (construction and first
forward), steady time and peak RSS, beside Kymatio with ``--vs-kymatio``; ``--plot`` draws them.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from importlib import resources
from pathlib import Path

from numbascat.cli.bench_scale import add_scale_arguments, run_scale
from numbascat.cli.table import format_table

KYMATIO_ENGINES = ("kymatio-numpy", "kymatio-torch")
SUBPROCESS_TIMEOUT_S = 1800


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="time the reference workloads on each backend",
        description=__doc__.split("\n\n", 1)[1].replace("``", "'"))
    p.add_argument("--workload", action="extend", nargs="+", metavar="NAME",
                   help="workload names (default: all; see numbascat/data/workloads.json)")
    p.add_argument("--backend", action="extend", nargs="+", metavar="NAME",
                   help="numpy, numba, torch, torch-ops (torch's operators, as with autograd), "
                        "torch-cuda, numba_cuda, jax, tensorflow (default: "
                        "those available here for the batch kind)")
    p.add_argument("--repeat", type=int, default=5, metavar="N",
                   help="timed calls per measurement, after one warm-up (default 5)")
    p.add_argument("--batch", nargs="+", default=None, metavar="KIND",
                   help="which batch of the workload to use: cpu or gpu (default: gpu for GPU "
                        "backends, cpu otherwise); with --scale: batch sizes, see below")
    p.add_argument("--vs-kymatio", metavar="PYTHON", default=None,
                   help="also time Kymatio 0.3 (numpy and torch frontends; with --scale, "
                        "those of --kymatio-frontends) with this interpreter")
    p.add_argument("--vs-kymatio-main", metavar="PYTHON", default=None,
                   help="the interpreter with Kymatio main (0.4.0.dev0) for the workloads whose "
                        "peer is kymatio-main (JTFS); without it they run without Kymatio")
    p.add_argument("--rounds", type=int, default=3, metavar="R",
                   help="alternating rounds with --vs-kymatio (default 3)")
    p.add_argument("--floor", choices=("warm", "cold"), default="warm",
                   help="FFT floor replayed on warm buffers (a lower bound: small FFTs run from "
                        "cache) or on data out of cache, like a pass over large signals "
                        "(default warm)")
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                   help="machine-readable output, to FILE if given (else instead of the table)")
    add_scale_arguments(p)
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------- selection
def _default_engines(batch: str | None) -> list[str]:
    from numbascat.benchmarking import ENGINES, BenchmarkUnavailable, check_available
    from numbascat.registry import list_backends

    available = {r.name for r in list_backends(probe=True) if r.available}
    device = "cuda" if batch == "gpu" else "cpu"
    names = []
    for name, engine in ENGINES.items():
        if engine.backend not in available or engine.device != device:
            continue
        if engine.device == "cuda":
            try:  # torch without CUDA, no device, ...: not a default here
                check_available(engine, _any_workload())
            except BenchmarkUnavailable:
                continue
        names.append(name)
    return names


def _any_workload():
    from numbascat.benchmarking import load_workloads

    return next(iter(load_workloads().values()))


# ---------------------------------------------------------------------------------- formatting
def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.3g} ms" if ms < 1000 else f"{ms:,.0f} ms"


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _row(workload, engine, batch, median=None, throughput=None, unit="", floor=None,
         note="", kymatio=None) -> dict:
    return {"workload": workload, "backend": engine, "batch": list(batch) if batch else None,
            "median_s": median, "throughput": throughput, "throughput_unit": unit,
            "floor_s": floor, "floor_ratio": (median / floor) if median and floor else None,
            "kymatio_s": kymatio or {}, "note": note}


def render(rows: list[dict], with_kymatio: bool) -> str:
    """The terminal table of ``rows`` (as made by :func:`run`)."""
    header = ["workload", "backend", "batch", "median", "throughput", "FFT floor", "x floor"]
    if with_kymatio:
        header += [h for k in KYMATIO_ENGINES for h in (k, "ratio")]
    header.append("note")
    table = []
    for r in rows:
        tp = "n/a" if r["throughput"] is None else f"{_num(r['throughput'])} {r['throughput_unit']}"
        batch = "x".join(map(str, r["batch"])) if r["batch"] else "-"
        cells = [r["workload"], r["backend"], batch, _ms(r["median_s"]), tp, _ms(r["floor_s"]),
                 _ratio(r["floor_ratio"])]
        if with_kymatio:
            for k in KYMATIO_ENGINES:
                t = r["kymatio_s"].get(k)
                speedup = t / r["median_s"] if t and r["median_s"] else None
                cells += [_ms(t), _ratio(speedup)]
        cells.append(r["note"])
        table.append(cells)
    return format_table(header, table)


# ---------------------------------------------------------------------------------- in process
def _measure_in_process(workload, engine: str, batch: str | None, repeat: int,
                        floor: str = "warm") -> dict:
    from numbascat.benchmarking import BenchmarkUnavailable, get_engine, measure

    batch_kind = batch or get_engine(engine).default_batch
    try:
        m = measure(workload, engine, batch_kind, repeat, floor=floor)
    except BenchmarkUnavailable as exc:
        return _row(workload.name, engine, workload.batch(batch_kind), note=f"skipped: {exc}")
    except Exception as exc:  # one failing row must not hide the others
        return _row(workload.name, engine, workload.batch(batch_kind),
                    note=f"error: {type(exc).__name__}: {exc}")
    return _row(workload.name, engine, m.batch, m.median_s, m.throughput, m.throughput_unit,
                m.floor_s, m.note)


# ---------------------------------------------------------------------------------- subprocesses
def _runner_path() -> Path:
    path = Path(str(resources.files("numbascat").joinpath("data", "peer_runner.py")))
    if not path.is_file():
        raise RuntimeError(f"the benchmark runner {path} is missing from this installation")
    return path


def _run_subprocess(python: str, job: dict) -> tuple[dict | None, str]:
    """Run one measurement job; (result, '') or (None, why it failed)."""
    try:
        proc = subprocess.run([python, str(_runner_path()), json.dumps(job)],
                              capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {SUBPROCESS_TIMEOUT_S} s"
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return None, (lines[-1] if lines else f"exit status {proc.returncode}")[:200]
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def _measure_side_by_side(workload, engines: list[str], batch: str | None, repeat: int,
                          rounds: int, kymatio_python: str, floor: str = "warm") -> list[dict]:
    from numbascat.benchmarking import get_engine

    kinds = {e: batch or get_engine(e).default_batch for e in engines}
    # Kymatio runs on the batch of the GPU engines only when every engine is a GPU one.
    kym_kind = batch or ("gpu" if set(kinds.values()) == {"gpu"} else "cpu")
    jobs = {e: (sys.executable, {"engine": f"numbascat:{e}", "workload": workload.to_dict(),
                                 "batch_kind": kinds[e], "repeat": repeat}) for e in engines}
    for k in KYMATIO_ENGINES:
        jobs[k] = (kymatio_python, {"engine": k, "workload": workload.to_dict(),
                                    "batch_kind": kym_kind, "repeat": repeat})
    medians: dict[str, list[float]] = {name: [] for name in jobs}
    floors: dict[str, list[float]] = {name: [] for name in jobs}
    stopped: dict[str, str] = {}  # engine -> "failed: why" or "skipped: why"
    for r in range(rounds):
        for name, (python, job) in jobs.items():  # alternate: A B C ..., A B C ...
            if name in stopped:
                continue
            _progress(f"{workload.name}: {name} (round {r + 1}/{rounds})")
            result, why = _run_subprocess(python, dict(job, floor=floor if r == 0 else False))
            if result is None or "skipped" in result:
                stopped[name] = f"failed: {why}" if result is None else \
                    f"skipped: {result['skipped']}"
                continue
            medians[name].append(result["median_s"])
            if result.get("floor_s"):
                floors[name].append(result["floor_s"])
    kym = {k: statistics.median(medians[k]) for k in KYMATIO_ENGINES if medians[k]}
    kym_notes = [f"{k} {stopped[k]}" for k in KYMATIO_ENGINES if k in stopped]
    rows = []
    for e in engines:
        median = statistics.median(medians[e]) if medians[e] else None
        tp, unit = workload.throughput(median, kinds[e]) if median else (None, "")
        notes = ([stopped[e]] if e in stopped else []) + kym_notes
        if kinds[e] != kym_kind:
            notes.append(f"Kymatio timed on the {kym_kind} batch: no ratio")
        rows.append(_row(workload.name, e, workload.batch(kinds[e]), median, tp, unit,
                         statistics.median(floors[e]) if floors[e] else None, "; ".join(notes),
                         kym if kinds[e] == kym_kind else {}))
    return rows


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- command
def _workload_mode_only(args) -> None:
    """Check ``--batch`` of the workload mode and refuse the options of ``--scale``."""
    if args.batch is not None:
        if len(args.batch) != 1 or args.batch[0] not in ("cpu", "gpu"):
            raise ValueError(f"--batch must be cpu or gpu (batch sizes need --scale), got "
                             f"{' '.join(args.batch)}")
        args.batch = args.batch[0]
    scale_only = {"--dims": args.dims, "--sizes": args.sizes, "--plot": args.plot,
                  "--from-json": args.from_json, "--dry-run": args.dry_run,
                  "--kymatio-frontends": args.kymatio_frontends}
    if given := [name for name, value in scale_only.items() if value]:
        raise ValueError(f"{', '.join(given)} need --scale")


def run(args) -> int:
    from numbascat import __version__
    from numbascat.benchmarking import get_engine, get_workload, load_workloads

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    if args.scale:
        return run_scale(args)
    _workload_mode_only(args)
    if args.repeat < 1:
        raise ValueError(f"--repeat must be >= 1, got {args.repeat}")
    if args.rounds < 1:
        raise ValueError(f"--rounds must be >= 1, got {args.rounds}")
    workloads = [get_workload(n) for n in (args.workload or list(load_workloads()))]
    engines = list(dict.fromkeys(args.backend or _default_engines(args.batch)))
    for name in engines:
        get_engine(name)  # unknown names fail before any timing
    if not engines:
        raise RuntimeError("no backend available to benchmark here (see `numbascat backends`)")
    python = args.vs_kymatio
    main_python = getattr(args, "vs_kymatio_main", None)
    for flag, value in (("--vs-kymatio", python), ("--vs-kymatio-main", main_python)):
        if value is not None and not (Path(value).is_file() and os.access(value, os.X_OK)):
            raise ValueError(f"{flag} must be the path of a Python interpreter with Kymatio "
                             f"installed, got {value!r} (not an executable file)")

    rows = []
    for workload in workloads:
        peer_python = main_python if workload.peer == "kymatio-main" else python
        if peer_python is None:
            for engine in engines:
                _progress(f"{workload.name}: {engine}")
                rows.append(_measure_in_process(workload, engine, args.batch, args.repeat,
                                                args.floor))
        else:
            rows += _measure_side_by_side(workload, engines, args.batch, args.repeat,
                                          args.rounds, peer_python, args.floor)
    if args.json:
        text = json.dumps(rows, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    if args.json != "-":
        side = python or main_python
        how = (f"median of {args.rounds} process rounds x {args.repeat} calls" if side
               else f"median of {args.repeat} calls after one warm-up")
        print(f"numbascat {__version__} bench: {how}; {args.floor} FFT floor; "
              f"{os.cpu_count()} CPUs. Timings vary with machine load; compare runs made on a "
              f"quiet machine.")
        if side:
            print("ratio: Kymatio's median / numbascat's (above 1: numbascat is faster; "
                  "kymatio-main workloads against Kymatio main).")
        print(render(rows, side is not None))
    return 1 if any(r["note"].startswith(("error", "failed")) for r in rows) else 0
