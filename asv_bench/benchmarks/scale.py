"""Scale benchmarks: each transform over sizes, batch 1 and a large batch (numba backend).

Parameters: ``dim`` (1, 2, 3), ``size`` (a level: ``s``, ``m``, ``l``, ``xl``; the shapes are in
``SIZES``) and ``batch`` (``1`` or ``large``: ``min(256, 2**24 // signal values)``, see
``numbascat.scale_sweep``). Transform parameters are those of ``numbascat bench --scale``
(1D ``J = min(log2 N - 2, 16)``, ``Q = 8``; 2D ``J = 3``, ``L = 8``; 3D ``J = 2``, ``L = 2``).

Levels above ``NUMBASCAT_ASV_SCALE`` (default ``m``) are skipped, so that a default
``asv run --quick`` stays short; ``NUMBASCAT_ASV_SCALE=xl asv run ...`` runs every size. The
parameter grid is the same either way, so results of both kinds of run compare.

- ``ScaleSteady.time_steady``: one forward pass of a warm transform (built and run once in
  setup); ``ScaleSteady.peakmem_steady``: peak RSS of that process.
- ``ScaleFirstCall.track_first_call``: construction + first forward in a fresh process with an
  empty numbascat cache (``numbascat.scale_bench.run_point``); ``track_fresh_peak_rss``: that
  process's peak RSS.
"""
import contextlib
import importlib
import os

LEVELS = ["s", "m", "l", "xl"]
SIZES = {
    1: {"s": (2 ** 10,), "m": (2 ** 14,), "l": (2 ** 18,), "xl": (2 ** 22,)},
    2: {"s": (32, 32), "m": (128, 128), "l": (512, 512), "xl": (2048, 2048)},
    3: {"s": (32,) * 3, "m": (64,) * 3, "l": (128,) * 3, "xl": (256,) * 3},
}
PARAMS = ([1, 2, 3], LEVELS, ["1", "large"])
PARAM_NAMES = ("dim", "size", "batch")
BACKEND = "numba"
_CASE = {}  # one warm transform per process: asv runs each parameter set in its own process


def _point(dim, size, batch):
    """The ``numbascat.scale_sweep.Point`` of a parameter set; NotImplementedError to skip."""
    limit = os.environ.get("NUMBASCAT_ASV_SCALE", "m").strip().lower() or "m"
    if limit not in LEVELS:
        raise ValueError(f"NUMBASCAT_ASV_SCALE must be one of {', '.join(LEVELS)}, "
                         f"got {limit!r}")
    if LEVELS.index(size) > LEVELS.index(limit):
        raise NotImplementedError(f"size level {size!r} is above NUMBASCAT_ASV_SCALE={limit!r}")
    try:
        sweep = importlib.import_module("numbascat.scale_sweep")
    except ImportError as exc:
        raise NotImplementedError(f"this numbascat has no scale sweep: {exc}") from exc
    shape = SIZES[dim][size]
    n = 1 if batch == "1" else sweep.large_batch(shape)
    if n < 2 and batch == "large":
        raise NotImplementedError(f"no large batch within the value cap for {shape}")
    return sweep.Point(dim, shape, n, batch, sweep.default_params(dim, shape))


class ScaleSteady:
    """Forward time and process peak RSS of a warm transform."""

    params = PARAMS
    param_names = PARAM_NAMES
    number = 1
    repeat = (2, 10, 60.0)
    warmup_time = 0  # the warm-up forward runs in setup
    timeout = 1800

    def setup(self, dim, size, batch):
        point = _point(dim, size, batch)
        key = (dim, size, batch)
        if key not in _CASE:
            import numpy as np

            import numbascat.numpy as frontend

            _CASE.clear()
            signal = point.shape[0] if dim == 1 else point.shape
            transform = getattr(frontend, point.transform)(shape=signal, backend=BACKEND,
                                                           **point.params)
            x = np.random.default_rng(0).standard_normal((point.batch, *point.shape),
                                                         dtype=np.float32)
            # Filters, JIT, FFT plans, on the backend itself: the warm-up stand-in (small
            # first calls on the numpy reference, numbascat >= this suite's version) ends.
            own = getattr(importlib.import_module("numbascat.transform"), "own_backend",
                          contextlib.nullcontext)
            with own():
                transform(x)
            _CASE[key] = (transform, x)
        self.transform, self.x = _CASE[key]

    def time_steady(self, dim, size, batch):
        self.transform(self.x)

    def peakmem_steady(self, dim, size, batch):
        self.transform(self.x)


class ScaleFirstCall:
    """Construction + first forward, and peak RSS, of a fresh process (empty numbascat cache;
    the numba JIT cache on disk stays warm)."""

    params = PARAMS
    param_names = PARAM_NAMES
    timeout = 1800

    def setup(self, dim, size, batch):
        self.point = _point(dim, size, batch)
        self.bench = importlib.import_module("numbascat.scale_bench")

    def _run(self):
        engine = self.bench.numbascat_engine(BACKEND)
        row = self.bench.run_point(engine, self.point, timeout_s=self.timeout - 60,
                                   steady_seconds=0.0, min_calls=2, max_calls=2)
        if row["status"] != "ok":
            raise RuntimeError(f"{self.point.label} batch {self.point.batch}: {row['status']} "
                               f"({row['note']})")
        return row

    def track_first_call(self, dim, size, batch):
        return self._run()["first_s"]

    track_first_call.unit = "seconds"

    def track_fresh_peak_rss(self, dim, size, batch):
        return self._run()["peak_rss"]

    track_fresh_peak_rss.unit = "bytes"

