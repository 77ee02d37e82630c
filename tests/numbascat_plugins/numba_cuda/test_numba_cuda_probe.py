"""numba_cuda availability reporting, and its kernels compiled for a real GPU (PTX, no device).

This process never enables the CUDA simulator (see test_numba_cuda_simulator.py).
"""
import json
import os
import sys
import types

import pytest

from numbascat import registry

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                                reason="these tests describe the real (non-simulated) CUDA target")


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.refresh_backends()
    yield
    registry.refresh_backends()


def _have(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _gpu_present():
    if not _have("numba_cuda"):
        return False
    from numba import cuda

    return cuda.is_available()


def test_list_backends_reports_the_precise_reason():
    row = next(r for r in registry.list_backends(probe=True) if r.name == "numba_cuda")
    assert row.info.devices == ("gpu",) and "torch" in row.info.array_kinds
    if _gpu_present() and _have("cupy"):
        pytest.skip("a CUDA GPU is present: numba_cuda may be available here")
    assert not row.available
    if not _have("cupy"):
        assert "cupy" in row.reason
    elif not _have("numba_cuda"):
        assert "numba-cuda" in row.reason
    else:
        assert row.reason.startswith("no usable CUDA GPU: numba.cuda.is_available() is False")


def test_cli_backends_json_shows_the_reason(capsys):
    from numbascat.cli import main

    assert main(["backends", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    row = rows["numba_cuda"]
    assert row["available"] or row["reason"]
    if not _gpu_present():
        assert row["available"] is False and ("GPU" in row["reason"] or "needs" in row["reason"])


def test_selecting_it_without_a_gpu_raises_with_the_reason():
    if _gpu_present():
        pytest.skip("a CUDA GPU is present")
    from numbascat.numpy import Scattering2D

    with pytest.raises(registry.BackendUnavailableError, match="numba_cuda.*unavailable"):
        Scattering2D(2, (16, 16), L=2, backend="torch_skcuda")


def test_probe_without_cupy_does_not_crash(monkeypatch):
    pytest.importorskip("numba_cuda")
    from numbascat_plugins.numba_cuda.probe import unavailable_reason

    monkeypatch.delenv("NUMBASCAT_CUDA_FFT", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    reason = unavailable_reason()
    assert reason.startswith("needs CuPy") and "numbascat[cuda]" in reason


def test_probe_without_numba_cuda(monkeypatch):
    import importlib.util

    from numbascat_plugins.numba_cuda import probe

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba_cuda" else real(name, *a))
    assert "needs the numba-cuda package" in probe.unavailable_reason()


def test_probe_rejects_a_bad_provider_name(monkeypatch):
    pytest.importorskip("numba_cuda")
    from numbascat_plugins.numba_cuda.probe import unavailable_reason

    monkeypatch.setenv("NUMBASCAT_CUDA_FFT", "pocketfft")
    assert "NUMBASCAT_CUDA_FFT must be one of 'numpy', 'cupy'; got 'pocketfft'" in \
        unavailable_reason()


def test_driver_too_old(monkeypatch):
    pytest.importorskip("numba_cuda")
    from numba.cuda.cudadrv import driver as drv

    from numbascat_plugins.numba_cuda import probe

    monkeypatch.setattr(drv.driver, "get_version", lambda: (11, 4), raising=False)
    fake_cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(runtimeGetVersion=lambda: 12090)))
    reason = probe._driver_reason(fake_cupy)
    assert reason.startswith("the NVIDIA driver is too old: it supports CUDA 11.4")
    assert "CuPy is built for CUDA 12.9" in reason
    monkeypatch.setattr(drv.driver, "get_version", lambda: (99, 0), raising=False)
    assert probe._driver_reason(fake_cupy) is None


def test_importing_the_plugin_compiles_nothing():
    pytest.importorskip("numba_cuda")
    from numbascat_plugins.numba_cuda import kernels

    names = ["filter_periodise", "periodise", "hermitian_full", "reflect_pad", "modulus",
             "quadrature", "sum_powers"]
    for name in names:
        assert getattr(kernels, name).overloads == {}, f"{name} was compiled at import"


def test_kernels_compile_to_ptx_for_a_real_gpu(monkeypatch):
    """Type inference and NVVM on the real CUDA target, which the simulator does not exercise.

    Needs NVVM (``pip install 'numba-cuda[cu12]'``); runs without a GPU. With a GPU present the
    gpu-marked tests compile and run the kernels for real instead.
    """
    pytest.importorskip("numba_cuda")
    from numba import cuda
    from numba import types as T

    if cuda.is_available():
        pytest.skip("a GPU is present: test_numba_cuda_gpu.py compiles the kernels for real")
    import numba.cuda.dispatcher as dispatcher

    from numbascat_plugins.numba_cuda import kernels as K

    try:
        cuda.compile_ptx(lambda a: None, (T.float32[::1],), cc=(8, 0))
    except Exception as exc:
        pytest.skip(f"NVVM is not available to compile PTX: {type(exc).__name__}: {exc}")
    # Device functions ask the current device for its compute capability: pretend one.
    monkeypatch.setattr(dispatcher, "get_current_device",
                        lambda: types.SimpleNamespace(compute_capability=(8, 0)))

    def arr(dtype, ndim):
        return T.Array(dtype, ndim, "C")

    for r, c in [(T.float32, T.complex64), (T.float64, T.complex128)]:
        signatures = [
            (K.filter_periodise, (arr(c, 4), arr(r, 4), arr(c, 5), T.int64, r, c)),
            (K.filter_periodise, (arr(c, 4), arr(c, 4), arr(c, 5), T.int64, r, c)),
            (K.periodise, (arr(c, 4), arr(c, 4), r, c)),
            (K.hermitian_full, (arr(c, 4), arr(c, 4))),
            (K.reflect_pad, (arr(r, 4), arr(r, 4), T.int64, T.int64, T.int64)),
            (K.modulus, (arr(c, 1), arr(r, 1))),
            (K.quadrature, (arr(c, 3), arr(r, 2), r)),
            (K.sum_powers, (arr(r, 2), arr(r, 1), arr(r, 2))),
        ]
        for kernel, sig in signatures:
            ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(8, 0))
            assert ".entry" in ptx
            if r is T.float32 and kernel is not K.sum_powers:
                # No hidden promotion: single precision kernels do no double arithmetic.
                assert ".f64" not in ptx, f"{kernel.py_func.__name__} uses float64 for float32"


def test_install_hints_follow_the_driver_cuda_version(monkeypatch):
    from numbascat_plugins.numba_cuda import probe

    monkeypatch.setattr(probe, "driver_cuda_major", lambda: 13)
    assert probe._cupy_hint().startswith("pip install cupy-cuda13x")
    assert probe._numba_cuda_hint() == "pip install 'numba-cuda[cu13]'"
    monkeypatch.setattr(probe, "driver_cuda_major", lambda: 12)
    assert probe._cupy_hint() == "pip install 'numbascat[cuda]'"
    monkeypatch.setattr(probe, "driver_cuda_major", lambda: None)
    assert "cupy-cuda13x" in probe._cupy_hint() and "numbascat[cuda]" in probe._cupy_hint()


def test_driver_cuda_major_never_raises():
    from numbascat_plugins.numba_cuda.probe import driver_cuda_major

    major = driver_cuda_major()
    assert major is None or major >= 10


def test_two_cupy_builds_are_reported(monkeypatch):
    pytest.importorskip("numba_cuda")
    import importlib.util

    from numba import cuda

    from numbascat_plugins.numba_cuda import probe

    if cuda.is_available():
        pytest.skip("a GPU is present")
    monkeypatch.delenv("NUMBASCAT_CUDA_FFT", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "cupy" else real(name, *a))
    monkeypatch.setattr(probe, "_cupy_distributions", lambda: ["cupy-cuda12x", "cupy-cuda13x"])
    reason = probe.unavailable_reason()
    assert reason.startswith("several CuPy builds are installed (cupy-cuda12x, cupy-cuda13x)")
