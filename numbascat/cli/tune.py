"""``numbascat tune``: measure FFTW plans ahead of time and save them as wisdom.

The numba backend's default ``auto`` planner starts every new FFT shape on an estimated plan and
measures it only once its own running time pays for the planning. ``tune`` measures every FFT a
transform makes for the given batch sizes now (FFTW_MEASURE, or ``--planner patient``) and saves
the wisdom in the user cache, so later processes start on measured plans at once.
"""
from __future__ import annotations

import os
import time


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "tune", help="measure FFT plans for given transforms ahead of time (numba backend)",
        description=__doc__.split("\n\n", 1)[1].replace("``", "'"))
    p.add_argument("--dim", type=int, choices=(1, 2, 3), default=None,
                   help="transform dimension (with --shape)")
    p.add_argument("--shape", type=int, nargs="+", metavar="N",
                   help="signal shape: N (1D), M N (2D) or M N O (3D)")
    p.add_argument("--J", type=int, default=None, help="scale J (default: 1D 8, 2D 3, 3D 2)")
    p.add_argument("--Q", type=int, default=8, help="1D wavelets per octave (default 8)")
    p.add_argument("--L", type=int, default=None, help="2D/3D angles or degree (default 8 / 2)")
    p.add_argument("--batch", type=int, nargs="+", default=[1], metavar="B",
                   help="batch sizes to plan for (default 1)")
    p.add_argument("--workload", action="extend", nargs="+", metavar="NAME",
                   help="reference workloads to tune, with their CPU batch")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--planner", choices=("measure", "patient"), default="measure",
                   help="FFTW planner to tune with (default measure)")
    p.set_defaults(func=run)


def _targets(args):
    """[(label, constructor, batch shapes)] from the command line."""
    import numbascat.numpy as frontend

    targets = []
    if args.shape:
        dim = args.dim or len(args.shape)
        if len(args.shape) != dim:
            raise ValueError(f"--shape needs {dim} sizes for --dim {dim}; got {args.shape}")
        if dim == 1:
            J = 8 if args.J is None else args.J

            def make():
                return frontend.Scattering1D(J=J, shape=args.shape[0], Q=args.Q,
                                             backend="numba")
        elif dim == 2:
            J, L = (3 if args.J is None else args.J), (8 if args.L is None else args.L)

            def make():
                return frontend.Scattering2D(J=J, shape=tuple(args.shape), L=L, backend="numba")
        else:
            J, L = (2 if args.J is None else args.J), (2 if args.L is None else args.L)

            def make():
                return frontend.HarmonicScattering3D(J=J, shape=tuple(args.shape), L=L,
                                                     backend="numba")
        label = f"{dim}D shape={tuple(args.shape)}"
        targets.append((label, make, [(b,) + tuple(args.shape) for b in args.batch]))
    if args.workload:
        from numbascat.benchmarking import load_workloads

        known = load_workloads()
        for name in args.workload:
            if name not in known:
                raise ValueError(f"unknown workload {name!r}; known: {', '.join(known)}")
            w = known[name]
            targets.append((name, lambda w=w: getattr(frontend, w.transform)(
                backend="numba", **w.kwargs()), [w.batch("cpu") + w.signal_shape]))
    if not targets:
        raise ValueError("nothing to tune: give --shape (with --dim/--J/...) or --workload")
    return targets


def run(args) -> int:
    import numpy as np

    from numbascat.backends import fftw_plans
    from numbascat.transform import own_backend

    previous = os.environ.get("NUMBASCAT_FFTW_PLANNER")
    os.environ["NUMBASCAT_FFTW_PLANNER"] = args.planner
    try:
        fftw_plans.refresh_settings()
        fftw_plans.clear_plans()  # plan every shape again, measuring
        for label, make, shapes in _targets(args):
            transform = make()
            for shape in shapes:
                start = time.perf_counter()
                with own_backend():  # plan numba's FFTs, even where a warm-up would not
                    transform(np.zeros(shape, dtype=args.dtype))
                print(f"tuned {label}, input {shape}: {time.perf_counter() - start:.1f} s")
    finally:
        if previous is None:
            os.environ.pop("NUMBASCAT_FFTW_PLANNER", None)
        else:
            os.environ["NUMBASCAT_FFTW_PLANNER"] = previous
        fftw_plans.refresh_settings()
        fftw_plans.clear_plans()
    path = fftw_plans.wisdom_path()
    print(f"wisdom saved to {path}" if path else "caching is off (NUMBASCAT_CACHE=off): "
          "nothing was saved")
    return 0
