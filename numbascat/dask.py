"""Scattering over Dask arrays, with the filter bank built once per worker process.

``scatter(S, x)`` maps a numpy-frontend transform ``S`` over the chunks of the batch axes of a
Dask array ``x`` of shape ``(*batch, *signal)`` and returns a lazy Dask array
``(*batch, *S_output)``. Workers do not receive the transform (its filters can be large): they
receive its :class:`TransformSpec` (class path and constructor arguments) and build the
transform once per process, cached in a module-level dict (see :func:`get_transform`).

Dask is an optional dependency (``pip install 'numbascat[dask]'``); it is imported inside the
functions that need it.
"""
from __future__ import annotations

import importlib
import inspect
import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TransformSpec", "build_counts", "get_transform", "scatter", "spec_of"]

#: constructed transforms of this process, by spec key
_TRANSFORMS: dict[str, Any] = {}
#: how many transforms this process constructed, by spec key (tests check it is 1 per worker)
_BUILD_COUNTS: dict[str, int] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class TransformSpec:
    """A transform described by value: ``module:ClassName`` and keyword arguments.

    ``kwargs`` values must be JSON-serialisable; sequences are given as tuples.
    """

    cls: str
    kwargs: tuple[tuple[str, Any], ...]

    @classmethod
    def make(cls, target: str, **kwargs) -> TransformSpec:
        return cls(target, tuple(sorted(kwargs.items())))

    @property
    def key(self) -> str:
        """A string that identifies the transform (the cache key)."""
        return json.dumps([self.cls, [[k, v] for k, v in self.kwargs]], sort_keys=True)

    def build(self):
        """Construct a new transform (no caching; see :func:`get_transform`)."""
        module, _, name = self.cls.partition(":")
        return getattr(importlib.import_module(module), name)(**dict(self.kwargs))


def get_transform(spec: TransformSpec):
    """The transform for ``spec`` in this process, constructed on first use only."""
    key = spec.key
    transform = _TRANSFORMS.get(key)
    if transform is None:
        with _LOCK:  # several worker threads may ask at once; build once
            transform = _TRANSFORMS.get(key)
            if transform is None:
                transform = spec.build()
                transform._numbascat_spec = spec
                _TRANSFORMS[key] = transform
                _BUILD_COUNTS[key] = _BUILD_COUNTS.get(key, 0) + 1
    return transform


def build_counts() -> dict[str, int]:
    """Constructions per spec key in this process (``client.run(build_counts)`` per worker)."""
    return dict(_BUILD_COUNTS)


def _plain(value):
    # tuples stay tuples (transforms accept tuples, not always lists); numpy scalars -> Python
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def spec_of(transform) -> TransformSpec:
    """The :class:`TransformSpec` that rebuilds ``transform`` (numpy frontend classes).

    Constructor arguments are read back from the attributes of the same name (or, for
    transforms that keep them, from ``_constructor_kwargs``: Kymatio main semantics, where
    ``T`` may be 0 or 'global'); ``backend`` is the chosen backend's name, so workers use the
    backend the client chose.
    """
    spec = getattr(transform, "_numbascat_spec", None)
    if spec is not None:
        return spec
    cls = type(transform)
    given = getattr(transform, "_constructor_kwargs", None)  # arguments kept as given
    kwargs = {name: _plain(value) for name, value in (given or {}).items()}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if given is not None and name not in ("backend", "out_type"):
            continue  # the transform kept its arguments (Kymatio main semantics, JTFS)
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name == "backend":
            kwargs[name] = transform.backend.name
        elif name == "average" and getattr(transform, name, None) is True:
            continue  # 1D: True is what the default gives; passing it warns (deprecated)
        elif hasattr(transform, name):
            kwargs[name] = _plain(getattr(transform, name))
    module = cls.__module__
    if module.startswith("numbascat.frontends."):
        module = "numbascat." + module.rsplit(".", 1)[1]
    return TransformSpec.make(f"{module}:{cls.__name__}", **kwargs)


def _check_spec(transform, spec: TransformSpec) -> None:
    rebuilt = spec.build()
    a, b = rebuilt.meta(), transform.meta()
    same = a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k]), np.asarray(b[k]), equal_nan=True)
        for k in a if k != "key")
    if not same:
        raise ValueError(f"cannot describe {type(transform).__name__} by its constructor "
                         f"arguments ({spec.kwargs}); pass spec= explicitly")


def _scatter_block(block: np.ndarray, spec: TransformSpec, ndim: int) -> np.ndarray:
    transform = get_transform(spec)
    return transform(block)


def scatter(transform, x, spec: TransformSpec | None = None):
    """Scatter the Dask array ``x`` ``(*batch, *signal)`` lazily, chunk by chunk of ``batch``.

    Parameters
    ----------
    transform : numpy-frontend transform (``numbascat.numpy.Scattering1D/2D/...``)
        With ``out_type='array'``.
    x : dask.array.Array
        Signal axes are rechunked to single chunks; batch chunks are kept.
    spec : TransformSpec, optional
        How workers rebuild the transform; by default :func:`spec_of` ``(transform)``, checked
        once against ``transform``.

    Returns
    -------
    dask.array.Array ``(*batch, *out)``, chunked like ``x`` on the batch axes and with single
    chunks on the output axes; its dtype is the transform's for ``x.dtype``. Values equal
    ``transform(x.compute())`` chunk for chunk.
    """
    import dask.array as da

    if getattr(transform, "out_type", "array") != "array":
        raise ValueError(f"numbascat.dask.scatter needs out_type='array'; got "
                         f"{transform.out_type!r}")
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__}")
    d = transform.signal_ndim
    if x.ndim < d + 1:
        raise ValueError(f"x must have shape (*batch, *signal) with at least one batch axis "
                         f"and {d} signal axes; got shape {x.shape}")
    if spec is None:
        spec = spec_of(transform)
        if not hasattr(transform, "_numbascat_spec"):
            _check_spec(transform, spec)
    # The client's own transform serves the local (threaded) scheduler: no second build.
    with _LOCK:
        _TRANSFORMS.setdefault(spec.key, transform)
    nb = x.ndim - d
    x = x.rechunk({ax: -1 for ax in range(nb, x.ndim)})
    probe = transform(np.zeros((1,) + tuple(x.shape[nb:]), dtype=x.dtype))
    tail = probe.shape[1:]
    letters = "abcdefghijklmnopqrstuvwxyz"
    batch_ind = letters[:nb]
    in_ind = batch_ind + letters[nb:nb + d]
    new = letters[nb + d: nb + d + len(tail)]
    return da.blockwise(
        _scatter_block, batch_ind + new, x, in_ind, spec, None, d, None,
        new_axes=dict(zip(new, tail, strict=True)), concatenate=True, dtype=probe.dtype,
        meta=np.empty((0,) * (nb + len(tail)), dtype=probe.dtype))
