"""``numbascat backends`` and ``numbascat config``."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from numbascat import registry
from numbascat.cli import main


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.refresh_backends()
    yield
    registry.refresh_backends()


def test_backends_table(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:3] == ["name", "dims", "arrays"]
    names = [line.split()[0] for line in out.splitlines()[2:]]
    for name in ("numpy", "numba", "torch", "numba_cuda"):
        assert name in names
    numpy_row = next(line for line in out.splitlines() if line.startswith("numpy "))
    assert "1D,2D,3D" in numpy_row and " yes" in numpy_row


def test_backends_json_reports_reasons(capsys):
    assert main(["backends", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["numpy"]["available"] is True and rows["numpy"]["reason"] is None
    for row in rows.values():
        assert row["available"] or row["reason"]


def test_config_shows_choice_and_source(capsys, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_BACKEND_3D", "numpy")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    row3 = next(line for line in out.splitlines() if line.startswith("3D"))
    assert "numpy" in row3 and "NUMBASCAT_BACKEND_3D" in row3
    assert "configuration file:" in out


def test_config_rejects_unknown_frontend(capsys):
    assert main(["config", "--frontend", "mxnet"]) == 2
    assert "--frontend must be one of" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


SCRIPT = Path(sys.executable).with_name("numbascat")


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed beside python")
def test_console_script():
    out = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("numbascat ")
