"""The work of ``numbascat scatter``: batches of files in, coefficients out.

:func:`process_batch` is a pure function of its arguments so that it runs the same in this
process and on a Dask worker; the transform comes from :func:`numbascat.dask.get_transform`,
which builds it once per process. Executors yield batch results as they complete.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from numbascat.dask import TransformSpec, get_transform
from numbascat.io.conform import LoadOptions, load
from numbascat.io.readers import ReadError

__all__ = ["BatchResult", "Recipe", "dask_executor", "local_executor", "process_batch"]

TRANSFORM_CLASSES = {1: "numbascat.numpy:Scattering1D", 2: "numbascat.numpy:Scattering2D",
                     3: "numbascat.numpy:HarmonicScattering3D"}
DEFAULT_J = {1: 6, 2: 2, 3: 2}
JTFS_CLASS = "numbascat.numpy:TimeFrequencyScattering"


@dataclass(frozen=True)
class Recipe:
    """Transform parameters without the signal shape; :meth:`spec` completes them.

    ``J`` None means the dimension's default, lowered so that ``2**J`` fits the signal.
    """

    dim: int
    J: int | None
    kwargs: tuple[tuple[str, object], ...]
    transform: str = "scattering"  # or "jtfs": joint time-frequency scattering (1D)

    def spec(self, shape: tuple[int, ...]) -> TransformSpec:
        J = self.J
        if J is None:
            J = max(1, min(DEFAULT_J[self.dim], int(math.log2(min(shape)))))
        sig = shape[0] if self.dim == 1 else tuple(shape)
        target = JTFS_CLASS if self.transform == "jtfs" else TRANSFORM_CLASSES[self.dim]
        return TransformSpec.make(target, J=J, shape=sig, **dict(self.kwargs))


@dataclass
class BatchResult:
    """What one batch gave: coefficients of the files read, and the failures."""

    index: int
    files: list[str] = field(default_factory=list)
    coefficients: list[np.ndarray] = field(default_factory=list)  # one (channels, *out) each
    rates: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    shapes: list[tuple[int, ...]] = field(default_factory=list)  # signal shape scattered


def process_batch(index: int, paths: list[str], recipe: Recipe, opts: LoadOptions,
                  target: tuple[int, ...] | None) -> BatchResult:
    """Read ``paths``, scatter them (stacked, one transform call per signal shape).

    A file that cannot be read, or whose transform fails, lands in ``failed`` with the reason.
    """
    result = BatchResult(index)
    groups: dict[tuple[int, ...], list[tuple[str, np.ndarray]]] = {}
    rates: dict[str, int] = {}
    for path in paths:
        try:
            data, rates[path] = load(path, opts, target)
        except (ReadError, OSError, ValueError) as exc:
            result.failed.append((path, str(exc)))
            continue
        groups.setdefault(tuple(data.shape), []).append((path, data))
    done: dict[str, tuple[np.ndarray, tuple[int, ...]]] = {}
    for shape, items in groups.items():
        try:
            transform = get_transform(recipe.spec(shape[1:]))
            coefs = transform(np.stack([data for _, data in items]))
        except (ValueError, RuntimeError, TypeError, MemoryError) as exc:
            result.failed.extend((path, f"transform failed: {exc}") for path, _ in items)
            continue
        for (path, _), coef in zip(items, coefs, strict=True):
            done[path] = coef, shape[1:]
    for path in paths:  # keep the input order
        if path in done:
            result.files.append(path)
            result.coefficients.append(done[path][0])
            result.shapes.append(done[path][1])
            result.rates.append(rates[path] or 0)
    return result


def local_executor(batches: list[tuple[int, list[str]]], recipe: Recipe, opts: LoadOptions,
                   target) -> Iterator[BatchResult]:
    """Run the batches one after the other in this process."""
    for index, paths in batches:
        yield process_batch(index, paths, recipe, opts, target)


def dask_executor(batches: list[tuple[int, list[str]]], recipe: Recipe, opts: LoadOptions,
                  target, scheduler: str | None = None, workers: int | None = None,
                  log=print) -> Iterator[BatchResult]:
    """Run the batches on a dask.distributed cluster, yielding results as they complete.

    ``scheduler`` is the address of a running scheduler; without it a LocalCluster of
    ``workers`` single-threaded processes is started (and closed at the end). Workers read the
    input files themselves, so they must see the same paths. At most two batches per worker
    are in flight, which bounds memory.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError("--dask needs dask.distributed; install it with "
                          "`pip install 'numbascat[dask]'`") from None
    cluster = None
    if scheduler is None:
        import os

        n = workers or max(1, min(os.cpu_count() or 1, 8))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        log(f"dask: started a LocalCluster of {n} worker processes")
    else:
        client = Client(scheduler)
        log(f"dask: connected to {scheduler}")
    try:
        n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        window = 2 * n_workers
        pending = iter(batches)
        futures = as_completed()
        for index, paths in pending:
            futures.add(client.submit(process_batch, index, paths, recipe, opts, target,
                                      pure=False))
            if futures.count() >= window:
                break
        for future in futures:
            yield future.result()
            future.release()
            nxt = next(pending, None)
            if nxt is not None:
                futures.add(client.submit(process_batch, nxt[0], nxt[1], recipe, opts, target,
                                          pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
