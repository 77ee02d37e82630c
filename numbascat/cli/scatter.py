"""``numbascat scatter``: scattering coefficients of audio, image and array files.

See :mod:`numbascat.cli.scatter_output` for the output layout and resuming, and
:mod:`numbascat.io.conform` for how inputs are brought to a common shape.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from numbascat.cli.progress import progress
from numbascat.cli.scatter_jobs import Recipe, dask_executor, local_executor
from numbascat.cli.scatter_output import (
    PartialState,
    describe,
    failed_array,
    meta_arrays,
    signature,
    write_single_file,
)
from numbascat.dask import get_transform
from numbascat.io.conform import LoadOptions, common_shape, layout
from numbascat.io.discover import expand_inputs, infer_dim
from numbascat.io.readers import ReadError, probe

_PARSER: argparse.ArgumentParser | None = None
_DIM_ONLY = {"Q": 1, "T": 1, "sigma_0": 3, "integral_powers": 3}


def add_parser(subparsers) -> None:
    global _PARSER
    p = subparsers.add_parser(
        "scatter", help="scattering coefficients of audio, image and array files",
        description="Scatter audio (.wav/.flac), images (.png/.jpg/...) and arrays (.npy/.npz) "
                    "into one .npz (or one per input with --per-file). Directories are searched "
                    "recursively. Unreadable files are reported and skipped; the exit status is "
                    "1 if any file failed.",
        epilog="Try `numbascat scatter --example` first.")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="files or directories")
    p.add_argument("-o", "--output", help="output .npz (a directory with --per-file)")
    p.add_argument("--example", action="store_true",
                   help="scatter a bundled example (a chirp and a synthetic image)")
    add_transform_arguments(p.add_argument_group("transform"))
    r = p.add_argument_group("reading")
    r.add_argument("--glob", help="file pattern inside directories (default: known suffixes)")
    r.add_argument("--resample", type=int, metavar="RATE", help="resample audio to RATE Hz")
    r.add_argument("--mono", action="store_true", help="average audio channels")
    r.add_argument("--crop", action="store_true", help="crop longer signals to the common shape")
    r.add_argument("--pad", action="store_true", help="zero-pad shorter signals")
    r.add_argument("--shape", type=int, nargs="+", help="common signal shape (with --crop/--pad)")
    r.add_argument("--color", choices=("gray", "rgb"), default="gray",
                   help="images as one gray band or one channel per colour")
    r.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), help="resize images")
    r.add_argument("--key", help="array name inside .npz inputs")
    x = p.add_argument_group("execution")
    x.add_argument("--batch-size", type=int, default=16, help="files per batch (default 16)")
    x.add_argument("--per-file", action="store_true", help="one output per input in OUT/")
    x.add_argument("--resume", action="store_true", help="keep the work of an interrupted run")
    x.add_argument("--compress", action="store_true", help="deflate the output")
    x.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    x.add_argument("--dask", action="store_true", help="run on a dask.distributed cluster")
    x.add_argument("--scheduler", metavar="ADDRESS", help="dask scheduler (default: LocalCluster)")
    x.add_argument("--workers", type=int, help="LocalCluster worker processes")
    p.set_defaults(func=run)
    _PARSER = p


def add_transform_arguments(t) -> None:
    """The transform options shared by ``scatter`` and ``plot``."""
    t.add_argument("--dim", type=int, choices=(1, 2, 3),
                   help="signal dimension (default: inferred from the file types)")
    t.add_argument("--J", type=int, help="number of scales (default: 1D 6, 2D 2, 3D 2, "
                                         "lowered to fit the signal)")
    t.add_argument("--Q", help="1D wavelets per octave: Q or Q1,Q2 (default 1)")
    t.add_argument("--T", type=int, help="1D averaging scale (default 2**J)")
    t.add_argument("--L", type=int, help="orientations (2D, default 8) or degree (3D, default 3)")
    t.add_argument("--max-order", type=int, choices=(1, 2), default=2)
    t.add_argument("--sigma-0", type=float, dest="sigma_0", help="3D base width (default 1)")
    t.add_argument("--integral-powers", type=float, nargs="+", dest="integral_powers",
                   help="3D integral powers (default 0.5 1 2)")
    t.add_argument("--backend", help="compute backend (see `numbascat backends`)")
    t.add_argument("--precision", choices=("single", "double"), default="single")
    t.add_argument("--transform", choices=("scattering", "jtfs"), default="scattering",
                   help="jtfs: joint time-frequency scattering (1D, Kymatio main's "
                        "TimeFrequencyScattering)")
    t.add_argument("--J-fr", type=int, dest="J_fr", help="jtfs: frequential scales (default 2)")
    t.add_argument("--Q-fr", type=int, dest="Q_fr", help="jtfs: frequential wavelets per octave")
    t.add_argument("--F", help="jtfs: frequential averaging (an integer, 0 or global)")
    t.add_argument("--format", choices=("time", "joint"), help="jtfs: output format")


def recipe_from_args(args, dim: int) -> Recipe:
    """Transform parameters from the command line; ValueError for options foreign to ``dim``."""
    for name, only in _DIM_ONLY.items():
        if getattr(args, name) is not None and dim != only:
            raise ValueError(f"--{name.replace('_', '-')} applies to --dim {only} only; the "
                             f"inputs are {dim}D")
    if args.L is not None and dim == 1:
        raise ValueError("--L applies to --dim 2 and 3 only; the inputs are 1D")
    jtfs = getattr(args, "transform", "scattering") == "jtfs"
    if jtfs:
        return _jtfs_recipe(args, dim)
    for name in ("J_fr", "Q_fr", "F", "format"):
        if getattr(args, name, None) is not None:
            raise ValueError(f"--{name.replace('_', '-')} applies to --transform jtfs only")
    kwargs: dict = {"max_order": args.max_order}
    if args.backend:
        kwargs["backend"] = args.backend
    if dim == 1:
        if args.Q is not None:
            kwargs["Q"] = _parse_Q(args.Q)
        if args.T is not None:
            kwargs["T"] = args.T
    else:
        if args.L is not None:
            kwargs["L"] = args.L
    if dim == 3:
        if args.sigma_0 is not None:
            kwargs["sigma_0"] = args.sigma_0
        if args.integral_powers is not None:
            kwargs["integral_powers"] = tuple(args.integral_powers)
    if getattr(args, "batch_size", 1) < 1:
        raise ValueError(f"--batch-size must be >= 1; got {args.batch_size}")
    return Recipe(dim, args.J, tuple(sorted(kwargs.items())))


def _parse_Q(value) -> int | tuple[int, ...]:
    """``--Q``: an integer or ``Q1,Q2``."""
    try:
        q = tuple(int(v) for v in str(value).split(","))
    except ValueError:
        raise ValueError(f"--Q must be an integer or Q1,Q2; got {value!r}") from None
    return q[0] if len(q) == 1 else q


def _jtfs_recipe(args, dim: int) -> Recipe:
    if dim != 1:
        raise ValueError(f"--transform jtfs scatters 1D signals; the inputs are {dim}D")
    for name in ("L", "sigma_0", "integral_powers"):
        if getattr(args, name) is not None:
            raise ValueError(f"--{name.replace('_', '-')} does not apply to --transform jtfs")
    if args.max_order != 2:
        raise ValueError("--max-order does not apply to --transform jtfs (always order 2)")
    kwargs: dict = {"J_fr": 2 if args.J_fr is None else args.J_fr, "Q": 1}
    if args.Q is not None:
        kwargs["Q"] = _parse_Q(args.Q)
    for name in ("T", "Q_fr", "format", "backend"):
        if getattr(args, name) is not None:
            kwargs[name] = getattr(args, name)
    if args.F is not None:
        try:
            kwargs["F"] = args.F if args.F == "global" else int(args.F)
        except ValueError:
            raise ValueError(f"--F must be an integer, 0 or global; got {args.F!r}") from None
    if getattr(args, "batch_size", 1) < 1:
        raise ValueError(f"--batch-size must be >= 1; got {args.batch_size}")
    return Recipe(dim, args.J, tuple(sorted(kwargs.items())), "jtfs")


def _options(args, dim: int) -> LoadOptions:
    if args.shape is not None and len(args.shape) != dim:
        raise ValueError(f"--shape needs {dim} sizes for --dim {dim}; got {args.shape}")
    if args.shape is not None and not (args.crop or args.pad):
        raise ValueError("--shape needs --crop and/or --pad (what to do with other shapes)")
    return LoadOptions(dim=dim, color=args.color, size=tuple(args.size) if args.size else None,
                       key=args.key, mono=args.mono, resample=args.resample, crop=args.crop,
                       pad=args.pad, shape=tuple(args.shape) if args.shape else None,
                       dtype="float32" if args.precision == "single" else "float64")


def _say(args, *text) -> None:
    if not args.quiet:
        print(*text, file=sys.stderr)


def run(args) -> int:
    if args.example:
        from numbascat.examples.run import run_example

        return run_example(args, _PARSER)
    if not args.inputs or not args.output:
        raise ValueError("give INPUT files or directories and -o OUT (or try --example)")
    start = time.perf_counter()
    files = expand_inputs(args.inputs, args.glob)
    if not files:
        raise ValueError(f"no input files found in {args.inputs}"
                         + (f" matching {args.glob!r}" if args.glob else ""))
    failed: list[tuple[str, str]] = []
    probes = []
    for f in files:
        try:
            probes.append(probe(f.path, color=args.color,
                                size=tuple(args.size) if args.size else None, key=args.key))
        except (ReadError, OSError) as exc:
            failed.append((f.path, str(exc)))
    dim = args.dim or infer_dim(probes)
    opts = _options(args, dim)
    recipe = recipe_from_args(args, dim)
    layouts = []
    for pr in probes:
        try:
            layouts.append(layout(pr, opts))
        except ReadError as exc:
            failed.append((pr.path, str(exc)))
    if args.per_file:
        target = (common_shape(layouts, opts, uniform=False)
                  if opts.crop or opts.pad else None) if layouts else None
    else:
        target = common_shape(layouts, opts)
    # Build (and validate) the transform here: bad parameters fail before any work is done.
    first = target or (layouts[0].signal if layouts else None)
    if first is not None:
        get_transform(recipe.spec(tuple(first)))
    good = {lay.path for lay in layouts}
    relnames = {f.path: f.relname for f in files if f.path in good}
    runner = _run_per_file if args.per_file else _run_single
    n_done = runner(args, [lay.path for lay in layouts], relnames, recipe, opts, target, failed,
                    layouts[0].channels if layouts else 0)
    for path, reason in failed:
        print(f"failed: {path}: {reason}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    _say(args, f"scattered {n_done} file(s), {len(failed)} failed, in {elapsed:.2f} s "
               f"({n_done / elapsed if elapsed > 0 else 0:.1f} files/s) -> {args.output}")
    return 1 if failed else 0


def _batches(paths: list[str], size: int) -> list[tuple[int, list[str]]]:
    return [(i // size, paths[i:i + size]) for i in range(0, len(paths), size)]


def _executor(args, batches, recipe, opts, target):
    if not batches:
        return iter(())
    if args.dask or args.scheduler:
        return dask_executor(batches, recipe, opts, target, args.scheduler, args.workers,
                             log=lambda m: _say(args, m))
    return local_executor(batches, recipe, opts, target)


def _read_options(opts: LoadOptions) -> dict:
    return {k: v for k, v in vars(opts).items() if k != "dtype"}


def _run_single(args, paths, relnames, recipe, opts, target, failed, channels) -> int:
    output = Path(args.output)
    if output.suffix != ".npz":
        output = output.with_name(output.name + ".npz")
        args.output = str(output)
    spec = recipe.spec(tuple(target))
    sig = signature({"paths": paths, "spec": spec.key, "options": _read_options(opts),
                     "dtype": opts.dtype, "target": target, "batch": args.batch_size})
    batches = _batches(paths, args.batch_size)
    state = PartialState(output, sig, args.resume)
    bar = progress(len(paths), "scatter", enabled=not args.quiet)
    todo, done_idx = [], []
    for index, batch in batches:
        stored = state.load(index, batch) if args.resume else None
        if stored is None:
            todo.append((index, batch))
        else:
            done_idx.append(index)
            failed.extend(stored.failed)
            bar.update(len(batch))
    n_ok, row_shape, dtype = 0, None, None
    try:
        for result in _executor(args, todo, recipe, opts, target):
            state.save(result)
            done_idx.append(result.index)
            failed.extend(result.failed)
            bar.update(len(result.files) + len(result.failed))
            if failed:
                bar.set_postfix_str(f"{len(failed)} failed")
    finally:
        bar.close()
    for index in sorted(done_idx):  # counts and shapes, from the stored batches
        with np.load(state._path(index), allow_pickle=False) as z:
            k = len(z["files"])
            if k:
                n_ok += k
                row_shape, dtype = z["coefficients"].shape[1:], z["coefficients"].dtype
    if n_ok == 0:
        state.discard()
        raise RuntimeError("no input file could be scattered: "
                           + "; ".join(f"{p}: {r}" for p, r in failed[:5]))
    transform = get_transform(spec)
    extra = {"parameters": np.array(describe(transform, spec, channels, dtype,
                                             _read_options(opts))),
             "signal_shape": np.array(target, dtype=np.int64),
             "failed": failed_array(failed), "run_signature": np.array(sig),
             **meta_arrays(transform)}
    state.assemble(output, sorted(done_idx), n_ok, row_shape, dtype, extra, args.compress)
    state.discard()
    return n_ok


def _run_per_file(args, paths, relnames, recipe, opts, target, failed, channels) -> int:
    outdir = Path(args.output)
    outputs = {p: outdir / (relnames[p] + ".npz") for p in paths}
    clashes = len(set(outputs.values())) != len(outputs)
    if clashes:
        raise ValueError("several inputs map to the same output name in --per-file mode; "
                         "scatter them in separate runs")
    todo = [p for p in paths if not (args.resume and outputs[p].exists())]
    skipped = len(paths) - len(todo)
    if skipped:
        _say(args, f"resume: {skipped} output(s) already exist, skipped")
    bar = progress(len(todo), "scatter", enabled=not args.quiet)
    n_ok = skipped
    try:
        for result in _executor(args, _batches(todo, args.batch_size), recipe, opts, target):
            for path, coefs, rate, shape in zip(result.files, result.coefficients,
                                                result.rates, result.shapes, strict=True):
                spec = recipe.spec(shape)
                transform = get_transform(spec)
                extra = {"parameters": np.array(describe(transform, spec, coefs.shape[0],
                                                         coefs.dtype, _read_options(opts))),
                         **meta_arrays(transform)}
                write_single_file(outputs[path], coefs, path, rate, extra, args.compress)
                n_ok += 1
            failed.extend(result.failed)
            bar.update(len(result.files) + len(result.failed))
    finally:
        bar.close()
    return n_ok

