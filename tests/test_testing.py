"""The conformance kit: it passes on the built-in backends and catches broken ones."""
import numpy as np
import pytest

from numbascat.backends.numpy_backend import NumpyBackend
from numbascat.testing import check_backend


def test_numpy_backend_conforms():
    report = check_backend("numpy")
    assert {d for d, _ in report["ops"]} == {1, 2, 3}
    assert report["transforms"]


def test_numba_backend_conforms():
    pytest.importorskip("numba")
    pytest.importorskip("pyfftw")
    report = check_backend("numba")
    assert {dt for _, dt in report["ops"]} == {"float32", "float64"}
    assert report["transforms"]


class _ForgetsPeriodMean(NumpyBackend):
    def subsample(self, x_hat, k):
        return super().subsample(x_hat, k) * 2


class _Promotes(NumpyBackend):
    def modulus(self, x):
        return np.abs(x).astype(np.float64)


class _ShortPad(NumpyBackend):
    def pad(self, x, pad_widths):
        if any(max(p) >= n for p, n in zip(pad_widths, x.shape[-len(pad_widths):], strict=True)):
            return np.pad(x, [(0, 0)] * (x.ndim - len(pad_widths)) + list(pad_widths),
                          mode="symmetric")
        return super().pad(x, pad_widths)


@pytest.mark.parametrize("broken,op", [(_ForgetsPeriodMean, "subsample"),
                                       (_Promotes, "modulus"), (_ShortPad, "pad")])
def test_broken_backend_is_named(broken, op):
    with pytest.raises(AssertionError, match=op):
        check_backend(broken(), dims=(2,), end_to_end=False)


def test_promotion_is_reported_as_dtype():
    with pytest.raises(AssertionError, match="dtype float64, expected float32"):
        check_backend(_Promotes(), dims=(1,), dtypes=(np.float32,), end_to_end=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="dims"):
        check_backend("numpy", dims=(4,))
    with pytest.raises(ValueError, match="dtypes"):
        check_backend("numpy", dtypes=(np.int32,))
