"""Filter-bank and FFT-wisdom cache: in memory per parameter set, and on disk.

Disk files live in ``$NUMBASCAT_CACHE`` or the user cache directory (on Linux
``~/.cache/numbascat``). Every write goes to a temporary file in the same directory followed by an
atomic rename, so concurrent writers never leave a half-written file. A corrupt, truncated,
foreign or stale file is detected, reported with one warning and rebuilt. A missing, read-only or
unwritable directory only disables disk caching. ``NUMBASCAT_CACHE=off`` disables it on purpose.
Banks larger than ``NUMBASCAT_CACHE_MAX_MB`` (default 256) stay in memory only, and the memory
cache holds at most 1 GiB.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from numbascat import user_dirs

__all__ = ["atomic_write_bytes", "cache_dir", "cached_arrays", "clear_memory_cache"]

log = logging.getLogger("numbascat.cache")

#: Bump when a filter-bank builder changes its output, so stale disk files are rebuilt.
FORMAT_VERSION = 1
_MEMORY_ENTRIES = 32
#: The in-memory cache keeps at most this many bytes (the newest entry is always kept).
MEMORY_BYTES = 1 << 30
#: Filter banks larger than this (MiB) are not written to disk: ``NUMBASCAT_CACHE_MAX_MB``.
DEFAULT_DISK_MAX_MB = 256
_META_KEY = "__numbascat_meta__"

_memory: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
_memory_lock = threading.Lock()
_warned: set[str] = set()


def cache_dir() -> Path | None:
    """The disk cache directory, or None when disk caching is switched off."""
    value = os.environ.get("NUMBASCAT_CACHE", "").strip()
    if value.lower() in {"0", "off", "false", "no", "none"}:
        return None
    if value:
        return Path(value).expanduser()
    return user_dirs.user_cache_dir("numbascat")


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; False (and nothing written) when impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        log.debug("cache disabled for %s: %s", path, exc)
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        return True
    except OSError as exc:
        log.debug("could not write %s: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def _disk_limit_bytes() -> int:
    value = os.environ.get("NUMBASCAT_CACHE_MAX_MB", "").strip()
    try:
        return int(float(value) * 2 ** 20) if value else DEFAULT_DISK_MAX_MB * 2 ** 20
    except ValueError:
        _warn_once("max_mb", f"NUMBASCAT_CACHE_MAX_MB={value!r} is not a number; using "
                             f"{DEFAULT_DISK_MAX_MB}")
        return DEFAULT_DISK_MAX_MB * 2 ** 20


def _nbytes(arrays: dict[str, np.ndarray]) -> int:
    return sum(a.nbytes for a in arrays.values())


def _key(kind: str, params: dict) -> tuple[str, str]:
    meta = json.dumps({"format": FORMAT_VERSION, "kind": kind, "params": params},
                      sort_keys=True, default=repr)
    return meta, hashlib.sha256(meta.encode()).hexdigest()[:24]


def _read(path: Path, meta: str) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if _META_KEY not in data.files or str(data[_META_KEY]) != meta:
                raise ValueError("written for other parameters or another numbascat version")
            arrays = {k: np.array(data[k]) for k in data.files if k != _META_KEY}
    except Exception as exc:
        _warn_once(str(path), f"numbascat cache file {path} is unreadable ({type(exc).__name__}: "
                              f"{exc}); rebuilding it")
        return None
    return arrays


def _write(path: Path, meta: str, arrays: dict[str, np.ndarray]) -> None:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_META_KEY: np.array(meta)})
    atomic_write_bytes(path, buffer.getvalue())


def cached_arrays(kind: str, params: dict,
                  build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays for ``(kind, params)``: from memory, else from disk, else ``build()`` and store.

    ``params`` must be JSON-serialisable and determine the arrays completely. The returned arrays
    are shared between callers and marked read-only.
    """
    meta, digest = _key(kind, params)
    with _memory_lock:
        if digest in _memory:
            _memory.move_to_end(digest)
            return _memory[digest]
    directory = cache_dir()
    path = directory / "filters" / f"{kind}-{digest}.npz" if directory is not None else None
    arrays = _read(path, meta) if path is not None else None
    if arrays is None:
        arrays = build()
        if path is not None and _nbytes(arrays) <= _disk_limit_bytes():
            _write(path, meta, arrays)
    for value in arrays.values():
        value.flags.writeable = False
    with _memory_lock:
        _memory[digest] = arrays
        while len(_memory) > 1 and (len(_memory) > _MEMORY_ENTRIES or
                                    sum(_nbytes(a) for a in _memory.values()) > MEMORY_BYTES):
            _memory.popitem(last=False)
    return arrays


def clear_memory_cache() -> None:
    """Forget in-memory filter banks (the disk cache is untouched)."""
    with _memory_lock:
        _memory.clear()
