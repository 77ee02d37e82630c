"""Runs a table of public Kymatio calls through ``kymatio.*`` import paths.

The same code runs in two interpreters: the Kymatio 0.3.0 peer (real ``kymatio``) and ours,
after ``numbascat.install_as_kymatio()``. ``python dropin_runner.py cases.pkl results.pkl``
runs every case of the pickled list; :func:`run_cases` does the same in-process. Not a test
module (no ``test_`` prefix).

A case is a dict (see ``cases.py``): ``kind`` is ``"object"`` (build ``kymatio.<frontend>.<cls>``
or the entry ``kymatio.<cls>(..., frontend=...)``, then optionally call it on ``x`` and read
``attrs``, ``meta()``, ``output_size()``) or ``"helper"`` (call the function ``func``, a dotted
path under ``kymatio``). The result is a dict of plain, picklable values: numpy arrays (torch
tensors converted, their type recorded), lists, dicts, tuples, scalars, and ``error``
``(type name, message)`` for the first exception raised.
"""
import importlib
import pickle
import sys
import warnings


def _plain(obj):
    """Convert outputs to picklable numpy-world values, recording container and array types."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_plain(v) for v in obj)
    if hasattr(obj, "detach"):  # a torch tensor
        return ("torch.Tensor", obj.detach().cpu().numpy())
    if hasattr(obj, "name") and isinstance(getattr(obj, "name", None), str) \
            and not hasattr(obj, "shape"):
        return ("backend", obj.name)
    return obj


def _resolve(path):
    """``a.b.C.f``: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"nothing importable in {path!r}")


def _convert_x(x, kind):
    if kind == "torch":
        import torch

        return torch.from_numpy(x)
    if kind == "list":
        return x.tolist()
    return x


def _kwargs(case):
    kwargs = dict(case.get("kwargs", {}))
    if "backend_module" in case:  # backend=<the module's backend object>, as Kymatio allows
        kwargs["backend"] = importlib.import_module(case["backend_module"]).backend
    return kwargs


def run_case(case):
    result = {}
    step = "construct"
    try:
        if case["kind"] == "helper":
            args = [_convert_x(a, case.get("x_kind")) if hasattr(a, "dtype") else a
                    for a in case.get("args", ())]
            target = _resolve(case["func"])
            value = target(*args, **case.get("kwargs", {})) if callable(target) else target
            result["output"] = _plain(value)
            return result
        frontend = case.get("frontend", "numpy")
        if case.get("entry"):
            cls = getattr(importlib.import_module("kymatio"), case["cls"])
            S = cls(*case.get("args", ()), frontend=frontend, **_kwargs(case))
        else:
            cls = getattr(importlib.import_module(f"kymatio.{frontend}"), case["cls"])
            S = cls(*case.get("args", ()), **_kwargs(case))
        for name, value in case.get("set", {}).items():
            setattr(S, name, value)
        if case.get("attrs"):
            step = "attrs"
            result["attrs"] = {a: _plain(getattr(S, a)) for a in case["attrs"]}
        if case.get("meta"):
            step = "meta"
            result["meta"] = _plain(S.meta())
        if "output_size" in case:
            step = "output_size"
            result["output_size"] = _plain(S.output_size(**case["output_size"]))
        if "x" in case:
            step = "call"
            x = _convert_x(case["x"], case.get("x_kind", "numpy"))
            result["output"] = _plain(getattr(S, case.get("method", "__call__"))(x))
    except Exception as exc:  # reported to the test, which compares
        result["error"] = (type(exc).__name__, str(exc))
        result["error_bases"] = [k.__name__ for k in type(exc).__mro__]
        result["step"] = step
    return result


def run_cases(cases):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = []
        for case in cases:
            out.append(run_case(case))
            warnings.resetwarnings()  # kymatio sets 'always' filters on import
            warnings.simplefilter("ignore")
        return out


def main():
    with open(sys.argv[1], "rb") as handle:
        cases = pickle.load(handle)
    results = run_cases(cases)
    with open(sys.argv[2], "wb") as handle:
        pickle.dump(results, handle, protocol=4)


if __name__ == "__main__":
    main()
