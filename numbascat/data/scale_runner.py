"""One point of the scale benchmark in a fresh process: imports, construction, first call, steady
calls and peak RSS, written as JSON to a result file after every phase.

    python scale_runner.py '{"library": "numbascat", "frontend": "numpy", "backend": "numba",
                             "transform": "Scattering1D", "params": {"J": 8, "Q": 8},
                             "shape": [1024], "batch": 1, "steady_seconds": 10,
                             "result_file": "/tmp/point.json"}'

``library`` is ``numbascat`` (``backend`` names its backend) or ``kymatio`` (Kymatio 0.3 in its
own interpreter: this file imports nothing from numbascat, so it runs where numbascat is not
installed). ``frontend`` is numpy, torch, jax or tensorflow. The parent
(``numbascat.scale_bench``) points ``NUMBASCAT_CACHE`` at an empty directory, watches this
process's resident memory and kills it above the memory limit or after the time limit; the
result file then still holds the phases that finished. Optional ``data_limit_bytes`` sets
RLIMIT_DATA, a backstop that turns a runaway allocation into a ``MemoryError`` here.

Result keys (seconds, bytes): ``import_s`` (the user's import line: the frontend module, and
torch / jax / tensorflow for those frontends), ``rss_after_imports``, ``construct_s``,
``first_s`` (the first forward call), ``standin_times_s`` (the calls after it that a numba
transform ran on its numpy stand-in, up to the one that loaded numba: see
:func:`standin_calls`), ``steady_times_s`` (the calls after those: the first of them is a
warm-up and is not in the median), ``steady_s``, ``peak_rss`` (VmHWM), ``phase``
(the last phase finished: imports, construct, first, steady, done) and ``error`` on failure.
"""
import json
import os
import resource
import statistics
import sys
import time
import traceback
import warnings


def _rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss_bytes():
    # The high-water mark of this process's own memory (VmHWM). Not ru_maxrss: Linux carries
    # the parent's peak into a child across fork and exec, so a child of a large process
    # (a test runner, a benchmark driver) would report the parent's peak as its own.
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class _Result:
    """The result dict, rewritten atomically so a killed process leaves a readable file."""

    def __init__(self, path):
        self.path, self.data = path, {"phase": "started"}

    def update(self, **values):
        self.data.update(values)
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as handle:
            json.dump(self.data, handle)
        os.replace(tmp, self.path)


def _protect_the_machine(data_limit):
    try:  # if memory runs out anyway, the kernel ends this process before any other
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    if data_limit:
        resource.setrlimit(resource.RLIMIT_DATA, (int(data_limit), int(data_limit)))


def _import(job):
    """Import what a user's script imports; return the transform class and the input maker."""
    library, frontend = job["library"], job["frontend"]
    module = __import__(f"{library}.{frontend}", fromlist=[job["transform"]])
    if library == "kymatio":  # its import sets warning filters to 'always'
        warnings.resetwarnings()
        warnings.simplefilter("ignore")
    cls = getattr(module, job["transform"])
    if frontend == "torch":
        import torch

        def convert(x):
            return torch.from_numpy(x)
    elif frontend == "jax":
        import jax.numpy as jnp

        def convert(x):
            return jnp.asarray(x)
    elif frontend == "tensorflow":
        import tensorflow as tf

        def convert(x):
            return tf.constant(x)
    else:
        def convert(x):
            return x
    return cls, convert


def _caller(job, transform, x):
    frontend = job["frontend"]
    if frontend == "torch":
        import torch

        def call():
            with torch.no_grad():
                return transform(x)
    elif frontend == "jax":
        import jax

        def call():  # jax dispatches asynchronously, even on CPU
            return jax.block_until_ready(transform(x))
    else:
        def call():
            return transform(x)
    return call


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def steady_calls(call, budget_s, min_calls=3, max_calls=20):
    """Times of calls after the first: at least 2 (a warm-up and one timed), at least
    ``min_calls`` unless the next call would overrun ``budget_s``, at most ``max_calls``."""
    times, start = [], time.perf_counter()
    while True:
        times.append(_timed(call))
        spent = time.perf_counter() - start
        if len(times) >= max_calls or (len(times) >= min_calls and spent >= budget_s):
            return times
        if len(times) >= 2 and spent + times[-1] > budget_s:
            return times


def standin_calls(call, job, cap_s=10.0):
    """Times of the calls a numba-backed transform runs on its numpy stand-in after the first
    call, up to and including the call that loads numba (the backend's warm-up: at most 0.5 s
    of stand-in calls, then the load), so that the steady calls measure the steady state.
    Empty where the first call already loaded numba or the backend is another."""
    lazy_jit = sys.modules.get("numbascat.backends.lazy_jit")
    if job["library"] != "numbascat" or lazy_jit is None:
        return []
    times, start = [], time.perf_counter()
    while not lazy_jit.kernels_loaded() and time.perf_counter() - start < cap_s:
        times.append(_timed(call))
    return times


def run_point(job):
    result = _Result(job["result_file"])
    _protect_the_machine(job.get("data_limit_bytes"))
    try:
        start = time.perf_counter()
        cls, convert = _import(job)
        import numpy as np

        result.update(phase="imports", import_s=time.perf_counter() - start,
                      rss_after_imports=_rss_bytes(), maxrss_after_imports=_maxrss_bytes())
        shape = (int(job["batch"]), *(int(n) for n in job["shape"]))
        rng = np.random.default_rng(int(job.get("seed", 0)))
        x = convert(rng.standard_normal(shape, dtype=np.float32))
        kwargs = dict(job["params"])
        signal = tuple(int(n) for n in job["shape"])
        kwargs["shape"] = signal[0] if len(signal) == 1 else signal
        if job["library"] == "numbascat":
            kwargs["backend"] = job["backend"]
        start = time.perf_counter()
        transform = cls(**kwargs)
        result.update(phase="construct", construct_s=time.perf_counter() - start)
        call = _caller(job, transform, x)
        result.update(phase="first", first_s=_timed(call))
        result.update(standin_times_s=standin_calls(call, job))
        times = steady_calls(call, float(job.get("steady_seconds", 10.0)),
                             int(job.get("min_calls", 3)), int(job.get("max_calls", 20)))
        result.update(phase="steady", steady_times_s=times,
                      steady_s=statistics.median(times[1:] if len(times) > 1 else times))
        versions = {"python": sys.version.split()[0]}
        for name in (job["library"], "numpy", "scipy", "torch", "jax", "tensorflow"):
            if name in sys.modules:
                versions[name] = getattr(sys.modules[name], "__version__", "?")
        result.update(phase="done", peak_rss=_maxrss_bytes(), versions=versions)
    except MemoryError as exc:  # the RLIMIT_DATA backstop, or a real shortage
        result.update(error=f"MemoryError: {exc}", memory_error=True, peak_rss=_maxrss_bytes())
        return 3
    except Exception as exc:  # reported as this point's result, not a crash of the sweep
        lines = traceback.format_exception_only(type(exc), exc)
        result.update(error="".join(lines).strip()[-400:], peak_rss=_maxrss_bytes())
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(run_point(json.loads(sys.argv[1])))
