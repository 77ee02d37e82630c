"""Scattering1D: parameters, filters, meta and forward pass, for every framework."""
from __future__ import annotations

import warnings

import numpy as np

from numbascat.backend_api import LazyFilterStack
from numbascat.memory import MemoryModel
from numbascat.prepared import LOWPASS, WAVELET
from numbascat.scattering1d import params as P
from numbascat.scattering1d.core import DEFAULT_BLOCK_BYTES, make_plan, scattering1d
from numbascat.scattering1d.filter_bank import filter_bank_1d, layout
from numbascat.scattering1d.main_mode import MainSemantics
from numbascat.transform import ScatteringTransform

__all__ = ["Scattering1DBase"]


class Scattering1DBase(MainSemantics, ScatteringTransform):
    """1D Morlet scattering transform (Kymatio 0.3 ``Scattering1D``).

    Parameters
    ----------
    J : int
        Log2 of the default averaging scale (>= 1).
    shape : int or 1-tuple
        Signal length N.
    Q : int, 1-tuple or 2-tuple of ints
        Wavelets per octave at the first (and second) order; ``Q2`` defaults to 1.
    T : None, 0 or number in [1, N]
        Averaging scale (``2^J`` if None); any real value is accepted, ``floor(log2 T)``
        drives the subsampling. ``T=0`` means no averaging.
    max_order : 1 or 2
    average : bool, optional (deprecated)
        ``False`` (with ``T`` None or 0) disables averaging; emits a DeprecationWarning.
    oversampling : int >= 0
        Subsample ``2^oversampling`` times less at every stage.
    out_type : 'array', 'dict' or 'list'
        ``'array'``: ``(*batch, C, T')`` (averaged only). ``'dict'``: ``{path: (*batch, L)}`` with
        keys ``()``, ``(n1,)``, ``(n1, n2)``. ``'list'``: dicts ``{'coef', 'j', 'n'}``.
    backend : str or Backend, optional
        Compute backend; see :func:`numbascat.config.resolve_backend` for the default.
    stride : power of two, optional (keyword, ``compat='main'`` only)
        Kymatio main's output subsampling (``2^log2(T)`` by default), checked at call time.
    compat : '0.3' (default) or 'main' (keyword)
        ``'main'`` gives Kymatio main's (0.4.0.dev0) semantics: no ``average`` (``T=0`` is
        unaveraged, ``T='global'`` a sum over the padded time axis), ``stride``, deprecated
        ``oversampling`` mapped to a stride, main's messages, ``max_order >= 2`` meaning 2,
        'dict' output in depth-first order, 'list' entries with an ``'order'`` key, and main's
        normalisation: lower-resolution filters are period *sums*, so coefficients differ from
        0.3.0's by powers of two (main spec §1.7).

    Notes
    -----
    Input ``(*batch, N)`` real; output dtype follows the input (float32 or float64).
    ``C = 1 + |psi1| + #{(n1, n2): j2 > j1}`` (see :meth:`output_size`, :meth:`meta`).
    """

    signal_ndim = 1
    # The numpy reference stays 2.4-2.9x faster than Kymatio 0.3 up to 2^15 samples (batch
    # 1; numba is 5-9x), and up to 2^18 values it takes less than loading numba (0.5-0.6 s):
    # 2^10 x 256, 2^12 x 64, 2^15 x 8 took 190-300 ms on a busy 2-core machine, against
    # Kymatio's 350 ms at 2^10 x 256 and numba's first call of 590 ms there.
    standin_max_values = 1 << 18

    def __init__(self, J, shape, Q=1, T=None, max_order=2, average=None, oversampling=0,
                 out_type="array", backend=None, *, stride=None, compat="0.3"):
        if self._init_compat(compat, stride, average):
            self._init_main(J, shape, Q, T, stride, max_order, oversampling, out_type, backend)
            return
        if average is not None:
            warnings.warn("The average option is deprecated and will be removed in v0.4. For "
                          "average=True, set T=None for default averaging or T>=1 for custom "
                          "averaging. For average=False set T=0.", DeprecationWarning,
                          stacklevel=3)
        self._params = p = P.make_params(J, shape, Q, T, max_order, average)
        P.check_averaging_scale(p)  # before the filter bank: J may be absurdly large
        oversampling = P.check_oversampling(oversampling)
        if not isinstance(out_type, str) or out_type not in P.OUT_TYPES_1D:
            P.check_runtime(out_type, True, oversampling)  # raises with Kymatio's message
        self._adopt(p, p.average, p.max_order, oversampling, out_type, backend)
        self._check_resolution()
        self._psi2_first = self._psi2_layout()[1]
        self._dense = None  # dense stacks, laid out from the compact bank on first use
        self._plans = {}

    def _adopt(self, p, average, max_order, oversampling, out_type, backend):
        """Attributes, backend and filter bank for validated params ``p`` (both semantics)."""
        self.J, self.shape, self.Q, self.T = p.J, p.shape, p.Q, p.T
        self.average, self.max_order = average, max_order
        self.oversampling, self.out_type = oversampling, out_type
        self.r_psi, self.sigma0, self.alpha = P.R_PSI, P.SIGMA0, P.ALPHA
        self.log2_T, self.pad_left, self.pad_right = p.log2_T, p.pad_left, p.pad_right
        self.ind_start, self.ind_end = p.ind_start, p.ind_end
        self.block_bytes = DEFAULT_BLOCK_BYTES
        self._select_backend(backend)
        self._bank = bank = filter_bank_1d(p.N_pad, p.J, p.Q, p.T, P.ALPHA, P.R_PSI, P.SIGMA0)
        self._j1, self._j2 = bank["psi1_j"], bank["psi2_j"]
        # Python copies for the forward pass (numpy attributes become tensors when traced).
        self._j1_py = tuple(int(v) for v in self._j1)
        self._j2_py = tuple(int(v) for v in self._j2)

    # ------------------------------------------------------------------ filters
    def _check_resolution(self):
        p = self._params
        j_max = max(self._j1.max(initial=0), self._j2.max(initial=0) if p.max_order == 2 else 0)
        if not p.average and j_max > p.J_pad:
            raise ValueError(f"J={p.J} is too large for a signal of length {p.N} without "
                             f"averaging: the wavelets need subsampling by up to 2^{j_max} but "
                             f"the padded length is 2^{p.J_pad}. Use a smaller J or T >= 1.")

    def _psi2_layout(self):
        """Levels per psi2 filter, and the first psi2 row present at each level."""
        p, j1, j2 = self._params, self._j1, self._j2
        # psi2 levels: k = 0..K2 with K2 = max{j1 < j2} (Kymatio), never coarser than N_pad.
        K2 = np.array([int(j1[j1 < jj].max(initial=0)) for jj in j2], dtype=int)
        K2 = np.minimum(K2, p.J_pad)
        # Filters with a level k form a suffix of psi2 (K2 is non-decreasing along it).
        first = {k: int(np.argmax(K2 >= k)) for k in range(int(K2.max(initial=0)) + 1)}
        return K2, first

    def _stack_rows(self):
        """name -> (bank filter name, level k, first bank row, row count) of every stack."""
        p = self._params
        K2, first = self._psi2_layout()
        K_phi = min(max(int(self._j1.max(initial=0)), int(self._j2.max(initial=0))), p.log2_T,
                    p.J_pad)
        if self._is_main:
            K_phi = self._main_phi_levels()
        # Kymatio main periodises by summing (0.3.0: the mean): level k is scaled by 2^k (exact).
        scale = (lambda k: 2.0 ** k) if self._is_main else (lambda k: 1.0)
        rows = {"psi1": ("psi1", 0, 0, len(self._j1), 1.0)}
        for k, row in first.items():
            rows[f"psi2_r{k}"] = ("psi2", k, row, len(K2) - row, scale(k))
        for k in range(K_phi + 1):
            rows[f"phi_r{k}"] = ("phi", k, 0, 1, scale(k))
        return rows

    def _stacks(self):
        """Dense filter stacks (name -> (F, N_pad / 2^k) float64), built once, on first use.

        Only the Kymatio-style attributes (``psi1_f``, ...) need them; the forward pass lays
        out rows on demand from the compact bank (:meth:`_filter_sources`).
        """
        if self._dense is not None:
            return self._dense
        bank, N_pad = self._bank, self._params.N_pad
        stacks = {key: _scaled(layout(bank, name, N_pad, k, np.arange(row, row + count)), f)
                  for key, (name, k, row, count, f) in self._stack_rows().items()}
        for v in stacks.values():
            v.flags.writeable = False
        self._dense = stacks
        return stacks

    def _entry(self, name, n, levels):
        bank = self._bank
        return {"levels": levels, "xi": float(bank[f"{name}_xi"][n]),
                "sigma": float(bank[f"{name}_sigma"][n]), "j": int(bank[f"{name}_j"][n])}

    @property
    def psi1_f(self) -> list[dict]:
        """First-order wavelets, Kymatio-style: dicts ``levels`` ([(N_pad,)]), xi, sigma, j."""
        stacks = self._stacks()
        return [self._entry("psi1", n, [stacks["psi1"][n]]) for n in range(len(self._j1))]

    @property
    def psi2_f(self) -> list[dict]:
        """Second-order wavelets; ``levels[k]`` has length N_pad / 2^k (mean of 2^k periods)."""
        stacks = self._stacks()
        K2, first = self._psi2_layout()
        return [self._entry("psi2", n, [stacks[f"psi2_r{k}"][n - first[k]]
                                        for k in range(K2[n] + 1)]) for n in range(len(K2))]

    @property
    def phi_f(self) -> dict:
        """The low-pass filter: ``levels`` (N_pad / 2^k,), xi 0, sigma 0.1 / T, j log2_T."""
        stacks = self._stacks()
        n_levels = sum(1 for k in stacks if k.startswith("phi_r"))
        return {"levels": [stacks[f"phi_r{k}"][0] for k in range(n_levels)], "xi": 0,
                "sigma": float(self._bank["phi_sigma"][0]), "j": self._params.log2_T}

    def _filter_sources(self):
        """Lazy stacks over the compact bank: a backend that reads rows on demand never holds
        the dense bank (for N_pad = 2^20 and Q = 8, about a gigabyte in float64)."""
        bank, N_pad = self._bank, self._params.N_pad

        def lazy(name, k, row, count, factor):
            def make_rows(a, b):
                return _scaled(layout(bank, name, N_pad, k, np.arange(row + a, row + b)), factor)
            return LazyFilterStack((count, N_pad >> k), np.float64, make_rows)

        return {key: (lazy(*spec), LOWPASS if key.startswith("phi") else WAVELET)
                for key, spec in self._stack_rows().items()}

    # ------------------------------------------------------------------ sizes and meta
    @property
    def N(self) -> int:
        """Unpadded signal length."""
        return self._params.N

    @property
    def J_pad(self) -> int:
        return self._params.J_pad

    @property
    def N_pad(self) -> int:
        return self._params.N_pad

    def _paths(self, max_order: int):
        j1, j2 = self._j1, self._j2
        paths = [()] + [(n1,) for n1 in range(len(j1))]
        if max_order == 2:
            n1, n2 = np.nonzero(j2[None, :] > j1[:, None])
            paths += list(zip(n1.tolist(), n2.tolist(), strict=True))
        return paths

    def output_size(self, detail=False):
        """Number of coefficients C; with ``detail=True`` the list ``[1, n1, n2]`` per order."""
        sizes = [len(p) for p in self._paths(self.max_order)]
        per_order = [sizes.count(o) for o in range(min(self.max_order, 2) + 1)]
        if detail and self._is_main:
            return tuple(per_order)  # Kymatio main returns a tuple
        return per_order if detail else sum(per_order)

    def meta(self) -> dict:
        """One row per output coefficient, in output order (Kymatio's ``compute_meta``).

        ``'order'`` (C,) int; ``'xi'``, ``'sigma'``, ``'j'``, ``'n'`` (C, max_order) float,
        NaN-padded; ``'key'``, the list of path tuples ``()``, ``(n1,)``, ``(n1, n2)``.
        """
        paths = self._paths(self.max_order)
        width = self.max_order
        out = {"order": np.array([len(path) for path in paths])}  # Kymatio's key order
        out.update({name: np.full((len(paths), width), np.nan)
                    for name in ("xi", "sigma", "j", "n")})
        for order, fam in ((1, "psi1"), (2, "psi2")):
            rows = [c for c, path in enumerate(paths) if len(path) >= order]
            idx = np.array([paths[c][order - 1] for c in rows], dtype=int)
            if not rows:
                continue
            out["n"][rows, order - 1] = idx
            for name in ("xi", "sigma", "j"):
                out[name][rows, order - 1] = self._bank[f"{fam}_{name}"][idx]
        out["key"] = paths
        return self._main_meta(out) if self._is_main else out

    # ------------------------------------------------------------------ forward
    def _plan(self, oversampling: int):
        key = (oversampling, self.max_order)
        plan = self._plans.get(key)
        if plan is None:
            plan = make_plan(self._params, self._j1_py, self._j2_py, self._psi2_first,
                             oversampling, self.max_order)
            self._plans[key] = plan
        return plan

    def _memory_model(self, itemsize):
        """Upper bounds fitted to traced peaks (numba/numpy backends) with margin: a few
        spectra of the padded signal per signal, bounded blocks besides."""
        N_pad = self.N_pad
        averaged = self.average if self.average is not None else True
        length = N_pad >> max(0, self.log2_T - self.oversampling) if averaged else N_pad
        return MemoryModel(per_signal=10 * N_pad * itemsize,
                           blocks=2 * len(self._j1) * N_pad * itemsize,
                           block_cap=3 * int(self.block_bytes),
                           output=self.output_size() * length * itemsize,
                           factor=self.backend.memory_factor)

    def _check_input_shape(self, shape):
        if self._is_main:
            self._check_call_main(shape)
        if len(shape) < 1:
            raise ValueError("Input tensor x should have at least one axis, got 0")
        if shape[-1] != self.N:
            # Kymatio finds this only when multiplying by the filters; its type and text.
            what = "filters" if self.frontend_name == "torch" else "inputs"
            raise RuntimeError(f"The {what} are not compatible for multiplication. The input "
                               f"must have length N={self.N} along its last axis (the shape "
                               f"given to Scattering1D); got input of shape {tuple(shape)}")

    def _scatter(self, x, batch_shape, block_bytes=None):
        if self._is_main:
            return self._scatter_main(x, batch_shape, block_bytes)
        if self.max_order not in (1, 2):
            raise ValueError(f"max_order must be 1 or 2; got {self.max_order!r}")
        oversampling = P.check_runtime(self.out_type, self.average, self.oversampling)
        backend = self.backend
        filters = self.prepared_filters(backend.real_dtype(x))
        plan = self._plan(oversampling)
        blocks, paths = scattering1d(x, backend, filters, plan, block_bytes or self.block_bytes)
        coefs = self._gather(blocks, paths, plan, batch_shape)
        if self.out_type == "array":
            return coefs
        ordered = plan.paths
        if self.out_type == "dict":
            return {path: coefs[path] for path in ordered}
        return [{"coef": coefs[path], "j": tuple(int(self._family_j(o)[n])
                                                  for o, n in enumerate(path)), "n": path}
                for path in ordered]

    def _gather(self, blocks, paths, plan, batch_shape):
        """The traversal's blocks as the output array (``out_type='array'``, channels in plan
        order) or as ``{path: (*batch, L)}`` in generation order (for 'dict' and 'list')."""
        backend = self.backend
        if self.out_type == "array":
            order = plan.output_order(tuple(path for block_paths in paths
                                            for path in block_paths))
            return self._restore_batch(backend.assemble(blocks, order), batch_shape)
        coefs = {}
        for block, block_paths in zip(blocks, paths, strict=True):
            B, _, length = backend.shape(block)
            for i, path in enumerate(block_paths):
                coef = backend.reshape(backend.take(block, np.array([i]), axis=1), (B, length))
                coefs[path] = self._restore_batch(coef, batch_shape)
        return coefs

    def _family_j(self, order_index: int):
        return self._j1_py if order_index == 0 else self._j2_py


def _scaled(stack: np.ndarray, factor: float) -> np.ndarray:
    """``stack * factor`` (a power of two: exact), in place; the stack itself when 1."""
    if factor != 1.0:
        stack *= factor
    return stack
