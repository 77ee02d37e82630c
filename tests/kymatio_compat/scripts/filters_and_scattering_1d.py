"""A Kymatio 0.3 user script (unchanged under ``python -m numbascat.kymatio``).

Computes the data of a 1D filter plot (the Fourier magnitude of every wavelet and of the
low-pass filter) with ``scattering_filter_factory``, then scatters a chirp and a click with
``kymatio.numpy.Scattering1D`` and reads ``meta()``. Writes everything to ``argv[1]`` (.npz).
"""
import sys

import numpy as np
from kymatio.numpy import Scattering1D
from kymatio.scattering1d.filter_bank import scattering_filter_factory

J, Q, T, N = 6, 8, 2 ** 6, 2 ** 12

phi_f, psi1_f, psi2_f = scattering_filter_factory(N, J, (Q, 1), T)
plot = {"phi": phi_f["levels"][0],
        "psi1": np.stack([psi["levels"][0] for psi in psi1_f]),
        "psi2": np.stack([psi["levels"][0] for psi in psi2_f]),
        "xi1": np.array([psi["xi"] for psi in psi1_f]),
        "sigma1": np.array([psi["sigma"] for psi in psi1_f]),
        "j2": np.array([psi["j"] for psi in psi2_f]),
        "phi_levels": np.array([len(phi_f["levels"])])}

t = np.arange(N) / N
chirp = np.cos(2 * np.pi * (50 * t + 400 * t ** 2)).astype(np.float32)
click = np.zeros(N, np.float32)
click[N // 3] = 1.0
x = np.stack([chirp, click])

scattering = Scattering1D(J, N, Q)
Sx = scattering(x)
meta = scattering.meta()
order1 = np.where(meta["order"] == 1)[0]
print("Sx", Sx.shape, Sx.dtype, "order-1 paths", len(order1))
np.savez(sys.argv[1], Sx=Sx, meta_xi=meta["xi"], meta_order=meta["order"],
         size=np.array(scattering.output_size()), **plot)
