"""Backend discovery through entry points.

Two entry-point groups describe every backend, built-in ones included:

- ``numbascat.backends``: name -> ``module:BackendClass`` (imported only when the backend is used);
- ``numbascat.backend_info``: name -> ``module:INFO``, a :class:`~numbascat.backend_api.BackendInfo`
  in a light module, so listing backends never imports torch, CuPy or numba.

The functions below each do one step (read entry points, de-duplicate, check availability, load
guarded) behind two caches that :func:`refresh_backends` clears. A plugin that fails to load is
reported with one ``RuntimeWarning`` naming it and never breaks the others.
"""
from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import threading
import warnings
from dataclasses import dataclass

from numbascat import entry_point_scan
from numbascat.backend_api import Backend, BackendInfo

__all__ = [
    "ALIASES",
    "BackendNotFoundError",
    "BackendStatus",
    "BackendUnavailableError",
    "backend_infos",
    "canonical_name",
    "get_backend",
    "list_backends",
    "refresh_backends",
]

BACKENDS_GROUP = "numbascat.backends"
INFO_GROUP = "numbascat.backend_info"

#: Kymatio backend names and what serves them here.
ALIASES = {
    "torch_skcuda": "numba_cuda",
    "torch17_skcuda": "numba_cuda",
    "skcuda": "numba_cuda",
    "torch17": "torch",
}


class BackendNotFoundError(ImportError, ValueError):
    """No backend is registered under the requested name (also a ValueError: a bad argument)."""


class BackendUnavailableError(ImportError):
    """The backend is registered but cannot be used here (missing package, no GPU, ...)."""


@dataclass(frozen=True)
class BackendStatus:
    """A row of :func:`list_backends`: the metadata and whether the backend is usable."""

    info: BackendInfo
    available: bool
    reason: str | None  # why not available, with the fix
    source: str  # the distribution that registered it

    @property
    def name(self) -> str:
        return self.info.name


# ---------------------------------------------------------------------------------- discovery
def _distribution_name(ep) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "unknown distribution"


def _load_info(ep) -> BackendInfo | None:
    try:
        info = ep.load()
    except Exception as exc:  # a broken plugin must not break discovery
        warnings.warn(f"numbascat backend plugin {ep.name!r} ({ep.value}) has unreadable "
                      f"metadata and is ignored: {type(exc).__name__}: {exc}",
                      RuntimeWarning, stacklevel=3)
        return None
    if not isinstance(info, BackendInfo) or info.name != ep.name:
        warnings.warn(f"numbascat backend plugin {ep.name!r} ({ep.value}) does not point to a "
                      f"BackendInfo named {ep.name!r}; it is ignored", RuntimeWarning,
                      stacklevel=3)
        return None
    return info


def _installed_entry_points():
    """Entry points of both groups (a seam the tests replace)."""
    return entry_point_scan.entry_points((BACKENDS_GROUP, INFO_GROUP))


@functools.lru_cache(maxsize=1)
def _scan() -> tuple[dict[str, list], dict[tuple[str, int], object]]:
    """One scan of the installed distributions' entry points (the first transform of a
    process pays for it): backend entry points by name, and info entry points by name and
    distribution. Entry points of one scan share their distribution object, so a backend's
    info entry point is paired by identity."""
    everything = _installed_entry_points()
    class_eps: dict[str, list] = {}
    for ep in everything.select(group=BACKENDS_GROUP):
        class_eps.setdefault(ep.name, []).append(ep)
    info_eps: dict[tuple[str, int], object] = {}
    for ep in everything.select(group=INFO_GROUP):
        info_eps.setdefault((ep.name, id(getattr(ep, "dist", None))), ep)
    return class_eps, info_eps


@functools.cache
def _entry(name: str) -> tuple[BackendInfo, object] | None:
    """(info, backend entry point) of one name, duplicates resolved; None when unregistered.

    Only this name's info modules are imported (a transform's first call needs one backend,
    not the metadata of all), and distribution names (a metadata file read each) only for
    duplicates and listings (:func:`_distribution_name`).
    """
    class_eps, info_eps = _scan()
    candidates = []
    for ep in class_eps.get(name, ()):
        info_ep = info_eps.get((name, id(getattr(ep, "dist", None))))
        info = _load_info(info_ep) if info_ep is not None else BackendInfo(name=name)
        if info is not None:
            candidates.append((info, ep))
    if not candidates:
        return None
    if len(candidates) > 1:
        # numbascat's own registrations first, then by priority.
        candidates.sort(key=lambda c: (_distribution_name(c[1]) != "numbascat",
                                       -c[0].priority))
        kept = candidates[0]
        others = ", ".join(f"{c[1].value} from {_distribution_name(c[1])}"
                           for c in candidates[1:])
        warnings.warn(f"numbascat backend name {name!r} is registered more than once; using "
                      f"{kept[1].value} from {_distribution_name(kept[1])} and ignoring "
                      f"{others}", RuntimeWarning, stacklevel=3)
    return candidates[0]


def _registered() -> dict[str, tuple[BackendInfo, object]]:
    """name -> (info, backend entry point) of every registered backend."""
    entries = {name: _entry(name) for name in _scan()[0]}
    return {name: entry for name, entry in entries.items() if entry is not None}


def backend_infos() -> dict[str, BackendInfo]:
    """Metadata of every registered backend, by name, without importing any backend."""
    return {name: entry[0] for name, entry in _registered().items()}


def canonical_name(name: str) -> str:
    """Resolve Kymatio aliases (``torch_skcuda`` -> ``numba_cuda``) and case."""
    key = str(name).strip().lower()
    return ALIASES.get(key, key)


# ---------------------------------------------------------------------------------- availability
def _missing_requirement(info: BackendInfo) -> str | None:
    for module in info.requires:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            hint = (f"pip install 'numbascat[{info.extra}]'" if info.extra
                    else f"pip install {module}")
            return f"needs the Python package {module!r} ({hint})"
    return None


def _run_probe(info: BackendInfo) -> str | None:
    if not info.probe:
        return None
    module_name, _, func_name = info.probe.partition(":")
    try:
        return getattr(importlib.import_module(module_name), func_name)()
    except Exception as exc:
        return f"availability check failed: {type(exc).__name__}: {exc}"


def list_backends(probe: bool = False, load: bool = False) -> list[BackendStatus]:
    """Every registered backend with its availability, sorted by name.

    Parameters
    ----------
    probe : bool
        Also run each backend's own availability probe (for example "is there a GPU?"). Probes
        may import the backend's dependencies. By default only the presence of the required
        packages is checked, which imports nothing.
    load : bool
        Also import each backend whose requirements are present (guarded: a failure becomes the
        reason it is unavailable). Implies ``probe``.
    """
    rows = []
    for name, (info, ep) in sorted(_registered().items()):
        reason = _missing_requirement(info) or _load_failures.get(name)
        if reason is None and (probe or load):
            reason = _run_probe(info)
        if reason is None and load:
            try:
                get_backend(name)
            except BackendUnavailableError as exc:
                reason = str(exc)
        rows.append(BackendStatus(info, reason is None, reason, _distribution_name(ep)))
    return rows


# ---------------------------------------------------------------------------------- loading
_instances: dict[str, Backend] = {}
_load_failures: dict[str, str] = {}
_lock = threading.Lock()


def _not_found(name: str) -> BackendNotFoundError:
    known = sorted(backend_infos())
    close = difflib.get_close_matches(name, known + list(ALIASES), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    # Kymatio's text first ("Backend <name> not found!"), then what numbascat has.
    return BackendNotFoundError(f"Backend {name} not found! No numbascat backend named "
                                f"{name!r}.{hint} Registered backends: "
                                f"{', '.join(known)} (see `numbascat backends`).")


def _load(name: str, info: BackendInfo, ep) -> Backend:
    try:
        obj = ep.load()
    except Exception as exc:
        reason = f"failed to import {ep.value}: {type(exc).__name__}: {exc}"
        _load_failures[name] = reason
        warnings.warn(f"numbascat backend plugin {name!r} {reason}", RuntimeWarning,
                      stacklevel=3)
        raise BackendUnavailableError(f"Backend {name!r} is unavailable: {reason}") from exc
    instance = obj() if isinstance(obj, type) and issubclass(obj, Backend) else obj
    if not isinstance(instance, Backend):
        reason = f"{ep.value} is not a numbascat.backend_api.Backend subclass"
        _load_failures[name] = reason
        warnings.warn(f"numbascat backend plugin {name!r}: {reason}", RuntimeWarning,
                      stacklevel=3)
        raise BackendUnavailableError(f"Backend {name!r} is unavailable: {reason}")
    if getattr(type(instance), "info", None) is None or instance.info.name != name:
        type(instance).info = info  # plugins may leave the record to the info entry point
    return instance


def get_backend(name: str) -> Backend:
    """The backend instance registered as ``name`` (aliases accepted), loading it on first use.

    Raises
    ------
    BackendNotFoundError
        No such name; the message lists the registered backends and the nearest match.
    BackendUnavailableError
        Registered but not usable here; the message says why and what to install.
    """
    canonical = canonical_name(name)
    with _lock:
        if canonical in _instances:
            return _instances[canonical]
        entry = _entry(canonical)
        if entry is None:
            raise _not_found(str(name))
        info, ep = entry
        if canonical in _load_failures:
            raise BackendUnavailableError(
                f"Backend {canonical!r} is unavailable: {_load_failures[canonical]}")
        missing = _missing_requirement(info) or _run_probe(info)
        if missing:
            raise BackendUnavailableError(f"Backend {canonical!r} is unavailable: {missing}.")
        instance = _load(canonical, info, ep)
        _instances[canonical] = instance
        return instance


def refresh_backends() -> None:
    """Forget discovered plugins and loaded instances; the next call re-reads entry points."""
    with _lock:
        _scan.cache_clear()
        _entry.cache_clear()
        _instances.clear()
        _load_failures.clear()
