"""Find input files and decide the scattering dimension they call for."""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from pathlib import Path

from numbascat.io.readers import Probe, kind_of

__all__ = ["InputFile", "expand_inputs", "infer_dim"]


class InputFile:
    """One input: its path and the relative name used for per-file outputs."""

    __slots__ = ("path", "relname")

    def __init__(self, path: str, relname: str):
        self.path = path
        self.relname = relname

    def __repr__(self) -> str:
        return f"InputFile({self.path!r})"


def _walk(root: Path, pattern: str | None) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if pattern is not None:
                if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(rel, pattern):
                    yield path
            elif kind_of(path) is not None:
                yield path


def expand_inputs(inputs: Iterable[str], pattern: str | None = None) -> list[InputFile]:
    """Files named in ``inputs``, directories recursed (sorted, hidden entries skipped).

    In a directory only files with a known suffix are taken, or those matching the glob
    ``pattern`` (tried on the file name and on the path relative to the directory). A file named
    explicitly is always taken. A missing input raises ``FileNotFoundError``; a path met twice is
    kept once.
    """
    found: list[InputFile] = []
    seen: set[str] = set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            entries = [(p, p.relative_to(path).as_posix()) for p in _walk(path, pattern)]
        elif path.exists():
            entries = [(path, path.name)]
        else:
            raise FileNotFoundError(f"input {item!r} does not exist")
        for p, rel in entries:
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                found.append(InputFile(str(p), rel))
    return found


def infer_dim(probes: list[Probe]) -> int:
    """The one dimension the probed files agree on; ``ValueError`` naming the conflict."""
    by_dim: dict[int | None, list[str]] = {}
    for p in probes:
        by_dim.setdefault(p.natural_dim, []).append(p.path)
    if None in by_dim:
        raise ValueError(f"cannot infer --dim for arrays of 4 or more axes (e.g. "
                         f"{by_dim[None][0]}); pass --dim 1, 2 or 3")
    if len(by_dim) > 1:
        parts = "; ".join(f"{d}D: {paths[0]}" + (f" and {len(paths) - 1} more"
                                                   if len(paths) > 1 else "")
                          for d, paths in sorted(by_dim.items()))
        raise ValueError(f"the inputs call for different dimensions ({parts}); pass --dim or "
                         f"scatter them separately")
    if not by_dim:
        raise ValueError("no readable input files")
    return next(iter(by_dim))
