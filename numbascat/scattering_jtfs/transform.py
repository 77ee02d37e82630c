"""TimeFrequencyScattering (JTFS): parameters, filters, meta and forward pass, every framework.

Kymatio main's joint time-frequency scattering (main spec §2). The time part is Scattering1D
with ``compat='main'`` (same filters, padding, stride and normalisation); the frequency part
scatters the first-order index with a Morlet family of both spins.
"""
from __future__ import annotations

import numpy as np

from numbascat.prepared import WAVELET
from numbascat.scattering1d import main_params as MP
from numbascat.scattering1d.core import _runs as runs_of
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering_jtfs import params as JP
from numbascat.scattering_jtfs.core import GLOBAL, LOCAL, PlanJTFS, freq_paths, jtfs_core
from numbascat.scattering_jtfs.filter_bank import frequency_bank

__all__ = ["TimeFrequencyScatteringBase"]


class TimeFrequencyScatteringBase(Scattering1DBase):
    """Joint time-frequency scattering (Kymatio main's ``TimeFrequencyScattering``).

    Parameters
    ----------
    J : int
        Log2 of the temporal averaging scale (default ``T = 2^J``).
    J_fr : int >= 0
        Log2 of the frequential averaging scale (default ``F = 2^J_fr``).
    Q : int or tuple of ints
        First- (and second-) order wavelets per octave in time.
    shape : int or 1-tuple
        Signal length N.
    T : None, 0, 'global' or number in [1, N]
        Temporal averaging (0: none, 'global': a sum over the padded axis).
    stride : power of two, optional
        Temporal subsampling (default ``2^floor(log2 T)``); must be >= ``2^max(j2)``.
    Q_fr : int or 1-tuple
        Frequential wavelets per octave.
    F : None, 0, 'global' or integer in [1, (J+1) Q1]
        Frequential averaging.
    stride_fr : power of two, optional
        Frequential subsampling (default ``2^floor(log2 F)``).
    out_type : 'array', 'list' or 'dict'
    format : 'time' or 'joint'
        ``'time'``: every frequency row is a channel, ``(*batch, C, t)``. ``'joint'``: one
        channel per (order, n2, n_fr) path with its rows, ``(*batch, C_joint, rows, t)``
        (order 0 only in the list and dict outputs).
    backend : str or Backend, optional

    Input ``(*batch, N)`` real; output dtype follows the input (float32 or float64).
    See :meth:`meta` for what every channel is, and the README for the choices made where
    Kymatio main crashes or is inconsistent.
    """

    standin_max_values = None  # the reference's JTFS speed against Kymatio is not measured


    def __init__(self, J, J_fr, Q, shape, T=None, stride=None, Q_fr=1, F=None, stride_fr=None,
                 out_type="array", format="time", backend=None):
        self._init_main(J, shape, Q, T, stride, 2, 0, out_type, backend)
        self.compat = "main"
        self._constructor_kwargs = dict(J=J, J_fr=J_fr, Q=Q, shape=shape, T=T, stride=stride,
                                        Q_fr=Q_fr, F=F, stride_fr=stride_fr, format=format)
        self._freq = fp = JP.make_freq_params(self.J, self.Q[0], J_fr, Q_fr, F)
        self.J_fr, self.Q_fr = fp.J_fr, (fp.Q_fr,)
        self.F, self.log2_F, self.average_fr = int(fp.mode.T), fp.mode.log2_T, fp.mode.average
        self._stride_fr_arg = stride_fr
        self.format, self.oversampling_fr = format, 0
        self._N_padded, self._N_padded_fr = self.N_pad, fp.N_fr
        self._fr_bank = frequency_bank(fp.N_fr, fp.J_fr, fp.Q_fr, fp.mode.T, fp.mode.log2_T)
        # Python ints for the plan (numpy attributes become tensors under torch.compile).
        self._fam_j_py = tuple(int(v) for v in self._fr_bank["j"])

    # ------------------------------------------------------------------ filters
    def _filter_sources(self):
        sources = super()._filter_sources()
        bank = self._fr_bank
        sources["fr_family"] = (bank["family"][:, :, None], WAVELET)
        for k in range(self.log2_F + 1):
            sources[f"fr_phi_r{k}"] = (bank[f"phi_F_r{k}"][None, :, None], WAVELET)
        return sources

    @property
    def filters_fr(self) -> tuple[dict, list[dict]]:
        """``(phi_F, psis)``: the frequential low-pass (``levels`` N_fr / 2^k) and the family
        ``[phi_fr, up..., down...]`` as dicts ``levels``, ``xi``, ``sigma``, ``j``."""
        bank = self._fr_bank
        phi = {"levels": [bank[f"phi_F_r{k}"] for k in range(self.log2_F + 1)], "xi": 0,
               "sigma": 0.1 / self.F, "j": self.log2_F, "N": self._N_padded_fr}
        psis = [{"levels": [bank["family"][n]], "xi": float(bank["xi"][n]),
                 "sigma": float(bank["sigma"][n]), "j": int(bank["j"][n])}
                for n in range(len(bank["j"]))]
        return phi, psis

    # ------------------------------------------------------------------ strides
    @property
    def log2_stride_fr(self) -> int:
        """``log2(stride_fr)``, validated as Kymatio main does (its 'incompatible' message
        prints the temporal stride, quirk 5; numbascat prints stride_fr)."""
        return MP.log2_stride_main(self._stride_fr_arg, self._freq.mode, None, name="stride_fr",
                                   scale_name="F")

    @property
    def stride_fr(self) -> int:
        if self.average_fr != LOCAL:
            return 2 ** self.log2_F
        return 2 ** self.log2_stride_fr

    def _jtfs_plan(self) -> PlanJTFS:
        # Read even when unaveraged: a stride given with T (F) = 0 or 'global' raises here.
        ls, lsf = self.log2_stride, self.log2_stride_fr
        key = ("jtfs", ls, lsf, self.average, self.average_fr)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        j1, j2 = self._j1_py, self._j2_py
        fam_j = self._fam_j_py
        plan = PlanJTFS(self.N_pad, self.pad_left, self.pad_right, ls, self.average, lsf,
                        self.log2_F, self.average_fr, self.J_fr, self._N_padded_fr, j1, j2,
                        runs_of(j1), dict(self._psi2_first), fam_j, (len(fam_j) - 1) // 2)
        self._check_plan(plan)
        self._plans[key] = plan
        return plan

    def _check_plan(self, plan: PlanJTFS) -> None:
        """Clear errors where Kymatio main fails inside numpy or torch (spec §2.5, §2.7)."""
        used_j2 = [plan.j2[n] for n in range(len(plan.j2)) if plan.M(n) > 0]
        if plan.average == LOCAL and used_j2 and max(used_j2) > plan.ls:
            raise ValueError(f"stride={2 ** plan.ls} is too small for J={self.J}, Q={self.Q}: "
                             f"TimeFrequencyScattering needs stride >= 2**max(j2) = "
                             f"{2 ** max(used_j2)} (the second-order wavelets' subsampling); "
                             f"Kymatio main fails here with a stacking error")
        if plan.average != LOCAL and max(plan.j1) > plan.ls:
            raise ValueError(f"J={self.J} is too small for the first-order wavelets of Q="
                             f"{self.Q[0]} (their subsampling reaches 2**{max(plan.j1)})")
        if self._N_padded_fr % 2 ** plan.lsf:
            raise ValueError(f"stride_fr={2 ** plan.lsf} must divide the padded frequency "
                             f"length N_fr = {self._N_padded_fr}; Kymatio main fails here with a "
                             f"numpy reshape error")
        if plan.average_fr == LOCAL:
            bad = [j for j in plan.family_j[1:] if min(j, plan.lsf) != min(j, plan.lF)]
            if bad:
                raise ValueError(f"stride_fr={2 ** plan.lsf} and F={self.F} are incompatible "
                                 f"for J_fr={self.J_fr}, Q_fr={self.Q_fr[0]}: both "
                                 f"log2(stride_fr) and log2(F) must be >= the largest "
                                 f"frequential wavelet scale {max(bad)}, or equal (Kymatio main "
                                 f"fails here with an incompatible-multiplication error)")

    # ------------------------------------------------------------------ sizes and meta
    def _rows_kept(self, path, plan) -> tuple[int, int]:
        """(rows kept for list/dict/time outputs, rows emitted as 'time' channels)."""
        kept = min(1 + path.n1_max // path.n1_stride, path.rows)
        return kept, min(-(-path.n1_max // path.n1_stride), kept)

    def _entries(self, plan):
        """Dry output description: dicts with the list output's keys (no coefficients) plus
        ``_path`` (the FreqPath) and ``_row`` (row index, 'time' format) in output order."""
        joint = self.format == "joint"
        out = [] if joint and self.out_type == "array" else [
            {"j": (), "n": (), "order": 0, "_path": None, "_row": None}]
        for path in freq_paths(plan):
            j = (-1,) if path.order == 1 else (-1, path.j2)
            common = {"j": j, "j_fr": (path.j_fr,), "n_fr": (path.n_fr,), "spin": path.spin,
                      "order": path.order, "_path": path}
            if joint:
                n = (path.n_fr,) if path.order == 1 else (path.n2, path.n_fr)
                out.append(dict(common, n=n, n1_max=path.n1_max, n1_stride=path.n1_stride,
                                _row=None))
                continue
            for i in range(self._rows_kept(path, plan)[1]):
                n1 = i * path.n1_stride
                n = (n1, path.n_fr) if path.order == 1 else (n1, path.n2, path.n_fr)
                out.append(dict(common, n=n, _row=i))
        return out

    def output_size(self) -> int:
        """Number of output channels (the length of the list / dict outputs, or axis -2
        ('time') / -3 ('joint') of the array output)."""
        return len(self._entries(self._jtfs_plan()))

    def meta(self) -> dict:
        """One row per output channel, **in output order** (Kymatio main sorts them).

        ``'key'`` (the list/dict keys), ``'order'`` (C,) int; ``'n'`` object (C, 2):
        ``[n1, n2]`` ('time') or ``[range(0, n1_max, n1_stride), n2]`` ('joint');
        ``'xi'``, ``'sigma'``, ``'j'`` (C, 2) for (psi1, psi2); ``'n_fr'``, ``'xi_fr'``,
        ``'sigma_fr'``, ``'j_fr'``, ``'spin'`` (C,). NaN where absent.
        """
        plan = self._jtfs_plan()
        entries = self._entries(plan)
        C = len(entries)
        out = {name: np.full((C, 2), np.nan) for name in ("xi", "sigma", "j")}
        out["n"] = np.full((C, 2), np.nan, dtype=object)
        for name in ("n_fr", "xi_fr", "sigma_fr", "j_fr", "spin"):
            out[name] = np.full(C, np.nan)
        xi1, s1 = MP.main_xi_sigma(self._bank["psi1_xi"], self._bank["psi1_sigma"], self.Q[0],
                                   self.r_psi)
        xi2, s2 = MP.main_xi_sigma(self._bank["psi2_xi"], self._bank["psi2_sigma"], self.Q[1],
                                   self.r_psi)
        fr = self._fr_bank
        for c, e in enumerate(entries):
            path = e["_path"]
            if path is None:
                continue
            if self.format == "joint":
                out["n"][c, 0] = range(0, path.n1_max, path.n1_stride)
            else:
                n1 = e["n"][0]
                out["n"][c, 0] = n1
                out["xi"][c, 0], out["sigma"][c, 0] = xi1[n1], s1[n1]
                out["j"][c, 0] = self._j1[n1]
            if path.order == 2:
                out["n"][c, 1] = path.n2
                out["xi"][c, 1], out["sigma"][c, 1] = xi2[path.n2], s2[path.n2]
                out["j"][c, 1] = path.j2
            out["n_fr"][c] = path.n_fr
            out["xi_fr"][c], out["sigma_fr"][c] = fr["xi"][path.n_fr], fr["sigma"][path.n_fr]
            out["j_fr"][c] = fr["j"][path.n_fr]
        out["spin"] = np.sign(out["xi_fr"])
        out["order"] = np.array([e["order"] for e in entries])
        out["key"] = [e["n"] for e in entries]
        return out

    # ------------------------------------------------------------------ forward
    def _check_input_shape(self, shape):
        JP.check_call(self.out_type, self.format, self.average, self.average_fr)
        if len(shape) < 1:
            raise ValueError(f"Input tensor x should have at least one axis, got {len(shape)}")
        self._jtfs_plan()  # strides checked before the input length, as in Kymatio main
        if shape[-1] != self.N:
            raise ValueError(f"Input must have length N={self.N} along its last axis (the shape "
                             f"given to TimeFrequencyScattering); got input of shape "
                             f"{tuple(shape)}")

    def _time_crop(self, order: int, plan: PlanJTFS, path=None):
        """(start, stop) of the time unpadding, None for a global average."""
        if self.average == GLOBAL:
            return None
        if order == 0:
            res = plan.ls if self.average == LOCAL else 0
        elif self.average is False and order == 2:
            res = path.j2  # unaveraged second order sits at resolution j2
        else:
            res = plan.ls  # first order was averaged in time (Kymatio main: 0, quirk 1)
        return self.ind_start[res], self.ind_end[res]

    def _scatter(self, x, batch_shape, block_bytes=None):
        JP.check_call(self.out_type, self.format, self.average, self.average_fr)
        b = self.backend
        plan = self._jtfs_plan()
        filters = self.prepared_filters(b.real_dtype(x))
        S0, coefs = jtfs_core(x, b, filters, plan)
        B = b.shape(x)[0]

        def crop(u, rows, order, path=None):  # u (B, R, L) -> rows [0, rows), time unpadded
            span = self._time_crop(order, plan, path)
            L = b.shape(u)[-1]
            a, e = span if span is not None else (0, L)
            return b.crop(u, (0, a), (rows, e))

        span0 = self._time_crop(0, plan)
        S0 = S0 if span0 is None else b.crop(S0, (span0[0],), (span0[1],))
        paths = freq_paths(plan)
        joint = self.format == "joint"
        if joint and self.out_type == "array":
            rows = {p.rows for p in paths}
            if len(rows) > 1:
                raise ValueError(f"format='joint' with out_type='array' needs every path to have "
                                 f"the same number of frequency rows, got {sorted(rows)} (F="
                                 f"{'global' if self.average_fr == GLOBAL else self.F} with "
                                 f"J_fr={self.J_fr}); use out_type='list' or 'dict', or "
                                 f"format='time'")
            blocks = []
            for p, u in zip(paths, coefs, strict=True):
                u = crop(u, p.rows, p.order, p)
                blocks.append(b.reshape(u, (B, 1) + b.shape(u)[1:]))
            return self._restore_batch(b.concatenate(blocks, axis=1), batch_shape)
        kept = [crop(u, self._rows_kept(p, plan)[0], p.order, p)
                for p, u in zip(paths, coefs, strict=True)]
        if not joint and self.out_type == "array":
            blocks = [b.reshape(S0, (B, 1, b.shape(S0)[-1]))]
            blocks += [b.crop(u, (0, 0), (self._rows_kept(p, plan)[1], b.shape(u)[-1]))
                       for p, u in zip(paths, kept, strict=True)]
            return self._restore_batch(b.concatenate(blocks, axis=1), batch_shape)
        return self._format_entries(S0, paths, kept, plan, batch_shape)

    def _format_entries(self, S0, paths, kept, plan, batch_shape):
        b = self.backend
        by_path = dict(zip(paths, kept, strict=True))
        out = []
        for e in self._entries(plan):
            path = e["_path"]
            if path is None:
                coef = S0
            elif e["_row"] is None:
                coef = by_path[path]
            else:
                u = by_path[path]
                shape = b.shape(u)
                coef = b.reshape(b.take(u, np.array([e["_row"]]), axis=1),
                                 (shape[0], shape[2]))
            entry = {k: v for k, v in e.items() if not k.startswith("_")}
            entry["coef"] = self._restore_batch(coef, batch_shape)
            out.append(entry)
        if self.out_type == "dict":
            return {e["n"]: e["coef"] for e in out}
        return out
