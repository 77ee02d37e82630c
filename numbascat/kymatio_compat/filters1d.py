"""``kymatio.scattering1d.filter_bank``: Kymatio 0.3's 1D filter factory, on numbascat's bank.

:func:`scattering_filter_factory` returns what Kymatio's does (``phi_f, psi1_f, psi2_f``,
dicts with ``'levels'``, ``'xi'``, ``'sigma'``, ``'j'``), built from
:func:`numbascat.scattering1d.filter_bank.filter_bank_1d` (the same numbers as the transforms).
"""
from __future__ import annotations

import math

from numbascat.scattering1d.filter_bank import compute_params_filterbank as _params
from numbascat.scattering1d.filter_bank import filter_bank_1d, layout
from numbascat.scattering1d.filter_bank import morlet_1d as _morlet_1d
from numbascat.validation import as_integer, as_real

__all__ = ["compute_params_filterbank", "gauss_1d", "morlet_1d", "scattering_filter_factory"]

#: Kymatio's default wavelet overlap, sqrt(1/2).
R_PSI = math.sqrt(0.5)


def morlet_1d(N, xi, sigma):
    """Morlet filter ``(N,)`` float64 in Fourier, zero mean, unit L1 norm in time."""
    return _morlet_1d(_length(N), xi, sigma)


def gauss_1d(N, sigma):
    """Gaussian low-pass filter ``(N,)`` float64 in Fourier, unit L1 norm in time."""
    return _morlet_1d(_length(N), None, sigma)


def compute_params_filterbank(sigma_min, Q, alpha, r_psi=R_PSI):
    """``(xi, sigma, j)`` lists of one wavelet layer (decreasing xi, non-decreasing j)."""
    xi, sigma, j = _params(float(sigma_min), _integer("Q", Q), float(alpha), float(r_psi))
    return xi.tolist(), sigma.tolist(), [int(v) for v in j]


def _integer(name, value):
    number = as_integer(value)
    if number is None or number < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return number


def _length(N):
    n = as_integer(N)
    if n is None or n < 1:
        raise ValueError(f"N must be a positive integer (the filter length), got {N!r}")
    return n


def _check_Q(Q):
    if as_integer(Q) is not None:
        raise TypeError(f"cannot unpack non-iterable int object: scattering_filter_factory "
                        f"takes Q as a 2-tuple (Q1, Q2), e.g. ({Q}, 1); got Q={Q!r}")
    if not isinstance(Q, tuple | list) or len(Q) != 2:
        raise ValueError(f"Q must be a 2-tuple (Q1, Q2) of integers >= 1, got {Q!r}")
    return _integer("Q[0]", Q[0]), _integer("Q[1]", Q[1])


def _check_T(T):
    if T is None or as_real(T) is None:
        raise TypeError(f"unsupported T: scattering_filter_factory needs the averaging scale T, "
                        f"a number >= 1; got {T!r}")
    T = as_real(T)
    if T == 0:
        raise ZeroDivisionError("float division by zero: T must be >= 1 (the low-pass width is "
                                "sigma0 / T); got T=0")
    if not T >= 1:
        raise ValueError(f"T must be >= 1, got {T!r}")
    return T


def scattering_filter_factory(N, J, Q, T, r_psi=R_PSI, max_subsampling=None,
                              sigma0=0.1, alpha=5.0, **kwargs):
    """Kymatio 0.3's 1D filter bank for signals of (padded) length ``N``, in Fourier.

    Parameters
    ----------
    N : int
        Filter length (a power of two: the padded signal length).
    J : int
        Log2 of the largest wavelet scale.
    Q : 2-tuple of int
        Wavelets per octave at the first and second order.
    T : float >= 1
        Averaging scale; the low-pass filter has width ``sigma0 / T``.
    r_psi, sigma0, alpha : float
        Kymatio's constants (wavelet overlap, low-pass width, subsampling tolerance).
    max_subsampling : int, optional
        Number of lower-resolution levels kept for psi2 and phi (``levels[0..max_subsampling]``);
        by default what the transform needs.
    **kwargs
        Accepted and ignored, as in Kymatio.

    Returns
    -------
    phi_f : dict
        ``'levels'``: list of ``(N / 2^k,)`` float64 arrays; ``'xi'`` 0, ``'sigma'``,
        ``'j'`` ``floor(log2 T)``.
    psi1_f, psi2_f : list of dict
        One dict per wavelet, decreasing ``'xi'``: ``'levels'`` (psi1: ``[(N,)]``; psi2:
        ``(N / 2^k,)`` for ``k = 0..K``), ``'xi'``, ``'sigma'``, ``'j'`` (maximal dyadic
        subsampling). ``levels[k]`` is the filter for a signal subsampled by ``2^k`` (the mean of
        ``2^k`` periods of ``levels[0]``).
    """
    N, J = _length(N), as_integer(J)
    if J is None:
        raise TypeError(f"J must be an integer, got {J!r}")
    if N & (N - 1):
        raise ValueError(f"N must be a power of two (the padded length), got {N}")
    Q, T = _check_Q(Q), _check_T(T)
    if max_subsampling is not None and (as_integer(max_subsampling) is None
                                        or as_integer(max_subsampling) < 0):
        raise ValueError(f"max_subsampling must be None or an integer >= 0, got "
                         f"{max_subsampling!r}")
    log2_T = int(math.floor(math.log2(T)))
    bank = filter_bank_1d(N, J, Q, T, float(alpha), float(r_psi), float(sigma0))
    j1, j2 = bank["psi1_j"], bank["psi2_j"]
    if max_subsampling is None:
        k2 = [int(j1[j1 < j].max(initial=0)) for j in j2]
        k_phi = min(max(int(j1.max(initial=0)), int(j2.max(initial=0))), log2_T)
    else:
        k2 = [as_integer(max_subsampling)] * len(j2)
        k_phi = as_integer(max_subsampling)
    if max([k_phi, *k2]) > int(math.log2(N)):
        raise ValueError(f"max_subsampling={max_subsampling} asks for levels shorter than one "
                         f"sample at N={N}")

    def entry(name, n, levels):
        return {"levels": levels, "xi": float(bank[f"{name}_xi"][n]),
                "sigma": float(bank[f"{name}_sigma"][n]), "j": int(bank[f"{name}_j"][n])}

    psi1 = layout(bank, "psi1", N, 0)
    psi1_f = [entry("psi1", n, [psi1[n]]) for n in range(len(j1))]
    psi2_levels = {k: layout(bank, "psi2", N, k) for k in range(max(k2, default=0) + 1)}
    psi2_f = [entry("psi2", n, [psi2_levels[k][n] for k in range(k2[n] + 1)])
              for n in range(len(j2))]
    phi_f = {"levels": [layout(bank, "phi", N, k)[0] for k in range(k_phi + 1)], "xi": 0,
             "sigma": float(bank["phi_sigma"][0]), "j": log2_T}
    return phi_f, psi1_f, psi2_f
