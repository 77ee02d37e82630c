"""The ``numbascat`` command line.

Each subcommand lives in its own module exposing ``add_parser(subparsers)``, which registers the
subcommand and sets ``func`` on its parser. Heavy imports happen inside the commands.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand modules, in help order
COMMANDS = ("backends", "config_cmd", "bench", "tune", "scatter", "plot")


def build_parser() -> argparse.ArgumentParser:
    from numbascat import __version__

    parser = argparse.ArgumentParser(
        prog="numbascat",
        description="Fast wavelet scattering transforms (a drop-in for Kymatio 0.3).")
    parser.add_argument("--version", action="version", version=f"numbascat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"numbascat.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, RuntimeError, ImportError, OSError) as exc:
        print(f"numbascat {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
