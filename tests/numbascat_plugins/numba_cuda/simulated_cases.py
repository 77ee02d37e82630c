"""numba_cuda kernels under numba's CUDA simulator, against the numpy reference backend.

Not collected on its own (the name does not match ``test_*.py``): the simulator must be chosen
before ``numba.cuda`` is first imported, so ``test_numba_cuda_simulator.py`` runs this module in
a fresh interpreter with ``NUMBA_ENABLE_CUDASIM=1`` and the numpy FFT provider. To run it by
hand::

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/numbascat_plugins/numba_cuda/simulated_cases.py

Sizes are tiny: the simulator runs every GPU thread as a Python thread.
"""
import os
import types

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 set before numba.cuda is imported (run through "
                "test_numba_cuda_simulator.py)", allow_module_level=True)
pytest.importorskip("numba_cuda", reason="numba-cuda is not installed")

import numbascat.numpy as nsn  # noqa: E402
from numbascat.backend_api import FilterRole  # noqa: E402
from numbascat.backends.numpy_backend import NumpyBackend  # noqa: E402
from numbascat_plugins.numba_cuda import fft as fft_providers  # noqa: E402
from numbascat_plugins.numba_cuda.backend import NumbaCudaBackend  # noqa: E402
from numbascat_plugins.numba_cuda.probe import unavailable_reason  # noqa: E402

REF = NumpyBackend()
SHAPES = {1: (12,), 2: (8, 6), 3: (4, 4, 6)}
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def cb():
    return NumbaCudaBackend()


def tol(dtype, ref):
    scale = max(float(np.abs(ref).max()), 1e-30)
    return (2e-6 if np.dtype(dtype) == np.float32 else 1e-13) * scale


def close(out, ref, dtype):
    out = np.asarray(out)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=0, atol=tol(dtype, ref))


def signal(d, dtype, batch=(2,), seed=0):
    return np.random.default_rng(seed).standard_normal(batch + SHAPES[d]).astype(dtype)


def spectra(cb, x, d):
    return cb.rfft(cb.from_numpy(x), d), REF.rfft(x, d)


# ---------------------------------------------------------------------------------- selection
def test_probe_usable_with_numpy_provider_only(monkeypatch):
    assert unavailable_reason() is None
    monkeypatch.setenv("NUMBASCAT_CUDA_FFT", "cupy")
    assert "NUMBASCAT_CUDA_FFT=numpy" in unavailable_reason()
    with pytest.raises(ValueError, match="simulator"):
        NumbaCudaBackend(fft="cupy")
    monkeypatch.setenv("NUMBASCAT_CUDA_FFT", "fftw")
    with pytest.raises(ValueError, match="NUMBASCAT_CUDA_FFT.*'numpy', 'cupy'.*'fftw'"):
        NumbaCudaBackend()


def test_default_provider_under_simulator_is_numpy(cb):
    assert cb.provider.name == "numpy" and fft_providers.provider_name() == "numpy"
    assert "numpy" in repr(cb)
    assert not cb.is_array(np.zeros(3))  # the numpy frontend converts with from_numpy


def test_registry_and_aliases():
    pytest.importorskip("cupy", reason="the registry requires cupy for numba_cuda")
    from numbascat.registry import get_backend, list_backends, refresh_backends

    refresh_backends()
    row = next(r for r in list_backends(probe=True) if r.name == "numba_cuda")
    assert row.available, row.reason
    assert get_backend("numba_cuda") is get_backend("torch_skcuda")
    assert type(get_backend("numba_cuda")).__name__ == "NumbaCudaBackend"


# ---------------------------------------------------------------------------------- spectral ops
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_rfft_layout_is_the_half_spectrum(cb, d, dtype):
    x = signal(d, dtype)
    xh, rh = spectra(cb, x, d)
    s = SHAPES[d]
    assert xh.shape == (2,) + s[:-1] + (s[-1] // 2 + 1,)
    assert xh.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    close(cb.to_full_spectrum(xh, d, s), rh, dtype)
    back = cb.irfft(xh, d, s)
    assert back.dtype == dtype
    close(back, x, dtype)
    z = cb.fft(rh, d)
    close(z, REF.fft(rh, d), dtype)
    close(cb.ifft(z, d), REF.ifft(REF.fft(rh, d), d), dtype)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("complex_filters", [False, True])
def test_multiply_subsample(cb, d, dtype, complex_filters):
    rng = np.random.default_rng(d)
    s = SHAPES[d]
    filt = rng.standard_normal((3,) + s)
    if complex_filters:
        filt = filt + 1j * rng.standard_normal((3,) + s)
    x = signal(d, dtype, batch=(2, 1))
    xh, rh = spectra(cb, x, d)
    pc, pr = cb.prepare_filters(filt, dtype), REF.prepare_filters(filt, dtype)
    for k in [(1,) * d, (2,) * d, tuple(2 if n % 2 == 0 else 1 for n in s)[:-1] + (3,)]:
        out = cb.multiply_subsample(xh, pc, k, d)
        ref = REF.multiply_subsample(rh, pr, k, d)
        assert out.dtype == ref.dtype
        close(out, ref, dtype)
    close(cb.multiply(xh, pc, d), REF.multiply(rh, pr, d), dtype)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lowpass_irfft_with_asymmetric_filters(cb, d, dtype):
    rng = np.random.default_rng(10 + d)
    s = SHAPES[d]
    x = signal(d, dtype)
    xh, rh = spectra(cb, x, d)
    for phi in (rng.standard_normal((1,) + s),  # not Hermitian-symmetric: the fold matters
                rng.standard_normal((1,) + s) + 1j * rng.standard_normal((1,) + s)):
        pc = cb.prepare_filters(phi, dtype, FilterRole.LOWPASS)
        pr = REF.prepare_filters(phi, dtype, FilterRole.LOWPASS)
        for k in [(1,) * d, (2,) * d]:
            out = cb.lowpass_irfft(xh, pc, k, d, s)
            ref = REF.lowpass_irfft(rh, pr, k, d, s)
            assert out.dtype == dtype
            close(out, ref, dtype)
        # The multiply path keeps the filter as given, like the reference.
        close(cb.multiply(xh, pc, d), REF.multiply(rh, pr, d), dtype)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_subsample_modulus_quadrature(cb, d):
    dtype = np.float32
    rng = np.random.default_rng(d)
    s = SHAPES[d]
    y = rng.standard_normal((2, 3) + s) + 1j * rng.standard_normal((2, 3) + s)
    y = y.astype(np.complex64)
    close(cb.subsample(y, (2,) * d), REF.subsample(y, (2,) * d), dtype)
    mod = cb.modulus(y)
    assert mod.dtype == np.float32
    close(mod, REF.modulus(y), dtype)
    for axis in (1, -d - 1, 0):
        close(cb.quadrature_modulus(y, d, axis), REF.quadrature_modulus(y, d, axis), dtype)
    u, u_hat = cb.ifft_modulus_rfft(y, d)
    close(u, REF.ifft_modulus(y, d), dtype)
    close(cb.to_full_spectrum(u_hat, d, s), REF.rfft(REF.ifft_modulus(y, d), d), dtype)
    assert cb.modulus(np.zeros(4, np.complex128)).tolist() == [0.0] * 4


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_powers(cb, d, dtype):
    x = np.abs(signal(d, dtype, batch=(1, 2)))
    powers = (0.5, 1.0, 2.0, 1.5, 0.0) if d == 3 else (0.5, 2.0)
    out = cb.sum_powers(cb.from_numpy(x), powers, d)
    assert out.dtype == dtype and out.shape == (1, 2, len(powers))
    close(out, REF.sum_powers(x, powers, d), dtype)


# ---------------------------------------------------------------------------------- space ops
@pytest.mark.parametrize("d", [1, 2, 3])
def test_reflect_pad_matches_np_pad_including_long_pads(cb, d):
    x = signal(d, np.float64)
    s = SHAPES[d]
    for widths in [tuple((1, 2) for _ in s), tuple((n - 1, n - 1) for n in s),
                   tuple((n, 2 * n + 3) for n in s)]:  # pads >= length: period 2(n - 1)
        out = cb.pad(cb.from_numpy(x), widths)
        np.testing.assert_array_equal(out, np.pad(x, ((0, 0),) + widths, mode="reflect"))
    one = np.arange(3.0).reshape(3, 1)
    np.testing.assert_array_equal(cb.pad(one, ((2, 3),)), np.pad(one, ((0, 0), (2, 3)), "reflect"))


def test_crop_take_concatenate_real(cb):
    x = signal(2, np.float32, batch=(3,))
    xd = cb.from_numpy(x)
    np.testing.assert_array_equal(cb.crop(xd, (1, 2), (7, 5)), x[..., 1:7, 2:5])
    np.testing.assert_array_equal(cb.take(xd, np.array([2, 0]), 0), x[[2, 0]])
    np.testing.assert_array_equal(cb.concatenate([xd, xd], 1), np.concatenate([x, x], 1))
    z = x + 1j * x[::-1]
    assert cb.real(z).dtype == np.float32 and cb.real(z).flags.c_contiguous
    np.testing.assert_array_equal(cb.to_numpy(cb.assemble([xd, xd], np.array([1, 0]))),
                                  np.concatenate([x[:, 1:2], x[:, 0:1]], 1)[:, :2])


def test_errors_name_the_parameter(cb):
    xh, _ = spectra(cb, signal(2, np.float32), 2)
    filt = cb.prepare_filters(np.ones((2, 8, 6)), np.float32)
    with pytest.raises(ValueError, match=r"k must .* \(8, 6\); got \(3, 2\)"):
        cb.multiply_subsample(xh, filt, (3, 2), 2)
    with pytest.raises(ValueError, match=r"x_hat must be a half spectrum .*\(8, 4\).* got shape"):
        cb.multiply_subsample(cb.rfft(np.zeros((2, 8, 8), np.float32), 2), filt, (1, 1), 2)
    with pytest.raises(ValueError, match="pad_widths"):
        cb.pad(np.zeros((2, 8)), ((-1, 2),))
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        cb.prepare_filters(np.ones((1, 4)), np.int32)
    with pytest.raises(TypeError, match="prepare_filters"):
        cb.multiply(xh, np.ones((2, 8, 6)), 2)


def test_torch_tensor_requiring_grad_points_to_the_torch_backend(cb):
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, 8, requires_grad=True)
    with pytest.raises(TypeError, match="requires grad.*backend='torch'"):
        cb.rfft(x, 1)
    assert cb.real_dtype(x) == np.float32
    np.testing.assert_array_equal(cb.pad(x.detach(), ((1, 1),)),
                                  np.pad(np.zeros((2, 8), np.float32), ((0, 0), (1, 1))))


def test_conformance_kit(cb):
    try:
        from numbascat.testing import check_backend
    except ImportError:
        pytest.skip("numbascat.testing.check_backend does not exist yet")
    # Ops only, 3D in float32 only: the kit's sizes are slow in the simulator (its 3D long-pad
    # case alone is 4e5 simulated threads); the tiny transform comparisons below and the
    # float64 op tests above cover the rest.
    report = check_backend(cb, dims=(1, 2), end_to_end=False)
    assert sorted(report["ops"]) == [(d, t) for d in (1, 2) for t in ("float32", "float64")]
    report = check_backend(cb, dims=(3,), dtypes=(np.float32,), end_to_end=False)
    assert report["ops"] == [(3, "float32")]


# ---------------------------------------------------------------------------------- cupy path
class _PlanCache:
    def __init__(self):
        self.size = 16

    def get_size(self):
        return self.size

    def set_size(self, size):
        self.size = size


def _fake_cupy():
    """numpy dressed as CuPy, so the cupy provider's code runs in the simulator."""
    cache, streams = _PlanCache(), []
    current = types.SimpleNamespace(ptr=0)
    xp = types.SimpleNamespace(
        ndarray=np.ndarray, asarray=np.asarray, asnumpy=np.asarray, empty=np.empty,
        concatenate=np.concatenate, take=np.take, ascontiguousarray=np.ascontiguousarray,
        from_dlpack=np.from_dlpack,
        fft=types.SimpleNamespace(rfftn=np.fft.rfftn, irfftn=np.fft.irfftn, fftn=np.fft.fftn,
                                  ifftn=np.fft.ifftn,
                                  config=types.SimpleNamespace(get_plan_cache=lambda: cache)),
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDevice=lambda: 0),
                                   get_current_stream=lambda: current))

    def as_cuda_array(x, sync):
        assert sync is False  # no host synchronisation per kernel launch
        return x if x.flags.writeable else x.copy()

    def external_stream(ptr):
        streams.append(ptr)
        return 0  # the simulator's default stream

    cuda = types.SimpleNamespace(as_cuda_array=as_cuda_array, external_stream=external_stream)
    return xp, cuda, cache, streams, current


def test_cupy_provider_code_path():
    xp, cuda, cache, streams, current = _fake_cupy()
    cb = NumbaCudaBackend(fft=fft_providers.CupyFFT(xp=xp, cuda=cuda))
    assert cb.provider.name == "cupy" and cb.is_array(np.zeros(2))
    x = np.random.default_rng(6).standard_normal((2, 16, 16)).astype(np.float32)
    ref = nsn.Scattering2D(2, (16, 16), L=2, backend="numpy")
    S = nsn.Scattering2D(2, (16, 16), L=2, backend=cb)
    close(S._forward(x), ref(x), np.float32)
    assert cache.size == fft_providers.PLAN_CACHE_SIZE
    current.ptr = 7  # a non-default CuPy stream: kernels go on it, wrapped once
    close(S._forward(x), ref(x), np.float32)
    assert streams == [7]
    close(cb.sum_powers(np.abs(x), (1.0, 2.0), 2), REF.sum_powers(np.abs(x), (1.0, 2.0), 2),
          np.float32)
    assert len(cb._constants) == 2  # output order and powers, each uploaded once


# ---------------------------------------------------------------------------------- transforms
def _build(cls, *args, **kwargs):
    try:
        return cls(*args, **kwargs)
    except NotImplementedError as exc:
        pytest.skip(f"{cls.__name__} is not implemented yet: {exc}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_scattering2d_matches_numpy_backend(cb, dtype):
    x = np.random.default_rng(2).standard_normal((2, 16, 16)).astype(dtype)
    out = _build(nsn.Scattering2D, 2, (16, 16), L=2, backend=cb)(x)
    ref = _build(nsn.Scattering2D, 2, (16, 16), L=2, backend="numpy")(x)
    assert out.dtype == dtype and isinstance(out, np.ndarray)
    close(out, ref, dtype)


def test_scattering2d_batch_shapes_and_list_output(cb):
    S = _build(nsn.Scattering2D, 2, (16, 16), L=2, max_order=1, backend=cb, out_type="list")
    x = np.random.default_rng(3).standard_normal((1, 2, 16, 16)).astype(np.float32)
    out = S(x)
    ref = _build(nsn.Scattering2D, 2, (16, 16), L=2, max_order=1, backend="numpy",
                 out_type="list")(x)
    assert len(out) == len(ref) == 5
    for a, b in zip(out, ref, strict=True):
        assert a["n"] == b["n"] and a["coef"].shape == (1, 2, 4, 4)
        close(a["coef"], b["coef"], np.float32)
    S.out_type = "array"
    assert S(np.zeros((0, 16, 16), np.float32)).shape == (0, 5, 4, 4)


@pytest.mark.filterwarnings("ignore:Signal support is too small")
def test_scattering1d_matches_numpy_backend(cb):
    x = np.random.default_rng(4).standard_normal((2, 64)).astype(np.float32)
    out = _build(nsn.Scattering1D, 3, 64, backend=cb)(x)
    ref = _build(nsn.Scattering1D, 3, 64, backend="numpy")(x)
    close(out, ref, np.float32)


def test_harmonic_scattering3d_matches_numpy_backend(cb):
    x = np.random.default_rng(5).standard_normal((2, 8, 8, 8)).astype(np.float32)
    out = _build(nsn.HarmonicScattering3D, 1, (8, 8, 8), L=1, backend=cb)(x)
    ref = _build(nsn.HarmonicScattering3D, 1, (8, 8, 8), L=1, backend="numpy")(x)
    assert out.dtype == np.float32
    close(out, ref, np.float32)


# ---------------------------------------------------------------------------------- design checks
class _Device(np.ndarray):
    """numpy standing in for device memory: every read of its values on the host is counted
    (what a CuPy array would turn into a device-to-host copy and a synchronisation)."""

    reads = 0

    def _read(self):
        type(self).reads += 1

    def get(self):
        self._read()
        return self.view(np.ndarray).copy()

    def item(self, *args):
        self._read()
        return super().item(*args)

    def tolist(self):
        self._read()
        return super().tolist()

    def __float__(self):
        self._read()
        return super().__float__()

    def __int__(self):
        self._read()
        return super().__int__()

    def __index__(self):
        self._read()
        return super().__index__()

    def __bool__(self):
        self._read()
        return super().__bool__()

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if not isinstance(value, np.ndarray):  # one element: a 0-d copy to the host
            self._read()
        return value


def _counting_cupy():
    """A fake CuPy whose arrays are :class:`_Device`; counts uploads, downloads and syncs."""
    counts = {"uploads": 0, "downloads": 0, "syncs": 0}

    def device(fn):
        return lambda *a, **k: np.asarray(fn(*a, **k)).view(_Device)

    def asarray(x):
        if not isinstance(x, _Device):
            counts["uploads"] += 1
        return np.array(x).view(_Device)

    def asnumpy(x):
        counts["downloads"] += 1
        return x.view(np.ndarray).copy()

    def sync():
        counts["syncs"] += 1

    stream = types.SimpleNamespace(ptr=0, synchronize=sync)
    xp, cuda, cache, streams, _ = _fake_cupy()
    xp.ndarray = _Device
    xp.asarray, xp.asnumpy, xp.empty = asarray, asnumpy, device(np.empty)
    xp.concatenate, xp.take = device(np.concatenate), device(np.take)
    xp.ascontiguousarray = device(np.ascontiguousarray)
    xp.fft = types.SimpleNamespace(rfftn=device(np.fft.rfftn), irfftn=device(np.fft.irfftn),
                                   fftn=device(np.fft.fftn), ifftn=device(np.fft.ifftn),
                                   config=xp.fft.config)
    xp.cuda.get_current_stream = lambda: stream
    xp.cuda.Device = lambda *a: types.SimpleNamespace(synchronize=sync)
    def as_cuda_array(x, sync):
        assert sync is False  # no host synchronisation per kernel launch
        # Kernels see plain views of the same memory: their element accesses are device reads.
        return x.view(np.ndarray)

    cuda.as_cuda_array = as_cuda_array
    return xp, cuda, counts


_TSHAPES = {1: (256,), 2: (16, 16), 3: (8, 8, 8)}


def _tsignal(d, batch, seed=0):
    return np.random.default_rng(seed).standard_normal((batch,) + _TSHAPES[d]).astype(np.float32)


def _transforms(cb):
    return {1: nsn.Scattering1D(3, 256, Q=1, backend=cb),
            2: nsn.Scattering2D(2, (16, 16), L=2, backend=cb),
            3: nsn.HarmonicScattering3D(1, (8, 8, 8), L=1, backend=cb)}


@pytest.mark.filterwarnings("ignore:Signal support is too small")
@pytest.mark.parametrize("d", [1, 2, 3])
def test_forward_never_reads_device_memory_on_the_host(d, monkeypatch):
    from numba import cuda as numba_cuda

    xp, cuda, counts = _counting_cupy()
    monkeypatch.setattr(numba_cuda, "synchronize", lambda: counts.__setitem__(
        "syncs", counts["syncs"] + 1))
    cb = NumbaCudaBackend(fft=fft_providers.CupyFFT(xp=xp, cuda=cuda))
    S = _transforms(cb)[d]
    x = _tsignal(d, 2)
    ref = _transforms("numpy")[d](x)
    x_dev = xp.asarray(x)
    S._forward(x_dev)  # warm-up: filters and constants are uploaded once, here
    before, _Device.reads = dict(counts), 0
    out = S._forward(x_dev)
    assert isinstance(out, _Device)
    assert (_Device.reads, counts["downloads"] - before["downloads"],
            counts["syncs"] - before["syncs"], counts["uploads"] - before["uploads"]) == \
        (0, 0, 0, 0), "a forward call on device arrays read, synchronised or uploaded"
    close(out.view(np.ndarray), ref, np.float32)
    # numpy in: one upload (from_numpy), nothing else. (numpy out is one provider.asnumpy in
    # to_host; the fake's arrays subclass numpy, so that step cannot be told apart here.)
    before = dict(counts)
    close(S._forward(cb.from_numpy(x)).view(np.ndarray), ref, np.float32)
    assert (counts["uploads"] - before["uploads"], counts["downloads"] - before["downloads"],
            _Device.reads) == (1, 0, 0)


@pytest.mark.filterwarnings("ignore:Signal support is too small")
@pytest.mark.parametrize("d", [1, 2, 3])
def test_kernels_are_batched_across_signals_and_paths(d, monkeypatch):
    """The launch count does not grow with the batch, and the backend's larger block budget
    (paths batched into one launch) needs fewer launches than a tiny one, for equal results."""
    from numbascat_plugins.numba_cuda import kernels

    launches = []
    for name in ("launch", "launch_rows"):
        original = getattr(kernels, name)

        def counted(kernel, total, *args, _original=original):
            launches.append(total)
            return _original(kernel, total, *args)

        monkeypatch.setattr(kernels, name, counted)
    cb = NumbaCudaBackend()
    assert cb.block_bytes >= 64 * 2 ** 20  # GPU-sized, against a few MiB on the CPU
    S = _transforms(cb)[d]
    assert S.block_bytes == cb.block_bytes
    counts, outputs = {}, {}
    for batch, block in ((1, None), (3, None), (3, 1)):
        if block is not None:
            S.block_bytes = block
        launches.clear()
        outputs[batch, block] = S(_tsignal(d, batch))
        counts[batch, block] = len(launches)
    assert counts[1, None] == counts[3, None]
    assert counts[3, 1] >= counts[3, None]
    if d != 3:  # 3D chunks over signals only; 1D and 2D also group paths
        assert counts[3, 1] > counts[3, None]
    close(outputs[3, 1], outputs[3, None], np.float32)


def test_block_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_CUDA_BLOCK_MB", "64")
    assert NumbaCudaBackend().block_bytes == 64 * 2 ** 20
    monkeypatch.setenv("NUMBASCAT_CUDA_BLOCK_MB", "lots")
    with pytest.raises(ValueError, match="NUMBASCAT_CUDA_BLOCK_MB.*positive.*'lots'"):
        NumbaCudaBackend()


@pytest.mark.parametrize("params", [dict(J=3, J_fr=1, Q=2, shape=256),
                                    dict(J=4, J_fr=2, Q=3, shape=256, F=2, format="joint")])
def test_time_frequency_scattering_matches_numpy_backend(cb, params):
    x = np.random.default_rng(5).standard_normal((2, 256)).astype(np.float32)
    out = nsn.TimeFrequencyScattering(**params, backend=cb)(x)
    ref = nsn.TimeFrequencyScattering(**params, backend="numpy")(x)
    assert out.dtype == np.float32 and out.shape == ref.shape
    close(out, ref, np.float32)
