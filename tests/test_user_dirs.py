import sys
from pathlib import Path

import platformdirs
import pytest

from numbascat import user_dirs


@pytest.mark.parametrize("value", [None, "", "   ", "/tmp/xdg-base"])
def test_matches_platformdirs(monkeypatch, value):
    for variable in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    for app in ("numbascat", "kymatio"):
        assert user_dirs.user_config_dir(app) == Path(
            platformdirs.user_config_dir(app, appauthor=False))
        assert user_dirs.user_cache_dir(app) == Path(
            platformdirs.user_cache_dir(app, appauthor=False))


def test_other_platforms_ask_platformdirs(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert user_dirs._xdg("XDG_CACHE_HOME", "~/.cache", "numbascat") is None
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("ANDROID_DATA", "/data")
    assert user_dirs._xdg("XDG_CACHE_HOME", "~/.cache", "numbascat") is None
