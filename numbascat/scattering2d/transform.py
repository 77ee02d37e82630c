"""Scattering2D: parameters, filters, meta and forward pass, for every framework."""
from __future__ import annotations

import numpy as np

from numbascat.memory import MemoryModel
from numbascat.prepared import LOWPASS, WAVELET
from numbascat.scattering2d.core import DEFAULT_BLOCK_BYTES, make_plan, scattering2d
from numbascat.scattering2d.filter_bank import filter_bank_2d
from numbascat.scattering2d.params import make_params
from numbascat.transform import ScatteringTransform

__all__ = ["Scattering2DBase"]

OUT_TYPES_2D = ("array", "list")


def _check_out_type(out_type):
    if not isinstance(out_type, str) or out_type not in OUT_TYPES_2D:
        raise RuntimeError(f"The out_type must be one of 'array' or 'list'. Got {out_type!r} "
                           f"(2D has no 'dict' output).")
    return out_type


class Scattering2DBase(ScatteringTransform):
    """2D Morlet scattering transform (Kymatio 0.3 ``Scattering2D``).

    Parameters
    ----------
    J : int
        Number of scales (>= 1); the output is subsampled by ``2^J``. ``2^J`` must not exceed
        the smaller side of ``shape``.
    shape : tuple of 2 ints
        Spatial size ``(M, N)`` of the input images.
    L : int
        Number of wavelet orientations (>= 1).
    max_order : 1 or 2
        Highest scattering order.
    pre_pad : bool
        If True, inputs are already padded to ``padded_shape`` and are not padded again.
    backend : str or Backend, optional
        Compute backend; see :func:`numbascat.config.resolve_backend` for the default.
    out_type : 'array' or 'list'
        ``'array'``: one array ``(*batch, C, M // 2^J, N // 2^J)``. ``'list'``: one dict per
        path with ``'coef'`` ``(*batch, M // 2^J, N // 2^J)``, ``'j'``, ``'n'``, ``'theta'``.

    Notes
    -----
    Input ``(*batch, M, N)`` real; output dtype follows the input (float32 or float64).
    ``C = 1 + L J + L^2 J (J - 1) / 2`` with ``max_order=2``, ``1 + L J`` with 1.
    """

    signal_ndim = 2

    def __init__(self, J, shape, L=8, max_order=2, pre_pad=False, backend=None,
                 out_type="array"):
        self.params = make_params(J, shape, L, max_order, pre_pad)
        self.out_type = _check_out_type(out_type)
        p = self.params
        self.J, self.L, self.max_order, self.pre_pad, self.shape = p.J, p.L, p.max_order, \
            p.pre_pad, p.shape
        self._M_padded, self._N_padded = self.params.padded_shape
        self.block_bytes = DEFAULT_BLOCK_BYTES
        self._plan = make_plan(self.J, self.L, self.max_order, self.params.padded_shape,
                               self.params.pads)
        self._select_backend(backend)
        self.filters = filter_bank_2d(*self.params.padded_shape, self.J, self.L)

    # Kymatio exposes M and N (broken there: they raise NameError); here they work.
    @property
    def M(self) -> int:
        return self.shape[0]

    @property
    def N(self) -> int:
        return self.shape[1]

    @property
    def padded_shape(self) -> tuple[int, int]:
        return self.params.padded_shape

    @property
    def psi(self) -> list[dict]:
        """Kymatio-style wavelet list: ``{'levels': [per resolution], 'j', 'theta'}`` per n."""
        return [{"levels": [self.filters[f"psi_j{j}_r{r}"][t]
                            for r in range(min(j + 1, max(self.J - 1, 1)))],
                 "j": j, "theta": t} for j in range(self.J) for t in range(self.L)]

    @property
    def phi(self) -> dict:
        """Kymatio-style low-pass: ``{'levels': [per resolution], 'j': J}``."""
        return {"levels": [self.filters[f"phi_r{r}"][0] for r in range(self.J)], "j": self.J}

    def output_size(self) -> int:
        """Number of channels C."""
        return self.params.n_coefficients

    def meta(self) -> dict:
        """One row per output channel, in output order.

        Returns a dict with ``'order'`` (C,) int, ``'n'``, ``'j'``, ``'theta'`` (C, max_order)
        float arrays NaN-padded (``theta`` is the orientation index, ``n = j * L + theta``), and
        ``'key'``, the list of path tuples ``()``, ``(n1,)``, ``(n1, n2)``.
        """
        paths = self._plan.paths
        width = self.max_order
        n = np.full((len(paths), width), np.nan)
        for c, path in enumerate(paths):
            n[c, : len(path)] = path
        return {"order": np.array([len(p) for p in paths]), "n": n, "j": np.floor(n / self.L),
                "theta": np.mod(n, self.L), "key": list(paths)}

    # ------------------------------------------------------------------ backend hooks
    def _filter_sources(self):
        return {k: (v, LOWPASS if k.startswith("phi") else WAVELET)
                for k, v in self.filters.items()}

    def _memory_model(self, itemsize):
        """Upper bounds fitted to traced peaks (numba/numpy backends) with margin."""
        M, N = self._M_padded, self._N_padded
        return MemoryModel(per_signal=8 * M * N * itemsize,
                           blocks=2 * self.L * (self.J + 1) * M * N * itemsize,
                           block_cap=3 * int(self.block_bytes),
                           output=self.output_size() * (M >> self.J) * (N >> self.J) * itemsize,
                           factor=self.backend.memory_factor)

    def _path_groups(self):
        return self.L  # the first-order orientations (with their children)

    def _check_input_shape(self, shape):
        # Kymatio's texts first: "array" for NumPy inputs, "tensor" for the others.
        noun = "array" if self.array_kind == "numpy" else "tensor"
        if len(shape) < 2:
            raise RuntimeError(f"Input {noun} must have at least two dimensions. Expected "
                               f"(*batch, M, N); got shape {tuple(shape)}")
        expected = self.params.input_shape
        if tuple(shape[-2:]) != expected:
            what = f"Padded {noun}" if self.pre_pad else ("NumPy array" if noun == "array"
                                                           else "Tensor")
            size = f"({expected[0]},{expected[1]})"
            raise RuntimeError(f"{what} must be of spatial size {size}. That is the shape "
                               f"{expected} given to Scattering2D"
                               f"{' after padding' if self.pre_pad else ''}; got input of shape "
                               f"{tuple(shape)}")

    def _scatter(self, x, batch_shape, block_bytes=None):
        _check_out_type(self.out_type)
        filters = self.prepared_filters(self.backend.real_dtype(x))
        S = scattering2d(x, self.backend, filters, self._plan, block_bytes or self.block_bytes,
                         self._path_parts(x))
        S = self._restore_batch(S, batch_shape)
        if self.out_type == "array":
            return S
        out = []
        for c, path in enumerate(self._plan.paths):
            coef = self.backend.take(S, np.array([c]), axis=-3)
            shape = self.backend.shape(coef)
            out.append({"coef": self.backend.reshape(coef, shape[:-3] + shape[-2:]),
                        "j": tuple(n // self.L for n in path),
                        "n": path,
                        "theta": tuple(n % self.L for n in path)})
        return out
