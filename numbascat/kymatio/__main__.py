"""``python -m numbascat.kymatio SCRIPT.py [ARGS]`` (or ``-m MODULE [ARGS]``).

Installs numbascat as ``kymatio`` (:func:`numbascat.install_as_kymatio`), then runs the script
as ``__main__`` with ``sys.argv = [SCRIPT.py, *ARGS]`` and the script's directory first on
``sys.path``, as ``python SCRIPT.py`` would.
"""
from __future__ import annotations

import os
import runpy
import sys

from numbascat.kymatio_compat import install_as_kymatio

USAGE = "usage: python -m numbascat.kymatio SCRIPT.py [ARGS...] | -m MODULE [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    install_as_kymatio()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.isfile(script):
        print(f"python -m numbascat.kymatio: can't open file {script!r}: no such file",
              file=sys.stderr)
        return 2
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
