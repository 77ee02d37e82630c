"""The numba backend's wavelet_quadrature (numbascat.backends.quadrature): real and complex
rows, whole and staged passes, one thread and two."""
import numpy as np
import pytest

pytest.importorskip("pyfftw")
pytest.importorskip("numba")

from numbascat.backend_api import FilterRole  # noqa: E402
from numbascat.backends import fftw_plans as fp  # noqa: E402
from numbascat.backends import pruned_fft, quadrature  # noqa: E402
from numbascat.backends.numba_backend import NumbaBackend  # noqa: E402


def _mirror(f):
    """``conj(f[-k])`` over every axis of ``f`` (one filter)."""
    out = f
    for axis in range(f.ndim):
        out = np.take(out, (-np.arange(f.shape[axis])) % f.shape[axis], axis=axis)
    return np.conj(out)


def _stack(rng, s, dtype):
    """Rows: real in space, imaginary in space, complex, and a compact complex bump (zero on
    most first-axis planes, so pruning applies)."""
    g = rng.standard_normal(s) + 1j * rng.standard_normal(s)
    real = 0.5 * (g + _mirror(g))
    imaginary = 0.5 * (g - _mirror(g))
    k = np.stack(np.meshgrid(*[np.fft.fftfreq(n) * n for n in s], indexing="ij"))
    bump = np.exp(-(k ** 2).sum(0)) * (k[0] + 1j * k[1])
    bump[np.abs(bump) < 1e-12 * np.abs(bump).max()] = 0
    complex_ = rng.standard_normal(s) + 1j * rng.standard_normal(s)
    return np.stack([real, imaginary, complex_, bump]).astype(dtype)


def _reference(x, stack, powers):
    axes = (-3, -2, -1)
    X = np.fft.fftn(x.astype(np.float64), axes=axes)
    y = np.fft.ifftn(X[:, None] * stack.astype(np.complex128), axes=axes)
    u = np.sqrt((np.abs(y) ** 2).sum(1))
    return u, np.stack([(u ** q).sum(axes) for q in powers], -1)


def _select_mode(mode, monkeypatch):
    """Force one pass of every row ('whole'), the staged passes on one thread ('staged') or on
    two ('two threads'), whatever the volume's size."""
    if mode != "whole":
        monkeypatch.setattr(pruned_fft, "MIN_VALUES", 1)
    monkeypatch.setattr(quadrature, "COOPERATE_MIN_VALUES", 1)
    monkeypatch.setattr(fp, "free_threads", lambda: 2 if mode == "two threads" else 1)


@pytest.mark.parametrize("mode", ["whole", "staged", "two threads"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_on_every_route_match_the_direct_sum(mode, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    s = (16, 8, 12)
    cdtype = np.result_type(dtype, np.complex64)
    stack = _stack(rng, s, cdtype)
    x = rng.standard_normal((2,) + s).astype(dtype)
    _select_mode(mode, monkeypatch)
    b = NumbaBackend()
    pf = b.prepare_filters(stack, dtype, FilterRole.WAVELET)
    routes = [row.part for row in pf.quadrature_plan().rows]
    assert routes == [0, 1, None, None]
    assert pf.quadrature_plan().rows[3].slabs is not None  # the bump reaches few planes
    powers = (0.5, 1.0, 2.0)
    u_want, sums_want = _reference(x, stack, powers)
    x_hat = b.rfft(x, 3)
    with fp.recording() as records:
        u, sums = b.wavelet_quadrature(x_hat, pf, 3, powers, True)
    axes = {key[5] for key in fp.recorded_keys(records)}
    if mode == "whole":
        assert axes == {3}
    elif mode == "staged":  # complex rows: one (pruned) transform; real rows: three passes
        assert axes == {2, 3, (-3,), (-2,), (-1,)}
    else:  # every row in three passes
        assert axes == {(-2, -1), (-3,), (-2,), (-1,)}
    assert any(key[0] == fp.PARALLEL for key in records) == (mode == "two threads")
    assert u.dtype == dtype and sums.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(u, u_want, atol=tol * np.abs(u_want).max())
    np.testing.assert_allclose(sums, sums_want, rtol=tol)
    none, again = b.wavelet_quadrature(x_hat, pf, 3, powers, False)
    assert none is None
    np.testing.assert_array_equal(again, sums)  # same route, same order: same numbers


def test_float32_noise_in_the_vanishing_part_keeps_the_real_route():
    """A float32 filter that is real in space up to its rounding noise (as the m = 0 solid
    harmonics) takes the real route; in float64 the same noise is information."""
    rng = np.random.default_rng(1)
    s = (8, 8, 8)
    g = rng.standard_normal(s) + 1j * rng.standard_normal(s)
    real = 0.5 * (g + _mirror(g))
    noisy = real + 1e-7 * np.abs(real).max() * rng.standard_normal(s)
    b = NumbaBackend()
    for dtype, route in ((np.float32, 0), (np.float64, None)):
        pf = b.prepare_filters(noisy[None].astype(np.result_type(dtype, np.complex64)), dtype)
        assert [row.part for row in pf.quadrature_plan().rows] == [route]


def test_harmonic_3d_staged_and_lean_traversal_match_numpy(monkeypatch):
    """The solid harmonics through staged, two-thread rows and the lean traversal (the input
    spectrum recomputed per subtree) still equal the numpy reference."""
    from numbascat import HarmonicScattering3D
    from numbascat.scattering3d import core

    monkeypatch.setattr(pruned_fft, "MIN_VALUES", 1)
    monkeypatch.setattr(quadrature, "COOPERATE_MIN_VALUES", 1)
    monkeypatch.setattr(fp, "free_threads", lambda: 2)
    monkeypatch.setattr(core, "LEAN_SPECTRUM_BYTES", 1)
    monkeypatch.setattr(core, "CONCURRENT_SUBTREES_MAX_VALUES", 1)
    shape = (32, 32, 32)
    x = np.random.default_rng(4).standard_normal((1,) + shape).astype(np.float32)
    S = HarmonicScattering3D(J=2, shape=shape, L=2, backend="numba")
    ref = HarmonicScattering3D(J=2, shape=shape, L=2, backend="numpy")(x)
    with fp.recording() as records:
        out = S(x)
    keys = list(fp.recorded_keys(records))
    # Three subtrees without a second order, then six with: the input's spectrum is taken
    # once, and again for each of the five subtrees after a second order.
    rffts = [k for k in keys if k[0] == "rfft" and k[1] == (1,) + shape]
    assert len(rffts) == 1 + 5 + 6  # input spectra, and one per first-order modulus kept
    assert any(k[0] == fp.PARALLEL for k in records)
    assert any(k[5] == (-1,) for k in keys), "no row took the real route"
    assert out.dtype == np.float32
    assert np.abs(out - ref).max() <= 1e-5 * np.abs(ref).max()
    assert S._path_parts(x) == 1  # above CONCURRENT_SUBTREES_MAX_VALUES


def test_large_volume_working_memory_is_one_subtree(monkeypatch):
    """One subtree at a time, two threads in each row, the input spectrum recomputed: the
    traced working memory of a forward call stays under five real volumes (two concurrent
    subtrees beside the kept input spectrum take 8.2)."""
    from traced import traced_peak

    from numbascat import HarmonicScattering3D
    from numbascat.backends import numba_backend as nb
    from numbascat.scattering3d import core

    monkeypatch.setattr(quadrature, "COOPERATE_MIN_VALUES", 1)
    monkeypatch.setattr(fp, "free_threads", lambda: 2)
    monkeypatch.setattr(core, "LEAN_SPECTRUM_BYTES", 1)
    monkeypatch.setattr(core, "CONCURRENT_SUBTREES_MAX_VALUES", 1)
    monkeypatch.setattr(nb, "RECYCLE_BYTES", 0)  # fresh temporaries: all of them traced
    # No planner measuring inside the traced call: its scratch volumes would count, and
    # whether a key is due for measuring by the second call depends on the machine's speed.
    monkeypatch.setenv("NUMBASCAT_FFTW_PLANNER", "estimate")
    fp.refresh_settings()
    shape = (64, 64, 64)
    x = np.random.default_rng(5).standard_normal((1,) + shape).astype(np.float32)
    S = HarmonicScattering3D(J=1, shape=shape, L=1, backend="numba")
    try:
        S(x)
        peak = traced_peak(lambda: S(x))
    finally:
        monkeypatch.delenv("NUMBASCAT_FFTW_PLANNER")
        fp.refresh_settings()
    assert peak <= 5 * x.nbytes, f"working memory {peak / x.nbytes:.2f} volumes"


@pytest.mark.parametrize("mode", ["whole", "staged", "two threads"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_half_stack_pairs_mirrored_rows_and_splits_the_others(mode, dtype, monkeypatch):
    """A conjugate-symmetric stack (rows -m derived from m, as the 3D bank stores it): the
    mirrored pair enters as one row of weight 2, the other pair as its stored row's real and
    imaginary values; both give the direct sum over the whole stack."""
    from numbascat.backend_api import ConjugateSymmetricStack
    from numbascat.backends.numba_backend import HalfStack

    rng = np.random.default_rng(3)
    s = (16, 8, 12)
    cdtype = np.result_type(dtype, np.complex64)
    g = rng.standard_normal((3,) + s) + 1j * rng.standard_normal((3,) + s)
    g[1] = g[1] + np.conj(_mirror(g[1]))  # even in k: its conjugate is its mirror
    source = ConjugateSymmetricStack(g.astype(cdtype), [1, -1])
    x = rng.standard_normal((2,) + s).astype(dtype)
    _select_mode(mode, monkeypatch)
    b = NumbaBackend()
    pf = b.prepare_filters(source, dtype, FilterRole.WAVELET)
    assert isinstance(pf, HalfStack) and pf.shape == (5,) + s
    assert pf.mirrored == [None, True, False]
    plan = pf.quadrature_plan()
    assert [(row.f, row.weight, row.values) for row in plan.rows if row.part is None][-2:] == \
        [(2, 2.0, 0), (2, 2.0, 1)]
    assert [row.weight for row in plan.rows if row.f == 1] == [2.0]
    powers = (0.5, 1.0, 2.0)
    u_want, sums_want = _reference(x, np.asarray(source), powers)
    u, sums = b.wavelet_quadrature(b.rfft(x, 3), pf, 3, powers, True)
    assert u.dtype == dtype and sums.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(u, u_want, atol=tol * np.abs(u_want).max())
    np.testing.assert_allclose(sums, sums_want, rtol=tol)
    # A part of the stack is laid out and prepared as any stack.
    first = pf.rows(0, 1)
    assert not isinstance(first, HalfStack)
    np.testing.assert_array_equal(first.data, np.asarray(source)[:1])
