"""``numbascat bench --scale``: table, JSON, plot, argument errors and the Kymatio side by side
(a fake Kymatio package always; the real Kymatio 0.3 when NUMBASCAT_KYMATIO_PYTHON is set)."""
import json
import sys
import textwrap

import pytest
from peer import kymatio_python, requires_kymatio

from numbascat.cli import main
from numbascat.cli.bench_scale import render_scale

TINY = ["--sizes", "1d:2^8", "2d:16", "3d:8", "--J", "1", "--L", "2", "--Q", "1",
        "--steady-seconds", "0.05"]


def _table(out: str) -> tuple[list[str], list[list[str]]]:
    lines = out.strip().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("point"))
    rows = []
    for ln in lines[start + 2:]:
        if ln.startswith("targets"):
            break
        rows.append(ln.split())
    return lines[start].split(), rows


def test_tiny_sweep_table_and_json(capsys, tmp_path):
    out_json = tmp_path / "scale.json"
    code = main(["bench", "--scale", "--backend", "numpy", *TINY, "--batch", "1", "4",
                 "--json", str(out_json)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "empty numbascat cache, numba JIT cache on disk as found" in out
    header, rows = _table(out)
    assert header[:6] == ["point", "batch", "engine", "status", "import", "construct"]
    assert "first/K" not in header  # no Kymatio asked for
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("1D", "256", "1", "numpy", "ok"), ("1D", "256", "4", "numpy", "ok"),
        ("2D", "16x16", "1", "numpy", "ok"), ("2D", "16x16", "4", "numpy", "ok"),
        ("3D", "8x8x8", "1", "numpy", "ok"), ("3D", "8x8x8", "4", "numpy", "ok")]
    data = json.loads(out_json.read_text())
    assert data["meta"]["engines"] == ["numpy"] and data["meta"]["memory_limit"] > 0
    assert data["meta"]["complete"] is True
    assert len(data["rows"]) == 6
    capsys.readouterr()
    assert main(["bench", "--scale", "--from-json", str(out_json)]) == 0
    assert _table(capsys.readouterr().out)[1] == rows  # the same table from the saved sweep
    partial = tmp_path / "partial.json"  # as a stopped sweep leaves it
    partial.write_text(json.dumps({"meta": dict(data["meta"], complete=False),
                                   "rows": data["rows"][:2]}))
    assert main(["bench", "--scale", "--from-json", str(partial)]) == 0
    out = capsys.readouterr().out
    assert "PARTIAL" in out and _table(out)[1] == rows[:2]
    row = data["rows"][1]
    assert (row["dim"], row["shape"], row["batch"], row["values"]) == (1, [256], 4, 1024)
    assert row["params"] == {"J": 1, "Q": 1}
    assert row["status"] == "ok" and row["first_s"] > 0 and row["steady_s"] > 0
    assert row["peak_rss"] >= row["rss_after_imports"] > 0


def test_json_to_stdout_replaces_the_table(capsys):
    code = main(["bench", "--scale", "--backend", "numpy", "--dims", "1", *TINY,
                 "--batch", "1", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert [r["dim"] for r in data["rows"]] == [1]  # --dims keeps 1D only


@pytest.mark.parametrize("argv, message", [
    (["--scale", "--workload", "2d-mnist"], "--workload does not apply to --scale"),
    (["--scale", "--dims", "4"], "--dims"),
    (["--scale", "--batch", "cpu"], "--batch: each item must be a positive integer"),
    (["--scale", "--sizes", "3..9"], "powers of two"),
    (["--scale", "--max-seconds", "0"], "--max-seconds must be > 0"),
    (["--scale", "--backend", "numba_cuda"], "--backend: the scale benchmark runs"),
    (["--scale", "--kymatio-frontends", "torch"], "--kymatio-frontends needs --vs-kymatio"),
    (["--scale", "--dims", "2", "--sizes", "1d:2^10"], "select no point"),
    (["--scale", "--from-json", "/no/such.json"], "--from-json: '/no/such.json' is not"),
    (["--batch", "4"], "--batch must be cpu or gpu (batch sizes need --scale)"),
    (["--sizes", "2^10", "--workload", "2d-mnist"], "--sizes need --scale"),
])
def test_bad_arguments_fail_before_any_run(capsys, argv, message):
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


FAKE_KYMATIO = {
    "kymatio/__init__.py": "__version__ = '0.3.0-fake'\n",
    "kymatio/numpy.py": """
        import time

        class Scattering1D:
            def __init__(self, J, shape, Q=1):
                self.shape = shape

            def __call__(self, x):
                time.sleep(0.03)
                return x.sum()
        """,
    "kymatio/torch.py": "raise ImportError('no torch frontend in this fake')\n",
}


def test_side_by_side_with_a_fake_kymatio(capsys, tmp_path, monkeypatch):
    for name, text in FAKE_KYMATIO.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.setenv("PYTHONPATH", ":".join(filter(None, [str(tmp_path),
                                                            *sys.path])))
    code = main(["bench", "--scale", "--backend", "numpy", *TINY, "--dims", "1", "--batch",
                 "1", "--vs-kymatio", sys.executable, "--kymatio-frontends", "numpy", "torch"])
    out = capsys.readouterr().out
    assert code == 1, out  # the fake has no torch frontend: an error row
    header, rows = _table(out)
    assert header[-5:] == ["first/K", "K/steady", "dRSS", "missed", "note"]
    by_engine = {r[3]: r for r in rows}
    assert set(by_engine) == {"numpy", "kymatio-numpy", "kymatio-torch"}
    assert by_engine["kymatio-numpy"][4] == "ok" and by_engine["kymatio-torch"][4] == "error"
    assert "no torch frontend in this fake" in " ".join(by_engine["kymatio-torch"])
    ours = " ".join(by_engine["numpy"])
    assert ours.count("x ") >= 2 and " MB " in ours  # first/K, K/steady, dRSS filled in
    assert "targets (first <= 1.5x Kymatio numpy" in out


def test_render_marks_missing_comparisons():
    row = {"dim": 2, "shape": [16, 16], "batch": 1, "engine": "numba", "library": "numbascat",
           "status": "timeout", "import_s": 0.2, "construct_s": 1.0, "first_forward_s": None,
           "first_s": None, "steady_s": None, "steady_calls": None, "rss_after_imports": 5e7,
           "peak_rss": 3e8, "note": "killed after 1 s", "first_ratio": None,
           "steady_speedup": None, "rss_excess": None, "targets": ["first"]}
    kym = dict(row, engine="kymatio-numpy", library="kymatio", status="ok")
    text = render_scale([row, kym])
    line = text.splitlines()[2]
    assert line.split()[:5] == ["2D", "16x16", "1", "numba", "timeout"]
    assert "killed after 1 s" in line and "first" in line


@requires_kymatio
@pytest.mark.peer
def test_side_by_side_with_kymatio(capsys):
    code = main(["bench", "--scale", "--backend", "numpy", *TINY, "--batch", "1",
                 "--vs-kymatio", kymatio_python()])
    out = capsys.readouterr().out
    assert code == 0, out
    _, rows = _table(out)
    assert [r[3] for r in rows] == ["numpy", "kymatio-numpy"] * 3
    assert all(r[4] == "ok" for r in rows), out


def test_dry_run_lists_the_default_points(capsys):
    assert main(["bench", "--scale", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "47 points x 1 engines (numba): 47 processes" in out
    lines = [ln.split() for ln in out.splitlines()]
    assert ["1D", "4194304", "4", "16,777,216", "Scattering1D", "J=16", "Q=8"] in lines
    assert [ln[2] for ln in lines if ln[:2] == ["3D", "256x256x256"]] == ["1"]
