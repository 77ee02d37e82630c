"""Backend selection and the configuration file.

Precedence, resolved when a transform is constructed (never at import):

1. the explicit ``backend=`` argument (a name or a :class:`~numbascat.backend_api.Backend`);
2. the innermost ``with numbascat.use_backend(name):`` block (per thread / async context);
3. ``NUMBASCAT_BACKEND_{1D,2D,3D}``, then ``NUMBASCAT_BACKEND``;
4. ``KYMATIO_BACKEND_{1D,2D,3D}``, then ``KYMATIO_BACKEND`` (drop-in compatibility);
5. the configuration file (see :func:`config_path`): section ``[backend]``, keys ``1d``/``2d``/
   ``3d`` then ``default``; Kymatio 0.1's ``kymatio.cfg`` (``[general]`` ``backend_2d`` /
   ``backend``) as a fallback;
6. the highest-priority available backend for the frontend's arrays and the dimension.

A name from sources 2-5 that does not serve the dimension or the frontend's arrays, or that is
not usable here, falls through to the next source for that dimension only (one log line). An
explicit argument that cannot be honoured raises at once. Nothing is ever written.
"""
from __future__ import annotations

import configparser
import contextlib
import contextvars
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from numbascat import user_dirs
from numbascat.backend_api import Backend
from numbascat.registry import (
    BackendNotFoundError,
    BackendUnavailableError,
    backend_infos,
    canonical_name,
    get_backend,
)

__all__ = [
    "BackendMismatchError",
    "ConfigError",
    "Selection",
    "config_path",
    "get_setting",
    "kymatio_config_path",
    "read_config",
    "resolve_backend",
    "use_backend",
]

log = logging.getLogger("numbascat.config")

_context_backend: contextvars.ContextVar[str | Backend | None] = contextvars.ContextVar(
    "numbascat_backend", default=None)


class BackendMismatchError(ImportError, ValueError):
    """An explicit backend cannot serve the frontend's arrays or the dimension (Kymatio raises
    ImportError here; it is also a ValueError, a bad argument)."""


class ConfigError(ValueError):
    """A configuration file or variable is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Selection:
    """The outcome of backend resolution: which backend, and which source chose it."""

    backend: Backend
    source: str


@contextlib.contextmanager
def use_backend(backend: str | Backend):
    """Select a backend for transforms constructed inside the block.

    Examples
    --------
    >>> with numbascat.use_backend("numpy"):
    ...     S = numbascat.numpy.Scattering2D(J=2, shape=(32, 32))   # doctest: +SKIP
    """
    if not isinstance(backend, Backend | str):
        raise TypeError(f"use_backend expects a backend name or a Backend instance, got "
                        f"{type(backend).__name__}")
    token = _context_backend.set(backend)
    try:
        yield
    finally:
        _context_backend.reset(token)


# ---------------------------------------------------------------------------------- files
def _config_home() -> Path:
    return user_dirs.user_config_dir("numbascat")


def config_path() -> Path:
    """The configuration file: ``$NUMBASCAT_CONFIG`` or ``<user config dir>/numbascat.cfg``.

    On Linux the user config dir is ``$XDG_CONFIG_HOME/numbascat`` (``~/.config/numbascat``).
    """
    override = os.environ.get("NUMBASCAT_CONFIG")
    return Path(override).expanduser() if override else _config_home() / "numbascat.cfg"


def kymatio_config_path() -> Path:
    """Kymatio 0.1's configuration file, read as a fallback."""
    return user_dirs.user_config_dir("kymatio") / "kymatio.cfg"


def _parse(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle, source=str(path))
    except configparser.Error as exc:
        errors = getattr(exc, "errors", None)  # ParsingError: [(lineno, text), ...]
        line = getattr(exc, "lineno", None) or (errors[0][0] if errors else None)
        where = f"{path}, line {line}" if line else str(path)
        detail = f"unexpected text {errors[0][1]}" if errors else str(exc).splitlines()[0]
        raise ConfigError(f"Malformed configuration file {where}: {detail}. Expected INI "
                          f"syntax, e.g. '[backend]' then 'default = numba'; fix or remove the "
                          f"file.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Configuration file {path} is not UTF-8 text: {exc}") from exc
    return parser


def read_config(path: Path | None = None) -> configparser.ConfigParser:
    """The parsed configuration file (empty when absent). Raises :class:`ConfigError`."""
    path = config_path() if path is None else Path(path)
    if not path.is_file():
        return configparser.ConfigParser()
    return _parse(path)


def get_setting(section: str, key: str, env: str | None = None, default=None):
    """A setting from the environment variable ``env`` first, then the configuration file."""
    if env and os.environ.get(env, "").strip():
        return os.environ[env].strip()
    parser = read_config()
    if parser.has_option(section, key):
        value = parser.get(section, key).strip()
        return value if value else default
    return default


# ---------------------------------------------------------------------------------- resolution
def _candidates(dim: int):
    """(source label, name) pairs from sources 2-5, in precedence order."""
    ctx = _context_backend.get()
    if ctx is not None:
        yield "use_backend() context", ctx
    for prefix in ("NUMBASCAT_BACKEND", "KYMATIO_BACKEND"):
        for var in (f"{prefix}_{dim}D", prefix):
            value = os.environ.get(var, "").strip()
            if value:
                yield f"environment variable {var}", value
    path = config_path()
    if path.is_file():
        parser = _parse(path)
        for key in (f"{dim}d", "default"):
            if parser.has_option("backend", key) and parser.get("backend", key).strip():
                yield f"{path} [backend] {key}", parser.get("backend", key).strip()
    kpath = kymatio_config_path()
    if kpath.is_file():
        parser = _parse(kpath)
        for key in (f"backend_{dim}d", "backend"):
            if parser.has_option("general", key) and parser.get("general", key).strip():
                yield f"{kpath} [general] {key}", parser.get("general", key).strip()


def _why_not(backend: Backend, dim: int, array_kind: str) -> str | None:
    info = backend.info
    if dim not in info.dims:
        return f"backend {info.name!r} does not implement {dim}D scattering (it serves " \
               f"{', '.join(f'{d}D' for d in info.dims)})"
    if array_kind not in info.array_kinds:
        return f"backend {info.name!r} computes on {', '.join(info.array_kinds)} arrays, not " \
               f"on the {array_kind} frontend's arrays"
    return None


def _as_backend(choice: str | Backend) -> Backend:
    return choice if isinstance(choice, Backend) else get_backend(choice)


def _backend_name(obj) -> str | None:
    """The name of a Kymatio-style backend object (anything with a string ``.name``, as the
    ``backend`` of ``kymatio.scattering1d.backend.numpy_backend``), else None."""
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else None


def resolve_backend(dim: int, array_kind: str = "numpy",
                    explicit: str | Backend | None = None) -> Selection:
    """Choose the backend for a ``dim``-D transform in a frontend computing on ``array_kind``.

    Raises
    ------
    BackendNotFoundError, BackendUnavailableError, ValueError
        When ``explicit`` cannot be honoured, or a configured name is not registered at all.
    """
    if explicit is not None:
        given_object = not isinstance(explicit, str)
        if not isinstance(explicit, Backend | str):
            if _backend_name(explicit) is None:
                raise TypeError(f"backend must be a backend name, a numbascat Backend instance "
                                f"or an object with a string .name (Kymatio's backend objects), "
                                f"got {type(explicit).__name__}")
            explicit = _backend_name(explicit)
        backend = _as_backend(explicit)
        reason = _why_not(backend, dim, array_kind)
        if reason:
            # Kymatio's type (ImportError) and text first.
            name = backend.name if isinstance(explicit, Backend) else explicit
            kymatio_text = (f"The backend {name} is not supported by the frontend {array_kind}."
                            if given_object else
                            f"The backend {name} can not be called from the frontend "
                            f"{array_kind}.")
            raise BackendMismatchError(f"{kymatio_text} backend={name!r} cannot be used here: "
                                       f"{reason}. Choose one of "
                                       f"{', '.join(_serving(dim, array_kind))}.")
        return Selection(backend, "backend= argument")

    for source, choice in _candidates(dim):
        if isinstance(choice, str) and canonical_name(choice) not in backend_infos():
            try:
                get_backend(choice)
            except BackendNotFoundError as exc:
                raise BackendNotFoundError(f"{exc} (named by {source})") from None
        try:
            backend = _as_backend(choice)
        except BackendUnavailableError as exc:
            log.warning("%s names an unusable backend, ignored for %dD: %s", source, dim, exc)
            continue
        reason = _why_not(backend, dim, array_kind)
        if reason:
            log.info("%s: %s; falling through for %dD", source, reason, dim)
            continue
        return Selection(backend, source)

    for name in _serving(dim, array_kind):
        try:
            return Selection(get_backend(name), "default (highest-priority available backend)")
        except BackendUnavailableError as exc:
            log.info("default backend %r skipped: %s", name, exc)
    raise BackendUnavailableError(
        f"No usable backend for {dim}D scattering on {array_kind} arrays. Registered: "
        f"{', '.join(sorted(backend_infos()))}. Install numbascat's core dependencies "
        f"(numpy, scipy) or see `numbascat backends`.")


def _serving(dim: int, array_kind: str) -> list[str]:
    """Registered backend names serving ``dim`` and ``array_kind``, best first."""
    infos = [i for i in backend_infos().values() if dim in i.dims and array_kind in i.array_kinds]
    return [i.name for i in sorted(infos, key=lambda i: (-i.priority, i.name))]
