"""``numbascat bench --scale``: the scale sweep (see :mod:`numbascat.scale_sweep` for the points
and :mod:`numbascat.scale_bench` for how each is measured) as a table, JSON and a plot.

Columns: ``import`` (the user's import line), ``construct``, ``1st fwd`` (the first forward
call), ``first`` (construct + first forward, in a fresh process with an empty numbascat cache),
``+import`` (first with the imports: what a short script waits for), ``steady`` (median of
later calls, after one warm-up, within ``--steady-seconds``; for the numba backend after its
warm-up too: the calls it runs on the numpy stand-in, counted in the note, and the one that
loads numba), ``RSS imp`` (resident memory
after the imports) and ``peak RSS`` (``ru_maxrss`` of the process). With
``--vs-kymatio``, numbascat rows also show ``first/K`` (our first call over Kymatio numpy's;
target <= 1.5), ``K/steady`` (Kymatio's fastest frontend's steady time over ours; target >= 2)
and ``dRSS`` (our peak RSS minus Kymatio numpy's; target <= +150 MB), and ``missed`` lists the
targets missed.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from numbascat.cli.table import format_table

__all__ = ["add_scale_arguments", "render_scale", "run_scale"]


def add_scale_arguments(p) -> None:
    """The options of ``--scale`` (``--batch``, ``--backend``, ``--vs-kymatio`` and ``--json``
    are shared with the workload mode and defined by ``numbascat.cli.bench``)."""
    g = p.add_argument_group(
        "scale sweep (--scale)",
        "sizes: N (1D length; 2D/3D side), 2^k, AxB[xC], A..B (powers of two), with an "
        "optional 1d:/2d:/3d: prefix, e.g. --sizes 1d:2^10..2^16 2d:32..256. --batch takes 1, "
        "'large' (min(256, 2^24 values / signal size)) or integers (default: 1 large). "
        "--backend: numbascat backends (default numba).")
    g.add_argument("--scale", action="store_true",
                   help="sweep sizes in fresh processes instead of timing the workloads")
    g.add_argument("--dims", type=int, nargs="+", metavar="D", default=None,
                   help="dimensions to sweep (default 1 2 3)")
    g.add_argument("--sizes", nargs="+", metavar="SPEC", default=None,
                   help="sizes to sweep (default 1D 2^10..2^22, 2D 32..2048, 3D 32..256)")
    g.add_argument("--J", type=int, default=None,
                   help="J for every point (default 1D min(log2 N - 2, 16), 2D 3, 3D 2)")
    g.add_argument("--Q", type=int, default=None, help="1D Q (default 8)")
    g.add_argument("--L", type=int, default=None, help="2D/3D L (default 2D 8, 3D 2)")
    g.add_argument("--large-batch-values", type=int, default=None, metavar="V",
                   help="value cap of the 'large' batch (default 2^24 = 16777216)")
    g.add_argument("--max-seconds", type=float, default=600.0, metavar="S",
                   help="wall-clock limit of one point's process (default 600)")
    g.add_argument("--steady-seconds", type=float, default=10.0, metavar="S",
                   help="time budget of the steady calls of one point (default 10)")
    g.add_argument("--max-memory", type=float, default=None, metavar="GB",
                   help="resident memory limit of one point's process, GB (default 80%% of "
                        "the memory available at start)")
    g.add_argument("--kymatio-frontends", nargs="+", default=None, metavar="NAME",
                   help="Kymatio frontends run with --vs-kymatio: numpy torch jax tensorflow "
                        "(default numpy)")
    g.add_argument("--dry-run", action="store_true",
                   help="list the points of the sweep (shape, batch, parameters) and exit")
    g.add_argument("--from-json", metavar="FILE", default=None,
                   help="print the table (and --plot) of a sweep saved with --json FILE "
                        "(also a partial one: the file is rewritten after every point) "
                        "instead of running one")
    g.add_argument("--plot", metavar="PNG", default=None,
                   help="write a log-log plot of time and peak RSS against size (matplotlib)")


# ---------------------------------------------------------------------------------- formatting
def _s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:,.0f} s"


def _mb(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value / 1e6:+,.0f} MB" if signed else f"{value / 1e6:,.0f} MB"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render_scale(rows: list[dict]) -> str:
    """The terminal table of the rows of :func:`numbascat.scale_bench.run_sweep`."""
    with_kymatio = any(r["library"] == "kymatio" for r in rows)
    header = ["point", "batch", "engine", "status", "import", "construct", "1st fwd", "first",
              "+import", "steady", "calls", "RSS imp", "peak RSS"]
    if with_kymatio:
        header += ["first/K", "K/steady", "dRSS", "missed"]
    header.append("note")
    table = []
    for r in rows:
        shape = "x".join(map(str, r["shape"]))
        cells = [f"{r['dim']}D {shape}", str(r["batch"]), r["engine"], r["status"],
                 _s(r["import_s"]), _s(r["construct_s"]), _s(r["first_forward_s"]),
                 _s(r["first_s"]), _s(r.get("startup_s")), _s(r["steady_s"]),
                 str(r["steady_calls"] or "-"), _mb(r["rss_after_imports"]), _mb(r["peak_rss"])]
        if with_kymatio:
            targets = r.get("targets")
            cells += [_x(r.get("first_ratio")), _x(r.get("steady_speedup")),
                      _mb(r.get("rss_excess"), signed=True),
                      "-" if targets is None else (",".join(targets) or "none")]
        cells.append(r["note"])
        table.append(cells)
    return format_table(header, table)


def _summary(rows: list[dict]) -> str:
    compared = [r for r in rows if r.get("targets") is not None]
    if not compared:
        return ""
    lines = [f"targets (first <= 1.5x Kymatio numpy, steady >= 2x Kymatio's fastest, peak RSS "
             f"<= Kymatio + 150 MB) met at {sum(not r['targets'] for r in compared)} of "
             f"{len(compared)} compared rows"]
    for name in ("first", "steady", "rss"):
        missed = [r for r in compared if name in r["targets"]]
        if missed:
            lines.append(f"  {name} missed at: " + ", ".join(
                f"{r['dim']}D {'x'.join(map(str, r['shape']))} b{r['batch']} {r['engine']}"
                for r in missed))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- command
def _engines(args):
    from numbascat.scale_bench import kymatio_engine, numbascat_engine

    engines = [numbascat_engine(b) for b in dict.fromkeys(args.backend or ["numba"])]
    if args.vs_kymatio:
        engines += [kymatio_engine(f, args.vs_kymatio)
                    for f in dict.fromkeys(args.kymatio_frontends or ["numpy"])]
    elif args.kymatio_frontends:
        raise ValueError("--kymatio-frontends needs --vs-kymatio PYTHON")
    return engines


def _report_saved(args) -> int:
    try:
        saved = json.loads(Path(args.from_json).read_text())
        meta, rows = saved["meta"], saved["rows"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"--from-json: {args.from_json!r} is not a file written by "
                         f"`numbascat bench --scale --json FILE` ({exc})") from exc
    if not meta.get("complete", True):  # rows of a stopped sweep carry no ratios yet
        from numbascat.scale_bench import add_ratios

        rows = add_ratios(rows)
    if args.plot:
        from numbascat.cli.scale_plot import plot_scale

        plot_scale(rows, args.plot)
    state = "" if meta.get("complete", True) else ", PARTIAL: the sweep did not finish"
    print(f"numbascat {meta.get('numbascat')} bench --scale, saved in {args.from_json}{state} "
          f"({meta.get('cpus')} CPUs; argv: {' '.join(meta.get('argv') or [])})")
    print(render_scale(rows))
    if summary := _summary(rows):
        print(summary)
    return 0


def run_scale(args) -> int:
    from numbascat import __version__
    from numbascat.scale_bench import default_memory_limit, run_sweep
    from numbascat.scale_sweep import LARGE_BATCH_VALUES, sweep_points

    if args.workload:
        raise ValueError("--workload does not apply to --scale (use --dims and --sizes)")
    if args.from_json:
        return _report_saved(args)
    for name, value in (("--max-seconds", args.max_seconds),
                        ("--steady-seconds", args.steady_seconds),
                        ("--max-memory", args.max_memory)):
        if value is not None and value <= 0:
            raise ValueError(f"{name} must be > 0, got {value:g}")
    points = sweep_points(args.dims, args.sizes, args.batch, args.J, args.Q, args.L,
                          args.large_batch_values or LARGE_BATCH_VALUES)
    if not points:
        raise ValueError("--sizes/--batch select no point of the sweep")
    engines = _engines(args)
    if args.dry_run:
        print(format_table(["point", "batch", "values", "transform", "parameters"], [
            [p.label, str(p.batch), f"{p.values:,}", p.transform,
             " ".join(f"{k}={v}" for k, v in p.params.items())] for p in points]))
        print(f"{len(points)} points x {len(engines)} engines "
              f"({', '.join(e.name for e in engines)}): {len(points) * len(engines)} processes")
        return 0
    if args.plot:  # fail before hours of sweep, not after
        from numbascat.cli.scale_plot import require_matplotlib

        require_matplotlib()
    memory_limit = int(args.max_memory * 1e9) if args.max_memory else default_memory_limit()

    def progress(message):
        if sys.stderr.isatty():
            print(f"  {message}", file=sys.stderr, flush=True)

    meta = {"numbascat": __version__, "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "engines": [e.name for e in engines], "kymatio_python": args.vs_kymatio,
            "max_seconds": args.max_seconds, "steady_seconds": args.steady_seconds,
            "memory_limit": memory_limit, "argv": sys.argv[1:],
            "fft_threads": os.environ.get("NUMBASCAT_FFT_THREADS"),
            "fftw_planner": os.environ.get("NUMBASCAT_FFTW_PLANNER")}

    def save(rows, complete):
        if args.json and args.json != "-":
            tmp = Path(f"{args.json}.tmp")
            tmp.write_text(json.dumps({"meta": dict(meta, complete=complete), "rows": rows},
                                      indent=1) + "\n")
            tmp.replace(args.json)

    # the file holds every finished row, so a sweep of hours that is stopped keeps its results
    rows = run_sweep(points, engines, progress, lambda rows: save(rows, False),
                     timeout_s=args.max_seconds, memory_limit=memory_limit,
                     steady_seconds=args.steady_seconds)
    save(rows, True)
    if args.json == "-":
        print(json.dumps({"meta": dict(meta, complete=True), "rows": rows}, indent=1))
    if args.plot:
        from numbascat.cli.scale_plot import plot_scale

        plot_scale(rows, args.plot)
    if args.json != "-":
        print(f"numbascat {__version__} bench --scale: one fresh process per point and engine, "
              f"empty numbascat cache, numba JIT cache on disk as found; steady = median after "
              f"a warm-up (and numba's stand-in calls) within {args.steady_seconds:g} s; "
              f"limits {args.max_seconds:g} s and "
              f"{memory_limit / 1e9:.1f} GB per point; {os.cpu_count()} CPUs. Timings vary "
              f"with machine load.")
        print(render_scale(rows))
        if summary := _summary(rows):
            print(summary)
    return 1 if any(r["status"] == "error" for r in rows) else 0
