"""``numbascat plot``: filter banks and scattering coefficients as PNG (matplotlib, Agg).

- ``numbascat plot filters --dim 1 --J 8 --Q 8 -o filters.png``: the 1D filter banks in
  frequency with their Littlewood-Paley sum; ``--dim 2``: a grid of 2D filters.
- ``numbascat plot scattering INPUT -o scat.png``: INPUT is a result of ``numbascat scatter``
  (first file and channel, or ``--index``/``--channel``) or an input file that is scattered
  first with the transform options given. ``--transform jtfs`` (or a JTFS result in the
  'joint' format): frequency x time panels per (second-order, frequential) wavelet pair.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from numbascat.cli.scatter import add_transform_arguments, recipe_from_args

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("plot", help="plot filter banks or scattering coefficients (PNG)",
                              description=__doc__.split("\n\n", 1)[1])
    kinds = p.add_subparsers(dest="what", metavar="WHAT")
    f = kinds.add_parser("filters", help="the filter bank in frequency")
    add_transform_arguments(f.add_argument_group("transform"))
    f.add_argument("--N", type=int, help="1D signal length (default max(2**(J+3), 1024))")
    f.add_argument("--size", type=int, nargs=2, metavar=("M", "N"),
                   help="2D image size (default 2**(J+2) square)")
    f.add_argument("-o", "--output", required=True, help="PNG file")
    f.set_defaults(func=run_filters)
    s = kinds.add_parser("scattering", help="coefficients of one input")
    s.add_argument("input", help="a .npz written by `numbascat scatter`, or an input file")
    add_transform_arguments(s.add_argument_group("transform (when INPUT is not a result)"))
    s.add_argument("--index", type=int, default=0, help="which file of a result (default 0)")
    s.add_argument("--channel", type=int, default=0, help="which channel (default 0)")
    s.add_argument("--key", help="array name inside an .npz input")
    s.add_argument("-o", "--output", required=True, help="PNG file")
    s.set_defaults(func=run_scattering)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _check_png(path: str) -> str:
    if Path(path).suffix.lower() != ".png":
        raise ValueError(f"-o must name a .png file; got {path!r}")
    return path


def run_filters(args) -> int:
    from numbascat.cli import plot_draw
    from numbascat.dask import get_transform

    _check_png(args.output)
    dim = args.dim or 1
    J = args.J if args.J is not None else (8 if dim == 1 else 3)
    args.J = J
    if dim == 1:
        shape: tuple[int, ...] = (args.N or max(2 ** (J + 3), 1024),)
    elif dim == 2:
        shape = tuple(args.size) if args.size else (2 ** (J + 2),) * 2
    else:
        raise ValueError(f"plot filters supports --dim 1 and 2; got --dim {dim}")
    S = get_transform(recipe_from_args(args, dim).spec(shape))
    fig = plot_draw.filters_1d(S) if dim == 1 else plot_draw.filters_2d(S)
    plot_draw.save(fig, args.output)
    print(f"wrote {args.output}")
    return 0


def _load_result(path: str, index: int, channel: int):
    with np.load(path, allow_pickle=False) as z:
        if "coefficients" not in z.files or "parameters" not in z.files:
            return None
        params = json.loads(str(z["parameters"]))
        coefs = z["coefficients"]
        if "files" in z.files:  # single output: (files, channels, ...)
            if not 0 <= index < coefs.shape[0]:
                raise ValueError(f"--index must be in [0, {coefs.shape[0]}); got {index}")
            coefs, name = coefs[index], str(z["files"][index])
        else:
            name = str(z["file"])
        if not 0 <= channel < coefs.shape[0]:
            raise ValueError(f"--channel must be in [0, {coefs.shape[0]}); got {channel}")
        meta = {k[5:]: z[k] for k in z.files if k.startswith("meta_")}
    dim = {"Scattering1D": 1, "Scattering2D": 2, "TimeFrequencyScattering": "jtfs"}.get(
        params["transform"].rsplit(":")[-1], 3)
    return coefs[channel], meta, dim, name


def _scatter_input(args):
    from numbascat.dask import get_transform
    from numbascat.io.conform import LoadOptions, layout, load
    from numbascat.io.discover import infer_dim
    from numbascat.io.readers import probe

    pr = probe(args.input, key=args.key)
    dim = args.dim or infer_dim([pr])
    opts = LoadOptions(dim=dim, key=args.key)
    lay = layout(pr, opts)
    data, _ = load(args.input, opts, None)
    if not 0 <= args.channel < data.shape[0]:
        raise ValueError(f"--channel must be in [0, {data.shape[0]}); got {args.channel}")
    if getattr(args, "transform", "scattering") == "jtfs":
        args.format = "joint"  # the panels need the joint layout
    S = get_transform(recipe_from_args(args, dim).spec(lay.signal))
    meta = S.meta()
    meta["key"] = [str(k) for k in meta["key"]]
    if getattr(args, "transform", "scattering") == "jtfs":
        dim = "jtfs"
    return S(data[args.channel]), meta, dim, args.input


def run_scattering(args) -> int:
    from numbascat.cli import plot_draw

    _check_png(args.output)
    loaded = None
    if args.input.lower().endswith(".npz"):
        loaded = _load_result(args.input, args.index, args.channel)
    coefs, meta, dim, name = loaded or _scatter_input(args)
    title = Path(name).name
    draw = {1: plot_draw.scattering_1d, 2: plot_draw.scattering_2d, 3: plot_draw.scattering_3d,
            "jtfs": plot_draw.scattering_jtfs}
    fig = draw[dim](np.asarray(coefs), meta, title)
    plot_draw.save(fig, args.output)
    print(f"wrote {args.output}", file=sys.stdout)
    return 0
