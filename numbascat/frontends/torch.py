"""The torch frontend: transforms are ``torch.nn.Module`` objects, filters are buffers.

``forward(x)`` scatters a real tensor ``(*batch, *signal)``; the output has the input's device
and dtype (float32 or float64) and is differentiable with respect to ``x`` on the ``torch``
backend.

Filters live in buffers named ``filter_<name>`` (one per stack of the dimension's filter bank),
so ``.to(device)``, ``.cuda()``, ``.double()``, ``state_dict()`` / ``load_state_dict()`` and
``DataParallel`` move, save and replicate them like any module state. Each call uses the buffers
on their current device:

- **device**: the input must be on the buffers' device (as for any ``nn.Module``); a mismatch
  raises a ``RuntimeError`` saying to call ``.to(x.device)``;
- **dtype**: buffers are cast to the input's precision when they differ (a float64 module
  accepts float32 input and returns float32, and vice versa). Casts are made on the device,
  once, and reused until the buffers change (``.to()``, ``load_state_dict``, in-place edits).

Input policy: float16/bfloat16 are computed in float32; integer and boolean tensors in float64
(as numpy promotes); complex tensors raise ``TypeError``.

**CPU engine.** On the ``torch`` backend, a CPU call that records no autograd graph (the input
does not require a gradient, or gradients are off) runs on the ``numba`` engine instead of
torch's operators, on the tensor's memory (zero copy both ways): the same numbers to float32
precision, 1.4-1.8x faster (see the performance guide). Calls that need a gradient, calls traced by
``torch.compile`` / ``torch.jit`` / ``torch.func``, tensor subclasses, and modules whose filter
buffers were changed (``.double()``, ``load_state_dict``, in-place edits) run on torch. The
setting ``NUMBASCAT_TORCH_CPU_ENGINE`` or ``[torch] cpu_engine`` = ``numba`` (default) |
``torch`` chooses, read when the module is made; the attribute ``cpu_engine`` changes it.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import torch
from torch import nn

from numbascat.frontends.numpy import map_output_arrays
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering3d.transform import HarmonicScattering3DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase
from numbascat.transform import ScatteringTransform

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "TimeFrequencyScattering",
           "TorchFrontend",
           "as_real_tensor"]

_NOT_PICKLED = ("_prepared_lock", "_buffer_cache")


def as_real_tensor(x, name: str = "x") -> torch.Tensor:
    """``x`` as a float32/float64 tensor (see the module docstring for the policy)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"The input should be a torch.Tensor: {name} must be a torch.Tensor, "
                        f"got {type(x).__name__}. Use torch.as_tensor(x) or the numpy frontend "
                        f"(numbascat.numpy).")
    if x.is_complex():
        raise TypeError(f"{name} must be real-valued, got dtype {x.dtype}. Scatter the real "
                        f"and imaginary parts separately (x.real, x.imag).")
    if x.dtype in (torch.float32, torch.float64):
        return x
    if x.is_floating_point():
        return x.to(torch.float32)
    return x.to(torch.float64)


class _BufferFilters:
    """The module's filter buffers prepared by the backend for one dtype (PreparedFilters API).

    ``get(name, start, stop)`` returns ``backend.prepare_filters(buffer[start:stop], ...)``,
    made on the buffer's device and cached against the buffer's identity and version counter.
    """

    def __init__(self, module, dtype, cache: dict | None):
        self.module, self.dtype, self.cache = module, np.dtype(dtype), cache

    def __contains__(self, name):
        return name in self.module._filter_roles

    def count(self, name):
        return int(self.module._filter_buffer(name).shape[0])

    def get(self, name, start=None, stop=None):
        buf = self.module._filter_buffer(name)
        n = int(buf.shape[0])
        start = 0 if start is None else start
        stop = n if stop is None else min(stop, n)
        role = self.module._filter_roles[name]
        backend = self.module.backend
        if self.cache is None or torch.compiler.is_compiling():
            # Traced by torch.compile: the graph owns the casts (no Python-side cache).
            return backend.prepare_filters(buf[start:stop], self.dtype, role)
        key = (name, start, stop, self.dtype.name, str(buf.device))
        entry = self.cache.get(key)
        if entry is not None and entry[0] is buf and entry[1] == buf._version:
            return entry[2]
        # Prepared filters outlive this call: never make them inference tensors.
        with torch.inference_mode(False), torch.no_grad():
            value = backend.prepare_filters(buf[start:stop], self.dtype, role)
        self.cache[key] = (buf, buf._version, value)
        return value


class TorchFrontend(nn.Module):
    """Mixin: a transform that is an ``nn.Module`` (``forward(x)`` = ``scattering(x)``).

    Combine it first with a dimension base: ``class Scattering2D(TorchFrontend,
    Scattering2DBase)``. ``nn.Module.__init__`` runs before the base registers anything; the
    base's numpy filter bank is then copied into buffers.
    """

    frontend_name = "torch"
    array_kind = "torch"

    def __init__(self, *args, **kwargs):
        nn.Module.__init__(self)
        _dimension_base(type(self)).__init__(self, *args, **kwargs)
        self._register_filter_buffers()
        self.cpu_engine = _cpu_engine_setting()

    # ------------------------------------------------------------------ buffers
    def _register_filter_buffers(self):
        self._filter_roles: dict[str, str] = {}
        self._buffer_names: dict[str, str] = {}
        for name, (stack, role) in self._filter_sources().items():
            buffer_name = "filter_" + name.replace(".", "_")
            # A private copy: cached filter banks are shared, read-only numpy arrays.
            self.register_buffer(buffer_name, torch.from_numpy(np.array(stack, copy=True)))
            self._filter_roles[name] = role
            self._buffer_names[name] = buffer_name
        self._buffer_cache: dict = {}
        self._pristine = self._buffer_states()

    def _buffer_states(self) -> tuple:
        # Identity and version counter of every filter buffer: equal to the registered ones
        # while the buffers hold the bank's values as made (the CPU engine reads the bank).
        return tuple((buf, buf._version) for buf in
                     (self._filter_buffer(name) for name in self._buffer_names))

    def _filter_buffer(self, name: str) -> torch.Tensor:
        return getattr(self, self._buffer_names[name])

    def _uses_buffers(self) -> bool:
        return bool(getattr(self.backend, "accepts_tensor_filters", False))

    def prepared_filters(self, dtype):
        """Filters for signals of real ``dtype`` on the buffers' device (see module doc)."""
        if not self._uses_buffers():
            # A backend that takes numpy filters (e.g. numba_cuda) places them itself.
            return ScatteringTransform.prepared_filters(self, dtype)
        compiling = torch.compiler.is_compiling()
        return _BufferFilters(self, dtype, None if compiling else self._buffer_cache)

    def _apply(self, fn, *args, **kwargs):
        out = super()._apply(fn, *args, **kwargs)
        self._buffer_cache = {}  # .to()/.cuda()/.double(): prepared copies are stale
        return out

    # ------------------------------------------------------------------ pickling / deepcopy
    def __getstate__(self):
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__")
                     else self.__dict__)
        for key in _NOT_PICKLED:
            state.pop(key, None)
        state["_prepared"] = {}
        state["_pristine"] = None  # buffer identities do not survive: checked by value
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._prepared_lock = threading.Lock()
        self._buffer_cache = {}

    # ------------------------------------------------------------------ forward
    def _check_device(self, x: torch.Tensor) -> None:
        if not self._uses_buffers() or not self._buffer_names:
            return
        first = self._filter_buffer(next(iter(self._buffer_names)))
        if first.device != x.device:
            raise RuntimeError(f"{type(self).__name__} holds its filters on {first.device} but "
                               f"the input is on {x.device}; move the module with "
                               f".to({str(x.device)!r}) (or the input with .to("
                               f"{str(first.device)!r})).")

    def scattering(self, x):
        """Apply the transform to a real tensor ``(*batch, *signal)``; see the class doc."""
        x = as_real_tensor(x)
        self._check_device(x)
        backend = self.backend
        if not backend.is_array(x):
            raise TypeError(f"backend {backend.name!r} cannot compute on {type(x).__name__} "
                            f"on {x.device}")
        shape = tuple(x.shape)
        d = self.signal_ndim
        self._check_input_shape(shape)
        engine = self._cpu_engine_for(x)
        if engine is not None:
            # A twin on the numba backend, sharing this module's filter bank and prepared
            # stacks (copy.copy would go through __getstate__, which drops them).
            twin = object.__new__(type(self))
            twin.__dict__.update(self.__dict__)
            twin.__dict__["backend"] = engine
            return map_output_arrays(twin._forward(x.detach().numpy()), _as_tensor)
        if math.prod(shape[:-d]) == 0:
            # Learn the output shapes from one zero signal on the right device, then drop it.
            out = self._scatter(x.new_zeros((1,) + shape[-d:]), shape[:-d])
        else:
            out = self._forward(x)
        return map_output_arrays(out, _as_tensor)

    def forward(self, x):
        """``forward(x)`` = :meth:`scattering`."""
        return self.scattering(x)

    def _cpu_engine_for(self, x: torch.Tensor):
        """The numba backend when this call may run on it (module docstring), else None."""
        if (self.cpu_engine != "numba" or self.backend.name != "torch"
                or x.device.type != "cpu" or type(x) not in (torch.Tensor, nn.Parameter)
                or (x.requires_grad and torch.is_grad_enabled())
                or torch.compiler.is_compiling() or torch.jit.is_tracing()
                or torch.jit.is_scripting() or _functorch_wrapped(x)
                or not self._buffers_pristine()):
            return None
        return _numba_engine()

    def _buffers_pristine(self) -> bool:
        """Whether every filter buffer still holds the bank's values (the numba engine reads
        the bank, not the buffers)."""
        if self._pristine is None:  # unpickled or copied: compare the values once
            sources = self._filter_sources()
            same = True
            for name in self._buffer_names:
                buf, stack = self._filter_buffer(name).detach(), np.asarray(sources[name][0])
                same = (same and buf.device.type == "cpu" and tuple(buf.shape) == stack.shape
                        and np.array_equal(buf.numpy(), stack))
            self._pristine = self._buffer_states() if same else False
        if self._pristine is False:
            return False
        now = self._buffer_states()
        return len(now) == len(self._pristine) and all(
            buf is was and version == was_version
            for (buf, version), (was, was_version) in zip(now, self._pristine, strict=True))

    def extra_repr(self) -> str:
        return f"backend={self.backend.name!r}"


def _dimension_base(cls) -> type:
    """The dimension base in ``cls``'s MRO (the ScatteringTransform that is not a Module)."""
    for klass in cls.__mro__:
        if (issubclass(klass, ScatteringTransform) and not issubclass(klass, nn.Module)):
            return klass
    raise TypeError(f"{cls.__name__} combines TorchFrontend with no ScatteringTransform base")


def _cpu_engine_setting() -> str:
    from numbascat.config import get_setting

    raw = get_setting("torch", "cpu_engine", env="NUMBASCAT_TORCH_CPU_ENGINE", default="numba")
    value = str(raw).strip().lower()
    if value not in ("numba", "torch"):
        raise ValueError(f"the torch CPU engine (NUMBASCAT_TORCH_CPU_ENGINE or [torch] "
                         f"cpu_engine) must be 'numba' or 'torch'; got {raw!r}")
    return value


def _numba_engine():
    """The numba backend, or None where it cannot load (then torch computes). The registry
    keeps the instance, and a failure to load, after the first call."""
    from numbascat.registry import BackendNotFoundError, BackendUnavailableError, get_backend

    try:
        return get_backend("numba")
    except (BackendNotFoundError, BackendUnavailableError):
        return None


def _functorch_wrapped(x: torch.Tensor) -> bool:
    # torch.func transforms (vmap, grad) wrap plain tensors; they must see torch operators.
    probe = getattr(getattr(torch._C, "_functorch", None), "is_functorch_wrapped_tensor", None)
    return bool(probe(x)) if probe is not None else False


def _as_tensor(a):
    if isinstance(a, torch.Tensor):
        return a
    try:
        return torch.from_dlpack(a)  # e.g. a CuPy array from a GPU backend, zero-copy
    except (TypeError, AttributeError, RuntimeError, BufferError):
        return torch.as_tensor(np.asarray(a))


class Scattering2D(TorchFrontend, Scattering2DBase):
    __doc__ = Scattering2DBase.__doc__


class Scattering1D(TorchFrontend, Scattering1DBase):
    __doc__ = Scattering1DBase.__doc__


class HarmonicScattering3D(TorchFrontend, HarmonicScattering3DBase):
    __doc__ = HarmonicScattering3DBase.__doc__


class TimeFrequencyScattering(TorchFrontend, TimeFrequencyScatteringBase):
    __doc__ = TimeFrequencyScatteringBase.__doc__
