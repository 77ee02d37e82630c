"""numbascat.scale_bench: one point per fresh process, the time limit, the memory guard, the
skipping of larger points, ratios against Kymatio, and the runner's steady-call rule."""
import importlib.util
import os
import time
from importlib import resources

import pytest

from numbascat import scale_bench as sb
from numbascat.scale_sweep import Point, sweep_points

TINY = {1: Point(1, (256,), 1, "1", {"J": 4, "Q": 1}),
        2: Point(2, (16, 16), 2, "2", {"J": 2, "L": 4}),
        3: Point(3, (8, 8, 8), 1, "1", {"J": 1, "L": 1})}
FAST = {"steady_seconds": 0.05, "max_calls": 4, "timeout_s": 120}


def _runner():
    path = resources.files("numbascat").joinpath("data", "scale_runner.py")
    spec = importlib.util.spec_from_file_location("scale_runner", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_point_in_a_fresh_process_reports_every_phase(dim, monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBASCAT_CACHE", str(tmp_path / "user-cache"))
    row = sb.run_point(sb.numbascat_engine("numpy"), TINY[dim], **FAST)
    assert row["status"] == "ok", row["note"]
    assert row["engine"] == "numpy" and row["library"] == "numbascat"
    assert row["dim"] == dim and row["batch"] == TINY[dim].batch
    for key in ("import_s", "construct_s", "first_forward_s", "steady_s"):
        assert 0 < row[key] < row["wall_s"], key
    assert row["first_s"] == pytest.approx(row["construct_s"] + row["first_forward_s"])
    assert row["startup_s"] == pytest.approx(row["import_s"] + row["first_s"])
    assert 2 <= row["steady_calls"] <= 4 and len(row["steady_times_s"]) == row["steady_calls"]
    assert 10e6 < row["rss_after_imports"] <= row["peak_rss"] < 2e9
    assert row["versions"]["numbascat"] and row["versions"]["numpy"]
    # the child used its own empty cache, not the user's
    assert not (tmp_path / "user-cache").exists()


def test_timeout_is_a_result_with_what_finished(monkeypatch):
    start = time.monotonic()
    row = sb.run_point(sb.numbascat_engine("numpy"), TINY[1], timeout_s=0.2)
    assert time.monotonic() - start < 30
    assert row["status"] == "timeout" and "killed after 0.2 s" in row["note"]
    assert row["steady_s"] is None and row["peak_rss"] > 0


def test_memory_guard_kills_the_point_above_the_limit():
    row = sb.run_point(sb.numbascat_engine("numpy"), TINY[1], memory_limit=20 * 2 ** 20,
                       **FAST)
    assert row["status"] == "over memory limit"
    assert "killed above 0.02 GB RSS" in row["note"] and row["peak_rss"] > 20 * 2 ** 20


def test_data_limit_memory_error_is_over_memory_not_a_crash():
    big = Point(1, (2 ** 16,), 1024, "1024", {"J": 6, "Q": 1})  # a 256 MiB input
    row = sb.run_point(sb.numbascat_engine("numpy"), big, data_limit=200 * 2 ** 20, **FAST)
    assert row["status"] == "over memory limit" and "MemoryError" in row["note"]
    assert row["last_phase"] == "imports"


def test_a_failing_transform_is_an_error_row():
    bad = Point(1, (256,), 1, "1", {"J": 4, "Q": 1, "no_such_option": 1})
    row = sb.run_point(sb.numbascat_engine("numpy"), bad, **FAST)
    assert row["status"] == "error" and row["first_s"] is None
    assert "TypeError" in row["note"] and "no_such_option" in row["note"]


def test_sweep_skips_larger_points_after_a_limit_and_alternates_order(monkeypatch):
    calls = []

    def fake_run_point(engine, point, **limits):
        calls.append((engine.name, point.shape[0]))
        status = "timeout" if engine.name == "numpy" and point.shape[0] >= 512 else "ok"
        return {**point.to_dict(), "engine": engine.name, "library": engine.library,
                "status": status, "first_s": 1.0, "startup_s": 1.5, "steady_s": 1.0,
                "peak_rss": 1e8, "note": ""}

    monkeypatch.setattr(sb, "run_point", fake_run_point)
    engines = [sb.numbascat_engine("numpy"), sb.numbascat_engine("numba")]
    points = sweep_points([1], ["2^8..2^11"], ["1"])
    saved = []
    rows = sb.run_sweep(points, engines, on_row=lambda rows: saved.append(len(rows)),
                        timeout_s=1)
    assert saved == [1, 2, 3, 4, 6, 7]  # after each run (skipped rows are counted, not run)
    # numpy times out at 512: 1024 and 2048 are skipped for it, numba runs everything
    assert ("numpy", 1024) not in calls and ("numba", 2048) in calls
    assert calls[:4] == [("numpy", 256), ("numba", 256), ("numba", 512), ("numpy", 512)]
    assert [(r["engine"], r["shape"][0], r["status"]) for r in rows] == [
        ("numpy", 256, "ok"), ("numba", 256, "ok"), ("numpy", 512, "timeout"),
        ("numba", 512, "ok"), ("numpy", 1024, "skipped"), ("numba", 1024, "ok"),
        ("numpy", 2048, "skipped"), ("numba", 2048, "ok")]
    assert "a smaller point hit the time limit" in rows[4]["note"]


def _row(engine, library, first, steady, rss, status="ok"):
    return {"dim": 1, "shape": [1024], "batch": 1, "engine": engine, "library": library,
            "status": status, "first_s": first, "startup_s": first + 0.5, "steady_s": steady,
            "peak_rss": rss}


def test_ratios_against_kymatio_and_targets():
    rows = sb.add_ratios([
        _row("numba", "numbascat", 0.3, 0.01, 300e6),
        _row("torch", "numbascat", 0.1, 0.2, 100e6),
        _row("kymatio-numpy", "kymatio", 0.1, 0.05, 100e6),
        _row("kymatio-torch", "kymatio", 0.5, 0.04, 300e6),
    ])
    numba, torch = rows[0], rows[1]
    assert numba["first_ratio"] == pytest.approx(3.0)  # against Kymatio numpy
    assert numba["startup_ratio"] == pytest.approx(0.8 / 0.6)
    assert numba["steady_speedup"] == pytest.approx(4.0)  # against the fastest Kymatio
    assert numba["rss_excess"] == pytest.approx(200e6)
    assert numba["targets"] == ["first", "rss"]
    assert torch["targets"] == ["steady"] and torch["steady_speedup"] == pytest.approx(0.2)
    assert "first_ratio" not in rows[2]
    alone = sb.add_ratios([_row("numba", "numbascat", 1, 1, 1),
                           _row("kymatio-numpy", "kymatio", 1, 1, 1, status="timeout")])
    assert alone[0]["first_ratio"] is None and alone[0]["targets"] is None


def test_engines_are_checked():
    with pytest.raises(ValueError, match="--backend: .*'numba_cuda'"):
        sb.numbascat_engine("numba_cuda")
    with pytest.raises(ValueError, match="--kymatio-frontends"):
        sb.kymatio_engine("keras", "python")
    assert sb.numbascat_engine("numba").frontend == "numpy"
    assert sb.kymatio_engine("torch", "/py").python == "/py"
    assert 0 < sb.default_memory_limit()


def test_steady_calls_respect_the_budget():
    runner = _runner()
    # no budget: a warm-up and one timed call
    assert len(runner.steady_calls(lambda: None, 0.0, min_calls=3, max_calls=5)) == 2
    assert len(runner.steady_calls(lambda: None, 100.0, min_calls=3, max_calls=5)) == 5
    # a call longer than the budget: a warm-up and one timed call, no more
    assert len(runner.steady_calls(lambda: time.sleep(0.05), 0.06, min_calls=3)) == 2


def test_runner_needs_no_numbascat():
    """The runner is run by Kymatio's interpreter: it must not import numbascat."""
    import ast

    text = resources.files("numbascat").joinpath("data", "scale_runner.py").read_text()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("numbascat") for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("numbascat")
    assert os.path.basename(str(sb._runner_path())) == "scale_runner.py"


@pytest.mark.parametrize("backend", ["torch", "jax", "tensorflow"])
def test_array_frontends_run_in_the_child(backend):
    from numbascat.registry import list_backends

    if backend not in {r.name for r in list_backends() if r.available}:
        pytest.skip(f"{backend} backend unavailable")
    row = sb.run_point(sb.numbascat_engine(backend), TINY[1], **FAST)
    assert row["status"] == "ok", row["note"]
    assert row["versions"][backend] and row["steady_s"] > 0


def test_numba_stand_in_calls_come_before_the_steady_calls(monkeypatch, tmp_path):
    """A small numba point's first calls run on the numpy stand-in; the steady calls start
    once numba has loaded, and the note counts the stand-in calls."""
    monkeypatch.delenv("NUMBASCAT_NUMBA_WARMUP", raising=False)
    row = sb.run_point(sb.numbascat_engine("numba"), TINY[2], **FAST)
    assert row["status"] == "ok", row["note"]
    standin = row["standin_times_s"]
    # 0.5 s of stand-in calls, then the one that loads numba
    assert len(standin) >= 2 and sum(standin[:-1]) >= 0.5
    assert f"{len(standin) - 1} calls on the numpy stand-in first" in row["note"]
    assert 2 <= row["steady_calls"] <= 4


def test_standin_calls_are_none_for_other_backends():
    runner = _runner()
    assert runner.standin_calls(lambda: None, {"library": "kymatio"}) == []
