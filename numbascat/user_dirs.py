"""The user's configuration and cache directories of an application.

On Linux these are the XDG base directories, computed here directly: importing platformdirs
costs about 2 ms, a tenth of constructing a small transform. Other platforms (and Android,
which reports itself as Linux before Python 3.13) ask platformdirs.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["user_cache_dir", "user_config_dir"]


def _xdg(variable: str, default: str, app: str) -> Path | None:
    if sys.platform != "linux" or "ANDROID_DATA" in os.environ:
        return None
    base = os.environ.get(variable, "")
    # As platformdirs (and the XDG specification): an unset or blank variable means the default.
    return Path(base if base.strip() else os.path.expanduser(default)) / app


def user_config_dir(app: str) -> Path:
    """``$XDG_CONFIG_HOME/<app>`` (``~/.config/<app>``) on Linux; platformdirs' elsewhere."""
    found = _xdg("XDG_CONFIG_HOME", "~/.config", app)
    if found is None:
        import platformdirs

        found = Path(platformdirs.user_config_dir(app, appauthor=False))
    return found


def user_cache_dir(app: str) -> Path:
    """``$XDG_CACHE_HOME/<app>`` (``~/.cache/<app>``) on Linux; platformdirs' elsewhere."""
    found = _xdg("XDG_CACHE_HOME", "~/.cache", app)
    if found is None:
        import platformdirs

        found = Path(platformdirs.user_cache_dir(app, appauthor=False))
    return found
