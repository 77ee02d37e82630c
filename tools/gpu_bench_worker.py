"""Time workloads on one engine and print one JSON line per workload (a child of gpu_check.py).

    python tools/gpu_bench_worker.py JOB.json

JOB keys: ``engine`` (``numba_cuda``, ``torch-cuda`` or ``kymatio-torch``), ``workloads`` (entries
of ``workloads.json``), ``batch_kind`` ('gpu' or 'cpu'), ``device`` ('cuda', or 'cpu' in a
rehearsal), ``repeat`` (timed calls at most), ``budget_s`` (seconds of timed calls per workload:
fewer calls, never under 3, for slow ones), ``save_dir`` (where the first signal's output goes,
for the cross-engine comparison).

Before each workload the worker prints ``START <name>``, after it ``RESULT <json>`` (flushed), so
the parent can bound every workload with its own timeout and start a new worker for the rest.

Timing: one warm-up call in ``build`` (filters, kernel compilation, FFT plans), one more, then
calls bracketed by device synchronisations (wall clock) and, where torch has CUDA, CUDA events on
torch's current stream. The median is reported.

``kymatio-torch`` imports nothing from numbascat (it runs in the Kymatio peer's interpreter).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np


# ---------------------------------------------------------------------------------- sync
def synchronize() -> None:
    """Wait for queued device work of torch, CuPy and numba.cuda (whichever is loaded)."""
    if "torch" in sys.modules:
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
    if "cupy" in sys.modules:
        import cupy

        if cupy.cuda.is_available():
            cupy.cuda.get_current_stream().synchronize()
    if "numba.cuda" in sys.modules:
        from numba import cuda

        if cuda.is_available():
            cuda.synchronize()


def host_copy(a) -> np.ndarray:
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):
        return a.get()
    return np.asarray(a)


# ---------------------------------------------------------------------------------- traffic
def _nbytes(obj) -> int:
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(o) for o in obj.values())
    n = getattr(obj, "nbytes", None)
    if isinstance(n, (int, np.integer)):
        return int(n)
    inner = getattr(obj, "data", None)  # prepared filter stacks (numba_cuda CudaFilters)
    if inner is not None and inner is not obj and not isinstance(inner, memoryview):
        n = getattr(inner, "nbytes", None)
        if isinstance(n, (int, np.integer)):
            return int(n)
    return 0


_OPS = ("pad", "crop", "rfft", "irfft", "fft", "ifft", "to_full_spectrum", "multiply",
        "subsample", "real", "modulus", "sum_powers", "multiply_subsample", "lowpass_irfft",
        "ifft_modulus", "ifft_modulus_rfft", "quadrature_modulus", "wavelet_quadrature",
        "concatenate", "take", "assemble", "write_channels", "output_array")


def count_traffic(backend, call) -> dict:
    """Run ``call()`` with ``backend``'s operators counted: leaf calls (those that call no other
    operator) add the bytes of their array operands and results. A lower bound of the memory
    traffic: each leaf reads its inputs and writes its outputs once."""
    stack: list[list] = []
    totals = {"bytes": 0, "leaf_calls": 0, "calls": 0}
    saved = {}

    def wrap(name, fn):
        def counted(*args, **kwargs):
            stack.append([False])
            if len(stack) > 1:
                stack[-2][0] = True
            try:
                result = fn(*args, **kwargs)
            finally:
                had_children = stack.pop()[0]
            totals["calls"] += 1
            if not had_children:
                totals["leaf_calls"] += 1
                totals["bytes"] += _nbytes(args) + _nbytes(kwargs) + _nbytes(result)
            return result
        return counted

    for name in _OPS:
        fn = getattr(backend, name, None)
        if callable(fn):
            saved[name] = vars(backend).get(name)
            setattr(backend, name, wrap(name, fn))
    try:
        call()
    finally:
        for name, own in saved.items():
            if own is None:
                delattr(backend, name)
            else:
                setattr(backend, name, own)
    return totals


# ---------------------------------------------------------------------------------- cases
def numbascat_case(engine: str, workload: dict, batch_kind: str, device: str):
    from numbascat.benchmarking import Workload, build_case

    w = Workload.from_dict(workload)
    if engine == "torch-cuda" and device != "cuda":
        engine = "torch"  # rehearsal: torch on the CPU stands in
    case = build_case(w, engine, batch_kind)

    def enqueue():  # the call alone, no synchronisation: host-side (launch) time
        import torch

        with torch.no_grad():
            return case.transform(case.x)

    return case.run, enqueue, case.transform.backend, case.x_numpy.nbytes, case.note


def kymatio_case(workload: dict, batch_kind: str, device: str):
    import torch

    shape = workload["params"]["shape"]
    params = dict(workload["params"], shape=tuple(shape) if isinstance(shape, list) else shape)
    batch = workload["gpu_batch" if batch_kind == "gpu" else "cpu_batch"]
    signal = tuple(shape) if isinstance(shape, list) else (shape,)
    x = np.random.default_rng(0).standard_normal(tuple(batch) + signal).astype(np.float32)
    module = __import__("kymatio.torch", fromlist=[workload["transform"]])
    warnings.resetwarnings()  # Kymatio sets 'always' filters; keep its chatter out of the log
    warnings.simplefilter("ignore")
    S = getattr(module, workload["transform"])(**params).to(device)
    xt = torch.from_numpy(x).to(device)

    def enqueue():
        with torch.no_grad():
            return S(xt)

    def run():
        out = enqueue()
        synchronize()
        return out

    run()
    return run, enqueue, None, x.nbytes, ""


def enqueue_time(enqueue, calls: int = 3) -> float:
    """Median time for a call to return without waiting for the device (its host-side cost:
    Python, kernel launches). Close to the synchronised time: the host is the bottleneck."""
    times = []
    for _ in range(calls):
        synchronize()
        t0 = time.perf_counter()
        enqueue()
        times.append(time.perf_counter() - t0)
        synchronize()
    return statistics.median(times)


def count_launches(backend, call) -> dict:
    """numba_cuda kernel launches and FFT calls during ``call()`` (other backends: {})."""
    provider = getattr(backend, "provider", None)
    if provider is None or type(backend).__name__ != "NumbaCudaBackend":
        return {}
    from numbascat_plugins.numba_cuda import kernels

    counts = {"kernel_launches": 0, "fft_calls": 0}
    saved = {name: getattr(kernels, name) for name in ("launch", "launch_rows")}

    def counted(original):
        def launch(*args, **kwargs):
            counts["kernel_launches"] += 1
            return original(*args, **kwargs)
        return launch

    def counted_fft(original):
        def fft(*args, **kwargs):
            counts["fft_calls"] += 1
            return original(*args, **kwargs)
        return fft

    ffts = ("rfftn", "irfftn", "fftn", "ifftn")
    try:
        for name, fn in saved.items():
            setattr(kernels, name, counted(fn))
        for name in ffts:
            setattr(provider, name, counted_fft(getattr(provider, name)))
        call()
    finally:
        for name, fn in saved.items():
            setattr(kernels, name, fn)
        for name in ffts:
            vars(provider).pop(name, None)
    return counts


def time_case(run, repeat: int, budget_s: float) -> dict:
    """Median of synchronised wall-clock times (and CUDA event times where torch has CUDA)."""
    start = time.perf_counter()
    out = run()  # second warm-up, also sets how many calls fit the budget
    warm = time.perf_counter() - start
    calls = int(max(3, min(repeat, budget_s // max(warm, 1e-6))))
    events = None
    try:
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            events = torch.cuda
    except ImportError:
        pass
    wall, ev = [], []
    for _ in range(calls):
        synchronize()
        if events is not None:
            e0, e1 = events.Event(enable_timing=True), events.Event(enable_timing=True)
            e0.record()
        t0 = time.perf_counter()
        run()
        t1 = time.perf_counter()
        if events is not None:
            e1.record()
            e1.synchronize()
            ev.append(e0.elapsed_time(e1) / 1e3)
        wall.append(t1 - t0)
    return {"median_s": statistics.median(wall), "min_s": min(wall), "times_s": wall,
            "event_median_s": statistics.median(ev) if ev else None, "calls": calls,
            "warmup_s": warm, "output": out}


def run_workload(job: dict, workload: dict) -> dict:
    engine, device = job["engine"], job.get("device", "cuda")
    batch_kind = job.get("batch_kind", "gpu")
    row = {"workload": workload["name"], "engine": engine, "device": device,
           "batch": workload["gpu_batch" if batch_kind == "gpu" else "cpu_batch"]}
    t0 = time.perf_counter()
    if engine == "kymatio-torch":
        run, enqueue, backend, in_bytes, note = kymatio_case(workload, batch_kind, device)
    else:
        run, enqueue, backend, in_bytes, note = numbascat_case(engine, workload, batch_kind,
                                                               device)
    row["build_s"] = time.perf_counter() - t0
    timing = time_case(run, int(job.get("repeat", 10)), float(job.get("budget_s", 10)))
    out = timing.pop("output")
    out = out[0] if isinstance(out, (list, tuple)) else out
    host = host_copy(out)
    row.update(timing, note=note, out_shape=list(host.shape), out_dtype=str(host.dtype),
               io_bytes=int(in_bytes + host.nbytes))
    row["enqueue_median_s"] = enqueue_time(enqueue)
    if backend is not None:
        traffic = count_traffic(backend, run)
        row.update(traffic_bytes=traffic["bytes"], operator_calls=traffic["calls"],
                   leaf_calls=traffic["leaf_calls"])
        row.update(count_launches(backend, run))
    save_dir = job.get("save_dir")
    if save_dir:
        path = Path(save_dir) / f"{workload['name']}.{engine}.npy"
        lead = len(row["batch"])
        np.save(path, host.reshape((-1,) + host.shape[lead:])[:1])
        row["first_signal_file"] = str(path)
    return row


def main(argv) -> int:
    job = json.loads(Path(argv[1]).read_text())
    for workload in job["workloads"]:
        print(f"START {workload['name']}", flush=True)
        try:
            row = run_workload(job, workload)
        except Exception as exc:
            row = {"workload": workload["name"], "engine": job["engine"],
                   "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()[-3000:]}
        print("RESULT " + json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
