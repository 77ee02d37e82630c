"""Kymatio 0.3's import paths served by numbascat (``numbascat.install_as_kymatio()``).

- :mod:`.install`: the ``kymatio.*`` module table, :func:`install_as_kymatio`,
  :func:`uninstall_as_kymatio`, :func:`installed_as_kymatio`;
- :mod:`.frontends` and :mod:`.entry`: the transform classes under ``kymatio.<frontend>`` and
  the entry ``kymatio.Scattering2D(..., frontend=...)``, with Kymatio's output dtypes;
- :mod:`.filters1d`, :mod:`.filters2d`, :mod:`.utils3d`, :mod:`.backends`: Kymatio's public
  helpers (filter factories, Gaussian densities, backend objects, ``compute_integrals``);
- :mod:`.caching`, :mod:`.datasets`: ``kymatio.caching`` and ``kymatio.datasets``.

Importing this package imports only the standard library.
"""
from numbascat.kymatio_compat.install import (
    KymatioAlreadyImportedError,
    install_as_kymatio,
    installed_as_kymatio,
    is_installed,
    uninstall_as_kymatio,
)

__all__ = ["KymatioAlreadyImportedError", "install_as_kymatio", "installed_as_kymatio",
           "is_installed", "uninstall_as_kymatio"]
