"""The 3D solid-harmonic scattering traversal, written once against the operator API.

For each degree ``l`` and scale ``j1``: ``U1 = |x * psi_{l,j1}|`` (the modulus over the
``2l+1`` orders ``m`` taken in quadrature, or the ``m = -l`` filter alone when not rotation
covariant), its integrals ``sum U1^q``, then for ``j2 > j1`` the same on ``U1`` with
``psi_{l,j2}`` (same ``l`` at both orders). Nothing is subsampled: every operation works on the
full grid, so the batch is processed in chunks whose largest temporary is bounded by
``block_bytes`` (never fewer than one signal per chunk). The subtrees ``(l, j1)`` are
independent: a batch too small for the backend to split may run them in concurrent groups.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from numbascat.backend_api import Backend
from numbascat.scattering3d.filter_bank import filter_name

__all__ = ["CONCURRENT_SUBTREES_MAX_VALUES", "DEFAULT_BLOCK_BYTES", "LEAN_SPECTRUM_BYTES", "Plan3D",
           "make_plan", "scattering3d", "unit_groups"]

#: Default bound on the largest temporary of one batched operation, in bytes.
DEFAULT_BLOCK_BYTES = 32 * 2 ** 20
#: Chunks whose input spectrum is at least this large recompute it for each subtree with a
#: second order rather than keep it alive beside that subtree's own spectrum (one real FFT of
#: the input per such subtree; 3d-headline, 128^3: traced working memory 44 -> 34 MiB).
LEAN_SPECTRUM_BYTES = 4 * 2 ** 20
#: Batches (chunks) of at most this many values may run their subtrees concurrently
#: (:meth:`Backend.path_workers`, within :attr:`memory_budget`); larger ones run one subtree at
#: a time, with the backend's threads sharing each operation, so only one subtree's working
#: memory is alive. 3d-headline (128^3 = 2^21 values, 2 cores, side by side): concurrent
#: subtrees 236 ms and 74 MiB traced, one at a time 385 ms and 34 MiB; the speed wins by
#: default, and a ``memory_budget`` below the concurrent parts' need selects the lean path.
CONCURRENT_SUBTREES_MAX_VALUES = 1 << 22


@dataclass(frozen=True)
class Plan3D:
    """Sizes and the output order: channel ``p * (L+1) + l`` is path ``paths[p]`` at ``l``."""

    J: int
    L: int
    max_order: int
    rotation_covariant: bool
    shape: tuple[int, int, int]
    powers: tuple[float, ...]
    paths: tuple[tuple[int, ...], ...]

    @property
    def channel(self) -> dict[tuple[tuple[int, ...], int], int]:
        return {(path, l): p * (self.L + 1) + l
                for p, path in enumerate(self.paths) for l in range(self.L + 1)}


def make_plan(params) -> Plan3D:
    """The plan of a validated :class:`numbascat.scattering3d.params.Params3D`."""
    return Plan3D(params.J, params.L, params.max_order, params.rotation_covariant, params.shape,
                  params.integral_powers, params.paths)


def _wavelet_modulus(u_hat, backend: Backend, filters, plan: Plan3D, l: int, j: int,
                     keep_modulus: bool):
    """``|u * psi_{l,j}|`` and its integrals: real spectrum ``(b, M, N, O)`` -> (real signal
    ``(b, M, N, O)`` or None, sums ``(b, n_powers)``)."""
    name = filter_name(l, j)
    # The rotation-covariant modulus takes the 2l+1 orders m in quadrature; Kymatio's
    # non-covariant transform keeps filter index 0 alone, i.e. m = -l.
    stack = filters.get(name) if plan.rotation_covariant else filters.get(name, 0, 1)
    return backend.wavelet_quadrature(u_hat, stack, 3, plan.powers, keep_modulus)


def _unit_cost(plan: Plan3D, l: int, j1: int) -> int:
    """Relative cost of the subtree ``(l, j1)``: filter rows times wavelet moduli."""
    rows = 2 * l + 1 if plan.rotation_covariant else 1
    moduli = 1 + (plan.J - j1 if plan.max_order >= 2 else 0)
    return rows * moduli


def unit_groups(plan: Plan3D, parts: int) -> list[list[tuple[int, int]]]:
    """The subtrees ``(l, j1)`` dealt into at most ``parts`` groups of about equal cost
    (largest first, each to the cheapest group so far); every group keeps traversal order."""
    units = [(l, j1) for l in range(plan.L + 1) for j1 in range(plan.J + 1)]
    parts = max(1, min(parts, len(units)))
    if parts == 1:
        return [units]
    loads = [0] * parts
    groups: list[list[tuple[int, int]]] = [[] for _ in range(parts)]
    for unit in sorted(units, key=lambda u: (-_unit_cost(plan, *u), u)):
        g = loads.index(min(loads))
        groups[g].append(unit)
        loads[g] += _unit_cost(plan, *unit)
    return [sorted(g) for g in groups if g]


def _scatter_block(x, backend: Backend, filters, plan: Plan3D, parts: int = 1,
                   lean: bool = False):
    """All coefficients of a batch ``(b, M, N, O)``: ``(b, P * (L+1), n_powers)``; the
    subtrees ``(l, j1)`` run in ``parts`` concurrent groups (:func:`unit_groups`). ``lean``
    (one group only): the input's spectrum is dropped while a second order runs and computed
    again for the next subtree, so that at most two volumes' spectra are alive at once."""
    b = backend.shape(x)[0]
    n_powers = len(plan.powers)
    channel = plan.channel
    J = plan.J
    spectrum = [backend.rfft(x, 3)]  # shared by the groups; dropped and redone when lean

    def x_hat():
        if spectrum[0] is None:
            spectrum[0] = backend.rfft(x, 3)
        return spectrum[0]

    def group(units):
        blocks, indices = [], []

        def emit(sums, path, l):
            blocks.append(backend.reshape(sums, (b, 1, n_powers)))
            indices.append(channel[(path, l)])

        if lean:
            # The subtrees without a second order first, while the spectrum is there anyway.
            units = sorted(units, key=lambda u: (u[1] < J, u))
        for l, j1 in units:
            second = plan.max_order >= 2 and j1 < J
            u1, sums = _wavelet_modulus(x_hat(), backend, filters, plan, l, j1, second)
            emit(sums, (j1,), l)
            if not second:
                continue
            if lean:
                spectrum[0] = None
            u1_hat = backend.rfft(u1, 3)
            del u1
            for j2 in range(j1 + 1, J + 1):
                _, sums = _wavelet_modulus(u1_hat, backend, filters, plan, l, j2, False)
                emit(sums, (j1, j2), l)
            del u1_hat
        return blocks, indices

    groups = unit_groups(plan, parts)
    lean = lean and len(groups) == 1
    results = ([group(groups[0])] if len(groups) == 1 else
               backend.run_batch_parts([functools.partial(group, g) for g in groups]))
    del spectrum[:]
    blocks = [block for more, _ in results for block in more]
    indices = [index for _, more in results for index in more]
    order = np.argsort(np.asarray(indices))
    return backend.assemble(blocks, order)


def batch_chunk(plan: Plan3D, real_itemsize: int, block_bytes: int) -> int:
    """Signals per chunk: the ``2L+1`` complex spectra of one signal (and as much again for
    the inverse FFT) must fit in ``block_bytes``; at least 1."""
    m_rows = 2 * plan.L + 1 if plan.rotation_covariant else 1
    per_signal = 2 * m_rows * math.prod(plan.shape) * 2 * real_itemsize
    return max(1, block_bytes // per_signal)


def scattering3d(x, backend: Backend, filters, plan: Plan3D,
                 block_bytes: int = DEFAULT_BLOCK_BYTES, parts: int = 1):
    """Scatter a batch of volumes.

    Parameters
    ----------
    x : backend array, shape (B, M, N, O), real
    filters : PreparedFilters
        Stacks ``filter_name(l, j)`` of shape (2l+1, M, N, O), complex, as built by
        ``filter_bank_3d``.
    plan : Plan3D
    block_bytes : int
        Bound on the largest temporary of one batched operation.
    parts : int
        The subtrees ``(l, j1)`` of each chunk run in this many concurrent groups
        (:func:`unit_groups`, :meth:`Backend.run_batch_parts`).

    Returns
    -------
    backend array, shape (B, P, L+1, n_powers), real, of the input's precision:
    ``out[b, p, l, k] = sum over voxels of U[b, p, l] ** powers[k]``.
    """
    B = backend.shape(x)[0]
    itemsize = np.dtype(backend.real_dtype(x)).itemsize
    chunk = min(B, batch_chunk(plan, itemsize, block_bytes))
    # A chunk's spectrum: 2 * itemsize per voxel (half spectrum, complex).
    lean = chunk * math.prod(plan.shape) * 2 * itemsize >= LEAN_SPECTRUM_BYTES
    if chunk >= B:
        out = _scatter_block(x, backend, filters, plan, parts, lean)
    else:
        chunks = [_scatter_block(backend.take(x, np.arange(s, min(B, s + chunk)), 0),
                                 backend, filters, plan, parts, lean)
                  for s in range(0, B, chunk)]
        out = backend.concatenate(chunks, axis=0)
    return backend.reshape(out, (B, len(plan.paths), plan.L + 1, len(plan.powers)))
