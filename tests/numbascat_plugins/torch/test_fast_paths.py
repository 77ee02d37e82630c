"""The ``torch`` backend's fast paths equal its plain ones: Hermitian fill, 1D bands, recycling."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numbascat.backend_api import FilterRole  # noqa: E402
from numbascat_plugins.torch import workspace  # noqa: E402
from numbascat_plugins.torch.backend import TorchBackend  # noqa: E402
from numbascat_plugins.torch.bands import bands  # noqa: E402
from numbascat_plugins.torch.ops import hermitian_full, periodise_mean  # noqa: E402


@pytest.mark.parametrize("shape", [(3, 16), (3, 15), (2, 6, 8), (2, 5, 7), (2, 4, 6, 9)])
def test_hermitian_full_equals_fftn(shape):
    d = len(shape) - 1
    x = torch.randn(shape, dtype=torch.float64)
    dims = tuple(range(-d, 0))
    got = hermitian_full(torch.fft.rfftn(x, dim=dims), d, shape[-1])
    torch.testing.assert_close(got, torch.fft.fftn(x, dim=dims), rtol=0, atol=1e-12)
    torch.testing.assert_close(TorchBackend().rfft(x, d), got)


def _band_limited(F, N, k, rng, complex_=False):
    """Filters that are exactly zero outside a few blocks of length N / k."""
    f = np.zeros((F, N))
    m = N // k
    for row in range(F):
        start = rng.integers(0, N)
        width = rng.integers(1, 2 * m)
        f[row, (start + np.arange(width)) % N] = rng.standard_normal(width)
    if complex_:
        f = f + 1j * (f != 0) * rng.standard_normal((F, N))
    return f


@pytest.mark.parametrize("complex_", [False, True])
def test_bands_equal_dense_product(complex_):
    rng = np.random.default_rng(0)
    N, k = 256, 16
    backend = TorchBackend()
    f = backend.prepare_filters(_band_limited(5, N, k, rng, complex_), np.float64)
    band = bands(f, k)
    assert band is not None and band.count <= 3
    assert bands(f, k) is band  # cached on the prepared stack
    x_hat = backend.rfft(torch.randn(2, 3, N, dtype=torch.float64), 1)
    want = periodise_mean(x_hat.unsqueeze(-2) * f, (k,))
    torch.testing.assert_close(band.apply(x_hat), want, rtol=0, atol=1e-12)
    torch.testing.assert_close(backend.multiply_subsample(x_hat, f, (k,), 1), want,
                               rtol=0, atol=1e-12)
    dense = backend.prepare_filters(rng.standard_normal((2, N)), np.float64)
    assert bands(dense, k) is None  # nothing to skip: the dense path runs


def test_bands_made_in_inference_mode_serve_autograd():
    backend = TorchBackend()
    f = backend.prepare_filters(_band_limited(3, 128, 8, np.random.default_rng(1)), np.float64)
    x = torch.randn(2, 128, dtype=torch.float64)
    with torch.inference_mode():
        backend.multiply_subsample(backend.rfft(x, 1), f, (8,), 1)
    x.requires_grad_(True)
    y = backend.multiply_subsample(backend.rfft(x, 1), f, (8,), 1)
    backend.ifft_modulus(y, 1).sum().backward()
    assert torch.isfinite(x.grad).all()


CASES = [  # (spectrum shape, d, k, filters, complex filters)
    ((4, 2, 4096), 1, (4,), 3, False),
    ((3, 128, 96), 2, (2, 4), 4, False),
    # Rows long enough for the block-by-block low-pass (half spectrum), and k = 1.
    ((2, 64, 256), 2, (2, 2), 3, False),
    ((2, 64, 256), 2, (1, 1), 2, False),
    ((3, 128, 96), 2, (2, 4), 4, True),  # complex filters: the product-then-fold path
    ((3, 24, 24, 24), 3, (1, 1, 1), 3, False),
]


@pytest.mark.parametrize("case", CASES, ids=["1d", "2d", "2d-long-rows", "2d-k1", "2d-complex",
                                             "3d"])
def test_recycled_paths_equal_autograd_paths(case):
    shape, d, k, F, complex_ = case
    assert np.prod(shape) * 4 >= workspace.MIN_BYTES  # large enough to be recycled
    backend = TorchBackend()
    rng = np.random.default_rng(2)
    values = rng.standard_normal((F,) + shape[-d:])
    if complex_:
        values = values + 1j * rng.standard_normal(values.shape)
    f = backend.prepare_filters(values, np.float32)
    assert bool(f.__dict__.get("_numbascat_real")) != complex_
    phi = backend.prepare_filters(rng.standard_normal((1,) + shape[-d:]), np.float32,
                                  FilterRole.LOWPASS)
    x = torch.randn(shape)

    def run(x):
        x_hat = backend.rfft(x, d)
        y = backend.multiply_subsample(x_hat, f, k, d)
        u, u_hat = backend.ifft_modulus_rfft(y, d)
        q = backend.quadrature_modulus(y, d, axis=-d - 1)
        low = backend.lowpass_irfft(x_hat, phi, k, d, shape[-d:])
        s = backend.sum_powers(q, (0.5, 1.0, 2.0, 1.5), d)
        return [x_hat, y, u, u_hat, backend.ifft_modulus(y, d), q, low, s]

    with torch.no_grad():
        fast = run(x)
        again = run(x + 1)  # recycled buffers never overwrite results still held
    slow = run(x.clone().requires_grad_(True))
    for a, b, c in zip(fast, slow, again, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        torch.testing.assert_close(a, b.detach(), rtol=2e-5, atol=2e-5 * b.abs().max().item())
        assert not torch.equal(a, c)


def test_workspace_reuses_only_idle_buffers():
    a = workspace.empty((256, 256), torch.float32)
    a.fill_(1.0)
    view = a[:10]
    del a
    b = workspace.empty((256, 256), torch.float32)  # ``view`` still holds the first buffer
    b.fill_(2.0)
    assert view.eq(1.0).all()
    ptr = b.data_ptr()
    del b
    c = workspace.empty((256, 256), torch.float32)
    assert c.data_ptr() == ptr  # idle again: recycled
