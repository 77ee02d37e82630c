"""The torch frontend: nn.Module transforms, filter buffers, dtype/device, autograd, compile."""
import copy
import io

import numpy as np
import pytest
from peer import shared_dir

torch = pytest.importorskip("torch")

import numbascat  # noqa: E402
from numbascat.torch import HarmonicScattering3D, Scattering1D, Scattering2D  # noqa: E402

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(
    SHARED is None, reason="../shared (Kymatio reference data) is absent; set NUMBASCAT_SHARED")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

#: Where a call without a gradient runs on the torch backend (CPU): both are checked.
ENGINES = ["numba", "torch"]
SMALL = {  # cheap configurations per dimension: (class, kwargs, signal shape)
    1: (Scattering1D, dict(J=3, shape=128, Q=1), (128,)),
    2: (Scattering2D, dict(J=2, shape=(16, 16), L=2), (16, 16)),
    3: (HarmonicScattering3D, dict(J=1, shape=(8, 8, 8), L=1), (8, 8, 8)),
}


def _ref(dim):
    with np.load(SHARED / "refdata" / f"kymatio_0.3_{dim}d.npz") as data:
        return {k: data[k] for k in data.files}


def _max_rel(out, want):
    out = np.asarray(out, np.float64)
    return np.abs(out - want).max() / np.abs(want).max()


def _rel_sum(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).sum() / max(np.abs(a).sum(), np.abs(b).sum())


def _small(dim, **extra):
    cls, kwargs, shape = SMALL[dim]
    return cls(**kwargs, **extra), shape


# ---------------------------------------------------------------------------------- parity
@needs_shared
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_2d_parity_with_kymatio(dtype, engine):
    ref = _ref(2)
    S = Scattering2D(int(ref["J"]), ref["x"].shape[-2:], pre_pad=bool(ref["pre_pad"]))
    S.cpu_engine = engine
    out = S(torch.from_numpy(ref["x"]).to(dtype))
    assert isinstance(S, torch.nn.Module) and S.backend.name == "torch"
    assert out.shape == ref["Sx"].shape and out.dtype == dtype
    assert _max_rel(out, ref["Sx"]) <= 1e-5


@needs_shared
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_1d_parity_with_kymatio(dtype, engine):
    ref = _ref(1)
    S = Scattering1D(int(ref["J"]), ref["x"].shape[-1], int(ref["Q"]))
    S.cpu_engine = engine
    out = S(torch.from_numpy(ref["x"]).to(dtype))
    assert out.shape == ref["Sx"].shape and out.dtype == dtype
    assert _max_rel(out, ref["Sx"]) <= 1e-5


@needs_shared
@pytest.mark.parametrize("engine", ENGINES)
def test_3d_parity_with_kymatio(engine):
    ref = _ref(3)
    x = torch.from_numpy(ref["x"])
    powers = [float(q) for q in ref["integral_powers"]]
    S = HarmonicScattering3D(int(ref["J"]), tuple(x.shape[1:]), L=int(ref["L"]),
                             integral_powers=powers)
    S.cpu_engine = engine
    out = S(x)
    n0 = len(powers)
    assert out.shape == (2, 6, 3, 2) and out.dtype == torch.float32
    assert _rel_sum(out.reshape(2, -1), ref["Sx"][:, n0:]) < 1e-6
    order0 = S.order0(x)
    assert isinstance(order0, torch.Tensor)
    assert _rel_sum(order0, ref["Sx"][:, :n0]) < 1e-6


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_matches_numpy_frontend_on_the_numpy_backend(dim, engine):
    import numbascat.numpy as np_frontend

    cls, kwargs, shape = SMALL[dim]
    x = np.random.default_rng(dim).standard_normal((2,) + shape)
    want = getattr(np_frontend, cls.__name__)(**kwargs, backend="numpy")(x)
    S = cls(**kwargs)
    S.cpu_engine = engine
    got = S(torch.from_numpy(x))
    assert got.dtype == torch.float64
    assert _max_rel(got, want) <= 1e-10


# ---------------------------------------------------------------------------------- module
def test_dynamic_entry_and_backend_selection():
    S = numbascat.Scattering2D(2, (16, 16), L=2, frontend="torch")
    assert isinstance(S, Scattering2D) and isinstance(S, numbascat.Scattering2D)
    assert S.backend.name == "torch"
    assert Scattering2D(2, (16, 16), L=2, backend="torch17").backend.name == "torch"
    with pytest.raises(ValueError, match="numpy"):
        Scattering2D(2, (16, 16), L=2, backend="numpy")  # computes on numpy arrays only


@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (0,), (2, 0)])
def test_any_leading_batch_shape(batch):
    S, shape = _small(2)
    x = torch.randn(batch + shape)
    out = S(x)
    assert out.shape == batch + (1 + 2 * 2 + 4, 4, 4)
    if x.numel():
        flat = S(x.reshape((-1,) + shape))
        torch.testing.assert_close(out.reshape(flat.shape), flat)


def test_filters_are_buffers_and_state_dict_round_trips():
    S, shape = _small(2)
    names = {f"filter_{n}" for n in S.filters}
    assert names == set(S.state_dict()) == {n for n, _ in S.named_buffers()}
    x = torch.randn((2,) + shape)
    before = S(x)
    other = Scattering2D(2, (16, 16), L=2)
    other.load_state_dict(S.state_dict())
    torch.testing.assert_close(other(x), before)
    # Loading different filters changes the result: cached casts follow the buffers.
    doubled = {k: 2 * v for k, v in S.state_dict().items()}
    assert S(x.double()).dtype == torch.float64  # fills the float64 cache
    S.load_state_dict(doubled)
    assert not torch.allclose(S(x), before)
    assert not torch.allclose(S(x.double()).float(), before)


def test_to_double_and_dtype_follows_input():
    S, shape = _small(2)
    x = torch.randn((2,) + shape)
    y32 = S(x)
    S.double()
    assert all(b.dtype == torch.float64 for b in S.buffers())
    y64 = S(x.double())
    assert y32.dtype == torch.float32 and y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), y32, rtol=1e-5, atol=1e-6)
    # A float64 module scatters float32 input in float32 (buffers are cast, once).
    assert S(x).dtype == torch.float32
    S.float()
    assert S(x.double()).dtype == torch.float64


def test_input_policy():
    S, shape = _small(2)
    with pytest.raises(TypeError, match="torch.Tensor"):
        S(np.zeros(shape))
    with pytest.raises(TypeError, match="real-valued"):
        S(torch.zeros(shape, dtype=torch.complex64))
    assert S(torch.zeros(shape, dtype=torch.int32)).dtype == torch.float64
    assert S(torch.zeros(shape, dtype=torch.float16)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="spatial size"):
        S(torch.zeros(15, 16))


def test_device_mismatch_is_a_clear_error():
    S, shape = _small(2)
    S.to("meta")
    with pytest.raises(RuntimeError, match=r"filters on meta .* input is on cpu"):
        S(torch.zeros(shape))


def test_deepcopy_pickle_and_dataparallel():
    S, shape = _small(2)
    x = torch.randn((4,) + shape)
    want = S(x)
    torch.testing.assert_close(copy.deepcopy(S)(x), want)
    buffer = io.BytesIO()
    torch.save(S, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(loaded(x), want)
    torch.testing.assert_close(torch.nn.DataParallel(S)(x), want)
    assert "backend='torch'" in repr(S)


def test_list_output_holds_tensors():
    S = Scattering2D(2, (16, 16), L=2, out_type="list")
    out = S(torch.randn(3, 16, 16))
    assert len(out) == 9 and all(isinstance(e["coef"], torch.Tensor) for e in out)
    assert out[5]["coef"].shape == (3, 4, 4)


def test_inference_mode_then_training():
    S, shape = _small(2)
    x = torch.randn((2,) + shape)
    with torch.inference_mode():
        S(x)
    x.requires_grad_(True)
    S(x).sum().backward()  # cached filters must not be inference tensors
    assert torch.isfinite(x.grad).all()


# ---------------------------------------------------------------------------------- autograd
GRADCHECK = {
    1: (Scattering1D, dict(J=1, shape=32, Q=1), (32,)),
    2: (Scattering2D, dict(J=1, shape=(8, 8), L=2), (8, 8)),
    3: (HarmonicScattering3D, dict(J=1, shape=(6, 6, 6), L=1, integral_powers=(1.0, 2.0)),
        (6, 6, 6)),
}


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_gradcheck_float64(dim):
    cls, kwargs, shape = GRADCHECK[dim]
    S = cls(**kwargs)
    x = torch.randn((1,) + shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(S, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


def _zero_and_constant_inputs(shape):
    zeros = torch.zeros(shape, dtype=torch.float64)
    constant = torch.full(shape, 3.0, dtype=torch.float64)
    patch = torch.randn(shape, dtype=torch.float64)
    patch[(slice(0, shape[0] // 2),)] = 0.0  # exact zeros on half of it
    return torch.stack([zeros, constant, patch])


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_gradient_is_finite_at_zeros_and_constants(dim):
    S, shape = _small(dim)  # 3D keeps the default powers, 0.5 included
    x = _zero_and_constant_inputs(shape).requires_grad_(True)
    out = S(x)
    (out.sum() + (out ** 2).sum()).backward()
    assert torch.isfinite(x.grad).all()


# ---------------------------------------------------------------------------------- compile
def _assert_same_output(got, want, **tol):
    if isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            torch.testing.assert_close(got[key], want[key], **tol)
    elif isinstance(want, list):
        assert [e["n"] for e in got] == [e["n"] for e in want]
        assert [e["j"] for e in got] == [e["j"] for e in want]
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a["coef"], b["coef"], **tol)
    else:
        torch.testing.assert_close(got, want, **tol)


FULLGRAPH = [  # (class, kwargs, input shape, attributes set after construction)
    (Scattering1D, dict(J=3, shape=128, Q=1), (2, 128), {}),
    (Scattering1D, dict(J=3, shape=128, Q=(2, 1), out_type="dict"), (2, 128), {}),
    (Scattering1D, dict(J=3, shape=128, T=0, out_type="list"), (2, 128), {}),
    (Scattering1D, dict(J=3, shape=128, Q=4, oversampling=1), (3, 128), {"block_bytes": 2000}),
    (Scattering2D, dict(J=2, shape=(16, 16), L=2), (2, 3, 16, 16), {}),
    (Scattering2D, dict(J=2, shape=(16, 16), L=2), (5, 16, 16), {"batch_size": 2}),
    (HarmonicScattering3D, dict(J=1, shape=(8, 8, 8), L=1), (3, 8, 8, 8), {"block_bytes": 1000}),
    (HarmonicScattering3D, dict(J=1, shape=(8, 8, 8), L=1, rotation_covariant=False),
     (2, 8, 8, 8), {}),
]


@pytest.mark.parametrize("case", range(len(FULLGRAPH)))
def test_compile_fullgraph_matches_eager(case):
    # fullgraph=True raises on any graph break: the 1D, 2D and 3D forward passes are one graph
    # (plans are Python ints and tuples; no numpy arithmetic on traced values).
    cls, kwargs, shape, attrs = FULLGRAPH[case]
    S = cls(**kwargs)
    for name, value in attrs.items():
        setattr(S, name, value)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(case))
    torch._dynamo.reset()
    compiled = torch.compile(S, backend="aot_eager", fullgraph=True)
    _assert_same_output(compiled(x), S(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim", [1, 3])
def test_dynamo_explain_finds_no_graph_break(dim):
    S, shape = _small(dim)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(S)(torch.randn((2,) + shape))
    assert explanation.graph_break_count == 0 and explanation.graph_count == 1


@pytest.mark.slow
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_compile_inductor_matches_eager(dim):
    S, shape = _small(dim)
    x = torch.randn((2,) + shape)
    torch._dynamo.reset()
    torch.testing.assert_close(torch.compile(S, fullgraph=True)(x), S(x), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_cuda_matches_cpu(dim):
    S, shape = _small(dim)
    x = torch.randn((3,) + shape)
    want = S(x)
    S.cuda()
    got = S(x.cuda())
    assert got.device.type == "cuda" and got.dtype == torch.float32
    torch.testing.assert_close(got.cpu(), want, rtol=1e-4, atol=1e-5 * want.abs().max().item())


@pytest.mark.gpu
@needs_cuda
@needs_shared
def test_cuda_2d_parity_and_gradient():
    ref = _ref(2)
    S = Scattering2D(int(ref["J"]), ref["x"].shape[-2:]).to("cuda")
    x = torch.from_numpy(ref["x"]).cuda().requires_grad_(True)
    out = S(x)
    assert _max_rel(out.detach().cpu(), ref["Sx"]) <= 1e-5
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


# ---------------------------------------------------------------------------------- CPU engine
def _engine_of(S, x):
    engine = S._cpu_engine_for(x)
    return "torch" if engine is None else engine.name


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_calls_without_a_gradient_run_on_the_numba_engine(dim):
    S, shape = _small(dim)
    x = torch.randn((3,) + shape)
    assert S.cpu_engine == "numba" and _engine_of(S, x) == "numba"
    fast = S(x)
    S.cpu_engine = "torch"
    slow = S(x)
    assert fast.dtype == slow.dtype == torch.float32 and fast.shape == slow.shape
    torch.testing.assert_close(fast, slow, rtol=0, atol=2e-6 * float(slow.abs().max()))
    with torch.no_grad():  # a tensor that requires a gradient, with gradients off
        assert _engine_of(Scattering1D(J=3, shape=128, Q=1), torch.randn(128,
                                                                         requires_grad=True)) \
            == "numba"


def test_calls_that_need_a_gradient_run_on_torch():
    S, shape = _small(2)
    x = torch.randn((2,) + shape, requires_grad=True)
    assert _engine_of(S, x) == "torch"
    S(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_changed_filter_buffers_run_on_torch():
    """The numba engine reads the filter bank: once a buffer changes (in place, by
    load_state_dict or .double()), calls run on torch and see the change."""
    S, shape = _small(2)
    x = torch.randn((2,) + shape)
    before = S(x)
    name = next(iter(S._buffer_names.values()))
    with torch.no_grad():
        getattr(S, name).mul_(2)
    assert _engine_of(S, x) == "torch"
    assert not torch.allclose(S(x), before)
    T, _ = _small(2)
    T.double()
    assert _engine_of(T, x) == "torch"


def test_copies_check_their_buffers_by_value():
    S, shape = _small(2)
    x = torch.randn((2,) + shape)
    clone = copy.deepcopy(S)
    assert _engine_of(clone, x) == "numba"
    torch.testing.assert_close(clone(x), S(x))
    edited = copy.deepcopy(S)
    with torch.no_grad():
        next(edited.buffers()).add_(1)
    changed = copy.deepcopy(edited)  # its buffers are new tensors holding other values
    assert _engine_of(changed, x) == "torch"


def test_cpu_engine_setting(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_TORCH_CPU_ENGINE", "torch")
    S, shape = _small(1)
    assert S.cpu_engine == "torch" and _engine_of(S, torch.randn(shape)) == "torch"
    monkeypatch.setenv("NUMBASCAT_TORCH_CPU_ENGINE", "fast")
    with pytest.raises(ValueError, match="NUMBASCAT_TORCH_CPU_ENGINE.*'numba' or 'torch'"):
        _small(1)


def test_traced_calls_run_on_torch():
    """Tensors wrapped by torch.func transforms and tensor subclasses never reach numpy."""
    S, shape = _small(1)
    seen = []

    def probe(t):
        seen.append(S._cpu_engine_for(t))
        return t.sum()

    torch.func.vmap(probe)(torch.randn((2,) + shape))
    torch.func.grad(probe)(torch.randn(shape))
    assert len(seen) == 2 and all(e is None for e in seen)

    class Tagged(torch.Tensor):
        pass

    assert _engine_of(S, torch.randn(shape).as_subclass(Tagged)) == "torch"
