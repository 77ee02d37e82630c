"""A Kymatio 0.3 user script (unchanged under ``python -m numbascat.kymatio``).

Molecule-like densities as weighted sums of Gaussians (``generate_weighted_sum_of_gaussians``),
their solid-harmonic scattering with the torch frontend, and the order-0 integrals with
``TorchBackend3D.compute_integrals``, as in Kymatio's QM7 example (without the dataset: the
"molecules" are random). Writes the coefficients to ``argv[1]``.
"""
import sys

import numpy as np
import torch
from kymatio.scattering3d.backend.torch_backend import TorchBackend3D
from kymatio.scattering3d.utils import generate_weighted_sum_of_gaussians
from kymatio.torch import HarmonicScattering3D

rng = np.random.default_rng(1)
n_molecules, n_atoms = 3, 5
M = N = O = 24
grid = np.mgrid[-M // 2:-M // 2 + M, -N // 2:-N // 2 + N, -O // 2:-O // 2 + O]
positions = rng.uniform(-5, 5, (n_molecules, n_atoms, 3))
charges = rng.integers(1, 9, (n_molecules, n_atoms)).astype(np.float64)
charges[0, -1] = 0  # a padding atom, as in QM7's arrays

J, L, sigma = 2, 2, 1.5
integral_powers = [0.5, 1.0, 2.0, 3.0]
density = generate_weighted_sum_of_gaussians(grid, positions, charges, sigma)
density = torch.from_numpy(density).float()

scattering = HarmonicScattering3D(J=J, shape=(M, N, O), L=L, sigma_0=sigma,
                                  integral_powers=integral_powers)
order_0 = TorchBackend3D.compute_integrals(density, integral_powers)
orders_1_and_2 = scattering(density)
features = torch.cat([order_0, orders_1_and_2.reshape(n_molecules, -1)], dim=1)
print("order 0", tuple(order_0.shape), "orders 1-2", tuple(orders_1_and_2.shape))
np.savez(sys.argv[1], density=density.numpy(), order_0=order_0.numpy(),
         orders_1_and_2=orders_1_and_2.numpy(), features=features.numpy())
