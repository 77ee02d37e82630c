"""``install_as_kymatio()``: register Kymatio 0.3's module paths in ``sys.modules``.

After it, ``import kymatio``, ``from kymatio.numpy import Scattering1D``,
``from kymatio.scattering1d.filter_bank import scattering_filter_factory``, ... give numbascat's
implementations. Every registered module is a light module object whose attributes are resolved
on first access: installing imports nothing beyond the standard library, and
``kymatio.torch`` imports torch only when one of its names is used.

Modules outside the table (``kymatio.frontend...``, Kymatio's internals) raise
``ModuleNotFoundError`` naming what is provided.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import sys
import types

__all__ = ["KYMATIO_VERSION", "KymatioAlreadyImportedError", "MODULES", "install_as_kymatio",
           "installed_as_kymatio", "is_installed", "uninstall_as_kymatio"]

#: The Kymatio release whose behaviour the installed modules follow.
KYMATIO_VERSION = "0.3.0"
_MARK = "__numbascat_kymatio__"
_COMPAT = "numbascat.kymatio_compat"
_CLASSES = ("Scattering1D", "Scattering2D", "HarmonicScattering3D")


class KymatioAlreadyImportedError(RuntimeError):
    """The real Kymatio is already imported, so its modules cannot be replaced."""


def _frontend(frontend: str, names=_CLASSES) -> dict:
    return {n: ("class", frontend, n) for n in names}


def _backend_module(dim: int, name: str) -> dict:
    cls = f"{_class_prefix(name)}Backend{dim}D"
    return {"backend": f"{_COMPAT}.backends:{cls}", cls: f"{_COMPAT}.backends:{cls}"}


def _class_prefix(name: str) -> str:
    return {"numpy": "Numpy", "torch": "Torch", "torch_skcuda": "TorchSkcuda",
            "tensorflow": "TensorFlow", "jax": "Jax"}[name]


def _table() -> dict[str, dict]:
    """Module name -> {attribute: spec}; a spec is ``"module:attr"``, ``("class", frontend,
    name)`` (a transform class) or ``("value", obj)``."""
    entry = {n: f"{_COMPAT}.entry:{n}" for n in _CLASSES}
    table = {
        "kymatio": {**entry, "__version__": ("value", KYMATIO_VERSION)},
        "kymatio.version": {"version": ("value", KYMATIO_VERSION)},
        "kymatio.numpy": _frontend("numpy"),
        "kymatio.torch": _frontend("torch"),
        "kymatio.sklearn": _frontend("sklearn"),
        "kymatio.tensorflow": _frontend("tensorflow"),
        "kymatio.jax": _frontend("jax"),
        "kymatio.keras": _frontend("keras", _CLASSES[:2]),
        "kymatio.caching": {n: f"{_COMPAT}.caching:{n}"
                            for n in ("find_cache_base_dir", "get_cache_dir")},
        "kymatio.datasets": {n: f"{_COMPAT}.datasets:{n}"
                             for n in ("fetch_fsdd", "fetch_qm7", "find_datasets_base_dir",
                                       "get_dataset_dir", "get_cache_dir", "fsdd_url",
                                       "qm7_url", "atom_charges")},
        "kymatio.scattering1d": {"Scattering1D": entry["Scattering1D"]},
        "kymatio.scattering1d.filter_bank": {
            n: f"{_COMPAT}.filters1d:{n}"
            for n in ("scattering_filter_factory", "morlet_1d", "gauss_1d",
                      "compute_params_filterbank")},
        "kymatio.scattering2d": {"Scattering2D": entry["Scattering2D"]},
        "kymatio.scattering2d.filter_bank": {n: f"{_COMPAT}.filters2d:{n}"
                                             for n in ("filter_bank",)},
        "kymatio.scattering3d": {"HarmonicScattering3D": entry["HarmonicScattering3D"]},
        "kymatio.scattering3d.utils": {
            "generate_weighted_sum_of_gaussians":
                f"{_COMPAT}.utils3d:generate_weighted_sum_of_gaussians"},
    }
    for dim, names in ((1, ("numpy", "torch", "torch_skcuda", "tensorflow", "jax")),
                       (2, ("numpy", "torch", "torch_skcuda", "tensorflow", "jax")),
                       (3, ("numpy", "torch", "tensorflow", "jax"))):
        table[f"kymatio.scattering{dim}d.backend"] = {}
        for name in names:
            table[f"kymatio.scattering{dim}d.backend.{name}_backend"] = _backend_module(dim, name)
    return table


#: Every module path served, with the names each holds.
MODULES: dict[str, dict] = _table()
_PACKAGES = {name.rpartition(".")[0] for name in MODULES if "." in name}


def _resolve(spec):
    if isinstance(spec, tuple) and spec[0] == "value":
        return spec[1]
    if isinstance(spec, tuple) and spec[0] == "class":
        from numbascat.kymatio_compat.frontends import kymatio_class

        return kymatio_class(spec[1], spec[2])
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


class _KymatioModule(types.ModuleType):
    """A ``kymatio.*`` module whose names are resolved (and kept) on first access."""

    def __getattr__(self, name: str):
        specs = MODULES.get(self.__name__, {})
        if name in specs:
            value = _resolve(specs[name])
            setattr(self, name, value)
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (numbascat's "
                             f"Kymatio drop-in provides: {', '.join(sorted(specs)) or 'none'})")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(MODULES.get(self.__name__, {})))


class _Finder:
    """Meta-path finder answering ``kymatio.*`` names outside the table with a clear error."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname == "kymatio" or fullname.startswith("kymatio."):
            provided = ", ".join(sorted(MODULES))
            raise ModuleNotFoundError(f"No module named {fullname!r}: numbascat's Kymatio "
                                      f"drop-in (install_as_kymatio) provides {provided}",
                                      name=fullname)
        return None


_FINDER = _Finder()


def is_installed() -> bool:
    """True when ``kymatio`` in ``sys.modules`` is numbascat's (installed by this module)."""
    return getattr(sys.modules.get("kymatio"), _MARK, False) is True


def _real_kymatio() -> list[str]:
    return sorted(name for name, mod in sys.modules.items()
                  if (name == "kymatio" or name.startswith("kymatio."))
                  and getattr(mod, _MARK, False) is not True)


def install_as_kymatio() -> None:
    """Serve Kymatio 0.3's import paths (``kymatio``, ``kymatio.numpy``, ...) with numbascat.

    Call it before the first ``import kymatio`` (or run a script with
    ``python -m numbascat.kymatio script.py``). Calling it again is a no-op.

    Raises
    ------
    KymatioAlreadyImportedError (a RuntimeError)
        When the real Kymatio (or any ``kymatio.*`` module not made here) is already imported.
    """
    if is_installed():
        return
    real = _real_kymatio()
    if real:
        origin = getattr(sys.modules[real[0]], "__file__", None) or "?"
        raise KymatioAlreadyImportedError(
            f"install_as_kymatio(): the real Kymatio is already imported ({real[0]} from "
            f"{origin}), so numbascat cannot replace it. Call numbascat.install_as_kymatio() "
            f"before the first `import kymatio`, or run the script with "
            f"`python -m numbascat.kymatio script.py`.")
    modules = {}
    for name in sorted(MODULES, key=lambda n: n.count(".")):
        module = _KymatioModule(name, f"numbascat's drop-in for Kymatio 0.3's {name}")
        is_package = name in _PACKAGES or name == "kymatio"
        module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=is_package)
        module.__loader__ = None
        if is_package:
            module.__path__ = []
        module.__all__ = [n for n in MODULES[name] if not n.startswith("_")]
        setattr(module, _MARK, True)
        modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    sys.modules.update(modules)
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)


def uninstall_as_kymatio() -> bool:
    """Remove every module :func:`install_as_kymatio` registered; returns whether any was.

    Objects already imported from them keep working; a later ``import kymatio`` finds the real
    Kymatio if it is installed.
    """
    names = [name for name, mod in list(sys.modules.items())
             if getattr(mod, _MARK, False) is True]
    for name in names:
        del sys.modules[name]
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    return bool(names)


@contextlib.contextmanager
def installed_as_kymatio():
    """``with installed_as_kymatio(): import kymatio ...``; undone on exit when this block
    installed it."""
    already = is_installed()
    install_as_kymatio()
    try:
        yield sys.modules["kymatio"]
    finally:
        if not already:
            uninstall_as_kymatio()
