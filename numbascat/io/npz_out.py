"""Write ``.npz`` results atomically, streaming big arrays chunk by chunk.

Files are plain ``numpy.savez`` archives (``np.load`` reads them, no pickle). Each write goes to
a temporary file in the destination directory, renamed over the destination only once complete,
so an interrupted run never leaves a truncated result.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

__all__ = ["Streamed", "atomic_path", "npz_bytes", "write_npz"]


class Streamed:
    """An array written from ``chunks`` (C-ordered pieces along axis 0) of known total shape."""

    def __init__(self, shape: tuple[int, ...], dtype, chunks: Iterable[np.ndarray]):
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_member(zf: zipfile.ZipFile, name: str, value) -> None:
    with zf.open(f"{name}.npy", "w", force_zip64=True) as handle:
        if isinstance(value, Streamed):
            header = {"descr": np.lib.format.dtype_to_descr(value.dtype),
                      "fortran_order": False, "shape": value.shape}
            np.lib.format.write_array_header_2_0(handle, header)
            written = 0
            for chunk in value.chunks:
                chunk = np.ascontiguousarray(chunk, dtype=value.dtype)
                if chunk.shape[1:] != value.shape[1:]:
                    raise ValueError(f"chunk of shape {chunk.shape} does not fit {name!r} of "
                                     f"shape {value.shape}")
                handle.write(chunk.tobytes())
                written += chunk.shape[0]
            if written != value.shape[0]:
                raise ValueError(f"{name!r}: wrote {written} rows, expected {value.shape[0]}")
        else:
            np.lib.format.write_array(handle, np.asanyarray(value), allow_pickle=False)


def _write_zip(target, arrays: dict, compress: bool) -> None:
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(target, "w", compression=mode, allowZip64=True) as zf:
        for name, value in arrays.items():
            _write_member(zf, name, value)


def write_npz(path: str | os.PathLike, arrays: dict, compress: bool = False) -> None:
    """Write ``arrays`` (name -> ndarray or :class:`Streamed`) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        _write_zip(tmp, arrays, compress)


def npz_bytes(arrays: dict, compress: bool = False) -> bytes:
    """The bytes of an ``.npz`` holding ``arrays`` (for small files written in one go)."""
    buffer = io.BytesIO()
    _write_zip(buffer, arrays, compress)
    return buffer.getvalue()
