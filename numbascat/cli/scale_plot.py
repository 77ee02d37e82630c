"""The plot of ``numbascat bench --scale --plot out.png`` (matplotlib, imported lazily).

One column per batch kind (batch 1; large batch), two rows: time against the number of input
values (``batch * prod(shape)``; steady time solid, first call dashed) and peak RSS against
the same, both log-log. Colour: engine (numbascat backend or Kymatio frontend); marker:
dimension. Points that did not finish (timeout, memory limit, error) are left out.
"""
from __future__ import annotations

__all__ = ["plot_scale", "require_matplotlib"]

_MARKERS = {1: "o", 2: "s", 3: "^"}
_COLUMNS = (("1", "batch 1"), ("large", "large batch"))


def require_matplotlib() -> None:
    """Raise ImportError with the install hint when matplotlib is missing."""
    from numbascat.cli.plot_draw import new_figure

    new_figure(1, 1)


def _column(row: dict) -> str:
    return "1" if row["batch"] == 1 else "large"


def plot_scale(rows: list[dict], path: str) -> None:
    """Write the scale plot of ``rows`` (from :func:`numbascat.scale_bench.run_sweep`) as PNG."""
    from matplotlib.lines import Line2D

    from numbascat.cli.plot_draw import new_figure, save

    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        raise ValueError("--plot: no point of the sweep finished; nothing to plot")
    columns = [(key, title) for key, title in _COLUMNS if any(_column(r) == key for r in ok)]
    engines = list(dict.fromkeys(r["engine"] for r in rows))
    colours = {e: f"C{i % 10}" for i, e in enumerate(engines)}
    fig = new_figure(max(8.0, 6.5 * len(columns)), 9.5)
    axes = fig.subplots(2, len(columns), squeeze=False)
    for c, (key, title) in enumerate(columns):
        t_ax, m_ax = axes[0][c], axes[1][c]
        for engine in engines:
            for dim, marker in _MARKERS.items():
                pts = sorted((r for r in ok if r["engine"] == engine and r["dim"] == dim
                              and _column(r) == key), key=lambda r: r["values"])
                if not pts:
                    continue
                x = [r["values"] for r in pts]
                style = {"color": colours[engine], "marker": marker, "markersize": 5}
                t_ax.plot(x, [r["steady_s"] for r in pts], "-", **style)
                t_ax.plot(x, [r["first_s"] for r in pts], "--", alpha=0.7,
                          markerfacecolor="none", **style)
                m_ax.plot(x, [r["peak_rss"] / 1e6 for r in pts], "-", **style)
        t_ax.set_title(f"time, {title}")
        t_ax.set_ylabel("seconds")
        m_ax.set_title(f"peak RSS of the process, {title}")
        m_ax.set_ylabel("MB")
        for ax in (t_ax, m_ax):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("input values (batch x signal size)")
            ax.grid(True, which="major", alpha=0.4)
            ax.grid(True, which="minor", alpha=0.12)
    dims = sorted({r["dim"] for r in ok})
    handles = [Line2D([], [], color=colours[e], lw=2, label=e) for e in engines]
    handles += [Line2D([], [], color="k", marker=_MARKERS[d], ls="", label=f"{d}D")
                for d in dims]
    handles += [Line2D([], [], color="k", ls="-", label="steady (median)"),
                Line2D([], [], color="k", ls="--", label="first call (construct + forward)")]
    fig.legend(handles=handles, fontsize=8, loc="outside lower center",
               ncol=min(len(handles), 3 * len(columns)))
    fig.suptitle("numbascat bench --scale: fresh process per point, empty numbascat cache")
    save(fig, path)
