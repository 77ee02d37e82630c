"""The 1D scattering traversal, written once against the operator API (compat spec §1.6).

Depth-first over first-order groups: the wavelets of one scale ``j1`` share their subsampling,
so they go through one batched ``multiply_subsample`` (in chunks whose working set is bounded by
``block_bytes``), and every second-order child of a chunk is computed before the next chunk
starts: for each ``j2 > j1`` all wavelets of scale ``j2`` are applied to the whole chunk at once.
Python thus runs once per (chunk, j2), not once per path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numbascat.backend_api import Backend

__all__ = ["DEFAULT_BLOCK_BYTES", "Plan1D", "make_plan", "scattering1d"]

#: Default bound on the largest temporary of one batched operation, in bytes (shared by the
#: batch parts that run concurrently). Traced working memory of a 1d-music forward call: 37 MB
#: at 16 MiB, 22 MB at 8 MiB, which costs about 15-25% in speed on the long 1D workloads.
DEFAULT_BLOCK_BYTES = 16 * 2 ** 20


def _runs(j: tuple[int, ...]) -> tuple[tuple[int, int, int], ...]:
    """Contiguous runs of equal ``j``: ``((j, start, stop), ...)`` in filter order."""
    if not j:
        return ()
    cuts = [i for i in range(1, len(j)) if j[i] != j[i - 1]]
    bounds = [0] + cuts + [len(j)]
    return tuple((j[a], a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True))


@dataclass(frozen=True)
class Plan1D:
    """What the traversal needs besides filters: sizes, groups and the output channel of paths.

    Everything is Python ints and tuples, computed once per (oversampling, max_order): the
    forward pass does no numpy arithmetic, so ``torch.compile`` traces it in one graph.
    """

    N: int
    N_pad: int
    pad_left: int
    pad_right: int
    log2_T: int
    average: bool
    max_order: int
    oversampling: int
    j1: tuple[int, ...]
    j2: tuple[int, ...]
    psi2_first: dict  # level k -> first psi2 row stored at that level (a suffix of psi2)
    ind_start: dict
    ind_end: dict
    paths: tuple[tuple[int, ...], ...]  # output order: (), (n1,), (n1, n2) with j2 > j1
    groups1: tuple[tuple[int, int, int], ...]  # runs (j1, start, stop) of equal j1 in psi1
    groups2: tuple[tuple[int, int, int], ...]  # the same for psi2
    #: Kymatio main's T='global': unaveraged coefficients summed over the padded time axis.
    global_sum: bool = False

    @property
    def channel(self) -> dict[tuple[int, ...], int]:
        return {path: c for c, path in enumerate(self.paths)}

    def k1(self, j1: int) -> int:
        j = min(j1, self.log2_T) if self.average else j1
        return max(j - self.oversampling, 0)

    def k2(self, j2: int, k1: int) -> int:
        j = min(j2, self.log2_T) if self.average else j2
        return max(j - k1 - self.oversampling, 0)

    def k_avg(self, k: int) -> int:
        """Subsampling of the low-pass step for a signal at resolution ``k``."""
        return max(self.log2_T - k - self.oversampling, 0)


def make_plan(params, j1, j2, psi2_first, oversampling: int, max_order: int,
              global_sum: bool = False) -> Plan1D:
    """The plan of validated ``params``; ``j1``, ``j2``: scales of psi1 and psi2 (sequences of
    ints; pass Python ints when tracing, numpy arrays become tensors under ``torch.compile``)."""
    j1, j2 = tuple(int(v) for v in j1), tuple(int(v) for v in j2)
    paths = [()] + [(n1,) for n1 in range(len(j1))]
    if max_order == 2:
        paths += [(n1, n2) for n1 in range(len(j1)) for n2 in range(len(j2)) if j2[n2] > j1[n1]]
    return Plan1D(params.N, params.N_pad, params.pad_left, params.pad_right, params.log2_T,
                  params.average, max_order, oversampling, j1, j2,
                  {int(k): int(v) for k, v in psi2_first.items()}, params.ind_start,
                  params.ind_end, tuple(paths), _runs(j1), _runs(j2), global_sum)


def scattering1d(x, backend: Backend, filters, plan: Plan1D,
                 block_bytes: int = DEFAULT_BLOCK_BYTES):
    """Scatter a batch of signals.

    Parameters
    ----------
    x : backend array, shape (B, N), real
    filters : PreparedFilters
        ``psi1`` (F1, N_pad); ``psi2_r{k}`` (F2 - psi2_first[k], N_pad / 2^k), the suffix of the
        second-order wavelets that exist at resolution k; ``phi_r{k}`` (1, N_pad / 2^k).
    plan : Plan1D

    Returns
    -------
    blocks : list of backend arrays ``(B, c_i, L_i)``, real
    paths : list of lists of path tuples, ``c_i`` per block, in the block's channel order.
    With ``plan.average`` every ``L_i`` is the same; without it a block holds paths of one
    resolution.
    """
    d = 1
    B = backend.shape(x)[0]
    itemsize = 16 if np.dtype(backend.real_dtype(x)) == np.float64 else 8
    avg, order2 = plan.average, plan.max_order == 2
    groups2 = plan.groups2
    blocks, paths = [], []

    def emit(block, block_paths):
        shape = backend.shape(block)
        blocks.append(backend.reshape(block, (B, len(block_paths), shape[-1])))
        paths.append(block_paths)

    def unpad(u, k):
        if plan.global_sum:
            return backend.sum_powers(u, (1.0,), d)
        return backend.crop(u, (plan.ind_start[k],), (plan.ind_end[k],))

    def low(u_hat, k):
        # Average a signal at resolution k with phi, then cut the padding.
        kk = plan.k_avg(k)
        out = backend.lowpass_irfft(u_hat, filters.get(f"phi_r{k}"), (2 ** kk,), d,
                                    (plan.N_pad >> k,))
        return unpad(out, k + kk)

    U0 = backend.pad(x, ((plan.pad_left, plan.pad_right),))
    U0_hat = backend.rfft(U0, d)
    emit(low(U0_hat, 0) if avg else unpad(U0, 0) if plan.global_sum else x, [()])

    for j1, a, b in plan.groups1:
        k1 = plan.k1(j1)
        n1 = plan.N_pad >> k1
        children = [g for g in groups2 if g[0] > j1] if order2 else []
        # Largest temporary per first-order filter: its spectrum, or its biggest child batch.
        widest = max([1] + [(c - s) / 2 ** plan.k2(j2, k1) for j2, s, c in children])
        chunk = int(max(1, min(b - a, block_bytes // max(B * n1 * itemsize * widest, 1))))
        for c0 in range(a, b, chunk):
            c1 = min(b, c0 + chunk)
            Y1 = backend.multiply_subsample(U0_hat, filters.get("psi1", c0, c1), (2 ** k1,), d)
            if avg or order2:
                U1, U1_hat = backend.ifft_modulus_rfft(Y1, d)
            else:
                U1, U1_hat = backend.ifft_modulus(Y1, d), None
            del Y1
            emit(low(U1_hat, k1) if avg else unpad(U1, k1), [(n,) for n in range(c0, c1)])
            del U1
            for j2, s, e in children:
                k2 = plan.k2(j2, k1)
                first = plan.psi2_first[k1]
                psi2 = filters.get(f"psi2_r{k1}", s - first, e - first)
                Y2 = backend.multiply_subsample(U1_hat, psi2, (2 ** k2,), d)
                if avg:
                    _, U2_hat = backend.ifft_modulus_rfft(Y2, d)
                    S2 = low(U2_hat, k1 + k2)
                    del U2_hat
                else:
                    S2 = unpad(backend.ifft_modulus(Y2, d), k1 + k2)
                del Y2
                emit(S2, [(n1_, n2) for n1_ in range(c0, c1) for n2 in range(s, e)])
            del U1_hat
    return blocks, paths
