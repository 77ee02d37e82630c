"""``numbascat bench``: the terminal table, JSON output, errors and the Kymatio side-by-side."""
import json
import sys
import textwrap

import pytest
from peer import kymatio_python, requires_kymatio

from numbascat.cli import main
from numbascat.cli.bench import render

HEADER = ["workload", "backend", "batch", "median", "throughput", "FFT floor", "x floor", "note"]


def _table(out: str) -> tuple[list[str], list[str]]:
    lines = out.strip().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("workload"))
    return lines[start].split(), lines[start + 2:]


def test_numpy_mnist_table(capsys):
    code = main(["bench", "--workload", "2d-mnist", "--backend", "numpy", "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "median of 1 calls after one warm-up" in out
    header, rows = _table(out)
    assert header[:6] == ["workload", "backend", "batch", "median", "throughput", "FFT"]
    assert len(rows) == 1
    cells = rows[0].split()
    # 2d-mnist numpy 32x3 <t> ms <v> MPix/s n/a n/a
    assert cells[:3] == ["2d-mnist", "numpy", "32x3"]
    assert cells[4] == "ms" and float(cells[3].replace(",", "")) > 0
    assert cells[6] == "MPix/s" and float(cells[5].replace(",", "")) > 0
    assert cells[7:9] == ["n/a", "n/a"]  # no FFT floor for the numpy backend


def test_json_rows_are_consistent(capsys):
    code = main(["bench", "--workload", "2d-mnist", "--backend", "numpy", "--repeat", "2",
                 "--json"])
    assert code == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["workload"] == "2d-mnist" and row["backend"] == "numpy"
    assert row["batch"] == [32, 3] and row["median_s"] > 0
    assert row["throughput_unit"] == "MPix/s"
    assert row["throughput"] == pytest.approx(32 * 3 * 32 * 32 / 1e6 / row["median_s"])
    assert row["floor_s"] is None and row["floor_ratio"] is None


def test_unavailable_backend_is_a_skipped_row(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    code = main(["bench", "--workload", "2d-mnist", "--backend", "torch-cuda", "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0
    (row,) = _table(out)[1]
    assert "256x3" in row and "skipped:" in row and "CUDA" in row


@pytest.mark.parametrize("argv, message", [
    (["--workload", "2d-nope"], "unknown workload '2d-nope'"),
    (["--backend", "cuda"], "unknown backend 'cuda'"),
    (["--repeat", "0"], "--repeat must be >= 1, got 0"),
    (["--vs-kymatio", "/no/such/python"], "--vs-kymatio must be the path of a Python"),
])
def test_bad_arguments_fail_before_timing(capsys, argv, message):
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


def test_render_with_kymatio_columns():
    row = {"workload": "w", "backend": "numba", "batch": [4, 3], "median_s": 0.01,
           "throughput": 12.5, "throughput_unit": "MPix/s", "floor_s": 0.004,
           "floor_ratio": 2.5, "kymatio_s": {"kymatio-numpy": 0.05}, "note": ""}
    header, rows = _table(render([row], with_kymatio=True))
    text = render([row], with_kymatio=True)
    assert "kymatio-numpy" in text and "kymatio-torch" in text
    cells = rows[0].split()
    assert cells[:4] == ["w", "numba", "4x3", "10"]
    assert "2.50x" in cells and "5.00x" in cells  # floor ratio, Kymatio time / ours


FAKE_KYMATIO = {
    "kymatio/__init__.py": "__version__ = '0.3.0-fake'\n",
    "kymatio/numpy.py": """
        import time

        class Scattering2D:
            def __init__(self, J, shape, L=8):
                self.shape = shape

            def __call__(self, x):
                time.sleep(0.02)
                return x.sum()
        """,
    "kymatio/torch.py": "raise ImportError('no torch frontend in this fake')\n",
}


def test_side_by_side_alternates_processes_and_reports_the_ratio(capsys, tmp_path,
                                                                   monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: torch-cuda would run")
    for name, text in FAKE_KYMATIO.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    code = main(["bench", "--workload", "2d-mnist", "--backend", "numpy", "torch-cuda",
                 "--repeat", "1", "--rounds", "1", "--vs-kymatio", sys.executable, "--json"])
    assert code == 0
    ours, gpu = json.loads(capsys.readouterr().out)
    assert ours["backend"] == "numpy" and ours["median_s"] > 0
    assert ours["kymatio_s"]["kymatio-numpy"] == pytest.approx(0.02, rel=0.5, abs=0.02)
    assert "kymatio-torch" not in ours["kymatio_s"]
    assert "kymatio-torch failed: ImportError: no torch frontend in this fake" in ours["note"]
    # An engine that cannot run is skipped, and a GPU batch is not compared with a CPU one.
    assert gpu["backend"] == "torch-cuda" and gpu["median_s"] is None
    assert gpu["note"].startswith("skipped:") and "CUDA" in gpu["note"]
    assert "no ratio" in gpu["note"] and gpu["kymatio_s"] == {}


@requires_kymatio
@pytest.mark.peer
def test_side_by_side_with_kymatio(capsys):
    code = main(["bench", "--workload", "2d-mnist", "--backend", "numpy", "--repeat", "1",
                 "--rounds", "1", "--vs-kymatio", kymatio_python()])
    out = capsys.readouterr().out
    assert code == 0, out
    header, rows = _table(out)
    assert "kymatio-numpy" in out and "kymatio-torch" in out
    assert "failed" not in rows[0], rows[0]
    assert rows[0].count(" ms") == 3  # ours, kymatio-numpy, kymatio-torch


def test_json_to_a_file_keeps_the_table(capsys, tmp_path):
    path = tmp_path / "bench.json"
    code = main(["bench", "--workload", "2d-mnist", "--backend", "numpy", "--repeat", "1",
                 "--batch", "cpu", "--json", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and "2d-mnist" in _table(out)[1][0]
    (row,) = json.loads(path.read_text())
    assert row["backend"] == "numpy" and row["batch"] == [32, 3] and row["median_s"] > 0


def test_jax_rows_like_the_others(capsys):
    # tensorflow goes the same way (numbascat.benchmarking's cases are tested for both); its
    # import alone takes seconds, so only jax runs here.
    from numbascat.registry import list_backends

    if "jax" not in {r.name for r in list_backends() if r.available}:
        pytest.skip("the jax backend is not available")
    wanted = ["numpy", "jax"]
    code = main(["bench", "--workload", "2d-mnist", "--backend", *wanted, "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = _table(out)[1]
    assert [r.split()[1] for r in rows] == wanted
    for r in rows:  # timed, with throughput; no FFT floor outside the numba backend
        cells = r.split()
        assert cells[4] == "ms" and cells[6] == "MPix/s" and cells[7:9] == ["n/a", "n/a"]
