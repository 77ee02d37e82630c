"""Scripts ``tools/gpu_check.py`` runs in child interpreters (``python -c SCRIPT ARGS``); each
prints one tagged JSON line (``VERSIONS {...}``, ``IMPORTS {...}``, ``COPY {...}``)."""

VERSIONS = r"""
import importlib, importlib.metadata as md, json, platform, sys
out = {"python": sys.version.split()[0], "executable": sys.executable,
       "platform": platform.platform()}
def mod(name):
    try:
        m = importlib.import_module(name)
    except Exception as exc:
        return f"missing ({type(exc).__name__}: {str(exc)[:150]})"
    return f"{getattr(m, '__version__', '?')} ({(getattr(m, '__file__', None) or '?')})"
names = ["numpy", "scipy", "numba", "numba_cuda", "cupy", "torch", "jax", "jaxlib", "pyfftw",
         "pytest", "platformdirs", "kymatio", "numbascat"]
if "--rehearsal" in sys.argv:  # jax is slow to import and no part of the rehearsal
    names = [n for n in names if not n.startswith("jax")]
for name in names:
    out[name] = mod(name)
out["distributions"] = sorted(f"{d.metadata['Name']}=={d.version}" for d in md.distributions()
                              if (d.metadata["Name"] or "").lower().startswith(
                                  ("cupy", "cuda-", "nvidia-cu", "numba", "torch", "jax")))
def probe(key, fn):
    try:
        out[key] = fn()
    except Exception as exc:
        out[key] = f"error ({type(exc).__name__}: {str(exc)[:200]})"
def cupy_info():
    import cupy
    rt = cupy.cuda.runtime
    p = rt.getDeviceProperties(0)
    return {"runtime": rt.runtimeGetVersion(), "driver": rt.driverGetVersion(),
            "devices": rt.getDeviceCount(), "name": p["name"].decode(),
            "memory_GiB": round(p["totalGlobalMem"] / 2**30, 1),
            "sm_count": p["multiProcessorCount"], "cc": f"{p['major']}.{p['minor']}"}
def torch_info():
    import torch
    info = {"cuda": torch.version.cuda, "available": torch.cuda.is_available()}
    if info["available"]:
        info["device"] = torch.cuda.get_device_name(0)
    return info
def numba_info():
    from numba import cuda
    info = {"available": cuda.is_available(),
            "simulator": bool(importlib.import_module("numba").config.ENABLE_CUDASIM)}
    if info["available"] and not info["simulator"]:
        from numba.cuda.cudadrv.driver import driver
        info["driver"] = driver.get_version()
        info["runtime"] = cuda.runtime.get_version()
        dev = cuda.get_current_device()
        info["device"] = dev.name.decode() if isinstance(dev.name, bytes) else dev.name
        info["cc"] = dev.compute_capability
    return info
def probe_reason():
    from numbascat_plugins.numba_cuda.probe import unavailable_reason
    return unavailable_reason() or "usable"
probe("cupy_cuda", cupy_info)
probe("torch_cuda", torch_info)
probe("numba_cuda_device", numba_info)
probe("numba_cuda_probe", probe_reason)
print("VERSIONS " + json.dumps(out, default=str))
"""

COPY_RATE = r"""
import json, sys, time
simulate = sys.argv[1] == "1"
if simulate:
    import numpy as np
    a = np.ones(16 * 2**20, np.float32); b = np.empty_like(a); np.copyto(b, a)
    t = time.perf_counter()
    for _ in range(10): np.copyto(b, a)
    dt = time.perf_counter() - t
    res = {"how": "numpy host copy (rehearsal)", "bytes": a.nbytes, "repeat": 10}
else:
    try:
        import cupy
        a = cupy.ones(2**28, cupy.float32); b = cupy.empty_like(a); cupy.copyto(b, a)
        s, e = cupy.cuda.Event(), cupy.cuda.Event()
        s.record()
        for _ in range(20): cupy.copyto(b, a)
        e.record(); e.synchronize()
        dt = cupy.cuda.get_elapsed_time(s, e) / 1e3
        res = {"how": "cupy.copyto, CUDA events", "bytes": a.nbytes, "repeat": 20}
    except ImportError:
        import torch
        a = torch.ones(2**28, device="cuda"); b = torch.empty_like(a); b.copy_(a)
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(20): b.copy_(a)
        e.record(); e.synchronize()
        dt = s.elapsed_time(e) / 1e3
        res = {"how": "torch copy_, CUDA events", "bytes": a.nbytes, "repeat": 20}
res["GBps"] = 2 * res["bytes"] * res["repeat"] / dt / 1e9  # read + write
print("COPY " + json.dumps(res))
"""


IMPORTS = r"""
import importlib, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = getattr(importlib.import_module(name), "__version__", "ok")
    except Exception as exc:
        out[name] = f"missing ({type(exc).__name__}: {str(exc)[:120]})"
print("IMPORTS " + json.dumps(out))
"""
