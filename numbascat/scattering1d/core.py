"""The 1D scattering traversal, written once against the operator API (compat spec §1.6).

Two schedules, the same coefficients in the same output order:

- **by resolution**, when its whole working set fits ``block_bytes`` (small signals and
  batches, where the time goes to dispatching operations, not to the FFTs): every path that
  lands at one resolution ``r`` -- the first-order group with ``k1 = r`` and the second-order
  children of every parent with ``k1 + k2 = r`` -- goes through one inverse FFT, modulus, real
  FFT and low-pass call, the parents stacked along the channel axis; the first-order spectra
  stay alive until their last child is done. Python runs once per resolution, not once per
  (parent, j2): 23 FFT calls instead of 86 for J=8, Q=1.
- **depth-first** otherwise: the wavelets of one scale ``j1`` go through one batched
  ``multiply_subsample`` (in chunks whose working set is bounded by ``block_bytes``), and every
  second-order child of a chunk is computed before the next chunk starts: for each ``j2 > j1``
  all wavelets of scale ``j2`` are applied to the whole chunk at once. Python runs once per
  (chunk, j2), and only one chunk's children are alive at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numbascat.backend_api import Backend

__all__ = ["DEFAULT_BLOCK_BYTES", "Plan1D", "make_plan", "scattering1d"]

#: Default bound on the largest temporary of one batched operation, in bytes (shared by the
#: batch parts that run concurrently). Traced working memory of a forward call at 16 / 8 MiB
#: (measured side by side, 2 cores): 1d-music 37 / 21 MB (Kymatio 0.3 numpy: 64 MB),
#: 1d-headline 42 / 27 MB, 1d-speech 35 / 19 MB, for 6-11% more time on the two long ones and
#: none on 1d-speech.
DEFAULT_BLOCK_BYTES = 8 * 2 ** 20


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
    Derived at construction: ``channel`` (path -> output channel) and ``stages`` (the
    by-resolution schedule, :meth:`_make_stages`).
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

    def __post_init__(self):
        # Derived tables, computed once. Plain attributes, not functools.cached_property: its
        # lock (Python 3.11) is a context manager that torch.compile cannot trace.
        derived = {"channel": {path: c for c, path in enumerate(self.paths)},
                   "_order_cache": {}, "_bytes_cache": {}}
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_children", self._make_children())
        object.__setattr__(self, "stages", self._make_stages())

    def output_order(self, flat: tuple[tuple[int, ...], ...]) -> np.ndarray:
        """``argsort`` of the output channels of the paths ``flat`` (blocks joined in traversal
        order), cached: the same schedule gives the same order on every call."""
        order = self._order_cache.get(flat)
        if order is None:
            channel = self.channel
            order = self._order_cache[flat] = np.argsort(np.array([channel[p] for p in flat]))
        return order

    def k1(self, j1: int) -> int:
        j = min(j1, self.log2_T) if self.average else j1
        return max(j - self.oversampling, 0)

    def k2(self, j2: int, k1: int) -> int:
        j = min(j2, self.log2_T) if self.average else j2
        return max(j - k1 - self.oversampling, 0)

    def k_avg(self, k: int) -> int:
        """Subsampling of the low-pass step for a signal at resolution ``k``."""
        return max(self.log2_T - k - self.oversampling, 0)

    def children(self, g: int) -> tuple[tuple[int, int, int, int], ...]:
        """Second-order groups of first-order group ``g``: ``(j2, start, stop, r)`` with ``r``
        the resolution ``k1 + k2`` they land at (none unless ``max_order == 2``)."""
        return self._children[g]

    def _make_children(self):
        out = []
        for j1, _, _ in self.groups1:
            k1 = self.k1(j1)
            out.append(tuple((j2, s, e, k1 + self.k2(j2, k1)) for j2, s, e in self.groups2
                             if j2 > j1) if self.max_order == 2 else ())
        return tuple(out)

    def _make_stages(self) -> tuple[tuple[int, tuple[int, ...],
                                          tuple[tuple[int, int, int, int], ...]], ...]:
        """:attr:`stages`, the by-resolution schedule: ``(r, first-order groups, second-order
        items)`` with items ``(g, j2, start, stop)`` (parent group ``g``), in ascending ``r``.

        A child lands at or above its parent's resolution; when at the same one (``k2 = 0``)
        it waits for a second stage at ``r``, after its parent's.
        """
        pending1 = list(range(len(self.groups1)))
        pending2 = [(g, j2, s, e, r) for g in pending1 for j2, s, e, r in self.children(g)]
        done, stages = set(), []
        while pending1 or pending2:
            ready2 = [c for c in pending2 if c[0] in done]
            r = min([self.k1(self.groups1[g][0]) for g in pending1] + [c[4] for c in ready2])
            firsts = tuple(g for g in pending1 if self.k1(self.groups1[g][0]) == r)
            seconds = tuple(c[:4] for c in ready2 if c[4] == r)
            pending1 = [g for g in pending1 if g not in firsts]
            pending2 = [c for c in pending2 if not (c[0] in done and c[4] == r)]
            done.update(firsts)
            stages.append((r, firsts, seconds))
        return tuple(stages)

    def by_resolution_bytes(self, B: int, itemsize: int) -> int:
        """Peak working set of the by-resolution schedule for ``B`` signals (``itemsize``:
        bytes of a complex value): every parent spectrum with children, all alive, plus the
        largest stage (its parts, their concatenation, modulus and spectrum)."""
        known = self._bytes_cache.get((B, itemsize))
        if known is not None:
            return known
        parents = sum(B * (b - a) * ((self.N_pad >> self.k1(j1)) // 2 + 1) * itemsize
                      for g, (j1, a, b) in enumerate(self.groups1) if self.children(g))
        widest = 0
        for r, firsts, seconds in self.stages:
            channels = (sum(self.groups1[g][2] - self.groups1[g][1] for g in firsts)
                        + sum((self.groups1[g][2] - self.groups1[g][1]) * (e - s)
                              for g, _, s, e in seconds))
            widest = max(widest, 3 * B * channels * (self.N_pad >> r) * itemsize)
        self._bytes_cache[(B, itemsize)] = parents + widest
        return parents + widest


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

    if order2 and plan.by_resolution_bytes(B, itemsize) <= block_bytes:
        _by_resolution(U0_hat, backend, filters, plan, B, emit, low, unpad)
        return blocks, paths
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


def _by_resolution(U0_hat, backend, filters, plan: Plan1D, B: int, emit, low, unpad):
    """The by-resolution schedule (module docstring): one batched inverse FFT, modulus, FFT
    and low-pass per stage of :attr:`Plan1D.stages` (second order only)."""
    d = 1
    groups1 = plan.groups1
    parents = {}  # group -> spectrum of its moduli (B, F1, n1 // 2 + 1), until its last child
    left = [len(c) for c in plan._children]
    for r, firsts, seconds in plan.stages:
        n = plan.N_pad >> r
        parts, stage_paths = [], []
        for g in firsts:
            _, a, b = groups1[g]
            parts.append(backend.multiply_subsample(U0_hat, filters.get("psi1", a, b), (2 ** r,),
                                                    d))
            stage_paths += [(n1,) for n1 in range(a, b)]
        for g, _, s, e in seconds:
            j1, a, b = groups1[g]
            k1 = plan.k1(j1)
            first = plan.psi2_first[k1]
            psi2 = filters.get(f"psi2_r{k1}", s - first, e - first)
            Y2 = backend.multiply_subsample(parents[g], psi2, (2 ** (r - k1),), d)
            parts.append(backend.reshape(Y2, (B, (b - a) * (e - s), n)))
            stage_paths += [(n1, n2) for n1 in range(a, b) for n2 in range(s, e)]
            left[g] -= 1
            if not left[g]:
                del parents[g]
        Y = parts[0] if len(parts) == 1 else backend.concatenate(parts, 1)
        del parts
        if plan.average:
            _, U_hat = backend.ifft_modulus_rfft(Y, d)
            del Y
            emit(low(U_hat, r), stage_paths)
        else:
            U = backend.ifft_modulus(Y, d)
            del Y
            emit(unpad(U, r), stage_paths)
        offset = 0
        for g in firsts:
            _, a, b = groups1[g]
            if left[g]:
                if plan.average:
                    whole = b - a == len(stage_paths)
                    parents[g] = (U_hat if whole else backend.take(
                        U_hat, np.arange(offset, offset + b - a), axis=1))
                else:
                    parents[g] = backend.rfft(backend.take(U, np.arange(offset, offset + b - a),
                                                           axis=1), d)
            offset += b - a
