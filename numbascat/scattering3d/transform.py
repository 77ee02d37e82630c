"""HarmonicScattering3D: parameters, filters, meta and forward pass, for every framework."""
from __future__ import annotations

import math

import numpy as np

from numbascat.memory import MemoryModel
from numbascat.prepared import WAVELET
from numbascat.scattering3d import core
from numbascat.scattering3d.core import DEFAULT_BLOCK_BYTES, make_plan, scattering3d
from numbascat.scattering3d.filter_bank import filter_bank_3d
from numbascat.scattering3d.params import check_powers, make_params
from numbascat.transform import ScatteringTransform

__all__ = ["HarmonicScattering3DBase", "order0_integrals"]


def _check_ndim(shape: tuple[int, ...]) -> None:
    if len(shape) < 3:
        raise RuntimeError(f"Input tensor must have at least three dimensions. Expected "
                           f"(*batch, M, N, O); got shape {tuple(shape)}")


def order0_integrals(x, integral_powers=(0.5, 1.0, 2.0)) -> np.ndarray:
    """Order-0 coefficients, which Kymatio leaves out of the transform's output.

    ``x``: real array ``(*batch, M, N, O)``; returns ``(*batch, len(integral_powers))`` with
    ``out[..., k] = sum over voxels of x ** integral_powers[k]`` (no normalisation; a
    fractional power of a negative voxel gives NaN, as in Kymatio). float32 stays float32.
    """
    from numbascat.frontends.numpy import as_real_array  # the numpy input policy

    x = as_real_array(x)
    _check_ndim(x.shape)
    return np.stack([np.sum(x ** q, axis=(-3, -2, -1)) for q in check_powers(integral_powers)],
                    axis=-1)


class HarmonicScattering3DBase(ScatteringTransform):
    """3D solid-harmonic scattering with integral invariants (Kymatio 0.3 ``HarmonicScattering3D``).

    Parameters
    ----------
    J : int
        Largest scale index (>= 0); wavelet widths are ``sigma_0 * 2^j`` for ``j = 0..J``.
    shape : tuple of 3 ints
        Spatial size ``(M, N, O)`` of the input volumes.
    L : int
        Largest spherical-harmonic degree (>= 0); degrees ``l = 0..L``.
    sigma_0 : float
        Width of the finest wavelet (> 0).
    max_order : 1 or 2
        Highest scattering order.
    rotation_covariant : bool
        True: the modulus sums the ``2l+1`` orders ``m`` in quadrature (rotation invariant
        integrals). False: only the ``m = -l`` wavelet is used.
    method : 'integral'
        The only method of Kymatio 0.3 (others raise ``ValueError``).
    points : ignored
        Stored only, as in Kymatio 0.3.
    integral_powers : sequence of float
        Exponents ``q`` of the integrals ``sum over voxels of U^q``.
    backend : str or Backend, optional
        Compute backend; see :func:`numbascat.config.resolve_backend` for the default.

    Notes
    -----
    Input ``(*batch, M, N, O)`` real; output ``(*batch, P, L+1, len(integral_powers))`` with
    ``P = (J+1) + J(J+1)/2`` paths for ``max_order=2`` (``J+1`` for 1), first the ``(j1,)``
    then the ``(j1, j2)``, ``j1 < j2``; :meth:`meta` lists them. The dtype follows the input
    (float32 or float64). Order 0 is not part of the output (as in Kymatio): use
    :meth:`order0` or
    :func:`~numbascat.scattering3d.transform.order0_integrals`.
    """

    signal_ndim = 3
    # The numpy reference runs a 32^3 volume in Kymatio's time (14 ms, numba 5 ms): a first
    # call there skips numba's 0.4-0.5 s load (463 -> 56 ms, peak RSS 194 -> 73 MB).
    standin_max_values = 1 << 15

    def __init__(self, J, shape, L=3, sigma_0=1, max_order=2, rotation_covariant=True,
                 method="integral", points=None, integral_powers=(0.5, 1.0, 2.0), backend=None):
        self.params = make_params(J, shape, L, sigma_0, max_order, rotation_covariant, method,
                                  integral_powers)
        p = self.params
        self.J, self.shape, self.L, self.sigma_0 = p.J, p.shape, p.L, p.sigma_0
        self.max_order, self.rotation_covariant, self.method = (p.max_order,
                                                                p.rotation_covariant, p.method)
        self.integral_powers = p.integral_powers
        self.points = points
        self.M, self.N, self.O = self.shape
        self.block_bytes = DEFAULT_BLOCK_BYTES
        self._plan = make_plan(p)
        self._select_backend(backend)
        self.filters = filter_bank_3d(self.M, self.N, self.O, self.J, self.L, self.sigma_0)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """Trailing output shape ``(P, L+1, len(integral_powers))``."""
        return self.params.output_shape

    def meta(self) -> dict:
        """One row per ``(path, l)`` in output order (``S.reshape(*batch, -1, n_powers)``).

        Row ``c = p * (L+1) + l``. Returns ``'order'`` (C,) int (1 or 2), ``'j'``
        (C, max_order) float NaN-padded scales ``(j1, j2)``, ``'l'`` (C,) int degree, and
        ``'key'``, the list of ``(path, l)`` with ``path`` ``(j1,)`` or ``(j1, j2)``.
        """
        keys = [(path, l) for path in self._plan.paths for l in range(self.L + 1)]
        j = np.full((len(keys), self.max_order), np.nan)
        for c, (path, _) in enumerate(keys):
            j[c, : len(path)] = path
        return {"order": np.array([len(path) for path, _ in keys]), "j": j,
                "l": np.array([l for _, l in keys]), "key": keys}

    def order0(self, x):
        """Order-0 integrals ``(*batch, len(integral_powers))`` of ``x`` ``(*batch, M, N, O)``.

        ``sum over voxels of x ** q`` for each power ``q``, computed on the transform's backend.
        """
        backend = self.backend
        if isinstance(x, np.ndarray) or not backend.is_array(x):
            from numbascat.frontends.numpy import as_real_array  # the numpy input policy

            x = backend.from_numpy(as_real_array(x))
        self._check_input_shape(backend.shape(x))
        out = backend.sum_powers(x, self.integral_powers, 3)
        if self.array_kind == "numpy" and not isinstance(out, np.ndarray):
            out = backend.to_numpy(out)
        return out

    # ------------------------------------------------------------------ backend hooks
    def _filter_sources(self):
        # As stored: the orders m < 0 are laid out only by backends that need them.
        return {name: (stack, WAVELET) for name, stack in self.filters.sources().items()}

    def _memory_model(self, itemsize):
        """Upper bounds fitted to traced peaks (numba/numpy backends) with margin."""
        volume = self.M * self.N * self.O
        return MemoryModel(per_signal=6 * volume * itemsize,
                           blocks=2 * (self.L + 1) ** 2 * volume * itemsize,
                           block_cap=3 * int(self.block_bytes),
                           output=int(np.prod(self.output_shape)) * itemsize,
                           factor=self.backend.memory_factor)

    def _path_groups(self):
        return (self.L + 1) * (self.J + 1)  # the subtrees (l, j1)

    def _path_parts(self, x, groups=None):
        # Large batches run one subtree at a time (the backend's threads share each step):
        # concurrent subtrees would each hold their own volumes.
        shape = self.backend.shape(x)
        if math.prod(shape) > core.CONCURRENT_SUBTREES_MAX_VALUES:
            return 1
        return super()._path_parts(x, groups)

    def _check_input_shape(self, shape):
        _check_ndim(shape)
        if tuple(shape[-3:]) != self.shape:
            raise RuntimeError(f"Tensor must be of spatial size {self.shape}. That is the shape "
                               f"given to HarmonicScattering3D; got input of shape "
                               f"{tuple(shape)}, spatial size {tuple(shape[-3:])}")

    def _scatter(self, x, batch_shape, block_bytes=None):
        filters = self.prepared_filters(self.backend.real_dtype(x))
        S = scattering3d(x, self.backend, filters, self._plan, block_bytes or self.block_bytes,
                         self._path_parts(x))
        return self._restore_batch(S, batch_shape)
