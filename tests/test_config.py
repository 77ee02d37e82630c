"""Backend selection precedence, per-dimension fall-through and the configuration file."""
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import numbascat
from numbascat import config, registry
from numbascat.config import ConfigError, resolve_backend, use_backend
from numbascat.registry import BackendNotFoundError, BackendUnavailableError

pytest.importorskip("numbascat_testplugin", reason="the test plugin distribution is not "
                                                   "installed: pip install ./tests/testplugin")


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.refresh_backends()
    yield
    registry.refresh_backends()


def chosen(dim=2, kind="numpy", explicit=None):
    sel = resolve_backend(dim, kind, explicit)
    return sel.backend.name, sel.source


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_default_is_highest_priority_available():
    try:
        expected = numbascat.get_backend("numba").name
    except BackendUnavailableError:
        expected = "numpy"
    name, source = chosen()
    assert name == expected and source.startswith("default")


def test_explicit_argument_and_transform():
    assert chosen(explicit="testplug") == ("testplug", "backend= argument")
    S = numbascat.Scattering2D(2, (16, 16), backend="testplug")
    assert S.backend.name == "testplug" and S.backend_source == "backend= argument"
    instance = numbascat.get_backend("numpy")
    assert chosen(explicit=instance)[0] == "numpy"


def test_explicit_argument_that_cannot_be_honoured_raises():
    with pytest.raises(ValueError, match="does not implement 1D"):
        chosen(dim=1, explicit="testplug")
    with pytest.raises(ValueError, match="torch frontend"):
        chosen(kind="torch", explicit="numpy")
    with pytest.raises(BackendNotFoundError, match="Did you mean 'testplug'"):
        chosen(explicit="testplugg")
    with pytest.raises(TypeError, match="backend must be"):
        chosen(explicit=3)


def test_context_manager_is_scoped():
    with use_backend("testplug"):
        assert chosen() == ("testplug", "use_backend() context")
        with use_backend("numpy"):
            assert chosen()[0] == "numpy"
        assert chosen()[0] == "testplug"
        S = numbascat.Scattering2D(2, (16, 16))
        assert S.backend.name == "testplug"
    assert chosen()[1].startswith("default")


@pytest.mark.parametrize("var", ["NUMBASCAT_BACKEND_2D", "NUMBASCAT_BACKEND",
                                 "KYMATIO_BACKEND_2D", "KYMATIO_BACKEND"])
def test_each_environment_variable(monkeypatch, var):
    monkeypatch.setenv(var, "testplug")
    assert chosen() == ("testplug", f"environment variable {var}")


def test_precedence_order(monkeypatch, tmp_path):
    cfg = write_config(tmp_path / "n.cfg", "[backend]\ndefault = testplug\n")
    monkeypatch.setenv("NUMBASCAT_CONFIG", str(cfg))
    assert chosen()[0] == "testplug"
    monkeypatch.setenv("KYMATIO_BACKEND", "numpy")
    assert chosen() == ("numpy", "environment variable KYMATIO_BACKEND")
    monkeypatch.setenv("KYMATIO_BACKEND_2D", "testplug")
    assert chosen()[0] == "testplug"
    monkeypatch.setenv("NUMBASCAT_BACKEND", "numpy")
    assert chosen() == ("numpy", "environment variable NUMBASCAT_BACKEND")
    monkeypatch.setenv("NUMBASCAT_BACKEND_2D", "testplug")
    assert chosen()[0] == "testplug"
    with use_backend("numpy"):
        assert chosen()[0] == "numpy"
        assert chosen(explicit="testplug")[0] == "testplug"


def test_unsupported_dimension_falls_through_for_that_dimension_only(monkeypatch, caplog):
    monkeypatch.setenv("NUMBASCAT_BACKEND", "testplug")
    monkeypatch.setenv("KYMATIO_BACKEND", "numpy")
    with caplog.at_level(logging.INFO, logger="numbascat.config"):
        assert chosen(dim=1) == ("numpy", "environment variable KYMATIO_BACKEND")
        assert chosen(dim=3) == ("numpy", "environment variable KYMATIO_BACKEND")
    assert "does not implement 1D" in caplog.text
    assert chosen(dim=2)[0] == "testplug"


def test_backend_for_other_arrays_falls_through(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_BACKEND", "torch")  # a torch-frontend backend
    assert chosen()[1].startswith("default")


def test_unusable_backend_falls_through_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("NUMBASCAT_BACKEND", "broken")
    with caplog.at_level(logging.WARNING, logger="numbascat.config"):
        with pytest.warns(RuntimeWarning):
            assert chosen()[1].startswith("default")
    assert "unusable backend" in caplog.text


def test_unknown_name_in_environment_is_an_error(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_BACKEND_2D", "nmupy")
    with pytest.raises(BackendNotFoundError, match="NUMBASCAT_BACKEND_2D"):
        chosen()


def test_config_file_in_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write_config(tmp_path / "numbascat" / "numbascat.cfg", """
        [backend]
        default = numpy
        2d = testplug
        """)
    assert config.config_path() == tmp_path / "numbascat" / "numbascat.cfg"
    name, source = chosen()
    assert name == "testplug" and "[backend] 2d" in source
    assert chosen(dim=1) == ("numpy", f"{tmp_path / 'numbascat' / 'numbascat.cfg'} "
                                      f"[backend] default")


def test_kymatio_config_file_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write_config(tmp_path / "kymatio" / "kymatio.cfg", "[general]\nbackend = torch\n"
                                                        "backend_2d = testplug\n")
    assert chosen()[0] == "testplug"
    assert chosen(dim=1)[1].startswith("default")  # 'torch' does not serve numpy arrays


def test_malformed_config_names_file_and_line(monkeypatch, tmp_path):
    cfg = write_config(tmp_path / "bad.cfg", "[backend]\ndefault = numpy\nthis line is junk\n")
    monkeypatch.setenv("NUMBASCAT_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"bad\.cfg, line 3"):
        chosen()


def test_use_backend_rejects_non_names():
    with pytest.raises(TypeError, match="use_backend"):
        with use_backend(42):
            pass


def test_nothing_is_written_at_import_listing_or_selection(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "NUMBASCAT_"))}
    env.update(HOME=str(home), NUMBASCAT_BACKEND="numpy")
    code = ("import numbascat; from numbascat.config import resolve_backend; "
            "numbascat.list_backends(probe=True); [resolve_backend(d) for d in (1, 2, 3)]; "
            "numbascat.config.read_config()")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    assert list(home.rglob("*")) == []


def test_no_backend_at_all_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(config, "_serving", lambda dim, kind: [])
    with pytest.raises(BackendUnavailableError, match="No usable backend"):
        chosen(kind="numpy")
