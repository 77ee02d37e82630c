"""The 2D traversal: concurrent orientation groups give the serial pass's numbers."""
import numpy as np
import pytest

from numbascat.backends import fftw_plans
from numbascat.numpy import Scattering2D
from numbascat.scattering2d.core import orientation_groups


def test_orientation_groups_cover_each_orientation_once():
    assert orientation_groups(8, 2) == [range(0, 4), range(4, 8)]
    assert orientation_groups(3, 2) == [range(0, 1), range(1, 3)]
    assert orientation_groups(2, 5) == [range(0, 1), range(1, 2)]  # never an empty group
    assert orientation_groups(8, 1) == [range(0, 8)]


def _forced(monkeypatch, S, parts):
    monkeypatch.setattr(S.backend, "path_workers", lambda n, values, extra=0: parts)


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("shape,J,L,max_order", [((40, 48), 3, 8, 2), ((32, 32), 2, 3, 1)])
def test_concurrent_groups_match_the_serial_pass(monkeypatch, parts, shape, J, L, max_order):
    x = np.random.default_rng(3).standard_normal((1,) + shape).astype(np.float32)
    S = Scattering2D(J=J, shape=shape, L=L, max_order=max_order, backend="numba")
    serial = S(x)
    _forced(monkeypatch, S, parts)
    assert S._path_parts(x, L) == min(parts, L)
    with fftw_plans.recording() as records:
        concurrent = S(x)
    sections = [r for r in records if r[0] == fftw_plans.PARALLEL]
    assert len(sections) == 1 and len(sections[0][1]) == min(parts, L)
    assert all(key[6] == 1 for group in sections[0][1] for key in group)  # one FFT thread each
    ref = Scattering2D(J=J, shape=shape, L=L, max_order=max_order, backend="numpy")(x)
    assert concurrent.dtype == np.float32 and concurrent.shape == serial.shape
    scale = np.abs(ref).max()
    assert np.abs(concurrent - serial).max() <= 1e-6 * scale
    assert np.abs(concurrent - ref).max() <= 1e-5 * scale


def test_groups_joined_in_channel_order_without_an_output_array(monkeypatch):
    # Backends that cannot fill an output in place join the groups' blocks at the end.
    x = np.random.default_rng(4).standard_normal((2, 32, 32))
    S = Scattering2D(J=2, shape=(32, 32), L=4, backend="numpy")
    serial = S(x)
    _forced(monkeypatch, S, 2)
    monkeypatch.setattr(S.backend, "output_array", lambda shape, dtype: None)
    np.testing.assert_array_equal(S(x), serial)


def test_each_wavelet_spectrum_is_freed_before_the_next_is_made(monkeypatch):
    """The traversal holds one result of a stack sequence at a time: when the backend makes
    the next spectrum, nothing references the previous one (working memory, 2048^2 images:
    one 17 MB spectrum fewer)."""
    import weakref

    S = Scattering2D(J=3, shape=(32, 32), L=2, backend="numpy")
    S.block_bytes = 1  # one orientation per stack: sequences of several stacks
    backend = S.backend
    real = type(backend).wavelet_modulus_rfft_stacks
    alive = []
    sequences = []

    def watched(self, x_hat, stacks, d):
        sequences.append(1)
        previous = None
        for out in real(self, x_hat, stacks, d):
            if previous is not None:
                alive.append(previous() is not None)
            previous = weakref.ref(out)
            yield out
            del out

    monkeypatch.setattr(type(backend), "wavelet_modulus_rfft_stacks", watched)
    x = np.random.default_rng(1).standard_normal((1, 32, 32))
    got = S(x)
    monkeypatch.undo()
    np.testing.assert_allclose(got, S(x), rtol=0, atol=1e-12)
    assert len(sequences) > 1 and alive and not any(alive)
