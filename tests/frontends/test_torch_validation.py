"""numbascat.torch: bad and unusual inputs (issue 9); the shared cases are in input_cases.py.

The torch frontend takes tensors only (as Kymatio's): numpy arrays, lists and None raise
``TypeError`` naming ``torch.Tensor``; torch's own dtypes follow the numpy policy.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from input_cases import CONFIGS, FrontendInputChecks, assert_close, reference  # noqa: E402

import numbascat.torch  # noqa: E402


def _refuse(make, label):
    return (label, make, TypeError, ["x must be a torch.Tensor", label])


def _transposed(x):
    t = torch.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, -1)))
    return t.transpose(0, -1)


def _strided(x):
    wide = torch.zeros(x.shape + (2,), dtype=torch.from_numpy(x).dtype)
    wide[..., 0] = torch.from_numpy(x)
    return wide[..., 0]


class TestTorchFrontendInputs(FrontendInputChecks):
    module = numbascat.torch
    backends = ("torch",)
    refused = [
        ("complex64 tensor", lambda s: torch.ones(s, dtype=torch.complex64), TypeError,
         ["x must be real-valued", "torch.complex64"]),
        ("complex128 tensor", lambda s: torch.ones(s, dtype=torch.complex128), TypeError,
         ["x must be real-valued", "torch.complex128"]),
        _refuse(lambda s: np.ones(s, np.float32), "ndarray"),
        _refuse(lambda s: np.ones(s, ">f8"), "ndarray"),
        _refuse(lambda s: np.ones(s).tolist(), "list"),
        _refuse(lambda s: None, "NoneType"),
        _refuse(lambda s: 1.0, "float"),
    ]
    layouts = [
        ("transposed", _transposed),
        ("strided view", _strided),
        ("sharing numpy memory", torch.from_numpy),
    ]

    def native(self, x):
        return torch.from_numpy(np.array(x, order="C"))  # ascontiguousarray makes 0-d 1-d

    def to_numpy(self, y):
        return y.detach().cpu().numpy()


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_torch_only_dtypes(dim):
    cls, kwargs, shape = CONFIGS[dim]
    S = getattr(numbascat.torch, cls)(**kwargs)
    x = torch.from_numpy(np.random.default_rng(dim).standard_normal((2,) + shape))
    for dtype in (torch.bfloat16, torch.float8_e4m3fn):  # computed in float32
        low = x.to(dtype)
        out = S(low)
        assert out.dtype == torch.float32, dtype
        assert_close(out.numpy(), reference(dim, low.double().numpy()), str(dtype))
    # A broadcast (stride-0) view: every signal is the first one.
    expanded = x[:1].expand(3, *shape)
    assert expanded.stride()[0] == 0
    assert_close(S(expanded).numpy(), reference(dim, expanded.numpy().copy()), "expanded")
