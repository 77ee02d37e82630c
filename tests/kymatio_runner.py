"""Runs inside the Kymatio 0.3.0 interpreter: ``python kymatio_runner.py jobs.pkl results.pkl``.

Not a test module (no ``test_`` prefix); driven by ``peer.run_kymatio``.
"""
import importlib
import pickle
import sys
import warnings


def _to_numpy(obj):
    if isinstance(obj, dict):
        return {k: _to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_numpy(v) for v in obj)
    if hasattr(obj, "detach"):
        return obj.detach().cpu().numpy()
    return obj


def run(job):
    frontend = job.get("frontend", "numpy")
    module = importlib.import_module(f"kymatio.{frontend}")
    warnings.resetwarnings()
    warnings.simplefilter("ignore")  # kymatio sets 'always' filters on import
    result = {}
    try:
        S = getattr(module, job["cls"])(**job.get("params", {}))
        if "x" in job:
            x = job["x"]
            if frontend == "torch":
                import torch

                x = torch.from_numpy(x)
            result["output"] = _to_numpy(getattr(S, job.get("call", "__call__"))(x))
        if job.get("meta"):
            result["meta"] = _to_numpy(S.meta())
        if job.get("attrs"):
            result["attrs"] = {a: _to_numpy(getattr(S, a)) for a in job["attrs"]}
    except Exception as exc:  # reported to the test, which decides
        result["error"] = (type(exc).__name__, str(exc))
    return result


def main():
    with open(sys.argv[1], "rb") as handle:
        jobs = pickle.load(handle)
    results = [run(job) for job in jobs]
    with open(sys.argv[2], "wb") as handle:
        pickle.dump(results, handle, protocol=4)


if __name__ == "__main__":
    main()
