"""numba's ``njit``, deferred: importing a kernel module does not import numba.

``import numba`` costs about 0.2 s, and a process whose transforms are small may never need
it (see :meth:`numbascat.backend_api.Backend.warmup_standin`). Kernel modules decorate with
:func:`njit` from here instead of numba's. Each kernel is a :class:`LazyKernel` until it is
first called (or inspected); then numba is imported and every pending kernel of its module is
made a numba dispatcher at once, with the same options (``cache=True`` and the on-disk cache
behave as with numba's own decorator).

Jitted code resolves the kernels it calls through its module's globals when it compiles, so
loading a module rebinds those globals (the module's own kernels, kernels it imported from
other kernel modules, and :data:`prange`) to numba's objects before anything compiles.
"""
from __future__ import annotations

import functools
import sys
import threading
from typing import Any

__all__ = ["LazyKernel", "kernels_loaded", "load_module", "njit", "prange"]

#: Stands for ``numba.prange`` in kernel modules until they are loaded (plain ``range`` in
#: Python; jitted code only ever sees numba's).
prange = range

_lock = threading.RLock()
_pending: dict[str, list[LazyKernel]] = {}  # module name -> its kernels not yet made
_loaded: set[str] = set()  # modules whose kernels are numba dispatchers


class LazyKernel:
    """``numba.njit(**options)(py_func)``, made on first use."""

    def __init__(self, py_func, options: dict[str, Any]):
        self.py_func = py_func
        self._options = options
        self._dispatcher = None
        functools.update_wrapper(self, py_func)
        _pending.setdefault(py_func.__module__, []).append(self)

    def dispatcher(self):
        """The numba dispatcher (imports numba and loads the module's kernels if needed)."""
        if self._dispatcher is None:
            load_module(self.py_func.__module__)
        return self._dispatcher

    def __call__(self, *args, **kwargs):
        return (self._dispatcher or self.dispatcher())(*args, **kwargs)

    def __getattr__(self, name: str):  # signatures, overloads, stats, ...
        if name.startswith("__") or name in ("_dispatcher", "_options", "py_func"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self) -> str:
        state = "loaded" if self._dispatcher is not None else "not loaded"
        return f"<LazyKernel {self.py_func.__module__}.{self.py_func.__qualname__} ({state})>"


def njit(*args, **options):
    """Like ``numba.njit`` (``@njit`` or ``@njit(cache=True, ...)``), without importing numba."""
    if args and callable(args[0]) and not options:
        return LazyKernel(args[0], {})
    return lambda fn: LazyKernel(fn, options)


def load_module(name: str) -> None:
    """Make the pending kernels of module ``name`` numba dispatchers, and rebind the lazy
    objects in its globals (its own kernels, imported kernels, ``prange``) to numba's."""
    with _lock:
        kernels = _pending.pop(name, None)
        module = sys.modules[name]
        if kernels is None and not any(isinstance(v, LazyKernel)
                                       for v in vars(module).values()):
            return
        import numba

        _loaded.add(name)
        for kernel in kernels or ():
            kernel._dispatcher = numba.njit(**kernel._options)(kernel.py_func)
        for key, value in list(vars(module).items()):
            if isinstance(value, LazyKernel):
                setattr(module, key, value.dispatcher())
            elif value is range and key == "prange":
                setattr(module, key, numba.prange)


def kernels_loaded() -> bool:
    """Whether any kernel module has been loaded (numba imported for it) in this process."""
    return bool(_loaded)
