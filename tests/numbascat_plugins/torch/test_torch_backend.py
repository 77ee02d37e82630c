"""The ``torch`` backend plugin: conformance, gradients at zero, padding, CPU pieces, CUDA."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from numbascat.backend_api import FilterRole  # noqa: E402
from numbascat.registry import get_backend  # noqa: E402
from numbascat.testing import check_backend  # noqa: E402
from numbascat_plugins.torch.backend import TorchBackend  # noqa: E402
from numbascat_plugins.torch.ops import (  # noqa: E402
    periodise_mean,
    reflect_pad,
    safe_power,
    symmetrise,
)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.fixture(scope="module")
def backend():
    return get_backend("torch")


def test_registered_with_alias(backend):
    assert isinstance(backend, TorchBackend) and backend.name == "torch"
    assert get_backend("torch17") is backend
    assert backend.info.differentiable and "torch" in backend.info.array_kinds


def test_conformance_kit():
    report = check_backend("torch")
    assert set(report["transforms"]) == {1, 2, 3}
    assert len(report["ops"]) == 6


def test_modulus_gradient_at_zero_is_zero(backend):
    z = torch.zeros(2, 5, dtype=torch.complex128, requires_grad=True)
    w = torch.tensor([3 + 4j, 0j], dtype=torch.complex128, requires_grad=True)
    (backend.modulus(z).sum() + backend.modulus(w).sum()).backward()
    assert torch.equal(z.grad, torch.zeros_like(z.grad))
    torch.testing.assert_close(w.grad, torch.tensor([0.6 + 0.8j, 0j], dtype=torch.complex128))
    with torch.no_grad():  # the no-grad path gives the same values
        want = torch.tensor([5.0, 0.0], dtype=torch.float64)
        torch.testing.assert_close(backend.modulus(w), want)


def test_quadrature_modulus_and_powers_gradients_at_zero(backend):
    x_hat = torch.zeros(2, 3, 4, 4, 4, dtype=torch.complex128, requires_grad=True)
    u = backend.quadrature_modulus(x_hat, 3, axis=1)
    s = backend.sum_powers(u, (0.5, 1.0, 2.0), 3)
    s.sum().backward()
    assert torch.isfinite(x_hat.grad).all() and not x_hat.grad.abs().sum()
    x = torch.tensor([0.0, 4.0], dtype=torch.float64, requires_grad=True)
    safe_power(x, 0.5).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 0.25], dtype=torch.float64))
    assert safe_power(torch.tensor([0.0, 2.0]), 0.0).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("widths", [((3, 4),), ((7, 8),), ((8, 8), (1, 0)),
                                    ((20, 17), (2, 5), (0, 6))])
def test_reflect_pad_matches_numpy_for_any_width(widths):
    shape = (2, 8, 5, 6)[: 1 + len(widths)]
    x = np.random.default_rng(0).standard_normal(shape)
    want = np.pad(x, [(0, 0)] + list(widths), mode="reflect")
    got = reflect_pad(torch.from_numpy(x), widths)
    np.testing.assert_array_equal(got.numpy(), want)


def test_symmetrised_lowpass_gives_real_part():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 10))
    for f in (rng.standard_normal((1, 6, 10)),
              rng.standard_normal((1, 6, 10)) + 1j * rng.standard_normal((1, 6, 10))):
        want = np.fft.ifftn(np.fft.fftn(x, axes=(-2, -1))[:, None] * f, axes=(-2, -1)).real
        sym = symmetrise(torch.from_numpy(f), 2)
        spectrum = torch.fft.fftn(torch.from_numpy(x), dim=(-2, -1))[:, None] * sym
        got = torch.fft.irfftn(spectrum[..., :6], s=(6, 10), dim=(-2, -1))
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_periodise_odd_factors():
    y = torch.randn(2, 9, 10, dtype=torch.complex128)
    want = y.numpy().reshape(2, 3, 3, 5, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(periodise_mean(y, (3, 5)).numpy(), want, atol=1e-14)


def test_cpu_pieces_equal_one_piece():
    one, pieces = TorchBackend(), TorchBackend()
    pieces.cpu_block_bytes = 4096  # forces many pieces
    x_hat = torch.fft.fftn(torch.randn(3, 4, 16, 16), dim=(-2, -1))
    for role in (FilterRole.WAVELET, FilterRole.LOWPASS):
        f = one.prepare_filters(np.random.default_rng(2).standard_normal((5, 16, 16)),
                                np.float32, role)
        want = one.multiply_subsample(x_hat, f, (4, 2), 2)
        got = pieces.multiply_subsample(x_hat, f, (4, 2), 2)
        assert got.shape == (3, 4, 5, 4, 8) and got.dtype == torch.complex64
        torch.testing.assert_close(got, want)


def test_prepare_filters_keeps_tensor_device_and_casts(backend):
    f = torch.randn(2, 4, 4, dtype=torch.float64)
    out = backend.prepare_filters(f, np.float32)
    # Real filters are held complex (faster products); the values are unchanged.
    assert out.dtype == torch.complex64 and out.device == f.device
    torch.testing.assert_close(out.real, f.float(), rtol=0, atol=0)
    assert not out.imag.any()
    c = backend.prepare_filters(np.ones((1, 4, 4), np.complex128), np.float32,
                                FilterRole.LOWPASS)
    assert c.dtype == torch.complex64
    with pytest.raises(ValueError, match="role"):
        backend.prepare_filters(f, np.float32, "bandpass")
    with pytest.raises(TypeError, match="float32 or float64"):
        backend.prepare_filters(f, np.float16)


def test_no_promotion(backend):
    x = torch.randn(2, 8, 8)
    X = backend.rfft(x, 2)
    assert X.dtype == torch.complex64
    u, U = backend.ifft_modulus_rfft(X, 2)
    assert u.dtype == torch.float32 and U.dtype == torch.complex64
    assert backend.irfft(X, 2, (8, 8)).dtype == torch.float32
    assert np.dtype(backend.real_dtype(x.double())) == np.float64


@pytest.mark.gpu
@needs_cuda
def test_cuda_ops_match_cpu(backend):
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64)
    f = np.random.default_rng(3).standard_normal((4, 16, 16))
    for device in ("cpu", "cuda"):
        X = backend.rfft(x.to(device), 2)
        pf = backend.prepare_filters(torch.from_numpy(f).to(device), np.float64)
        y = backend.multiply_subsample(X, pf, (2, 2), 2)
        u, _ = backend.ifft_modulus_rfft(y, 2)
        if device == "cpu":
            want = u
        else:
            assert u.device.type == "cuda"
            torch.testing.assert_close(u.cpu(), want)


def test_subnormal_filter_values_are_flushed(backend):
    tiny = np.finfo(np.float32).tiny
    f = np.array([[1.0, tiny / 4, -tiny / 8, tiny]], np.float32)
    got = backend.prepare_filters(f, np.float32)
    assert got.real.tolist() == [[1.0, 0.0, 0.0, float(tiny)]]
    c = backend.prepare_filters(f + 1j * f[:, ::-1], np.float32)
    assert c.dtype == torch.complex64 and c.real.tolist() == got.real.tolist()
