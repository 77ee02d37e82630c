"""numbascat.validation: integers and flags read the NumPy way, for every frontend."""
import numpy as np
import pytest

from numbascat.validation import as_flag, as_integer, as_real, check_choice, check_int, check_shape


@pytest.mark.parametrize("value, expected", [
    (4, 4), (np.int64(4), 4), (np.uint8(4), 4), (np.array(4), 4), (np.array(4, np.int16), 4),
    (True, None), (np.bool_(True), None), (np.array(True), None), (4.0, None),
    (np.array(4.0), None), (np.array([4]), None), ("4", None), (None, None)])
def test_as_integer(value, expected):
    assert as_integer(value) == expected
    if expected is not None:
        assert type(as_integer(value)) is int


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), (np.bool_(True), True), (np.array(False), False),
    (1, None), (np.array([True]), None), ("True", None)])
def test_as_flag(value, expected):
    assert as_flag(value) is expected


def test_as_real_and_checks():
    assert as_real(np.array(2.5)) == 2.5 and type(as_real(np.int64(3))) is int
    assert as_real(True) is None and as_real("1") is None
    assert check_int("J", np.array(3), minimum=1) == 3
    with pytest.raises(TypeError, match=r"J must be an integer, got array\(3\.5\)"):
        check_int("J", np.array(3.5))
    assert check_choice("pre_pad", np.array(True), (False, True)) is True
    assert check_choice("max_order", np.int64(2), (1, 2)) == 2
    assert check_shape("shape", np.array([8, 8]), 2) == (8, 8)
    assert check_shape("shape", (np.int64(8), np.array(6)), 2) == (8, 6)
    assert check_shape("shape", np.array(8), 1) == (8,)


FRONTENDS = ["numpy", "torch", "sklearn", "tensorflow", "jax"]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_numpy_integers_and_flags_on_every_frontend(frontend):
    import importlib

    pytest.importorskip({"numpy": "numpy", "torch": "torch", "sklearn": "sklearn",
                         "tensorflow": "tensorflow", "jax": "jax"}[frontend])
    module = importlib.import_module(f"numbascat.{frontend}")
    S1 = module.Scattering1D(np.array(3), np.int64(64), Q=(np.int64(2), np.array(1)),
                             max_order=np.array(2), oversampling=np.int32(0))
    S2 = module.Scattering2D(np.int64(1), (np.int64(8), np.array(8)), L=np.array(2),
                             pre_pad=np.bool_(False), max_order=np.int64(1))
    S3 = module.HarmonicScattering3D(np.array(1), (8, np.int64(8), 8), L=np.int64(1),
                                     rotation_covariant=np.array(True))
    if frontend == "sklearn":  # parameters are validated on first use
        for S, n in ((S1, 64), (S2, 64), (S3, 512)):
            assert S.transform(np.zeros((1, n))).shape[0] == 1
        return
    assert (S1.J, S1.shape, S1.Q, S1.max_order) == (3, (64,), (2, 1), 2)
    assert type(S1.J) is int and type(S1.oversampling) is int
    assert (S2.J, S2.shape, S2.L, S2.pre_pad, S2.max_order) == (1, (8, 8), 2, False, 1)
    assert (S3.J, S3.L, S3.rotation_covariant) == (1, 1, True)


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_kymatio_exception_types_and_texts_on_every_frontend(frontend):
    import importlib

    pytest.importorskip({"numpy": "numpy", "torch": "torch", "sklearn": "sklearn",
                         "tensorflow": "tensorflow", "jax": "jax"}[frontend])
    module = importlib.import_module(f"numbascat.{frontend}")

    def build(cls, **kw):
        S = getattr(module, cls)(**kw)
        if frontend == "sklearn":
            S.fit(np.zeros((1, 64)))
        return S

    with pytest.raises(ValueError, match=r"^Q should always be >= 1, got 0.9"):
        build("Scattering1D", J=3, shape=64, Q=0.9)
    with pytest.raises(NotImplementedError, match=r"^Q should be an integer, 1-tuple or "
                                                  r"2-tuple. Scattering transforms beyond "
                                                  r"order 2 are not implemented."):
        build("Scattering1D", J=3, shape=64, Q=(1, 2, 3))
    with pytest.raises(RuntimeError, match=r"^The smallest dimension should be larger than "
                                           r"2\^J\."):
        build("Scattering2D", J=4, shape=(8, 8))
