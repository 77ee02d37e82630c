"""Scattering1D parameter validation and padding (compat spec §1.1, §1.5)."""
import warnings

import numpy as np
import pytest

from numbascat.numpy import Scattering1D
from numbascat.scattering1d import params as P
from numbascat.scattering1d.params import make_params

pytestmark = pytest.mark.filterwarnings("ignore:Signal support:UserWarning")


@pytest.mark.parametrize("N,T,support,N_pad,pads", [
    (512, 64, 254, 1024, (256, 256)),
    (4096, 256, 1261, 8192, (2048, 2048)),
    (1024, 8, 41, 2048, (512, 512)),
    (65536, 8192, 32385, 131072, (32768, 32768)),
    (300, 32, 147, 512, (106, 106)),
])
def test_padding_table(N, T, support, N_pad, pads):
    p = make_params(3, N, 1, T)
    assert (p.support, p.N_pad, (p.pad_left, p.pad_right)) == (support, N_pad, pads)


def test_support_warning_when_support_hits_half_the_signal():
    with pytest.warns(UserWarning, match="Signal support is too small"):
        p = make_params(3, 64, 1, 8)
    assert (p.support, p.N_pad, p.pad_left, p.pad_right) == (32, 128, 32, 32)


def test_border_indices_halve_with_ceiling():
    p = make_params(4, 300, 1, 16)
    assert p.ind_start[0] == p.pad_left and p.ind_end[0] == p.pad_left + 300
    for j in range(1, 5):
        assert p.ind_start[j] == -(-p.ind_start[j - 1] // 2)
        assert p.ind_end[j] == -(-p.ind_end[j - 1] // 2)


def test_Q_T_average_resolution():
    S = Scattering1D(4, 100, Q=(3,), backend="numpy")
    assert S.Q == (3, 1) and S.T == 16 and S.average and S.log2_T == 4
    S = Scattering1D(4, 100, Q=5, T=12.5, backend="numpy")
    assert S.Q == (5, 1) and S.T == 12.5 and S.log2_T == 3
    assert S.phi_f["sigma"] == pytest.approx(0.1 / 12.5)
    S = Scattering1D(4, 100, T=0, out_type="list", backend="numpy")
    assert S.T == 16 and not S.average
    with pytest.warns(DeprecationWarning, match="average option is deprecated"):
        S = Scattering1D(4, 100, average=False, out_type="dict", backend="numpy")
    assert not S.average


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(Q=0), ValueError, "Q should always be >= 1, got 0"),
    (dict(Q=(8, 0)), ValueError, r"Q should always be >= 1, got \(8, 0\)"),
    (dict(Q=(1, 2, 3)), NotImplementedError, "beyond order 2"),
    (dict(Q=[8]), ValueError, "Q must be an integer or a tuple"),
    (dict(Q=2.5), ValueError, "Q must be an integer or a tuple"),
    (dict(Q=True), ValueError, "Q must be an integer or a tuple"),
    (dict(shape=(64, 2)), ValueError, "exactly one element"),
    (dict(shape=[64]), ValueError, "shape must be an integer or a 1-tuple"),
    (dict(T=65, shape=64), ValueError, r"cannot exceed input length \(got 65 > 64\)"),
    (dict(T=0.5), ValueError, r"T must be ==0 or >=1 \(got 0.5\)"),
    (dict(T=-3), ValueError, r"T must be ==0 or >=1 \(got -3\)"),
    (dict(T="8"), TypeError, "T must be None, 0 or a number"),
    (dict(T=0, average=True), ValueError, r"average must not be True if T=0"),
    (dict(T=8, average=False), ValueError, "average=False is not permitted when T>=1"),
    (dict(J=0), ValueError, "J must be >= 1, got 0"),
    (dict(J=2.0), TypeError, "J must be an integer"),
    (dict(J=True), TypeError, "J must be an integer"),
    (dict(max_order=3), ValueError, "max_order must be <= 2, got 3"),
    (dict(max_order=0), ValueError, "max_order must be >= 1, got 0"),
    (dict(oversampling=-1), ValueError, "oversampling must be nonnegative. Got: -1"),
    (dict(oversampling=1.0), ValueError, "oversampling must be integer. Got: 1.0"),
    (dict(out_type="tuple"), ValueError, "out_type must be one of 'array', 'dict', or 'list'"),
])
def test_constructor_errors_name_the_parameter(kwargs, exc, match):
    args = dict(J=3, shape=64 if "shape" in kwargs or "T" in kwargs else 128, backend="numpy")
    args.update(kwargs)
    with pytest.warns() if "average" in kwargs else _nothing(), pytest.raises(exc, match=match):
        Scattering1D(**args)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_runtime_errors():
    x = np.zeros(128, np.float32)
    S = Scattering1D(3, 128, T=0, backend="numpy")  # out_type 'array' is refused at call time
    with pytest.raises(ValueError, match="out_type='array' with average=False"):
        S(x)
    S.out_type = "list"
    assert len(S(x)) == S.output_size()
    S = Scattering1D(3, 128, backend="numpy")
    with pytest.raises(RuntimeError, match="^The inputs are not compatible for multiplication. "
                                           "The input must have length N=128"):
        S(np.zeros(127, np.float32))
    S.oversampling = -2
    with pytest.raises(ValueError, match="nonnegative"):
        S(x)


def test_too_large_J_without_averaging_is_a_clear_error():
    with pytest.raises(ValueError, match="J=14 is too large .* length 256 without averaging"):
        Scattering1D(14, 256, T=0, out_type="list", backend="numpy")


@pytest.mark.parametrize("J, shown", [(40, 1024), (12, 1024), (11, 2048), (10, 1024)])
def test_too_large_J_with_default_averaging_is_a_clear_error(J, shown):
    # Kymatio 0.3 fails on a reshape (construction for J >= J_pad + 3, else at the call); its
    # message comes first, then the reason and the largest J (9: 256 is padded to 2^9).
    match = (rf"^cannot reshape array of size 512 into shape \({shown},0\): J={J} is too large "
             rf"for a signal of length 256\. .* largest J that works for shape=256 is 9;")
    with pytest.warns(UserWarning, match="too small"), pytest.raises(ValueError, match=match):
        Scattering1D(J=J, Q=1, shape=256, backend="numpy")


def test_largest_averaged_J_works_and_the_next_one_does_not():
    for N in (128, 1000):
        largest = P.largest_averaged_J(N)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            S = Scattering1D(J=largest, Q=1, shape=N, backend="numpy")
            assert S(np.ones(N, np.float32)).shape[0] == S.output_size()
            with pytest.raises(ValueError, match=f"J={largest + 1} is too large"):
                Scattering1D(J=largest + 1, Q=1, shape=N, backend="numpy")
    # A shorter explicit T keeps a large J usable.
    assert Scattering1D(J=40, Q=1, shape=256, T=128, backend="numpy").output_size() > 0
