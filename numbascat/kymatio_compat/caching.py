"""``kymatio.caching``: Kymatio's cache directory (``$KYMATIO_CACHE``, else ``~/kymatio_cache``).

Used by Kymatio's examples to store derived data (e.g. QM7 arrays). numbascat's own caches (filter
banks, FFTW wisdom) live elsewhere (:mod:`numbascat.cache`).
"""
from __future__ import annotations

import os

__all__ = ["find_cache_base_dir", "get_cache_dir"]


def find_cache_base_dir(cache_base_dir=None):
    """``cache_base_dir`` if given, else ``$KYMATIO_CACHE``, else ``~/kymatio_cache``."""
    if cache_base_dir is None:
        cache_base_dir = os.environ.get("KYMATIO_CACHE", os.path.expanduser("~/kymatio_cache"))
    return cache_base_dir


def get_cache_dir(name="", cache_base_dir=None, create=True):
    """The directory ``<cache base>/<name>`` (created when missing and ``create``).

    Raises ``ValueError`` when it does not exist and ``create`` is False.
    """
    path = os.path.join(find_cache_base_dir(cache_base_dir), name)
    # Kymatio's text (sic), then how to fix it.
    return _existing_dir(path, create, f"The cache directory does not exist,but I cannot "
                                      f"create it: {path}. Create it, or call "
                                      f"get_cache_dir({name!r}, create=True).")


def _existing_dir(path: str, create: bool, missing: str) -> str:
    """``path`` when it exists, else made when ``create``; else ``ValueError(missing)``."""
    if os.path.exists(path):
        return path
    if create:
        os.makedirs(path)
        return path
    raise ValueError(missing)
