"""Filter-stack types of the operator API (numbascat.backend_api)."""
import gc

import numpy as np
import pytest

from numbascat.backend_api import ConjugateSymmetricStack, LazyFilterStack


def _stack():
    rng = np.random.default_rng(0)
    upper = (rng.standard_normal((3, 4, 5)) + 1j * rng.standard_normal((3, 4, 5)))
    upper = upper.astype(np.complex64)
    return ConjugateSymmetricStack(upper, [1, -1]), upper


def test_derived_rows_are_signed_conjugates():
    stack, upper = _stack()
    assert stack.shape == (5, 4, 5) and stack.dtype == np.complex64
    dense = np.asarray(stack)
    np.testing.assert_array_equal(dense[2:], upper)
    np.testing.assert_array_equal(dense[0], np.conj(upper[2]))
    np.testing.assert_array_equal(dense[1], -np.conj(upper[1]))
    assert stack.partners == [(0, 2), (1, 1)]
    np.testing.assert_array_equal(stack.rows(1, 3), dense[1:3])
    part = stack[0:1]
    assert type(part) is LazyFilterStack
    np.testing.assert_array_equal(np.asarray(part), dense[:1])
    assert stack[:] is stack


def test_pickles_as_its_stored_rows():
    import pickle

    stack, upper = _stack()
    held = stack.dense()
    again = pickle.loads(pickle.dumps(stack))
    assert type(again) is ConjugateSymmetricStack and again._dense is None
    np.testing.assert_array_equal(np.asarray(again), held)


def test_dense_is_shared_while_held_and_then_freed():
    stack, _ = _stack()
    first = stack.dense()
    assert not first.flags.writeable
    assert np.asarray(stack) is first and stack.dense() is first
    copy = np.array(stack, copy=True)
    assert copy.flags.writeable and not np.shares_memory(copy, first)
    assert np.asarray(stack, dtype=np.complex128).dtype == np.complex128
    del first
    gc.collect()
    assert stack._dense() is None


@pytest.mark.parametrize("upper, signs", [(np.ones((2, 3)), [1]),
                                          (np.ones((1, 3), np.complex64), [1, 1]),
                                          (np.ones((2, 3), np.complex64), [2])])
def test_bad_stacks_are_refused(upper, signs):
    with pytest.raises(ValueError, match="conjugate-symmetric stack"):
        ConjugateSymmetricStack(upper, signs)
