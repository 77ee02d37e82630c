"""Conjugate-mirror pairs in filter stacks (numbascat.symmetry)."""
import numpy as np

from numbascat.scattering3d.filter_bank import filter_bank_3d, filter_name
from numbascat.symmetry import conjugate_pairs, stored_pairs


def test_solid_harmonics_pair_their_orders_where_the_grid_allows():
    even = filter_bank_3d(16, 16, 16, 2, 2, 1.0)
    odd = filter_bank_3d(15, 16, 17, 2, 2, 1.0)
    for l in (1, 2):
        assert conjugate_pairs(even[filter_name(l, 1)], 3, np.float32)
        assert conjugate_pairs(even[filter_name(l, 2)], 3, np.float32)
        # Nyquist planes break the pairing at the narrowest scale, odd grids everywhere.
        assert not conjugate_pairs(even[filter_name(l, 0)], 3, np.float32)
        assert not conjugate_pairs(odd[filter_name(l, 1)], 3, np.float32)
        # The float32 bank pairs only to float32 rounding: not enough for float64 signals.
        assert not conjugate_pairs(even[filter_name(l, 1)], 3, np.float64)


def test_exact_mirrors_pair_in_any_precision_and_others_do_not():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((3, 6, 8)) + 1j * rng.standard_normal((3, 6, 8))
    mirrored = -np.conj(f[0][(-np.arange(6)) % 6][:, (-np.arange(8)) % 8])
    paired = np.stack([f[0], f[1], mirrored])
    assert conjugate_pairs(paired, 2, np.float64) and conjugate_pairs(paired, 2, np.float32)
    assert not conjugate_pairs(f, 2, np.float32)
    assert not conjugate_pairs(paired.real, 2, np.float32)  # real stacks: nothing to pair
    assert not conjugate_pairs(paired, 3, np.float32)      # wrong number of signal axes


def test_stored_pairs_check_each_pair_of_a_half_stack():
    from numbascat.backend_api import ConjugateSymmetricStack

    even = filter_bank_3d(16, 16, 16, 2, 2, 1.0).sources()
    odd = filter_bank_3d(15, 16, 17, 2, 2, 1.0).sources()
    for l in (1, 2):
        assert stored_pairs(even[filter_name(l, 1)], 3, np.float32) == [True] * l
        assert stored_pairs(even[filter_name(l, 0)], 3, np.float32) == [False] * l
        assert stored_pairs(odd[filter_name(l, 1)], 3, np.float32) == [False] * l
        assert stored_pairs(even[filter_name(l, 1)], 3, np.float64) == [False] * l
    rng = np.random.default_rng(0)
    g = rng.standard_normal((2, 6, 6)) + 1j * rng.standard_normal((2, 6, 6))
    g[1] = g[1] + np.take(np.take(g[1], (-np.arange(6)) % 6, 0), (-np.arange(6)) % 6, 1)
    # Row 1 is even in k, so its conjugate is its mirror; row 0 (random) is not.
    stack = ConjugateSymmetricStack(g.astype(np.complex128), [1, -1])
    assert stored_pairs(stack, 2, np.float64) == [True, False]
