"""The joint time-frequency scattering traversal, written once against the operator API.

Main spec §2.5. Time scattering is width-first (the frequency stage needs every first-order
coefficient at once): first-order wavelets of one scale go through one batched
``multiply_subsample``; the second-order wavelet ``n2`` is applied to all its parents
``n1 < M(n2)`` (grouped by resolution) and the complex result is scattered along the
frequency axis (the first-order index) by :meth:`Backend.frequency_modulus`, all members of
the frequential family with the same subsampling at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numbascat.backend_api import Backend

__all__ = ["FreqPath", "PlanJTFS", "freq_paths", "jtfs_core"]

LOCAL, GLOBAL = "local", "global"


@dataclass(frozen=True)
class FreqPath:
    """One (order, n2, n_fr) path before rows are split (Kymatio main's path dict)."""

    order: int  # 1 or 2
    n2: int | None
    n_fr: int
    spin: int
    j2: int | None
    j_fr: int
    n1_max: int  # N1 (order 1) or M(n2)
    n1_stride: int  # the row label step (Kymatio main's, spin-0 quirk 4 included)
    rows: int  # rows the coefficient has before frequency unpadding
    averaged_fr: bool


@dataclass(frozen=True)
class PlanJTFS:
    """Everything the traversal needs besides filters, as Python ints and tuples."""

    N_pad: int
    pad_left: int
    pad_right: int
    ls: int  # log2 of the time stride (log2_T when unaveraged or global)
    average: str | bool
    lsf: int
    lF: int
    average_fr: str | bool
    J_fr: int
    N_fr: int
    j1: tuple[int, ...]
    j2: tuple[int, ...]
    groups1: tuple[tuple[int, int, int], ...]  # (j1, start, stop) runs
    psi2_first: dict
    family_j: tuple[int, ...]  # j of [phi_fr, up..., down...]
    K: int

    def spin(self, n_fr: int) -> int:
        return 0 if n_fr == 0 else 1 if n_fr <= self.K else -1

    def kf(self, n_fr: int) -> int:
        j = self.family_j[n_fr]
        return min(j, self.lsf) if self.average_fr == LOCAL else j

    def k1(self, j1: int) -> int:
        return min(j1, self.ls) if self.average == LOCAL else j1

    def M(self, n2: int) -> int:
        return sum(1 for j in self.j1 if j < self.j2[n2])


def freq_paths(plan: PlanJTFS) -> list[FreqPath]:
    """Every path after order 0, in Kymatio main's generation order (§2.5 Step 6)."""
    out = []
    N1 = len(plan.j1)
    targets = [(1, None, None, N1, range(plan.K + 1))]
    targets += [(2, n2, plan.j2[n2], plan.M(n2), range(2 * plan.K + 1))
                for n2 in range(len(plan.j2)) if plan.M(n2) > 0]
    for order, n2, j2, n1_max, n_frs in targets:
        for n_fr in n_frs:
            spin, j_fr = plan.spin(n_fr), plan.family_j[n_fr]
            rows = plan.N_fr >> plan.kf(n_fr)
            averaged = spin != 0 and plan.average_fr in (LOCAL, GLOBAL)
            if spin == 0:
                stride = 2 ** plan.J_fr
            elif plan.average_fr == LOCAL:
                stride, rows = 2 ** plan.lsf, plan.N_fr >> plan.lsf
            elif plan.average_fr == GLOBAL:
                stride, rows = n1_max, 1
            else:
                stride = 2 ** j_fr
            out.append(FreqPath(order, n2, n_fr, spin, j2, j_fr, n1_max, stride, rows, averaged))
    return out


def _runs(keys):
    """Contiguous runs of equal keys: [(key, start, stop), ...]."""
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((keys[start], start, i))
            start = i
    return runs


def jtfs_core(x, backend: Backend, filters, plan: PlanJTFS):
    """Scatter a batch ``x`` (B, N) (backend array, real).

    ``filters``: PreparedFilters with the time stacks of ``Scattering1DBase`` (``psi1``,
    ``psi2_r{k}``, ``phi_r{k}``), ``fr_family`` (1 + 2K, N_fr, 1) and ``fr_phi_r{k}``
    (1, N_fr / 2^k, 1).

    Returns ``(S0, coefs)``: S0 ``(B, L0)`` (before time unpadding; ``(B, 1)`` for a global
    average) and ``coefs``, one backend array ``(B, rows, L)`` per :func:`freq_paths` entry,
    in that order (before time and frequency unpadding).
    """
    b = backend
    d = 1
    B = b.shape(x)[0]
    loc, ls = plan.average == LOCAL, plan.ls
    U0 = b.pad(x, ((plan.pad_left, plan.pad_right),))
    U0_hat = b.rfft(U0, d)
    if loc:
        S0 = b.lowpass_irfft(U0_hat, filters.get("phi_r0"), (2 ** ls,), d, (plan.N_pad,))
    elif plan.average == GLOBAL:
        S0 = b.sum_powers(U0, (1.0,), d)
    else:
        S0 = U0

    # Step 1: time scattering, width-first.
    S1_parts, U1_hats = [], []
    for j1, a, e in plan.groups1:
        k1 = plan.k1(j1)
        Y1 = b.multiply_subsample(U0_hat, filters.get("psi1", a, e), (2 ** k1,), d)
        _, U1_hat = b.ifft_modulus_rfft(Y1, d)
        del Y1
        S1_parts.append(b.lowpass_irfft(U1_hat, filters.get(f"phi_r{k1}"), (2 ** (ls - k1),), d,
                                        (plan.N_pad >> k1,)))
        U1_hats.append((k1, a, e, U1_hat))
    S1 = S1_parts[0] if len(S1_parts) == 1 else b.concatenate(S1_parts, axis=1)
    del S1_parts

    coefs = []
    coefs += _frequency_stage(b, filters, plan, S1, True, None, plan.K + 1)
    del S1
    for n2, j2 in enumerate(plan.j2):
        M = plan.M(n2)
        if M == 0:
            continue
        parts = []
        for k1, a, e, U1_hat in U1_hats:
            if a >= M:
                break
            if e > M:
                U1_hat = b.take(U1_hat, np.arange(M - a), axis=1)
            k2 = min(j2 - k1, ls) if loc else j2 - k1
            first = plan.psi2_first[k1]
            psi2 = filters.get(f"psi2_r{k1}", n2 - first, n2 - first + 1)
            Y = b.multiply_subsample(U1_hat, psi2, (2 ** k2,), d)
            shape = b.shape(Y)
            parts.append(b.reshape(Y, (B, shape[1], shape[-1])))
        Y2 = b.ifft(parts[0] if len(parts) == 1 else b.concatenate(parts, axis=1), d)
        del parts
        coefs += _frequency_stage(b, filters, plan, Y2, False, j2, 2 * plan.K + 1)
    return S0, coefs


def _frequency_stage(b, filters, plan: PlanJTFS, X, real: bool, j2, n_family: int):
    """Steps 2-3 for one input X (B, n1_max, t): a coefficient per family member."""
    X_hat = b.frequency_fft_padded(X, plan.N_fr, real)
    out = []
    keys = [(plan.kf(n), plan.spin(n)) for n in range(n_family)]
    for (kf, spin), a, e in _runs(keys):
        # Second order is low-passed in time here, after the modulus (first order already was).
        lowpass = ((filters.get(f"phi_r{j2}"), 2 ** (plan.ls - j2))
                   if plan.average == LOCAL and j2 is not None else None)
        U = b.frequency_modulus(X_hat, filters.get("fr_family", a, e), 2 ** kf, lowpass)
        if plan.average == GLOBAL:  # U (B, c, N_fr >> kf, t)
            U = b.sum_powers(U, (1.0,), 1)
        if spin != 0 and plan.average_fr == LOCAL:
            kin = min(plan.family_j[a], plan.lF)  # equal over the run (checked at call time)
            U = b.frequency_lowpass(U, filters.get(f"fr_phi_r{kin}"), 2 ** (plan.lsf - kin))
        elif spin != 0 and plan.average_fr == GLOBAL:
            U = b.frequency_sum(U)
        shape = b.shape(U)
        for i in range(e - a):
            u = U if e - a == 1 else b.take(U, np.array([i]), axis=1)
            out.append(b.reshape(u, (shape[0],) + shape[2:]))
    return out
