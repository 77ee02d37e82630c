"""``numbascat config``: which backend each dimension would use, and which source chose it."""
from __future__ import annotations

from numbascat.cli.table import format_table


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "config", help="show backend selection per dimension and the configuration file",
        description="Show, for each dimension, the backend a new transform would use and the "
                    "source that chose it (argument > use_backend > NUMBASCAT_BACKEND_xD > "
                    "NUMBASCAT_BACKEND > KYMATIO_BACKEND_xD > KYMATIO_BACKEND > config file > "
                    "default). Nothing is written.")
    p.add_argument("--frontend", default="numpy",
                   help="frontend whose arrays the backend must serve (default: numpy)")
    p.set_defaults(func=run)


def run(args) -> int:
    from numbascat.config import config_path, kymatio_config_path, resolve_backend
    from numbascat.frontends import FRONTENDS
    from numbascat.registry import BackendUnavailableError

    if args.frontend not in FRONTENDS:
        raise ValueError(f"--frontend must be one of {', '.join(FRONTENDS)}; got "
                         f"{args.frontend!r}")
    kind = "numpy" if args.frontend == "sklearn" else args.frontend
    kind = "tensorflow" if kind == "keras" else kind
    rows = []
    for dim in (1, 2, 3):
        try:
            sel = resolve_backend(dim, kind)
            rows.append([f"{dim}D", sel.backend.name, sel.source])
        except BackendUnavailableError as exc:
            rows.append([f"{dim}D", "-", str(exc)])
    print(format_table(["dim", "backend", "chosen by"], rows))
    path = config_path()
    print(f"\nconfiguration file: {path} ({'present' if path.is_file() else 'absent'})")
    kpath = kymatio_config_path()
    if kpath.is_file():
        print(f"kymatio 0.1 configuration file (fallback): {kpath}")
    if not path.is_file():
        print("example contents:\n  [backend]\n  default = numba\n  3d = numpy")
    return 0
