"""Forward time, constructor time, peak memory and FFT-floor ratio of every workload x backend.

Parameters: ``workload`` (names from ``numbascat/data/workloads.json``) and ``backend`` (an
engine of :mod:`numbascat.benchmarking`: numpy, numba, torch, torch-cuda, numba_cuda, jax,
tensorflow). A backend that cannot run here, or a transform not written yet, raises
``NotImplementedError`` in ``setup`` and asv reports it as skipped.

JIT compilation, filter preparation and FFT planning happen in ``setup`` (one warm-up forward);
the built case is kept for the process, because asv re-runs ``setup`` before every sample.
GPU engines synchronise the device inside each timed call.
"""
import importlib

from ._workloads import ENGINE_NAMES, WORKLOAD_NAMES

PARAMS = (WORKLOAD_NAMES, ENGINE_NAMES)
PARAM_NAMES = ("workload", "backend")

# One warm case per process: (workload, backend) -> Case. asv runs each parameter combination
# in its own process, so this holds at most one transform.
_CASES = {}


def _benchmarking():
    """``numbascat.benchmarking`` of the commit under test (skip commits that predate it)."""
    try:
        return importlib.import_module("numbascat.benchmarking")
    except ImportError as exc:
        raise NotImplementedError(f"this numbascat has no benchmarking module: {exc}") from exc


def _warm_case(workload, backend):
    key = (workload, backend)
    if key not in _CASES:
        _CASES.clear()
        _CASES[key] = _benchmarking().build_case(workload, backend, warmup=True)
    return _CASES[key]


class Forward:
    """One forward pass on the workload's batch (cpu_batch, or gpu_batch on GPU backends)."""

    params = PARAMS
    param_names = PARAM_NAMES
    number = 1  # one call per sample: calls take milliseconds to seconds
    repeat = (3, 20, 30.0)  # at least 3 samples, stop after 30 s
    warmup_time = 0  # the warm-up forward runs in setup
    timeout = 900

    def setup(self, workload, backend):
        self.case = _warm_case(workload, backend)

    def time_forward(self, workload, backend):
        self.case.run()

    def peakmem_forward(self, workload, backend):
        # Peak RSS of the process: imports, filters and one forward pass.
        self.case.run()


class _Constructor:
    """Shared setup of the constructor benchmarks: a fresh, empty filter cache per sample."""

    params = PARAMS
    param_names = PARAM_NAMES
    number = 1  # setup (a fresh empty cache) runs before every timed call
    repeat = (3, 10, 30.0)
    warmup_time = 0
    timeout = 900

    def setup(self, workload, backend):
        bench = _benchmarking()
        self.workload, self.engine = bench.get_workload(workload), bench.get_engine(backend)
        bench.check_available(self.engine, self.workload)  # also imports the backend
        self.construct = bench.construct
        self.cache = bench.FreshFilterCache().start()

    def teardown(self, workload, backend):
        if getattr(self, "cache", None) is not None:  # None when setup skipped
            self.cache.stop()


class ConstructorCold(_Constructor):
    """Construction with an empty filter cache (memory and disk): filters are built."""

    def time_constructor_cold(self, workload, backend):
        self.construct(self.workload, self.engine)


class ConstructorWarm(_Constructor):
    """Construction with the filters on disk but not in memory (a new process, cache filled)."""

    def setup(self, workload, backend):
        super().setup(workload, backend)
        self.construct(self.workload, self.engine)  # fills the disk cache
        from numbascat.cache import clear_memory_cache

        clear_memory_cache()

    def time_constructor_warm(self, workload, backend):
        self.construct(self.workload, self.engine)


class FFTFloor:
    """Forward time over the time of its FFTs alone (>= 1; lower is better).

    Forward calls and FFT replays alternate and each side keeps its fastest run: load from
    other processes only adds time, so this is the steadiest ratio on a shared machine.
    """

    params = PARAMS
    param_names = PARAM_NAMES
    unit = "ratio"
    timeout = 900
    calls = 7

    def setup(self, workload, backend):
        bench = _benchmarking()
        if bench.get_engine(backend).backend not in bench.FLOOR_BACKENDS:
            raise NotImplementedError(f"no FFT floor for backend {backend!r}")
        self.case = _warm_case(workload, backend)
        self.bench = bench

    def track_fft_floor_ratio(self, workload, backend):
        forward, floor, why = self.bench.time_with_floor(self.case, self.calls)
        if floor is None:
            raise NotImplementedError(why)
        return min(forward) / min(floor)
