"""The frequential filter bank of joint time-frequency scattering (main spec §2.4).

All filters have length N_fr (the padded frequency axis), are Fourier-domain, float64, and use
the same Morlet / Gauss formula as the time filters (dense: N_fr is a few hundred at most).
The wavelet family indexed by ``n_fr`` is ``[phi_fr, psi_up_1..K, psi_down_1..K]``: spin 0,
+1 (positive xi) and -1 (the same wavelets at -xi).
"""
from __future__ import annotations

import numpy as np

from numbascat.cache import cached_arrays
from numbascat.scattering1d import main_params as MP
from numbascat.scattering1d.filter_bank import compute_params_filterbank, morlet_1d
from numbascat.scattering1d.params import ALPHA, R_PSI, SIGMA0

__all__ = ["frequency_bank"]

BANK_VERSION = 2


def _build(N_fr: int, J_fr: int, Q_fr: int, F: float, log2_F: int) -> dict[str, np.ndarray]:
    xi, sigma, j = compute_params_filterbank(SIGMA0 / 2 ** J_fr, Q_fr, ALPHA, R_PSI)
    # Kymatio main rounds the frequential sigmas like the temporal ones but keeps 0.3.0's
    # linear-part xi here (measured against the peer: last bits only).
    _, sigma_meta = MP.main_xi_sigma(xi, sigma, Q_fr, R_PSI)
    xi_meta = xi
    if not np.all(np.abs(xi) < 0.5 / 2.0 ** j):
        raise ValueError(f"the frequential wavelets of J_fr={J_fr}, Q_fr={Q_fr} alias (|xi| >= "
                         f"0.5 / 2**j); Kymatio main raises a bare AssertionError here")
    sigma_phi = SIGMA0 / 2 ** J_fr
    family = [morlet_1d(N_fr, None, sigma_phi)]
    family += [morlet_1d(N_fr, float(v), float(s)) for v, s in zip(xi, sigma, strict=True)]
    family += [morlet_1d(N_fr, -float(v), float(s)) for v, s in zip(xi, sigma, strict=True)]
    phi_F = morlet_1d(N_fr, None, SIGMA0 / F)
    arrays = {
        "family": np.stack(family),  # (1 + 2K, N_fr)
        "xi": np.concatenate([[0.0], xi_meta, -xi_meta]),
        "sigma": np.concatenate([[sigma_phi], sigma_meta, sigma_meta]),
        "j": np.concatenate([[J_fr], j, j]).astype(np.int64),
    }
    # phi_F levels: sums of 2^k periods (Kymatio main), k = 0..log2_F.
    for k in range(log2_F + 1):
        arrays[f"phi_F_r{k}"] = phi_F.reshape(2 ** k, N_fr // 2 ** k).sum(0)
    return arrays


def frequency_bank(N_fr: int, J_fr: int, Q_fr: int, F: float, log2_F: int):
    """Cached, read-only arrays: ``family`` (1 + 2K, N_fr); ``xi``, ``sigma``, ``j``
    (1 + 2K,) with Kymatio main's last-bit rounding for ``meta()``; ``phi_F_r{k}``
    (N_fr / 2^k,) for k = 0..log2_F."""
    params = {"N_fr": int(N_fr), "J_fr": int(J_fr), "Q_fr": int(Q_fr), "F": float(F),
              "log2_F": int(log2_F), "version": BANK_VERSION}
    return cached_arrays("jtfs_freq", params, lambda: _build(N_fr, J_fr, Q_fr, float(F),
                                                             int(log2_F)))
