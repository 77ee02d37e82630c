"""``numbascat backends``: every registered backend and whether it can be used here."""
from __future__ import annotations

import json

from numbascat.cli.table import format_table


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("backends", help="list registered backends and their availability",
                              description="List every backend registered through the "
                                          "numbascat.backends entry points.")
    p.add_argument("--check", action="store_true",
                   help="also import each backend (slower; reports import failures)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    from numbascat.registry import list_backends

    rows = list_backends(probe=True, load=args.check)
    if args.json:
        print(json.dumps([{"name": r.name, "dims": list(r.info.dims),
                           "arrays": list(r.info.array_kinds), "devices": list(r.info.devices),
                           "differentiable": r.info.differentiable, "available": r.available,
                           "reason": r.reason, "priority": r.info.priority, "source": r.source}
                          for r in rows], indent=2))
        return 0
    table = []
    for r in rows:
        status = "yes" if r.available else f"no: {r.reason}"
        install = f"pip install 'numbascat[{r.info.extra}]'" if r.info.extra else "(core)"
        table.append([r.name, ",".join(f"{d}D" for d in r.info.dims),
                      ",".join(r.info.array_kinds), ",".join(r.info.devices),
                      str(r.info.priority), status, install if not r.available else "",
                      r.source if r.source != "numbascat" else ""])
    print(format_table(["name", "dims", "arrays", "devices", "priority", "available",
                        "install", "plugin"], table))
    return 0
