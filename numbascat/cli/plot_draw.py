"""Figures for ``numbascat plot``: filter banks and scattering coefficients.

matplotlib is used through its object API with the Agg canvas (no pyplot, no global backend
change), imported lazily; it is the optional extra ``numbascat[plot]``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["filters_1d", "filters_2d", "new_figure", "save", "scattering_1d", "scattering_2d",
           "scattering_3d", "scattering_jtfs"]


def new_figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib; install it with `pip install matplotlib` "
                          "or `pip install 'numbascat[plot]'`") from None
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: str, dpi: int = 120) -> None:
    fig.savefig(path, dpi=dpi)


# ------------------------------------------------------------------------------ filter banks
def _lp_1d(filters: list[np.ndarray], phi: np.ndarray) -> np.ndarray:
    """Littlewood-Paley sum |phi(w)|^2 + sum_psi |psi(w)|^2 (analytic wavelets: w >= 0)."""
    lp = np.abs(phi) ** 2
    for f in filters:
        lp = lp + np.abs(f) ** 2
    return lp


def filters_1d(S):
    """Both 1D filter banks (psi1 with Q1, psi2 with Q2) over [0, 1/2] cycles/sample."""
    fig = new_figure(9, 6.5)
    axes = fig.subplots(2, 1, sharex=True)
    phi = np.asarray(S.phi_f["levels"][0])
    n = phi.shape[0]
    half = slice(1, n // 2 + 1)  # positive frequencies (log axis: no DC)
    omega = np.arange(n)[half] / n
    for ax, bank, title in ((axes[0], S.psi1_f, f"first order (Q1={S.Q[0]})"),
                            (axes[1], S.psi2_f, f"second order (Q2={S.Q[1]})")):
        psis = [np.asarray(f["levels"][0]) for f in bank]
        for f in psis:
            ax.plot(omega, f[half], lw=0.8)
        ax.plot(omega, phi[half], "k", lw=1.2, label=r"$\hat\phi$ (low-pass)")
        ax.plot(omega, _lp_1d(psis, phi)[half], "r--", lw=1.2,
                label=r"Littlewood-Paley sum $|\hat\phi|^2 + \sum|\hat\psi|^2$")
        ax.set_title(f"{title}: {len(psis)} wavelets, J={S.J}, N_pad={n}")
        ax.set_ylabel("|filter| (Fourier)")
        ax.legend(loc="upper right", fontsize=8)
    axes[1].set_xlabel("frequency (cycles / sample)")
    axes[1].set_xscale("log")
    axes[1].set_xlim(1.0 / n, 0.5)
    return fig


def filters_2d(S):
    """A grid of ``|psi_{j, theta}|`` (frequency, centred): rows theta, columns j; phi and LP."""
    J, L = S.J, S.L
    psis = [np.asarray(S.filters[f"psi_j{j}_r0"]) for j in range(J)]  # (L, M, N) each
    phi = np.asarray(S.filters["phi_r0"])[0]
    fig = new_figure(1.6 * (J + 1) + 1, 1.5 * L + 0.5)
    axes = np.atleast_2d(fig.subplots(L, J + 1, squeeze=False))
    lp = np.abs(phi) ** 2
    for j, bank in enumerate(psis):
        for t in range(L):
            f = bank[t]
            flipped = np.roll(np.flip(f, (0, 1)), 1, axis=(0, 1))
            lp = lp + 0.5 * (np.abs(f) ** 2 + np.abs(flipped) ** 2)
            axes[t, j].imshow(np.fft.fftshift(np.abs(f)), cmap="viridis")
            if t == 0:
                axes[t, j].set_title(f"j={j}", fontsize=9)
            if j == 0:
                axes[t, j].set_ylabel(f"θ={t}", fontsize=9)
    axes[0, J].imshow(np.fft.fftshift(np.abs(phi)), cmap="viridis")
    axes[0, J].set_title("φ", fontsize=9)
    if L > 1:
        im = axes[1, J].imshow(np.fft.fftshift(lp), cmap="magma")
        axes[1, J].set_title("LP sum", fontsize=9)
        fig.colorbar(im, ax=axes[1, J], shrink=0.8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for t in range(2, L):
        axes[t, J].set_visible(False)
    fig.suptitle(f"Scattering2D filters in frequency (J={J}, L={L})")
    return fig


# ------------------------------------------------------------------------------ coefficients
def _log(x: np.ndarray) -> np.ndarray:
    top = np.nanmax(np.abs(x)) if np.any(np.isfinite(x)) else 1.0
    return np.log10(np.abs(x) + 1e-6 * (top + 1e-30))


def _pair_matrix(rows_a, rows_b, values, size_a, size_b) -> np.ndarray:
    out = np.full((size_a, size_b), np.nan)
    for a, b, v in zip(rows_a, rows_b, values, strict=True):
        out[int(a), int(b)] = v if np.isnan(out[int(a), int(b)]) else out[int(a), int(b)] + v
    return out


def scattering_1d(coefs: np.ndarray, meta: dict, title: str):
    """S0 over time, S1 as a scalogram (log), S2 averaged over time as an (n1, n2) matrix."""
    order = meta["order"].astype(int)
    fig = new_figure(9, 8)
    ax0, ax1, ax2 = fig.subplots(3, 1, height_ratios=(1, 3, 3))
    ax0.plot(coefs[order == 0].T, "k", lw=1)
    ax0.set_title(f"{title}: order 0")
    s1 = coefs[order == 1]
    im = ax1.imshow(_log(s1), aspect="auto", origin="upper", cmap="magma",
                    interpolation="nearest")
    ax1.set_ylabel("n1 (high to low frequency)")
    ax1.set_title(f"order 1 (log10), {s1.shape[0]} wavelets x {s1.shape[1]} times")
    fig.colorbar(im, ax=ax1)
    s2_rows = order == 2
    if s2_rows.any():
        n = meta["n"][s2_rows]
        energy = coefs[s2_rows].mean(axis=-1)
        mat = _pair_matrix(n[:, 0], n[:, 1], energy, int(np.nanmax(meta["n"][:, 0])) + 1,
                           int(np.nanmax(n[:, 1])) + 1)
        im = ax2.imshow(_log(mat), aspect="auto", cmap="viridis", interpolation="nearest")
        ax2.set_xlabel("n2")
        ax2.set_ylabel("n1")
        ax2.set_title("order 2: time average (log10)")
        fig.colorbar(im, ax=ax2)
    else:
        ax2.set_visible(False)
    ax1.set_xlabel("time (subsampled)")
    return fig


def scattering_2d(coefs: np.ndarray, meta: dict, title: str):
    """S0 map, S1 maps per scale (mean over orientations), S1 and S2 energies by (j, theta)."""
    order = meta["order"].astype(int)
    j = meta["j"]
    theta = meta["theta"]
    J = int(np.nanmax(j[:, 0])) + 1
    L = int(np.nanmax(theta[:, 0])) + 1
    fig = new_figure(2.2 * (J + 1) + 1, 6.5)
    grid = fig.add_gridspec(2, J + 1)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(coefs[order == 0][0], cmap="gray")
    ax.set_title("order 0", fontsize=9)
    s1 = order == 1
    for jj in range(J):
        ax = fig.add_subplot(grid[0, jj + 1])
        rows = s1 & (j[:, 0] == jj)
        ax.imshow(coefs[rows].mean(axis=0), cmap="magma")
        ax.set_title(f"order 1, j={jj}\n(mean over θ)", fontsize=8)
    ax = fig.add_subplot(grid[1, : (J + 1) // 2 + 1])
    energy1 = _pair_matrix(j[s1, 0], theta[s1, 0], coefs[s1].mean(axis=(-2, -1)), J, L)
    im = ax.imshow(_log(energy1), cmap="viridis", aspect="auto")
    ax.set_xlabel("θ")
    ax.set_ylabel("j")
    ax.set_title("order 1 mean (log10)", fontsize=9)
    fig.colorbar(im, ax=ax)
    s2 = order == 2
    if s2.any():
        ax = fig.add_subplot(grid[1, (J + 1) // 2 + 1:])
        energy2 = _pair_matrix(j[s2, 0], j[s2, 1], coefs[s2].mean(axis=(-2, -1)), J, J)
        im = ax.imshow(_log(energy2), cmap="viridis", aspect="auto")
        ax.set_xlabel("j2")
        ax.set_ylabel("j1")
        ax.set_title("order 2 mean, summed over θ1, θ2 (log10)", fontsize=9)
        fig.colorbar(im, ax=ax)
    for a in fig.axes[: J + 1]:
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle(title)
    return fig


def scattering_3d(coefs: np.ndarray, meta: dict, title: str):
    """Integrals (first power) by path and degree l: order 1 and order 2 side by side."""
    keys = [str(k) for k in meta["key"]]
    n_paths, n_l = coefs.shape[0], coefs.shape[1]
    fig = new_figure(9, 4.5)
    axes = fig.subplots(1, 2)
    paths = keys[::n_l][:n_paths]
    order = meta["order"].astype(int)[::n_l][:n_paths]
    for ax, o in zip(axes, (1, 2), strict=True):
        rows = order == o
        if not rows.any():
            ax.set_visible(False)
            continue
        im = ax.imshow(_log(coefs[rows, :, 0]), aspect="auto", cmap="viridis")
        ax.set_yticks(range(int(rows.sum())))
        ax.set_yticklabels([p for p, r in zip(paths, rows, strict=True) if r], fontsize=7)
        ax.set_xlabel("l")
        ax.set_title(f"order {o} (log10, first integral power)", fontsize=9)
        fig.colorbar(im, ax=ax)
    fig.suptitle(title)
    return fig


def scattering_jtfs(coefs: np.ndarray, meta: dict, title: str):
    """Joint time-frequency scattering in the 'joint' format ``(C, rows, t)``: one
    frequency x time panel per path, a row of panels per second-order wavelet (first order on
    top), a column per frequential wavelet ``n_fr`` (spin 0, then up, then down)."""
    import ast

    if coefs.ndim != 3:
        raise ValueError(f"JTFS plots need the 'joint' format (channels, rows, time); got "
                         f"coefficients of shape {coefs.shape}: scatter with --format joint")
    keys = [k if isinstance(k, tuple) else ast.literal_eval(str(k)) for k in meta["key"]]
    keys = [k for k in keys if k != ()][-coefs.shape[0]:]  # Kymatio-style meta has () first
    groups = sorted({k[0] if len(k) == 2 else -1 for k in keys})
    n_cols = 1 + max(k[-1] for k in keys)
    fig = new_figure(1.6 * n_cols + 1, 1.1 * len(groups) + 1)
    axes = np.atleast_2d(fig.subplots(len(groups), n_cols, squeeze=False))
    for ax in axes.ravel():
        ax.set_axis_off()
    for c, key in enumerate(keys):
        r, col = groups.index(key[0] if len(key) == 2 else -1), key[-1]
        ax = axes[r, col]
        ax.set_axis_on()
        ax.imshow(_log(coefs[c]), aspect="auto", origin="lower", cmap="magma")
        ax.set_xticks([])
        ax.set_yticks([])
        if r == 0 or (r == 1 and col > (n_cols - 1) // 2):
            ax.set_title(f"n_fr={col}", fontsize=7)
        if col == 0:
            ax.set_ylabel("order 1" if groups[r] < 0 else f"n2={groups[r]}", fontsize=7)
    fig.suptitle(f"{title}: joint time-frequency scattering (log), rows = first-order index "
                 f"(frequency), columns = time", fontsize=9)
    return fig
