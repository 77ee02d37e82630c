"""The operator API: the public contract between scattering transforms and compute backends.

A backend implements a handful of array operations for one "array world" (numpy on the CPU,
torch tensors, CuPy arrays, ...). Every transform core (1D, 2D, 3D) is written once against
these operations, so a new backend works for every dimension it declares as soon as it supplies
the *primitives*, and becomes faster by overriding the *fused* operations, whose default
implementations here are compositions of primitives.

Conventions used in every docstring below:

- ``d`` is the number of signal axes (1, 2 or 3). Signal axes are always the trailing ``d`` axes;
  everything before them is a batch of independent signals (``...``).
- A *real signal* is a real floating array of shape ``(..., *s)``.
- A *real spectrum* is what :meth:`Backend.rfft` returns for a real signal. Its layout is owned by
  the backend: the reference backend keeps the full complex DFT, a fast backend may keep only the
  half spectrum and read the other half by Hermitian symmetry. Transform cores never index into
  a real spectrum; they only hand it back to :meth:`Backend.multiply_subsample`,
  :meth:`Backend.lowpass_irfft` and :meth:`Backend.irfft`.
- A *full spectrum* is a complex array of shape ``(..., *s)`` holding the whole DFT in numpy's
  order (``fftfreq`` order, unnormalised forward transform, ``1/N`` in the inverse).
- *Filters* are prepared once per backend and dtype by :meth:`Backend.prepare_filters` from numpy
  arrays ``(F, *s)`` holding Fourier-domain filters (real or complex). What comes back is opaque
  to the core and is passed back unchanged.
- Precision follows the input: float32 signals use complex64 spectra and float32 filters,
  float64 signals use complex128. Backends must not promote.

Subsampling ("periodisation") by ``k`` along an axis of length ``n`` maps a full spectrum
``X`` to ``Y[i] = (1/k) * sum_p X[i + p*n/k]``, ``i < n/k``: the DFT of ``x[::k]``.
"""
from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

__all__ = ["Backend", "BackendInfo", "ConjugateSymmetricStack", "FilterRole", "LazyFilterStack"]


class FilterRole:
    """How a filter bank is used, so a backend can prepare it accordingly.

    ``WAVELET`` filters multiply a real spectrum and give a full (complex) spectrum that is
    inverted with :meth:`Backend.ifft`. ``LOWPASS`` filters multiply a real spectrum and give the
    *real part* of the result, i.e. the spectrum of a real signal inverted with
    :meth:`Backend.irfft`. A backend working on half spectra can fold a low-pass filter into its
    Hermitian-symmetric part at preparation time: for a real signal ``x`` and a real filter ``f``,
    ``real(ifft(fft(x) * f)) == ifft(fft(x) * (f + f[-k]) / 2)`` exactly.
    """

    WAVELET = "wavelet"
    LOWPASS = "lowpass"


class LazyFilterStack:
    """A filter stack ``(F, *s)`` whose dense rows are laid out only when asked for.

    The 1D filter bank is stored compactly (each filter as the band of bins where it is not
    negligible); a long signal's dense stack would take gigabytes. A backend that sets
    :attr:`Backend.lazy_filters` receives these from :meth:`Backend.prepare_filters` and reads
    them a few rows at a time with :meth:`rows`; every other backend receives the dense numpy
    stack (``numpy.asarray(stack)``).

    Parameters
    ----------
    shape : tuple of int
        ``(F, *s)``.
    dtype : numpy dtype
        dtype of the dense rows.
    make_rows : callable
        ``make_rows(start, stop)`` -> numpy array ``(stop - start, *s)``.
    """

    __slots__ = ("_make", "_start", "dtype", "shape")

    def __init__(self, shape, dtype, make_rows, _start: int = 0):
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self._make = make_rows
        self._start = _start

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def rows(self, start: int, stop: int):
        """Dense rows ``start:stop`` (numpy, ``(stop - start, *s)``)."""
        start, stop = max(0, int(start)), min(self.shape[0], int(stop))
        return self._make(self._start + start, self._start + max(start, stop))

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            return self.rows(0, self.shape[0])[index]
        start, stop, _ = index.indices(self.shape[0])
        stop = max(start, stop)
        return LazyFilterStack((stop - start,) + self.shape[1:], self.dtype, self._make,
                               self._start + start)

    def __array__(self, dtype=None, copy=None):
        dense = self.rows(0, self.shape[0])
        return dense if dtype is None else dense.astype(dtype, copy=False)


def _derive_rows(upper: np.ndarray, signs: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a :class:`ConjugateSymmetricStack` from its stored rows."""
    n_low = len(signs)
    out = np.empty((stop - start,) + upper.shape[1:], upper.dtype)
    for k, i in enumerate(range(start, stop)):
        if i >= n_low:
            out[k] = upper[i - n_low]
            continue
        np.conjugate(upper[len(upper) - 1 - i], out=out[k])  # row F-1-i, stored
        if signs[i] < 0:
            np.negative(out[k], out=out[k])
    return out


class ConjugateSymmetricStack(LazyFilterStack):
    """A complex filter stack ``(F, *s)`` whose first rows are conjugates of its last ones.

    Row ``i < len(signs)`` equals ``signs[i] * conj(row F-1-i)`` at every frequency, exactly.
    Only the rows ``len(signs) .. F-1`` (``upper``) are stored; the others are derived when
    asked for (conjugation and sign are exact, so the derived rows are the ones the builder
    would have computed). The solid harmonics of the 3D transform have this form: order
    ``-m`` is ``(-1)^(l+m)`` times the conjugate of order ``m``.

    A backend may use the stored rows alone (the numba backend's quadrature needs only
    ``m >= 0``); every other backend receives the dense stack through ``numpy.asarray``,
    which is kept (weakly) while someone holds it, so that several holders share one copy.

    Parameters
    ----------
    upper : numpy.ndarray ``(F - len(signs), *s)``, complex
        The stored rows (read-only is kept read-only).
    signs : sequence of +1 / -1
        One per derived row; at most ``len(upper)`` of them.
    """

    __slots__ = ("_dense", "signs", "upper")

    def __init__(self, upper: np.ndarray, signs) -> None:
        upper = np.asarray(upper)
        signs = np.asarray(signs, dtype=np.int8)
        if not np.iscomplexobj(upper) or len(signs) > len(upper) or \
                not np.all(np.abs(signs) == 1):
            raise ValueError("a conjugate-symmetric stack needs complex rows and at most one "
                             "sign (+1 or -1) per stored row")
        super().__init__((len(signs) + len(upper),) + upper.shape[1:], upper.dtype,
                         functools.partial(_derive_rows, upper, signs))
        self.upper, self.signs = upper, signs
        self._dense = None

    @property
    def partners(self) -> list[tuple[int, int]]:
        """``(i, k)``: derived row ``i`` is ``signs[i] * conj(upper[k])``."""
        return [(i, len(self.upper) - 1 - i) for i in range(len(self.signs))]

    def dense(self) -> np.ndarray:
        """The whole stack ``(F, *s)``, read-only; one array while anyone holds it."""
        dense = self._dense() if self._dense is not None else None
        if dense is None:
            dense = self.rows(0, self.shape[0])
            dense.flags.writeable = False
            self._dense = weakref.ref(dense)
        return dense

    def __reduce__(self):
        return ConjugateSymmetricStack, (self.upper, self.signs)  # the stored rows only

    def __getitem__(self, index):
        if isinstance(index, slice) and index.indices(self.shape[0]) == (0, self.shape[0], 1):
            return self  # the whole stack keeps its form
        return super().__getitem__(index)

    def __array__(self, dtype=None, copy=None):
        dense = self.dense()
        if dtype is not None and np.dtype(dtype) != dense.dtype:
            return dense.astype(dtype)
        return dense.copy() if copy else dense


@dataclass(frozen=True)
class BackendInfo:
    """Cheap metadata about a backend, readable without importing it.

    Registered under the entry-point group ``numbascat.backend_info`` with the same name as the
    backend class under ``numbascat.backends``.

    Attributes
    ----------
    name : str
        Name used to select the backend (``backend='numba'``).
    dims : tuple of int
        Signal dimensions served (a subset of ``(1, 2, 3)``).
    array_kinds : tuple of str
        Array worlds accepted, named after their frontend: ``'numpy'``, ``'torch'``,
        ``'tensorflow'``, ``'jax'``, ``'cupy'``.
    devices : tuple of str
        ``'cpu'`` and/or ``'gpu'``.
    differentiable : bool
        Whether gradients flow through the backend (autodiff frameworks).
    priority : int
        Higher wins when no backend is named; ties are broken by name.
    requires : tuple of str
        Import names that must be importable for the backend to be usable.
    extra : str or None
        The pip extra that installs the requirements (``pip install numbascat[extra]``).
    probe : str or None
        Optional ``"module:function"`` returning ``None`` when usable or a reason string when
        not (e.g. no GPU). Only run on demand, since it may import heavy packages.
    description : str
        One line for ``numbascat backends``.
    """

    name: str
    dims: tuple[int, ...] = (1, 2, 3)
    array_kinds: tuple[str, ...] = ("numpy",)
    devices: tuple[str, ...] = ("cpu",)
    differentiable: bool = False
    priority: int = 0
    requires: tuple[str, ...] = ()
    extra: str | None = None
    probe: str | None = None
    description: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)


class Backend:
    """Base class of every compute backend.

    Subclasses set ``info`` (a :class:`BackendInfo`) and implement the primitives (methods
    that raise ``NotImplementedError`` here). Fused operations have working defaults built from the
    primitives; override them for speed. :func:`numbascat.testing.check_backend` checks every
    operation against the numpy reference backend.

    A backend instance is shared by all transforms that select it and may be called from several
    threads at once: keep per-call state local.
    """

    info: ClassVar[BackendInfo]
    #: Whether :meth:`prepare_filters` accepts a :class:`LazyFilterStack` (read row by row)
    #: instead of a dense numpy stack.
    lazy_filters: ClassVar[bool] = False
    #: Whether :meth:`filter_rows` gives views of prepared stacks.
    filter_row_views: ClassVar[bool] = False
    #: Working memory of a forward call relative to the transforms' estimates, which are fitted
    #: to the numba backend (see :mod:`numbascat.memory`); a backend that batches less
    #: carefully says so here.
    memory_factor: ClassVar[float] = 1.0

    #: Default ``block_bytes`` (bound on one batched temporary of a traversal) of transforms
    #: built on this backend; None keeps each transform's own default, sized for CPU caches.
    #: GPU backends raise it so that one kernel launch covers many paths.
    block_bytes: int | None = None

    @property
    def name(self) -> str:
        """The registered name (Kymatio's backends expose ``.name`` too)."""
        return self.info.name

    def __repr__(self) -> str:
        return f"<numbascat backend {self.name!r}>"

    # ------------------------------------------------------------------ array world
    def is_array(self, x: Any) -> bool:
        """True if ``x`` is an array this backend computes on directly."""
        raise NotImplementedError

    def real_dtype(self, x: Any) -> Any:
        """The floating dtype the computation on ``x`` will use (float32 or float64 flavour)."""
        raise NotImplementedError

    def shape(self, x: Any) -> tuple[int, ...]:
        """Shape of ``x`` as a tuple of Python ints."""
        return tuple(int(n) for n in x.shape)

    def reshape(self, x: Any, shape: tuple[int, ...]) -> Any:
        """Reshape ``x`` (C order)."""
        return x.reshape(shape)

    def concatenate(self, arrays: list, axis: int) -> Any:
        """Join arrays of equal shape except along ``axis``."""
        raise NotImplementedError

    def take(self, x: Any, indices: Any, axis: int) -> Any:
        """Select ``indices`` (a numpy int array) along ``axis``."""
        raise NotImplementedError

    def batch_range(self, x: Any, start: int, stop: int) -> Any:
        """Signals ``start:stop`` of a batch ``(B, ...)``: ``x[start:stop]``, a view where the
        framework has views (the batch parts and steps of a forward call read their signals
        through it, so the input is not copied); by default a copy through :meth:`take`."""
        return self.take(x, np.arange(start, stop), 0)

    def prepare_filters(self, filters: Any, dtype: Any, role: str = FilterRole.WAVELET) -> Any:
        """Place a numpy filter stack where this backend computes.

        Parameters
        ----------
        filters : numpy.ndarray or LazyFilterStack of shape ``(F, *s)``
            Fourier-domain filters, float64, float32 or complex; real filters stay real,
            complex stay complex. A :class:`LazyFilterStack` only when the backend sets
            :attr:`lazy_filters`.
        dtype : dtype-like
            The real dtype of the signals they will multiply (``numpy.float32`` or
            ``numpy.float64``); filters are cast to it (or its complex counterpart).
        role : str
            One of :class:`FilterRole`; a backend may transform the stack for its role.

        Returns
        -------
        object
            Opaque to the transform cores, which pass it back unchanged to
            :meth:`multiply_subsample` / :meth:`lowpass_irfft`.
        """
        raise NotImplementedError

    def warmup_standin(self, values: int, max_values: int | None = None) -> Backend | None:
        """The backend a forward call of ``values`` input values (batch included) runs on
        instead of this one while this one is not warm yet; None: this one.

        ``max_values``, given by the transform, is the largest call for which it knows the
        stand-in to stay fast (None: the backend's own default).

        For a backend whose first use in a process is expensive (just-in-time compiled kernels
        to import and load) against what a small call costs elsewhere. The stand-in takes and
        returns the same arrays and computes the same numbers to the precision's rounding; each
        stand-in call's time is reported to :meth:`warmup_spent`, so that the backend can end
        the stand-in phase once waiting would have paid for its warm-up.
        """
        return None

    def warmup_spent(self, seconds: float) -> None:
        """A forward call just took ``seconds`` on the stand-in of :meth:`warmup_standin`."""

    def filter_rows(self, prepared: Any, start: int, stop: int) -> Any:
        """Rows ``start:stop`` of a stack from :meth:`prepare_filters`, sharing its memory.

        Only called when :attr:`filter_row_views` is set: a traversal that asks for one stack
        in several chunkings (batch parts, filter chunks sized by the batch) then has it
        prepared once, and each chunk is a view; otherwise each chunk is prepared on its own.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ primitives
    def pad(self, x: Any, pad_widths: tuple[tuple[int, int], ...]) -> Any:
        """Reflect-pad the trailing ``len(pad_widths)`` axes of a real signal.

        ``pad_widths[i] = (before, after)`` for signal axis ``i``; the edge sample is not
        repeated (numpy ``mode='reflect'``). Pads may exceed the axis length: the reflection
        repeats, as ``numpy.pad`` does (index period ``2 (n - 1)``); Kymatio's 2D transform pads
        an image of side ``2^J`` by ``2^J``. Shape ``(..., *s)`` -> ``(..., *(s + before +
        after))``.
        """
        raise NotImplementedError

    def crop(self, x: Any, starts: tuple[int, ...], stops: tuple[int, ...]) -> Any:
        """Keep ``x[..., starts[0]:stops[0], starts[1]:stops[1], ...]`` on the trailing axes."""
        index = (Ellipsis,) + tuple(slice(a, b) for a, b in zip(starts, stops, strict=True))
        return x[index]

    def rfft(self, x: Any, d: int) -> Any:
        """Real spectrum of a real signal ``(..., *s)`` over its trailing ``d`` axes."""
        raise NotImplementedError

    def irfft(self, x_hat: Any, d: int, s: tuple[int, ...]) -> Any:
        """Inverse of :meth:`rfft`: a real signal of shape ``(..., *s)``."""
        raise NotImplementedError

    def ifft(self, x_hat: Any, d: int) -> Any:
        """Complex inverse DFT (with 1/N) of a full spectrum over the trailing ``d`` axes."""
        raise NotImplementedError

    def fft(self, x: Any, d: int) -> Any:
        """Complex forward DFT of a complex signal over the trailing ``d`` axes."""
        raise NotImplementedError

    def to_full_spectrum(self, x_hat: Any, d: int, s: tuple[int, ...]) -> Any:
        """The full complex spectrum ``(..., *s)`` of a real spectrum (for reference checks)."""
        raise NotImplementedError

    def multiply(self, x_hat: Any, filters: Any, d: int) -> Any:
        """Multiply a real spectrum by each filter of a prepared stack.

        ``x_hat``: real spectrum of a signal ``(..., *s)``; ``filters``: prepared ``(F, *s)``.
        Returns a full spectrum ``(..., F, *s)``.
        """
        raise NotImplementedError

    def subsample(self, x_hat: Any, k: tuple[int, ...]) -> Any:
        """Periodise a full spectrum ``(..., *s)`` by ``k[i]`` on signal axis ``i``.

        Returns ``(..., *(s // k))``: the mean over the ``k[i]`` periods, i.e. the spectrum of
        the signal subsampled by ``k`` in space.
        """
        raise NotImplementedError

    def real(self, x: Any) -> Any:
        """Real part: complex ``(...)`` -> real ``(...)`` of the matching precision."""
        raise NotImplementedError

    def modulus(self, x: Any) -> Any:
        """Complex modulus: complex ``(...)`` -> real ``(...)`` of the matching precision."""
        raise NotImplementedError

    def sum_powers(self, x: Any, powers: tuple[float, ...], d: int) -> Any:
        """Integrals of powers: real ``(..., *s)`` -> ``(..., len(powers))``, ``sum(x**q)``.

        Sums over the trailing ``d`` axes, no normalisation.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ fused operations
    def multiply_subsample(self, x_hat: Any, filters: Any, k: tuple[int, ...], d: int) -> Any:
        """Filter then periodise: ``subsample(multiply(x_hat, filters), k)``.

        ``x_hat``: real spectrum of ``(..., *s)``; ``filters``: prepared wavelet stack
        ``(F, *s)``. Returns the full spectrum ``(..., F, *(s // k))``.
        """
        y = self.multiply(x_hat, filters, d)
        return y if all(ki == 1 for ki in k) else self.subsample(y, k)

    def lowpass_irfft(self, x_hat: Any, phi: Any, k: tuple[int, ...], d: int,
                      s: tuple[int, ...]) -> Any:
        """Low-pass filter, periodise and invert, keeping the real part.

        ``x_hat``: real spectrum of a signal ``(..., *s)``; ``phi``: prepared low-pass stack
        holding one filter ``(1, *s)`` (role :attr:`FilterRole.LOWPASS`). Returns the real
        signal ``real(ifft(x_hat * phi))[..., ::k]`` of shape ``(..., *(s // k))``.
        """
        y = self.multiply_subsample(x_hat, phi, k, d)
        shape = self.shape(y)
        y = self.reshape(y, shape[: -d - 1] + shape[-d:])
        return self.real(self.ifft(y, d))

    def ifft_modulus(self, x_hat: Any, d: int) -> Any:
        """``modulus(ifft(x_hat))``: full spectrum ``(..., *s)`` -> real signal ``(..., *s)``."""
        return self.modulus(self.ifft(x_hat, d))

    def ifft_modulus_rfft(self, x_hat: Any, d: int) -> tuple[Any, Any]:
        """``u = |ifft(x_hat)|`` and its real spectrum ``rfft(u)``; returns ``(u, rfft(u))``."""
        u = self.ifft_modulus(x_hat, d)
        return u, self.rfft(u, d)

    def wavelet_modulus_rfft(self, x_hat: Any, filters: Any, k: tuple[int, ...], d: int) -> Any:
        """The real spectrum of the modulus of each wavelet coefficient:
        ``rfft(|ifft(multiply_subsample(x_hat, filters, k, d))|)``.

        ``x_hat``: real spectrum of ``(..., *s)``; ``filters``: prepared wavelet stack
        ``(F, *s)``. Returns the real spectra ``(..., F, *(s // k)[:-1], (s // k)[-1] // 2 + 1)``.
        For the transforms that need only the spectrum of the modulus (2D): backends may fuse
        the steps so that the product and the modulus never exist whole.
        """
        y = self.multiply_subsample(x_hat, filters, k, d)
        return self.ifft_modulus_rfft(y, d)[1]

    def wavelet_modulus_rfft_stacks(self, x_hat: Any, stacks: Iterable[tuple[Any, tuple[int, ...]]],
                                    d: int) -> Iterator[Any]:
        """:meth:`wavelet_modulus_rfft` of one spectrum for several stacks in turn.

        ``stacks``: an iterable of ``(filters, k)``, consumed lazily; yields, for each, what
        ``wavelet_modulus_rfft(x_hat, filters, k, d)`` returns, in order, one at a time (the
        caller may drop each result before asking for the next). ``x_hat`` must not change
        while the iterator runs: backends may prepare it once for all the stacks (the numba
        backend mirrors its half spectrum once) and free that when the iterator ends.
        """
        for filters, k in stacks:
            yield self.wavelet_modulus_rfft(x_hat, filters, k, d)

    def quadrature_modulus(self, x_hat: Any, d: int, axis: int) -> Any:
        """``sqrt(sum over axis of |ifft(x_hat)|**2)``: full spectra -> one real signal.

        Used by the rotation-covariant 3D transform, where ``axis`` runs over the ``2l+1``
        orders ``m`` of a solid harmonic. Removes ``axis``.
        """
        raise NotImplementedError

    def wavelet_quadrature(self, x_hat: Any, filters: Any, d: int, powers: tuple[float, ...],
                           keep_modulus: bool = True) -> tuple[Any, Any]:
        """The 3D transform's step: ``u = sqrt(sum_f |ifft(x_hat * filters[f])|**2)`` and the
        integrals ``sum(u**q)`` for ``q`` in ``powers``.

        ``x_hat``: real spectrum of ``(B, *s)``; ``filters``: prepared complex stack ``(F, *s)``
        (the ``2l+1`` orders of a solid harmonic, or one filter). Returns ``(u, sums)`` with
        ``u`` of shape ``(B, *s)`` (``None`` unless ``keep_modulus``) and ``sums`` of shape
        ``(B, len(powers))``. Backends may fuse the steps or skip work the filters make
        redundant (the numba backend pairs orders ``m`` and ``-m``), with identical results
        to the signal precision.
        """
        y = self.multiply_subsample(x_hat, filters, (1,) * d, d)
        u = self.quadrature_modulus(y, d, axis=-d - 1)
        return (u if keep_modulus else None), self.sum_powers(u, powers, d)

    def batch_workers(self, n: int, signal_size: int | None = None) -> int:
        """Into how many parts a batch of ``n`` signals (of ``signal_size`` values each) is
        split and run concurrently by :meth:`run_batch_parts` (default 1: the whole batch in
        the calling thread)."""
        return 1

    def path_workers(self, n: int, values: int, extra_bytes: int = 0) -> int:
        """Into how many parts a traversal may split ``n`` independent groups of paths of one
        batch (e.g. the first-order orientations of a 2D transform), run concurrently by
        :meth:`run_batch_parts`; ``values`` is the size of the batch (signals times values per
        signal), ``extra_bytes`` the working memory each part beyond the first adds (an upper
        bound). Default 1: every path in the calling thread. The caller keeps the parts'
        working memory within the transform's memory budget as well."""
        return 1

    def run_batch_parts(self, tasks: list) -> list:
        """Run the callables ``tasks`` (one per batch or path part) and return their results in
        order; backends whose kernels release the GIL run them concurrently."""
        return [task() for task in tasks]

    def recycled_temporaries(self, working_bytes: int):
        """A context manager around one forward call whose working memory is at most
        ``working_bytes`` (the transform's estimate): a host-memory backend may keep the
        call's temporaries for the next call instead of handing them back to the system.
        Default: nothing is kept."""
        return contextlib.nullcontext()

    def output_array(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """An uninitialised output ``shape`` of real ``dtype`` that a traversal fills block by
        block with :meth:`write_channels` (no list of blocks, no copy at the end), or ``None``
        when this backend joins blocks with :meth:`assemble` instead (the default: arrays that
        cannot be written in place, such as autograd-tracked tensors)."""
        return None

    def write_channels(self, out: Any, block: Any, channels: list[int]) -> None:
        """``out[:, channels] = block`` for an array from :meth:`output_array`;
        ``block`` has shape ``(B, len(channels), ...)``."""
        raise NotImplementedError

    def assemble(self, blocks: list, order: Any) -> Any:
        """Join path blocks ``(B, c_i, ...)`` along axis 1 and reorder the channels.

        ``order`` is a numpy int array: output channel ``c`` is channel ``order[c]`` of the
        concatenation.
        """
        joined = blocks[0] if len(blocks) == 1 else self.concatenate(blocks, axis=1)
        return self.take(joined, order, axis=1)

    # ------------------------------------------------------------------ frequency axis (JTFS)
    # Joint time-frequency scattering filters along the second-to-last axis ("frequency": the
    # first-order wavelet index) of arrays ``(..., n, t)`` whose last axis is time. Filters
    # are prepared stacks ``(F, n, 1)`` (Fourier domain along n, broadcast along t).

    def pad_zeros(self, x: Any, pad_widths: tuple[tuple[int, int], ...]) -> Any:
        """Zero-pad the trailing ``len(pad_widths)`` axes of a real or complex array.

        Default: zero blocks made from ``x`` itself (:meth:`take` of its first slice, times 0,
        so they share its dtype and device), joined by :meth:`concatenate`. Override it with
        the array world's own padding for speed.
        """
        ndim = len(self.shape(x))
        for i, (before, after) in enumerate(pad_widths):
            axis = ndim - len(pad_widths) + i
            parts = [x]
            if before:
                parts.insert(0, self.take(x, np.zeros(int(before), dtype=np.int64), axis) * 0)
            if after:
                parts.append(self.take(x, np.zeros(int(after), dtype=np.int64), axis) * 0)
            if len(parts) > 1:
                x = self.concatenate(parts, axis)
        return x

    def multiply_full(self, x_hat: Any, filters: Any, d: int) -> Any:
        """Multiply a *full* spectrum ``(..., *s)`` by each filter of a prepared stack
        ``(F, *s')``, where each axis of ``s'`` equals ``s``'s or is 1 (broadcast): returns
        ``(..., F, *s)``.

        The default is :meth:`multiply`, right for backends whose real spectra are full
        spectra (numpy, torch, tensorflow, jax); half-spectrum backends override it.
        """
        return self.multiply(x_hat, filters, d)

    def frequency_fft(self, x: Any, real_input: bool) -> Any:
        """The spectrum along axis -2 of ``x`` ``(..., n, t)`` (real when ``real_input``, else
        complex), in a layout owned by the backend: only :meth:`frequency_filter` reads it.

        The default is the 2D DFT over ``(n, t)``: its transform along t is undone by
        :meth:`frequency_filter`'s 2D inverse. Backends with per-axis FFTs override both.
        """
        s = self.shape(x)[-2:]
        return self.to_full_spectrum(self.rfft(x, 2), 2, s) if real_input else self.fft(x, 2)

    def frequency_fft_padded(self, x: Any, n: int, real_input: bool) -> Any:
        """:meth:`frequency_fft` of ``x`` ``(..., m, t)`` padded with zeros to ``(..., n, t)``
        (``n >= m``). The default pads with :meth:`pad_zeros`; a backend may fuse the two."""
        m = self.shape(x)[-2]
        if n > m:
            x = self.pad_zeros(x, ((0, n - m), (0, 0)))
        return self.frequency_fft(x, real_input)

    def frequency_filter(self, x_hat: Any, filters: Any, k: int) -> Any:
        """``ifft_n(periodise_n(X * filters[f], k))`` along axis -2, ``X`` from
        :meth:`frequency_fft` of a signal ``(..., n, t)``; ``filters``: prepared ``(F, n, 1)``.
        Returns the complex signal ``(..., F, n // k, t)``."""
        Y = self.multiply_full(x_hat, filters, 2)
        if k > 1:
            Y = self.subsample(Y, (k, 1))
        return self.ifft(Y, 2)

    def frequency_modulus(self, x_hat: Any, filters: Any, k: int,
                          lowpass: tuple[Any, int] | None = None) -> Any:
        """``|frequency_filter(x_hat, filters, k)|``, then optionally low-passed in time.

        ``x_hat``: from :meth:`frequency_fft` of a signal ``(..., n, t)``; ``filters``:
        prepared ``(F, n, 1)``. Returns real ``(..., F, n // k, t)``; with ``lowpass=(phi, kt)``
        (``phi`` a prepared low-pass stack ``(1, t)``) each row is then filtered by ``phi``
        along t and subsampled by ``kt``, as :meth:`lowpass_irfft` of its :meth:`rfft`:
        ``(..., F, n // k, t // kt)``. The default composes those ops; a backend fuses them to
        keep the complex intermediate (twice the output) out of memory.
        """
        u = self.modulus(self.frequency_filter(x_hat, filters, k))
        if lowpass is None:
            return u
        phi, kt = lowpass
        t = self.shape(u)[-1]
        return self.lowpass_irfft(self.rfft(u, 1), phi, (kt,), 1, (t,))

    def frequency_lowpass(self, u: Any, phi: Any, k: int) -> Any:
        """Real part of :meth:`frequency_filter` with one filter: ``real (..., n, t) ->
        real (..., n // k, t)``."""
        y = self.frequency_filter(self.frequency_fft(u, True), phi, k)
        shape = self.shape(y)
        return self.real(self.reshape(y, shape[:-3] + shape[-2:]))

    def frequency_sum(self, u: Any) -> Any:
        """Sum over axis -2, kept: real ``(..., n, t) -> (..., 1, t)``."""
        s = self.shape(u)[-2:]
        full = self.to_full_spectrum(self.rfft(u, 2), 2, s)
        return self.real(self.ifft(self.take(full, [0], axis=-2), 2))

    # ------------------------------------------------------------------ host transfers
    def to_numpy(self, x: Any) -> Any:
        """A numpy copy or view of ``x`` (used by tests and by the numpy frontend)."""
        raise NotImplementedError

    def from_numpy(self, x: Any) -> Any:
        """Move a numpy array into this backend's array world."""
        raise NotImplementedError
