"""The 2D scattering traversal, written once against the operator API.

Depth-first over first-order scales: for each scale ``j1`` the orientations are processed in
chunks whose working set is bounded by ``block_bytes``; every second-order child of a chunk is
computed before the next chunk starts. Within a chunk all filters at the same resolution go
through one batched operation, so Python runs once per (chunk, scale), not once per path.

The first-order orientations are independent subtrees: a batch too small for the backend to
split (batch 1) may run them in concurrent groups instead (``parts``), all reading the one
spectrum of the input.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from numbascat.backend_api import Backend

__all__ = ["Plan2D", "make_plan", "orientation_groups", "scattering2d"]

#: Default bound on the largest temporary of one batched operation, in bytes. 4 MiB: on
#: 2d-imagenet the traced working memory of a forward call is 28 MB against 67 MB at 16 MiB,
#: and no slower (the chunks stay closer to cache).
DEFAULT_BLOCK_BYTES = 4 * 2 ** 20


@dataclass(frozen=True)
class Plan2D:
    """What the traversal needs besides filters: sizes and the output channel of each path."""

    J: int
    L: int
    max_order: int
    padded_shape: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    paths: tuple[tuple[int, ...], ...]  # output order: (), (n1,), (n1, n2) with n = j * L + t

    @property
    def channel(self) -> dict[tuple[int, ...], int]:
        return {path: c for c, path in enumerate(self.paths)}


def make_plan(J, L, max_order, padded_shape, pads) -> Plan2D:
    paths = [()] + [(n1,) for n1 in range(J * L)]
    if max_order >= 2:
        paths += [(j1 * L + t1, j2 * L + t2) for j1 in range(J) for t1 in range(L)
                  for j2 in range(j1 + 1, J) for t2 in range(L)]
    return Plan2D(J, L, max_order, tuple(padded_shape), tuple(pads), tuple(paths))


def _chunk_size(per_item_bytes: int, budget: int, n: int) -> int:
    return int(max(1, min(n, budget // max(per_item_bytes, 1))))


def orientation_groups(L: int, parts: int) -> list[range]:
    """``parts`` contiguous runs of the ``L`` first-order orientations, as even as they go:
    every orientation costs the same, so the groups' paths cost the same within one."""
    parts = max(1, min(parts, L))
    return [range(i * L // parts, (i + 1) * L // parts) for i in range(parts)]


def scattering2d(x, backend: Backend, filters, plan: Plan2D,
                 block_bytes: int = DEFAULT_BLOCK_BYTES, parts: int = 1):
    """Scatter a batch of images.

    Parameters
    ----------
    x : backend array, shape (B, M_in, N_in), real
        Images (already padded when ``plan.pads`` are all zero).
    filters : PreparedFilters
        Stacks ``psi_j{j}_r{r}`` of shape (L, M_pad/2^r, N_pad/2^r) (orientation t is row t)
        and ``phi_r{r}`` of shape (1, M_pad/2^r, N_pad/2^r), as built by ``filter_bank_2d``.
    plan : Plan2D
    block_bytes : int
        Bound on the largest temporary of one batched operation (of each part).
    parts : int
        The first-order orientations (with every second-order child) run in this many
        concurrent groups (:func:`orientation_groups`, :meth:`Backend.run_batch_parts`), each
        within ``block_bytes // parts``; 1 runs them all in the calling thread.

    Returns
    -------
    backend array, shape (B, C, M_pad/2^J - 2, N_pad/2^J - 2), real, channels in ``plan.paths``
    order.
    """
    J, L, d = plan.J, plan.L, 2
    M, N = plan.padded_shape
    B = backend.shape(x)[0]
    itemsize = 16 if np.dtype(backend.real_dtype(x)) == np.float64 else 8
    channel = plan.channel
    m, n = M // 2 ** J, N // 2 ** J

    def low(u_hat, r):
        # Average at resolution r down to 2^J, drop one border pixel per side.
        k = 2 ** (J - r)
        s = (M // 2 ** r, N // 2 ** r)
        averaged = backend.lowpass_irfft(u_hat, filters.get(f"phi_r{r}"), (k, k), d, s)
        return backend.crop(averaged, (1, 1), (m - 1, n - 1))

    # Backends that can fill an output in place get each block written as it is made: the
    # finished coefficients are never held twice (as blocks, then joined). The others get
    # (blocks, channels) lists, one per group, joined in group order.
    out = backend.output_array((B, len(plan.paths), m - 2, n - 2), backend.real_dtype(x))

    def emitter(blocks, indices):
        def emit(block, paths):
            shape = backend.shape(block)
            block = backend.reshape(block, (B, len(paths)) + shape[-2:])
            if out is not None:
                backend.write_channels(out, block, [channel[p] for p in paths])
            else:
                blocks.append(block)
                indices.extend(channel[p] for p in paths)
        return emit

    U0 = backend.pad(x, plan.pads) if any(sum(p) for p in plan.pads) else x
    U0_hat = backend.rfft(U0, d)
    del U0
    blocks, indices = [], []
    emitter(blocks, indices)(low(U0_hat, 0), [()])

    def group(orientations: range, budget: int):
        """Every path below the first-order orientations ``orientations``."""
        blocks, indices = [], []
        emit = emitter(blocks, indices)
        # Chunk first-order orientations so one chunk's spectra fit the budget; its children
        # at j2 > j1 are chunked again over their own orientations below. Each spectrum goes
        # through all its stacks in one sequence (the backend may prepare it once for them).
        first = [(j1, t0, min(orientations.stop, t0 + chunk1))
                 for j1 in range(J)
                 for chunk1 in [_chunk_size(B * (M >> j1) * (N >> j1) * itemsize, budget,
                                            len(orientations))]
                 for t0 in range(orientations.start, orientations.stop, chunk1)]
        U1_hats = backend.wavelet_modulus_rfft_stacks(
            U0_hat, ((filters.get(f"psi_j{j1}_r0", t0, t1), (2 ** j1, 2 ** j1))
                     for j1, t0, t1 in first), d)
        # Plain iteration, each result deleted before the next is asked for: zip and
        # enumerate would keep the previous one alive (in their reused result tuple) while
        # the next is made.
        first_specs = iter(first)
        for U1_hat in U1_hats:
            j1, t0, t1 = next(first_specs)
            n1s = [j1 * L + t for t in range(t0, t1)]
            emit(low(U1_hat, j1), [(n1,) for n1 in n1s])
            if plan.max_order >= 2:
                size1 = (M >> j1) * (N >> j1)
                second = [(j2, u0, min(L, u0 + chunk2))
                          for j2 in range(j1 + 1, J)
                          for chunk2 in [_chunk_size(B * len(n1s) * size1 // 4 ** (j2 - j1)
                                                     * itemsize, budget, L)]
                          for u0 in range(0, L, chunk2)]
                U2_hats = backend.wavelet_modulus_rfft_stacks(
                    U1_hat, ((filters.get(f"psi_j{j2}_r{j1}", u0, u1),
                              (2 ** (j2 - j1), 2 ** (j2 - j1))) for j2, u0, u1 in second), d)
                second_specs = iter(second)
                for U2_hat in U2_hats:
                    j2, u0, u1 = next(second_specs)
                    emit(low(U2_hat, j2), [(n1, j2 * L + t2) for n1 in n1s
                                           for t2 in range(u0, u1)])
                    del U2_hat  # before the next one is made, not after
                del U2_hats  # ends the sequence: what the backend prepared for it goes
            del U1_hat
        return blocks, indices

    groups = orientation_groups(L, parts)
    if len(groups) == 1:
        results = [group(groups[0], block_bytes)]
    else:
        share = max(1, block_bytes // len(groups))
        results = backend.run_batch_parts([functools.partial(group, g, share) for g in groups])
    for more_blocks, more_indices in results:
        blocks += more_blocks
        indices += more_indices
    if out is not None:
        return out
    order = np.argsort(np.asarray(indices))
    return backend.assemble(blocks, order)
