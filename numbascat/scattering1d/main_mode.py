"""Kymatio main's Scattering1D semantics, behind ``Scattering1D(..., compat='main')``.

One transform implementation serves both versions: this mixin only parses main's parameters,
chooses the traversal plan (stride, unaveraged or global sum) and formats main's outputs. The
filter bank differs by one factor, applied in ``Scattering1DBase._stacks``: main periodises
filters by *summing* periods where 0.3.0 took the mean (main spec §1.4, §1.7).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from numbascat.scattering1d import main_params as MP
from numbascat.scattering1d import params as P
from numbascat.scattering1d.core import make_plan, scattering1d
from numbascat.validation import check_int

__all__ = ["MainSemantics"]


class MainSemantics:
    """Mixin of ``Scattering1DBase`` (and the JTFS time stage) for ``compat='main'``."""

    _is_main = False

    def _init_compat(self, compat, stride, average) -> bool:
        """True for ``compat='main'``; refuses the arguments the chosen version lacks."""
        self.compat = MP.check_compat(compat)
        if compat == "main":
            if average is not None:
                raise TypeError("Scattering1D.__init__() got an unexpected keyword argument "
                                "'average' (Kymatio main removed it: use T=0 for no averaging)")
            return True
        if stride is not None:
            raise TypeError("stride is a Kymatio main parameter: pass compat='main' to use it "
                            "(0.3.0 semantics subsample by 2^(log2(T) - oversampling))")
        return False

    def _init_main(self, J, shape, Q, T, stride, max_order, oversampling, out_type, backend):
        self._is_main = True
        #: The arguments as given (``T`` may be 0 or 'global'): what rebuilds this transform
        #: (numbascat.dask reads it).
        self._constructor_kwargs = dict(J=J, shape=shape, Q=Q, T=T, stride=stride,
                                        max_order=max_order, oversampling=oversampling,
                                        compat="main")
        N = MP.check_main_shape(shape)
        J = check_int("J", J, minimum=1)
        # Kymatio main's build order: oversampling, T, then Q.
        MP.check_oversampling_main(oversampling)
        mode = MP.parse_T_main(T, J, N)
        self._stride_arg = MP.map_oversampling(oversampling, stride, mode.log2_T)
        Q = MP.check_main_Q(Q)
        # max_order >= 2 computes order 2 (main keeps [phi, psi1, psi2][:1 + max_order]).
        self._meta_width = check_int("max_order", max_order, minimum=1)
        max_order = min(self._meta_width, 2)
        self._main = mode
        self._params = p = P.make_params(J, N, Q, mode.T, max_order, None)
        self._adopt(p, mode.average, max_order, oversampling, out_type, backend)
        if mode.average != MP.LOCAL:
            self._params = dataclasses.replace(p, average=False)
            self._check_resolution()
            self._params = p
        self._psi2_first = self._psi2_layout()[1]
        self._dense = None
        self._plans = {}

    # ------------------------------------------------------------------ main's properties
    @property
    def log2_stride(self) -> int:
        """``log2(stride)``, validated as Kymatio main does (when first read)."""
        return MP.log2_stride_main(self._stride_arg, self._main,
                                   max(self._params.log2_T, self._params.J))

    @property
    def stride(self) -> int | None:
        """The output subsampling ``2^log2_stride`` (``compat='main'``; None for 0.3.0
        semantics, which have no stride parameter)."""
        if not self._is_main:
            return None
        if self._main.average != MP.LOCAL:
            return 2 ** self._main.log2_T
        return 2 ** self.log2_stride

    def _main_phi_levels(self) -> int:
        """Highest phi level a main-semantics traversal can use (any valid stride)."""
        p = self._params
        j_max = max(int(self._j1.max(initial=0)), int(self._j2.max(initial=0)))
        return min(j_max, max(p.log2_T, p.J), p.J_pad)

    def _main_meta(self, out: dict) -> dict:
        """``meta()`` for ``compat='main'``: the sigmas carry Kymatio main's last-bit rounding
        and the (C, max_order) fields are as wide as the ``max_order`` given."""
        for order, fam in ((1, "psi1"), (2, "psi2"))[: self.max_order]:
            xi, sigma = MP.main_xi_sigma(self._bank[f"{fam}_xi"], self._bank[f"{fam}_sigma"],
                                         self.Q[order - 1], P.R_PSI)
            rows = np.flatnonzero(out["order"] >= order)
            idx = out["n"][rows, order - 1].astype(int)
            out["xi"][rows, order - 1] = xi[idx]
            out["sigma"][rows, order - 1] = sigma[idx]
        extra = self._meta_width - self.max_order
        if extra > 0:
            for name in ("xi", "sigma", "j", "n"):
                out[name] = np.concatenate([out[name], np.full((len(out[name]), extra),
                                                                np.nan)], axis=1)
        return out

    # ------------------------------------------------------------------ forward
    def _check_call_main(self, shape):
        """Kymatio main's call-time checks, in its order (main spec §1.2)."""
        MP.check_out_type_main(self.out_type, self.average)
        if len(shape) < 1:
            raise ValueError(f"Input tensor x should have at least one axis, got {len(shape)}")
        if self.average == MP.LOCAL:
            self.log2_stride  # noqa: B018 -- validates stride
        elif self._stride_arg is not None:
            MP.log2_stride_main(self._stride_arg, self._main, None, shown=self._stride_arg,
                                scale_name="T")

    def _main_plan(self):
        mode = self._main
        local = mode.average == MP.LOCAL
        ls = self.log2_stride if local else mode.log2_T
        key = ("main", ls, mode.average, self.max_order)
        plan = self._plans.get(key)
        if plan is None:
            params = dataclasses.replace(self._params, log2_T=ls, average=local)
            plan = make_plan(params, self._j1_py, self._j2_py, self._psi2_first, 0,
                             self.max_order, global_sum=mode.average == MP.GLOBAL)
            self._plans[key] = plan
        return plan

    def _scatter_main(self, x, batch_shape, block_bytes=None):
        MP.check_out_type_main(self.out_type, self.average)
        backend = self.backend
        filters = self.prepared_filters(backend.real_dtype(x))
        plan = self._main_plan()
        blocks, paths = scattering1d(x, backend, filters, plan, block_bytes or self.block_bytes)
        coefs = self._gather(blocks, paths, plan, batch_shape)
        if self.out_type == "array":
            return coefs
        if self.out_type == "dict":  # Kymatio main: depth-first generation order
            return {path: coefs[path] for path in sorted(plan.paths, key=_depth_first)}
        return [{"coef": coefs[path], "j": tuple(int(self._family_j(o)[n])
                                                  for o, n in enumerate(path)),
                 "n": path, "order": len(path)} for path in plan.paths]


def _depth_first(path):
    # (), (0,), (0, n2...), (1,), ...: order 0 first, then by n1, the parent before children.
    return (len(path) > 0, path[:1], len(path), path)
