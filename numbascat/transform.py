"""What every scattering transform shares, whatever its dimension and framework.

A concrete class combines a frontend mixin (``numbascat.frontends.<framework>``) with a
dimension's transform base (``numbascat.scattering{1d,2d}.transform``,
``numbascat.scattering3d.transform``), which derives from :class:`ScatteringTransform`.

- The dimension base validates parameters, builds the numpy filter bank (cached), describes the
  output (``meta()``, ``output_size()``) and runs the depth-first core on backend arrays
  (``_scatter``).
- The frontend converts the user's array into the backend's world and back and chooses the
  default backend for its arrays.
- This class ties them: backend selection at construction, filters prepared once per backend
  and dtype, and reshaping of any leading batch shape.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import math
import threading
import time
from typing import Any, ClassVar

import numpy as np

from numbascat.backend_api import Backend
from numbascat.config import resolve_backend
from numbascat.memory import AUTO_FRACTION, MemoryModel, available_memory, batch_step
from numbascat.prepared import PreparedFilters

__all__ = ["ScatteringTransform", "own_backend"]

# Set while calls must run on each transform's own backend (see own_backend).
_OWN_BACKEND: contextvars.ContextVar[bool] = contextvars.ContextVar("numbascat_own_backend",
                                                                    default=False)


@contextlib.contextmanager
def own_backend():
    """Within this context (in this thread), transforms run on their own backend, never on a
    warm-up stand-in (:meth:`~numbascat.backend_api.Backend.warmup_standin`): for measuring
    the backend itself, as :func:`numbascat.fft_floor.fft_floor` does."""
    token = _OWN_BACKEND.set(True)
    try:
        yield
    finally:
        _OWN_BACKEND.reset(token)


class ScatteringTransform:
    """Base of every transform class.

    Subclasses (the dimension bases) define :attr:`signal_ndim`, :meth:`_build_filters`,
    :meth:`_prepare_filters`, :meth:`_check_input_shape` and :meth:`_scatter`; frontends define
    :attr:`frontend_name` and :attr:`array_kind`.
    """

    signal_ndim: ClassVar[int]
    frontend_name: ClassVar[str] = "numpy"
    array_kind: ClassVar[str] = "numpy"
    #: Calls of at most this many input values may run on a cold backend's warm-up stand-in
    #: (:meth:`~numbascat.backend_api.Backend.warmup_standin`); None: the backend's default.
    standin_max_values: ClassVar[int | None] = None
    #: The stand-in backend this transform's last calls ran on (its filters are released once
    #: the transform's own backend takes over); None when there is none.
    _standin_name: str | None = None

    #: Largest number of signals scattered at once; a bigger batch is processed in chunks of
    #: this size (bounded memory) and joined. None: the whole batch at once, or the chunks that
    #: fit :attr:`memory_budget`.
    batch_size: int | None = None
    #: Bytes one forward call may use on a host-memory backend (numpy, numba): its output plus
    #: its peak working memory (:meth:`estimate_memory`). A batch that does not fit is split
    #: into chunks that do; when nothing fits, :class:`MemoryError` is raised before any work.
    #: None: half of the memory available when the call starts (see numbascat.memory).
    memory_budget: int | None = None

    # ------------------------------------------------------------------ backend
    def _select_backend(self, backend: str | Backend | None) -> None:
        selection = resolve_backend(self.signal_ndim, self.array_kind, backend)
        self.backend: Backend = selection.backend
        preferred = getattr(self.backend, "block_bytes", None)
        if preferred:  # the backend's batching budget (GPUs: far above the CPU default)
            self.block_bytes = int(preferred)
        #: Which source chose the backend (argument, context, environment, config, default).
        self.backend_source: str = selection.source
        self._prepared: dict[tuple[str, str], Any] = {}
        self._prepared_lock = threading.Lock()

    def prepared_filters(self, dtype: Any) -> Any:
        """The filter bank placed on the current backend for signals of real ``dtype``.

        Prepared once per (backend, dtype) and reused by every call.
        """
        key = (self.backend.name, np.dtype(dtype).name)
        prepared = self._prepared.get(key)
        if prepared is None:
            with self._prepared_lock:
                prepared = self._prepared.get(key)
                if prepared is None:
                    prepared = self._prepare_filters(self.backend, np.dtype(dtype))
                    self._prepared[key] = prepared
        return prepared

    # ------------------------------------------------------------------ to define per dimension
    def _filter_sources(self) -> dict[str, tuple[np.ndarray, str]]:
        """The numpy filter bank: name -> (stack ``(F, *s)``, FilterRole).

        Frontends that own their filters (torch buffers) read them from here.
        """
        raise NotImplementedError

    def _prepare_filters(self, backend: Backend, dtype: np.dtype) -> Any:
        """Filters on ``backend`` for real ``dtype``; frontends may override (torch buffers)."""
        return PreparedFilters(backend, dtype, self._filter_sources())

    def _check_input_shape(self, shape: tuple[int, ...]) -> None:
        raise NotImplementedError

    def _memory_model(self, itemsize: int) -> MemoryModel:
        """Upper bounds on a forward call's memory for signals of ``itemsize`` bytes."""
        raise NotImplementedError

    # ------------------------------------------------------------------ memory
    def estimate_memory(self, n_signals: int, dtype: Any = np.float32) -> int:
        """Bytes a forward call on ``n_signals`` signals of real ``dtype`` needs at most: its
        output plus its peak working memory, processed in the chunks :attr:`batch_size` or
        :attr:`memory_budget` would make (filters, prepared once, are not counted)."""
        model = self._memory_model(np.dtype(dtype).itemsize)
        return model.total(int(n_signals), self._checked_batch_size())

    def _memory_budget(self) -> int | None:
        budget = self.memory_budget
        if budget is not None:
            if isinstance(budget, bool) or not isinstance(budget, int | float | np.number) \
                    or not budget > 0:
                raise ValueError(f"memory_budget must be a positive number of bytes or None, "
                                 f"got {budget!r}")
            return int(budget)
        available = available_memory()
        return None if available is None else int(AUTO_FRACTION * available)

    def _memory_step(self, n: int, x: Any, step: int | None) -> int | None:
        """The batch step that fits the memory budget (host-memory backends only)."""
        if not getattr(self.backend, "host_memory", False):
            return step
        itemsize = np.dtype(self.backend.real_dtype(x)).itemsize
        return batch_step(self._memory_model(itemsize), n, self._memory_budget(), step,
                          type(self).__name__)

    def _scatter(self, x: Any, batch_shape: tuple[int, ...], block_bytes: int | None = None
                 ) -> Any:
        """Run the transform on backend array ``x`` of shape ``(B, *signal)`` (``block_bytes``:
        the bound on one batched temporary, :attr:`block_bytes` when None).

        Every output array ``(B, ...)`` goes through :meth:`_restore_batch`.
        """
        raise NotImplementedError

    def _restore_batch(self, y: Any, batch_shape: tuple[int, ...]) -> Any:
        """Reshape ``(B, *rest)`` to ``(*batch_shape, *rest)`` (B is 1 for an empty batch)."""
        backend = self.backend
        rest = backend.shape(y)[1:]
        if math.prod(batch_shape) == 0:
            y = backend.take(y, np.arange(0), axis=0)
        return backend.reshape(y, tuple(batch_shape) + rest)

    # ------------------------------------------------------------------ shared forward pass
    def _forward(self, x: Any) -> Any:
        """Scatter a backend array ``(*batch, *signal)``; the result keeps ``batch``.

        While the backend is not warm, a small call may run on its stand-in
        (:meth:`~numbascat.backend_api.Backend.warmup_standin`): the numba backend's first
        small calls in a process run on the numpy reference instead of importing numba and
        loading its kernels, which costs more than hundreds of such calls.
        """
        backend = self.backend
        standin = (backend.warmup_standin(math.prod(backend.shape(x)), self.standin_max_values)
                   if self.array_kind == "numpy" and not _OWN_BACKEND.get() else None)
        if standin is not None:
            twin = copy.copy(self)  # shares filters and prepared stacks (keyed by backend)
            twin.backend, twin._standin_name = standin, None
            self._standin_name = standin.name
            start = time.perf_counter()
            try:
                with own_backend():
                    return twin._forward(x)
            finally:
                backend.warmup_spent(time.perf_counter() - start)
        if self._standin_name is not None:
            # Warm now: the stand-in's filters (the reference keeps whole dense stacks) go.
            with self._prepared_lock:
                for key in [k for k in self._prepared if k[0] == self._standin_name]:
                    del self._prepared[key]
                self._standin_name = None
        shape = backend.shape(x)
        self._check_input_shape(shape)
        d = self.signal_ndim
        batch_shape, signal_shape = shape[:-d], shape[-d:]
        n = math.prod(batch_shape)  # Python ints: traceable by torch.compile and tf.function
        if n == 0:
            # Run one zero signal to learn the output shapes; _restore_batch drops it.
            zeros = np.zeros((1,) + signal_shape, dtype=np.dtype(backend.real_dtype(x)))
            return self._scatter(backend.from_numpy(zeros), batch_shape)
        flat = backend.reshape(x, (n,) + signal_shape)
        step = self._memory_step(n, x, self._checked_batch_size())
        if not getattr(backend, "host_memory", False):  # traced frameworks: no context here
            return self._forward_steps(flat, n, step, batch_shape, signal_shape)
        # Small passes may keep their temporaries for the next call (no fresh pages each time).
        itemsize = np.dtype(backend.real_dtype(x)).itemsize
        working = self._memory_model(itemsize).working(n if step is None else min(n, step))
        with backend.recycled_temporaries(working):
            return self._forward_steps(flat, n, step, batch_shape, signal_shape)

    def _forward_steps(self, flat: Any, n: int, step: int | None,
                       batch_shape: tuple[int, ...], signal_shape: tuple[int, ...]) -> Any:
        """:meth:`_forward` past the checks: whole, in concurrent parts, or in steps."""
        backend = self.backend
        if step is None:
            parts = self._batch_parts(n, signal_shape)
            # A batch with fewer signals than the backend has workers (2 on 4 cores) is left
            # whole when its path groups keep more workers busy (see _path_parts).
            if 1 < len(parts) < self._path_parts(flat):
                parts = [(0, n)]
            if len(parts) > 1:
                tasks = [functools.partial(self._scatter_part, len(parts),
                                           backend.batch_range(flat, a, b), (b - a,))
                         for a, b in parts]
                return self._join_chunks(backend.run_batch_parts(tasks), batch_shape)
        if step is None or n <= step:
            return self._scatter(flat, batch_shape)
        parts = [self._scatter(backend.batch_range(flat, i, min(n, i + step)), (min(step, n - i),))
                 for i in range(0, n, step)]
        return self._join_chunks(parts, batch_shape)

    def _scatter_part(self, parts: int, x: Any, batch_shape: tuple[int, ...]) -> Any:
        """:meth:`_scatter` for one of ``parts`` batch parts running at the same time: each
        gets that share of :attr:`block_bytes`, so the parts together stay within it."""
        return self._scatter(x, batch_shape, max(1, int(self.block_bytes) // parts))

    def _batch_parts(self, n: int, signal_shape: tuple[int, ...]) -> list[tuple[int, int]]:
        """``[(start, stop), ...]``: the batch split the backend runs concurrently."""
        workers = max(1, min(int(self.backend.batch_workers(n, math.prod(signal_shape))), n))
        return [(i * n // workers, (i + 1) * n // workers) for i in range(workers)]

    def _path_groups(self) -> int:
        """How many independent groups of paths :meth:`_scatter` can run concurrently
        (:meth:`_path_parts`); 1: the transform has no such split."""
        return 1

    def _path_parts(self, x: Any, groups: int | None = None) -> int:
        """Concurrent parts for ``groups`` (default :meth:`_path_groups`) independent path
        groups of the batch ``x`` ``(B, *signal)``: the backend's
        :meth:`~numbascat.backend_api.Backend.path_workers` (told each extra part's working
        memory, one batch's worth), lowered until the parts' working memory (as if the batch
        were ``parts`` times larger) and the output fit :attr:`memory_budget`."""
        backend = self.backend
        groups = self._path_groups() if groups is None else groups
        if groups < 2:
            return 1
        shape = backend.shape(x)
        n = shape[0]
        host = getattr(backend, "host_memory", False)
        model = self._memory_model(np.dtype(backend.real_dtype(x)).itemsize) if host else None
        extra = model.working(2 * n) - model.working(n) if host else 0
        parts = max(1, min(int(backend.path_workers(groups, math.prod(shape), extra)), groups))
        budget = self._memory_budget() if parts > 1 and host else None
        while budget is not None and parts > 1 and \
                n * model.output + model.working(n * parts) > budget:
            parts -= 1
        return parts

    def _checked_batch_size(self) -> int | None:
        step = self.batch_size
        if step is None:
            return None
        if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {step!r}")
        return int(step)

    def _join_chunks(self, parts: list, batch_shape: tuple[int, ...]) -> Any:
        """Join per-chunk outputs (arrays, or lists/dicts of them) along the batch axis."""
        first = parts[0]
        if isinstance(first, dict):
            return {k: (self._join_chunks([p[k] for p in parts], batch_shape)
                        if _is_output_leaf(first[k], self.backend) or isinstance(first[k], dict)
                        else first[k]) for k in first}
        if isinstance(first, list):
            return [self._join_chunks([p[i] for p in parts], batch_shape)
                    for i in range(len(first))]
        joined = self.backend.concatenate(parts, axis=0)
        rest = self.backend.shape(joined)[1:]
        return self.backend.reshape(joined, tuple(batch_shape) + rest)


def _is_output_leaf(value: Any, backend: Backend) -> bool:
    return backend.is_array(value) or hasattr(value, "shape")
