"""Filters placed on a backend: prepared lazily, per slice, once per transform and dtype."""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from numbascat.backend_api import Backend, FilterRole, LazyFilterStack

__all__ = ["PreparedFilters"]


class PreparedFilters:
    """Backend-side copies of a numpy filter bank, made on first use and kept.

    Parameters
    ----------
    backend : Backend
    dtype : numpy dtype
        Real dtype of the signals (float32 or float64).
    sources : dict
        name -> (numpy stack ``(F, *s)`` or :class:`LazyFilterStack`, :class:`FilterRole`).

    ``get(name)`` returns the whole stack; ``get(name, start, stop)`` rows ``start:stop``
    (used when a traversal chunks filters to bound memory).
    """

    def __init__(self, backend: Backend, dtype: Any, sources: dict[str, tuple[np.ndarray, str]]):
        self.backend = backend
        self.dtype = np.dtype(dtype)
        self._sources = sources
        self._prepared: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        return name in self._sources

    def count(self, name: str) -> int:
        """Number of filters in stack ``name``."""
        return int(self._sources[name][0].shape[0])

    def get(self, name: str, start: int | None = None, stop: int | None = None) -> Any:
        n = self.count(name)
        start = 0 if start is None else start
        stop = n if stop is None else min(stop, n)
        key = (name, start, stop)
        value = self._prepared.get(key)
        if value is None:
            with self._lock:
                value = self._prepared.get(key)
                if value is None:
                    value = self._prepared[key] = self._prepare(name, start, stop, n)
        return value

    def _prepare(self, name: str, start: int, stop: int, n: int) -> Any:
        """Rows ``start:stop`` of stack ``name`` (``n`` rows) on the backend; called locked.

        A backend with :attr:`~numbascat.backend_api.Backend.filter_row_views` prepares a
        stack whole once a second chunk of it is asked for, and serves every chunk as a view:
        the chunkings of a traversal vary with the batch and the batch parts, and separate
        copies would add up. A stack only ever used in one chunk stays prepared alone.
        """
        backend = self.backend
        whole_key = (name, 0, n)
        if (start, stop) != (0, n) and backend.filter_row_views:
            whole = self._prepared.get(whole_key)
            if whole is None and any(k[0] == name for k in self._prepared):
                whole = self._prepared[whole_key] = self._prepare_rows(name, 0, n)
                for k in [k for k in self._prepared if k[0] == name and k != whole_key]:
                    self._prepared[k] = backend.filter_rows(whole, k[1], k[2])
            if whole is not None:
                return backend.filter_rows(whole, start, stop)
        return self._prepare_rows(name, start, stop)

    def _prepare_rows(self, name: str, start: int, stop: int) -> Any:
        stack, role = self._sources[name]
        rows = stack[start:stop]
        if isinstance(rows, LazyFilterStack) and not self.backend.lazy_filters:
            rows = np.asarray(rows)
        return self.backend.prepare_filters(rows, self.dtype, role)


WAVELET, LOWPASS = FilterRole.WAVELET, FilterRole.LOWPASS
