"""Where ``numbascat scatter`` puts its results, and how an interrupted run resumes.

Single output (default), ``OUT.npz``:

- ``coefficients`` ``(n_files, channels, *transform_output)``, ``files`` ``(n_files,)`` str,
  ``sample_rate`` ``(n_files,)`` int (0 when not audio), ``failed`` ``(n_failed,)`` str
  (``"path: reason"``), ``parameters`` (a JSON str: transform class and arguments, signal
  shape, dtype, backend, numbascat version, read options), ``meta_<name>`` for every entry of
  the transform's ``meta()`` (``meta_key`` holds the path tuples as strings, e.g. ``"(0, 3)"``),
  and ``run_signature`` (a digest of inputs and settings).
- While running, each finished batch is stored in the directory ``OUT.npz.partial/``
  (``state.json`` + ``batch-NNNNNN.npz``). ``--resume`` keeps the batches of a run with the same
  signature and computes the rest; the final file is assembled from the batches (streamed, so
  memory stays bounded) and the directory is removed. Without ``--resume`` a stale partial
  directory is discarded.

Per-file output (``--per-file``), directory ``OUT/``: ``OUT/<input relative path>.npz`` per
input with ``coefficients`` ``(channels, *transform_output)``, ``file``, ``sample_rate`` and
the same ``parameters`` and ``meta_*``. ``--resume`` skips inputs whose output exists (outputs
are written atomically, so an existing one is complete).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import numpy as np

from numbascat.cache import atomic_write_bytes
from numbascat.cli.scatter_jobs import BatchResult
from numbascat.io.npz_out import Streamed, npz_bytes, write_npz

__all__ = ["PartialState", "describe", "failed_array", "meta_arrays", "signature",
           "write_single_file"]

_BATCH_GLOB = "batch-*.npz"


def signature(payload: dict) -> str:
    """A digest of everything that determines the result."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def meta_arrays(transform) -> dict[str, np.ndarray]:
    """``meta()`` as ``meta_<name>`` arrays loadable without pickle."""
    out = {}
    for name, value in transform.meta().items():
        if name == "key" or (isinstance(value, list) and value
                             and not np.isscalar(value[0])):
            out[f"meta_{name}"] = np.array([str(tuple(v)) if isinstance(v, tuple | list)
                                            else str(v) for v in value])
        elif isinstance(value, np.ndarray) and value.dtype == object:
            # e.g. JTFS 'joint' meta['n'] holds ranges: strings keep the file pickle-free
            out[f"meta_{name}"] = np.vectorize(str, otypes=[str])(value)
        else:
            out[f"meta_{name}"] = np.asarray(value)
    return out


def describe(transform, spec, channels, dtype, options: dict) -> str:
    """The ``parameters`` JSON string stored with every output."""
    from numbascat import __version__

    kwargs = dict(spec.kwargs)
    return json.dumps({"transform": spec.cls, "arguments": kwargs,
                       "backend": transform.backend.name, "dtype": str(np.dtype(dtype)),
                       "channels": channels, "numbascat_version": __version__,
                       "read_options": options}, sort_keys=True, default=str)


def failed_array(failed: list[tuple[str, str]]) -> np.ndarray:
    return np.array([f"{p}: {r}" for p, r in failed], dtype=str)


class PartialState:
    """Finished batches of a single-output run, kept on disk until the result is assembled."""

    def __init__(self, output: Path, sig: str, resume: bool):
        self.dir = output.with_name(output.name + ".partial")
        self.sig = sig
        state = self.dir / "state.json"
        if self.dir.exists():
            previous = None
            try:
                previous = json.loads(state.read_text()).get("signature")
            except (OSError, ValueError):
                pass
            if resume and previous is not None and previous != sig:
                raise ValueError(f"the partial results in {self.dir} come from a run with "
                                 f"different inputs or settings; rerun without --resume to "
                                 f"discard them")
            if not resume or previous is None:
                self.discard()
        self.dir.mkdir(parents=True, exist_ok=True)
        if not state.exists():
            atomic_write_bytes(state, json.dumps({"signature": sig}).encode())

    def _path(self, index: int) -> Path:
        return self.dir / f"batch-{index:06d}.npz"

    def load(self, index: int, paths: list[str]) -> BatchResult | None:
        """The stored result of batch ``index`` if it covers exactly ``paths``."""
        path = self._path(index)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                files = [str(f) for f in z["files"]]
                failed = [tuple(str(s).split(": ", 1)) for s in z["failed"]]
                if sorted(files + [f for f, _ in failed]) != sorted(paths):
                    return None
                return BatchResult(index, files, list(z["coefficients"]),
                                   [int(r) for r in z["sample_rate"]], failed)
        except (OSError, ValueError, KeyError):
            return None  # a damaged batch is simply recomputed

    def save(self, result: BatchResult) -> None:
        if result.coefficients:
            coefs = np.stack(result.coefficients)
        else:
            coefs = np.zeros((0,), dtype=np.float32)
        data = npz_bytes({"files": np.array(result.files, dtype=str), "coefficients": coefs,
                          "sample_rate": np.array(result.rates, dtype=np.int64),
                          "failed": failed_array(result.failed)})
        if not atomic_write_bytes(self._path(result.index), data):
            raise OSError(f"cannot write partial results to {self.dir}")

    def assemble(self, output: Path, indices: list[int], n_files: int, row_shape, dtype,
                 extra: dict, compress: bool) -> None:
        """Write ``output`` from the stored batches, in batch order, one batch in memory."""
        files, rates = [], []
        for i in indices:
            with np.load(self._path(i), allow_pickle=False) as z:
                files += [str(f) for f in z["files"]]
                rates += [int(r) for r in z["sample_rate"]]

        def chunks():
            for i in indices:
                with np.load(self._path(i), allow_pickle=False) as z:
                    if len(z["files"]):
                        yield z["coefficients"]

        arrays = {"coefficients": Streamed((n_files,) + tuple(row_shape), dtype, chunks()),
                  "files": np.array(files, dtype=str),
                  "sample_rate": np.array(rates, dtype=np.int64), **extra}
        write_npz(output, arrays, compress=compress)

    def discard(self) -> None:
        """Remove the partial directory (only the files this module writes)."""
        if not self.dir.exists():
            return
        for path in list(self.dir.glob(_BATCH_GLOB)) + [self.dir / "state.json"]:
            path.unlink(missing_ok=True)
        for path in self.dir.glob(".*.tmp"):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # something else lives there: leave it
            self.dir.rmdir()


def write_single_file(path: Path, coefficients: np.ndarray, file: str, rate: int,
                      extra: dict, compress: bool) -> None:
    """One per-file output (atomic)."""
    write_npz(path, {"coefficients": coefficients, "file": np.array(file),
                     "sample_rate": np.array(rate, dtype=np.int64), **extra}, compress=compress)

