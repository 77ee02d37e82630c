"""pyFFTW's compiled core, loaded without the rest of pyFFTW, and FFTW wisdom on disk.

FFTW wisdom is loaded from the user cache directory before the first plan and saved
(atomically) whenever measured planning added to it, so a machine measures each problem once.
``numbascat tune`` writes it ahead of time.
"""
from __future__ import annotations

import functools
import hashlib
import os
import platform
import struct
import threading
import warnings

__all__ = ["OPENMP_SPIN_COUNT", "load_wisdom", "pyfftw_core", "pyfftw_version", "save_wisdom",
           "wisdom_path"]

_WISDOM_MAGIC = b"NUMBASCAT-FFTW-WISDOM-1\n"
_wisdom_loaded = False


_core_lock = threading.Lock()
_core_module = None

#: How long (busy-wait iterations) the idle workers of pyFFTW's own OpenMP runtime (the libgomp
#: its Linux wheels bundle, which runs FFTW's threads) spin before they sleep, unless the user
#: set ``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY``. libgomp's default, 300000, keeps them spinning
#: for milliseconds after each threaded transform, on the cores that the backend's own parallel
#: parts (and other processes) need next; 10000 is a fraction of a millisecond, which still
#: bridges the short gaps between consecutive transforms. Measured on 2 cores, fresh processes:
#: the 3D quadrature of one 128^3 volume on both cores (5 rows) 43 -> 34 ms; HarmonicScattering3D
#: 128^3 one subtree at a time 372-556 -> 318-332 ms; 64^3 batch 1 1.12x faster; Scattering1D
#: 2^18 the same wall time on 13 % less CPU; Scattering2D 2048^2 within noise (medians 2.37 ->
#: 2.46 s on 13 % less CPU, where sleeping at once, OMP_WAIT_POLICY=PASSIVE, took 2.58 s).
OPENMP_SPIN_COUNT = "10000"
_OPENMP_USER_SETTINGS = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")


def _load_core(importlib):
    """Import ``pyfftw.pyfftw`` with :data:`OPENMP_SPIN_COUNT` in the environment.

    libgomp reads its settings once, when it is loaded (here, as a dependency of FFTW's
    threads library). The variable is set only for that load, so the OpenMP runtimes of other
    libraries loaded later (torch, scikit-learn) keep their own defaults.
    """
    if any(name in os.environ for name in _OPENMP_USER_SETTINGS):
        return importlib.import_module("pyfftw.pyfftw")
    os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_COUNT
    try:
        return importlib.import_module("pyfftw.pyfftw")
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


def pyfftw_core():
    """pyFFTW's compiled core (``FFTW``, wisdom functions, ``simd_alignment``), loaded alone.

    ``import pyfftw`` also imports its ``interfaces``, which import ``scipy.fftpack`` and, when
    dask is installed, ``dask.array`` (which in turn imports CuPy when present): about a second
    at start-up that the backend never uses. The core extension has no package-relative
    imports, so it is loaded under its own name ``pyfftw.pyfftw`` with a bare parent package
    that is removed again; a later ``import pyfftw`` by the user runs the real package and
    reuses this very module (one FFTW library, one planner, one wisdom per process).
    """
    global _core_module
    if _core_module is not None:
        return _core_module
    with _core_lock:
        if _core_module is None:
            import importlib
            import importlib.util
            import sys
            import types

            if "pyfftw" in sys.modules or "pyfftw.pyfftw" in sys.modules:
                _core_module = importlib.import_module("pyfftw.pyfftw")
                return _core_module
            spec = importlib.util.find_spec("pyfftw")
            if spec is None or not spec.submodule_search_locations:
                raise ImportError("the numba backend needs pyFFTW: pip install pyfftw")
            bare = types.ModuleType("pyfftw")
            bare.__path__ = list(spec.submodule_search_locations)
            bare.__spec__ = spec
            sys.modules["pyfftw"] = bare
            try:
                core = _load_core(importlib)
            finally:
                # Only the bare parent goes; "pyfftw.pyfftw" stays for the real package to reuse.
                if sys.modules.get("pyfftw") is bare:
                    del sys.modules["pyfftw"]
            _core_module = core
    return _core_module


@functools.cache
def pyfftw_version() -> str:
    """The installed pyFFTW version, read from its metadata (imports nothing)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyfftw")
    except PackageNotFoundError:  # e.g. a source checkout on sys.path
        import importlib

        return importlib.import_module("pyfftw").__version__


def wisdom_path():
    """Where wisdom for this machine and pyFFTW version lives (None when caching is off)."""
    from numbascat.cache import cache_dir

    directory = cache_dir()
    if directory is None:
        return None
    machine = f"{platform.node()}|{platform.machine()}|{platform.processor()}|{os.cpu_count()}"
    tag = hashlib.sha256(f"{machine}|{pyfftw_version()}".encode()).hexdigest()[:16]
    return directory / f"fftw_wisdom-{tag}.bin"


def _encode_wisdom(parts) -> bytes:
    body = b"".join(struct.pack("<Q", len(p)) + p for p in parts)
    return _WISDOM_MAGIC + struct.pack("<I", len(parts)) + body


def _decode_wisdom(data: bytes) -> tuple[bytes, ...]:
    if not data.startswith(_WISDOM_MAGIC):
        raise ValueError("not a numbascat wisdom file")
    pos = len(_WISDOM_MAGIC)
    (count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    parts = []
    for _ in range(count):
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        if pos + n > len(data):
            raise ValueError("truncated")
        parts.append(data[pos:pos + n])
        pos += n
    if pos != len(data) or count != 3:
        raise ValueError("unexpected length")
    return tuple(parts)


def load_wisdom() -> None:
    """Import saved wisdom once; a corrupt file gives one warning and is ignored."""
    global _wisdom_loaded
    if _wisdom_loaded:
        return
    _wisdom_loaded = True
    pyfftw = pyfftw_core()
    path = wisdom_path()
    if path is None or not path.is_file():
        return
    try:
        parts = _decode_wisdom(path.read_bytes())
        ok = pyfftw.import_wisdom(parts)
        if not all(flag or not part for flag, part in zip(ok, parts, strict=True)):
            raise ValueError("FFTW rejected it")
    except (OSError, ValueError, struct.error) as exc:
        warnings.warn(f"numbascat: ignoring unreadable FFTW wisdom file {path} ({exc}); it will "
                      f"be rewritten", RuntimeWarning, stacklevel=5)


def save_wisdom() -> None:
    pyfftw = pyfftw_core()
    from numbascat.cache import atomic_write_bytes

    path = wisdom_path()
    if path is not None:
        atomic_write_bytes(path, _encode_wisdom(pyfftw.export_wisdom()))




def reset() -> None:
    """Forget that wisdom was loaded, so the next plan reads the file again (tests, cache moves)."""
    global _wisdom_loaded
    _wisdom_loaded = False
