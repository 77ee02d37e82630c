"""Run Kymatio 0.3 code on numbascat: ``python -m numbascat.kymatio SCRIPT.py [ARGS]``.

The same as calling :func:`numbascat.install_as_kymatio` at the top of ``SCRIPT.py``; see
:mod:`numbascat.kymatio_compat`.
"""
from numbascat.kymatio_compat import (
    install_as_kymatio,
    installed_as_kymatio,
    is_installed,
    uninstall_as_kymatio,
)

__all__ = ["install_as_kymatio", "installed_as_kymatio", "is_installed", "uninstall_as_kymatio"]
