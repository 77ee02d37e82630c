"""``numbascat bench --scale --plot``: the log-log figure (skipped without matplotlib)."""
import pytest


def test_plot_of_the_sweep(tmp_path):
    pytest.importorskip("matplotlib")
    from numbascat.cli.scale_plot import plot_scale

    rows = []
    for engine, library, scale in (("numba", "numbascat", 1.0), ("kymatio-numpy", "kymatio", 3)):
        for dim in (1, 2):
            for batch in (1, 8):
                for n in (256, 1024, 4096):
                    rows.append({"engine": engine, "library": library, "dim": dim,
                                 "batch": batch, "values": n * batch, "status": "ok",
                                 "steady_s": scale * n * 1e-6, "first_s": scale * 0.1,
                                 "peak_rss": 1e8 + n * 1e3})
    rows.append(dict(rows[0], status="timeout", steady_s=None, first_s=None))
    path = tmp_path / "scale.png"
    plot_scale(rows, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_scale([dict(rows[0], status="timeout")], str(path))
