"""Benchmark workloads and measurements, shared by the asv suite and ``numbascat bench``.

A *workload* (``numbascat/data/workloads.json``, a copy of the project's reference list) names a
transform, its parameters and a batch for CPU and for GPU runs. An *engine* is what is timed: a
backend reached through the frontend that fits it (``numpy`` and ``numba`` through the numpy
frontend, ``torch`` through the torch frontend on CPU tensors (calls without autograd run on the
numba engine there), ``torch-ops`` the same on torch's operators (as calls that need a gradient
run), ``torch-cuda`` on CUDA tensors,
``numba_cuda`` on CUDA tensors when torch has CUDA, else on numpy arrays copied in and out,
``jax`` and ``tensorflow`` through their own frontends on CPU).

A :class:`Case` is one built transform with its input, already run once (filters prepared, numba
kernels compiled, FFT plans made, jax traced), so that timing it measures only the forward pass.
Calls on a GPU engine synchronise the device, and jax calls wait for their result, before
returning.

The *FFT floor* is the time of only the FFTs a traversal performs, replayed with
``numbascat.fft_floor.record_ffts`` for the numba backend (alternating with forward calls);
elsewhere it is reported as missing.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BATCH_KINDS",
    "ENGINES",
    "BenchmarkUnavailable",
    "Case",
    "Engine",
    "FreshFilterCache",
    "Measurement",
    "Workload",
    "build_case",
    "check_available",
    "construct",
    "fft_floor_replay",
    "get_engine",
    "get_workload",
    "load_workloads",
    "measure",
    "time_calls",
    "time_with_floor",
]

BATCH_KINDS = ("cpu", "gpu")
#: Backends whose FFT floor is measured: fft_floor replays the numba backend's own pyFFTW plans;
#: for other backends the replay would not synchronise a GPU or match their FFT batching.
FLOOR_BACKENDS = ("numba",)
_DIMS = {"Scattering1D": 1, "Scattering2D": 2, "HarmonicScattering3D": 3,
         "TimeFrequencyScattering": 1}
#: Kymatio versions a workload is compared with ("peer" in workloads.json).
PEERS = ("kymatio", "kymatio-main")


class BenchmarkUnavailable(NotImplementedError):
    """This engine or transform cannot run here (asv reports a NotImplementedError as skipped)."""


# ---------------------------------------------------------------------------------- workloads
@dataclass(frozen=True)
class Workload:
    """One reference workload: ``transform(**params)`` on float32 noise ``(*batch, *shape)``."""

    name: str
    transform: str  # class name: Scattering1D, Scattering2D, HarmonicScattering3D, ...
    params: dict = field(hash=False)
    cpu_batch: tuple[int, ...] = ()
    gpu_batch: tuple[int, ...] = ()
    peer: str = "kymatio"  # Kymatio 0.3.0, or "kymatio-main" (its development head: JTFS)

    @classmethod
    def from_dict(cls, d: dict) -> Workload:
        if d.get("transform") not in _DIMS:
            raise ValueError(f"workload {d.get('name')!r}: transform must be one of "
                             f"{', '.join(_DIMS)}, got {d.get('transform')!r}")
        peer = d.get("peer", "kymatio")
        if peer not in PEERS:
            raise ValueError(f"workload {d.get('name')!r}: peer must be one of "
                             f"{', '.join(PEERS)}, got {peer!r}")
        return cls(str(d["name"]), d["transform"], dict(d["params"]),
                   tuple(int(n) for n in d["cpu_batch"]), tuple(int(n) for n in d["gpu_batch"]),
                   peer)

    def to_dict(self) -> dict:
        out = {"name": self.name, "transform": self.transform, "params": self.params,
               "cpu_batch": list(self.cpu_batch), "gpu_batch": list(self.gpu_batch)}
        if self.peer != "kymatio":
            out["peer"] = self.peer
        return out

    @property
    def ndim(self) -> int:
        """Signal dimension: 1, 2 or 3."""
        return _DIMS[self.transform]

    @property
    def signal_shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in np.atleast_1d(self.params["shape"]))

    def kwargs(self) -> dict:
        """Constructor keyword arguments (``shape`` as a tuple, or an int for 1D)."""
        kw = dict(self.params)
        if isinstance(kw.get("shape"), list):
            kw["shape"] = tuple(kw["shape"])
        return kw

    def batch(self, kind: str) -> tuple[int, ...]:
        """The batch shape for ``kind`` ('cpu' or 'gpu')."""
        if kind not in BATCH_KINDS:
            raise ValueError(f"batch kind must be one of {BATCH_KINDS}, got {kind!r}")
        return self.cpu_batch if kind == "cpu" else self.gpu_batch

    def make_input(self, kind: str, seed: int = 0) -> np.ndarray:
        """Float32 standard normal noise of shape ``(*batch, *signal_shape)``."""
        shape = self.batch(kind) + self.signal_shape
        return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)

    def throughput(self, seconds: float, kind: str) -> tuple[float, str]:
        """Signals per second (1D, 3D) or megapixels per second (2D) at ``seconds`` per call."""
        signals = int(np.prod(self.batch(kind), dtype=np.int64))
        if self.ndim == 2:
            return signals * int(np.prod(self.signal_shape)) / 1e6 / seconds, "MPix/s"
        return signals / seconds, "signals/s"


@functools.lru_cache(maxsize=4)
def load_workloads(path: str | None = None) -> dict[str, Workload]:
    """The workloads by name, from ``path`` or the copy shipped in ``numbascat/data``."""
    if path is None:
        text = resources.files("numbascat").joinpath("data", "workloads.json").read_text()
    else:
        text = Path(path).read_text()
    return {w["name"]: Workload.from_dict(w) for w in json.loads(text)["workloads"]}


def get_workload(name: str) -> Workload:
    workloads = load_workloads()
    if name not in workloads:
        raise ValueError(f"unknown workload {name!r}; known workloads: {', '.join(workloads)}")
    return workloads[name]


# ---------------------------------------------------------------------------------- engines
@dataclass(frozen=True)
class Engine:
    """A backend reached through one frontend on one device."""

    name: str
    backend: str
    frontend: str  # 'numpy', 'torch', 'jax' or 'tensorflow'
    device: str  # 'cpu' or 'cuda'

    @property
    def default_batch(self) -> str:
        return "gpu" if self.device == "cuda" else "cpu"


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("numpy", "numpy", "numpy", "cpu"),
    Engine("numba", "numba", "numpy", "cpu"),
    Engine("torch", "torch", "torch", "cpu"),
    Engine("torch-ops", "torch", "torch", "cpu"),
    Engine("torch-cuda", "torch", "torch", "cuda"),
    Engine("numba_cuda", "numba_cuda", "torch", "cuda"),
    Engine("jax", "jax", "jax", "cpu"),
    Engine("tensorflow", "tensorflow", "tensorflow", "cpu"),
)}


def get_engine(name: str) -> Engine:
    if name not in ENGINES:
        raise ValueError(f"unknown backend {name!r} for benchmarks; choose from "
                         f"{', '.join(ENGINES)}")
    return ENGINES[name]


def _torch_cuda_reason() -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    return None if torch.cuda.is_available() else "torch sees no CUDA device"


def _frontend_and_device(engine: Engine) -> tuple[str, str]:
    """The frontend and device actually used; numba_cuda falls back to numpy arrays."""
    if engine.name == "numba_cuda" and _torch_cuda_reason() is not None:
        return "numpy", "cuda"
    return engine.frontend, engine.device


def check_available(engine: Engine, workload: Workload) -> None:
    """Raise :class:`BenchmarkUnavailable` (with the reason) if ``engine`` cannot run here."""
    from numbascat.registry import BackendNotFoundError, BackendUnavailableError, get_backend

    try:
        backend = get_backend(engine.backend)
    except (BackendUnavailableError, BackendNotFoundError) as exc:
        raise BenchmarkUnavailable(str(exc)) from exc
    if workload.ndim not in backend.info.dims:
        raise BenchmarkUnavailable(f"backend {engine.backend!r} does not serve "
                                   f"{workload.ndim}D transforms")
    frontend, device = _frontend_and_device(engine)
    if device == "cuda" and frontend == "torch" and (reason := _torch_cuda_reason()):
        raise BenchmarkUnavailable(f"engine {engine.name!r} needs CUDA: {reason}")


def construct(workload: Workload, engine: Engine) -> Any:
    """Build ``workload``'s transform for ``engine`` (the constructor benchmarks time this)."""
    frontend, device = _frontend_and_device(engine)
    try:
        module = importlib.import_module(f"numbascat.{frontend}")
    except ImportError as exc:
        raise BenchmarkUnavailable(f"the {frontend} frontend cannot be imported: {exc}") from exc
    try:
        transform = getattr(module, workload.transform)(backend=engine.backend,
                                                        **workload.kwargs())
    except NotImplementedError as exc:  # a transform not written yet
        raise BenchmarkUnavailable(f"{workload.transform}: {exc}") from exc
    if frontend == "torch" and device == "cuda":
        transform = transform.to("cuda")
    if engine.name == "torch-ops":
        transform.cpu_engine = "torch"  # torch's operators, as calls that need a gradient
    return transform


def _synchronize() -> None:
    """Wait for queued GPU work (torch, CuPy, numba.cuda), so it is inside the timing."""
    if "torch" in sys.modules:
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
    if "cupy" in sys.modules:
        import cupy

        cupy.cuda.get_current_stream().synchronize()
    if "numba.cuda" in sys.modules:
        from numba import cuda

        if cuda.is_available():
            cuda.synchronize()


@dataclass
class Case:
    """A built transform and its input, ready to be timed (see :func:`build_case`)."""

    workload: Workload
    engine: Engine
    batch_kind: str
    transform: Any
    x: Any  # the input in the engine's array world
    x_numpy: np.ndarray
    note: str = ""

    def run(self) -> Any:
        """One forward pass (no autograd), finished before returning; returns the output."""
        frontend = self.engine.frontend
        if frontend == "torch" and not isinstance(self.x, np.ndarray):
            import torch

            with torch.no_grad():
                out = self.transform(self.x)
        else:
            out = self.transform(self.x)
        if frontend == "jax":  # jax dispatches asynchronously, even on CPU
            import jax

            out = jax.block_until_ready(out)
        if self.engine.device == "cuda":
            _synchronize()
        return out


def build_case(workload: Workload | str, engine: Engine | str, batch_kind: str | None = None,
               warmup: bool = True, seed: int = 0) -> Case:
    """Build and (by default) warm up a case; :class:`BenchmarkUnavailable` if it cannot run.

    The warm-up call prepares filters, compiles numba kernels and plans FFTs, so none of that
    lands in a timed call.
    """
    workload = get_workload(workload) if isinstance(workload, str) else workload
    engine = get_engine(engine) if isinstance(engine, str) else engine
    batch_kind = batch_kind or engine.default_batch
    check_available(engine, workload)
    transform = construct(workload, engine)
    x_numpy = workload.make_input(batch_kind, seed)
    frontend, device = _frontend_and_device(engine)
    x: Any = x_numpy
    note = ""
    if frontend == "torch":
        import torch

        x = torch.from_numpy(x_numpy).to("cuda" if device == "cuda" else "cpu")
    elif frontend == "jax":
        import jax.numpy as jnp

        x = jnp.asarray(x_numpy)
    elif frontend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x_numpy)
    elif device == "cuda":
        note = "numpy arrays in/out: host-device copies are timed"
    case = Case(workload, engine, batch_kind, transform, x, x_numpy, note)
    if warmup:
        from numbascat.transform import own_backend

        with own_backend():  # loads the backend itself (numba: past its warm-up stand-in)
            case.run()
    return case


# ---------------------------------------------------------------------------------- timing
def time_calls(fn, repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``fn``."""
    if int(repeat) < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat!r}")
    times = []
    for _ in range(int(repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def fft_floor_replay(case: Case, cold: bool = False) -> tuple[Any, str | None]:
    """``(replay, None)``: a callable running only the FFTs of one forward pass of ``case``
    (``numbascat.fft_floor.record_ffts``; ``cold``: on data out of cache), warmed up;
    ``(None, why)`` where there is none."""
    if case.engine.backend not in FLOOR_BACKENDS:
        return None, (f"no FFT floor for backend {case.engine.backend!r} (measured for "
                      f"{', '.join(FLOOR_BACKENDS)})")
    try:
        from numbascat.fft_floor import record_ffts
    except ModuleNotFoundError as exc:
        if exc.name not in ("numbascat.fft_floor", "numbascat"):
            raise
        return None, "numbascat.fft_floor is not available in this version"
    _, replay = record_ffts(case.transform, case.x, cold)
    replay()
    return replay, None


def time_with_floor(case: Case, repeat: int, floor: bool | str = True
                    ) -> tuple[list[float], list[float] | None, str | None]:
    """Forward times, FFT-floor times (or None) and why there is no floor.

    ``floor``: True or ``"warm"`` for the warm FFT floor, ``"cold"`` for the cold one (see
    :mod:`numbascat.fft_floor`), False for none.

    Forward calls and FFT replays alternate, so that both see the same machine load and their
    ratio stays meaningful on a busy machine.
    """
    if floor not in (True, False, "warm", "cold"):
        raise ValueError(f"floor must be True, False, 'warm' or 'cold', got {floor!r}")
    replay, why = (fft_floor_replay(case, cold=floor == "cold") if floor
                   else (None, "floor not requested"))
    forward, floor_times = [], []
    for _ in range(int(repeat)):
        forward += time_calls(case.run, 1)
        if replay is not None:
            floor_times += time_calls(replay, 1)
    return forward, (floor_times if replay is not None else None), why


@dataclass
class Measurement:
    """Median forward time of one workload on one engine, with throughput and FFT floor."""

    workload: str
    engine: str
    batch: tuple[int, ...]
    median_s: float
    times_s: list[float]
    throughput: float
    throughput_unit: str
    floor_s: float | None = None
    note: str = ""

    @property
    def floor_ratio(self) -> float | None:
        """Forward time over FFT floor (>= 1; lower is better), or None without a floor."""
        return None if not self.floor_s else self.median_s / self.floor_s

    def to_dict(self) -> dict:
        return {**asdict(self), "batch": list(self.batch), "floor_ratio": self.floor_ratio}


def measure(workload: Workload | str, engine: Engine | str, batch_kind: str | None = None,
            repeat: int = 5, floor: bool | str = True) -> Measurement:
    """Build, warm up and time one case: median of ``repeat`` calls and the FFT floor
    (``floor``: see :func:`time_with_floor`)."""
    if int(repeat) < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat!r}")
    from numbascat.transform import own_backend

    with own_backend():  # the backend itself, never its warm-up stand-in
        case = build_case(workload, engine, batch_kind)
        times, floor_times, why = time_with_floor(case, repeat, floor)
    median = statistics.median(times)
    value, unit = case.workload.throughput(median, case.batch_kind)
    floor_s = statistics.median(floor_times) if floor_times else None
    note = case.note
    if floor_s is None and case.engine.backend == "numba" and why:
        note = "; ".join(filter(None, [note, why]))
    return Measurement(case.workload.name, case.engine.name, case.workload.batch(case.batch_kind),
                       median, times, value, unit, floor_s, note)


# ---------------------------------------------------------------------------------- filter cache
class FreshFilterCache:
    """Point ``NUMBASCAT_CACHE`` at a new empty directory and empty the in-memory filter cache.

    Use as a context manager or with :meth:`start` / :meth:`stop`; ``stop`` restores the previous
    value and deletes the directory.
    """

    def __init__(self):
        self.path: str | None = None
        self._previous: str | None = None

    def start(self) -> FreshFilterCache:
        from numbascat.cache import clear_memory_cache

        self._previous = os.environ.get("NUMBASCAT_CACHE")
        self.path = tempfile.mkdtemp(prefix="numbascat-bench-cache-")
        os.environ["NUMBASCAT_CACHE"] = self.path
        clear_memory_cache()
        return self

    def stop(self) -> None:
        if self.path is None:
            return
        if self._previous is None:
            os.environ.pop("NUMBASCAT_CACHE", None)
        else:
            os.environ["NUMBASCAT_CACHE"] = self._previous
        shutil.rmtree(self.path, ignore_errors=True)
        self.path = None

    def __enter__(self) -> FreshFilterCache:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
