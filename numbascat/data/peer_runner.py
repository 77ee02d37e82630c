"""Time one engine on one workload in this interpreter and print the result as one JSON line.

    python peer_runner.py '{"engine": ENGINE, "workload": {...}, "batch_kind": "cpu",
                            "repeat": 3, "seed": 0}'

ENGINE is ``kymatio-numpy`` or ``kymatio-torch`` (Kymatio 0.3 in its own interpreter: this file
imports nothing from numbascat for them, so it runs where numbascat is not installed), or
``numbascat:<engine>`` (``numbascat.benchmarking.measure`` in the project's interpreter).
``workload`` is an entry of ``workloads.json``. ``numbascat bench --vs-kymatio`` starts one
process per measurement, alternating engines, so SciPy versions never mix.

Output keys: ``median_s``, ``times_s``, ``floor_s`` (numbascat numba only, else null),
``versions``; or only ``skipped`` (the reason) when a numbascat engine cannot run here. On
failure the process exits non-zero with the reason on stderr.
"""
import json
import statistics
import sys
import time
import warnings


def _kymatio_case(frontend, workload, batch_kind, seed):
    import numpy as np

    shape = workload["params"]["shape"]
    params = dict(workload["params"], shape=tuple(shape) if isinstance(shape, list) else shape)
    batch = workload["cpu_batch" if batch_kind == "cpu" else "gpu_batch"]
    signal = tuple(shape) if isinstance(shape, list) else (shape,)
    x = np.random.default_rng(seed).standard_normal(tuple(batch) + signal).astype(np.float32)
    module = __import__(f"kymatio.{frontend}", fromlist=[workload["transform"]])
    # Kymatio's import sets warning filters to 'always'; keep its deprecation chatter quiet.
    warnings.resetwarnings()
    warnings.simplefilter("ignore")
    S = getattr(module, workload["transform"])(**params)
    if frontend == "numpy":
        return lambda: S(x)
    import torch

    device = "cuda" if batch_kind == "gpu" else "cpu"
    S = S.to(device)
    xt = torch.from_numpy(x).to(device)

    def run():
        with torch.no_grad():
            out = S(xt)
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    return run


def _versions(names):
    out = {"python": sys.version.split()[0]}
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            out[name] = getattr(module, "__version__", "?")
    return out


def run_job(job):
    engine = job["engine"]
    repeat = int(job.get("repeat", 3))
    if engine.startswith("numbascat:"):
        from numbascat.benchmarking import Workload, measure

        try:
            m = measure(Workload.from_dict(job["workload"]), engine.partition(":")[2],
                        job.get("batch_kind"), repeat, floor=job.get("floor", True))
        except NotImplementedError as exc:  # BenchmarkUnavailable: cannot run here
            return {"skipped": str(exc)}
        return {"median_s": m.median_s, "times_s": m.times_s, "floor_s": m.floor_s,
                "note": m.note, "versions": _versions(["numbascat", "numpy", "scipy", "torch"])}
    if engine not in ("kymatio-numpy", "kymatio-torch"):
        raise SystemExit(f"unknown engine {engine!r}: use kymatio-numpy, kymatio-torch or "
                         f"numbascat:<backend>")
    fn = _kymatio_case(engine.partition("-")[2], job["workload"], job.get("batch_kind", "cpu"),
                       int(job.get("seed", 0)))
    fn()  # warm-up: filters, FFT plans, allocator
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "times_s": times, "floor_s": None, "note": "",
            "versions": _versions(["kymatio", "numpy", "scipy", "torch"])}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(json.dumps(run_job(json.loads(sys.argv[1]))))
