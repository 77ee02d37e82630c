"""The drop-in table: public Kymatio 0.3 calls run in Kymatio and in numbascat.

Each case is a plain dict read by ``dropin_runner.run_case``. Optional keys used by the test:

- ``deliberate``: why numbascat differs from Kymatio here (README, "Moving from Kymatio");
- ``ours_error``: the exception type numbascat raises where Kymatio crashed with another one;
- ``prefix``: compare only this start of Kymatio's message (default: all of it);
- ``dtype``: numbascat's output dtype where it deliberately differs.
"""
from __future__ import annotations

import numpy as np

__all__ = ["build_cases"]

I = np.int64  # noqa: E741 -- NumPy integer scalars, as np.load gives them


def _x(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


ATTRS_1D = ["J", "shape", "Q", "T", "average", "max_order", "oversampling", "out_type", "N",
            "log2_T", "pad_left", "pad_right", "ind_start", "ind_end", "J_pad", "r_psi",
            "sigma0", "alpha", "frontend_name"]
ATTRS_2D = ["J", "shape", "L", "max_order", "pre_pad", "out_type", "frontend_name"]
ATTRS_3D = ["J", "shape", "L", "sigma_0", "max_order", "rotation_covariant", "method", "points",
            "integral_powers", "M", "N", "O", "frontend_name"]


def _cases_1d(rng, frontend="numpy", x_kind="numpy"):
    c = []

    def add(name, kwargs, xshape=None, **extra):
        case = {"id": f"{frontend}-1d-{name}", "kind": "object", "frontend": frontend,
                "cls": "Scattering1D", "kwargs": kwargs, **extra}
        if xshape is not None:
            case["x"], case["x_kind"] = _x(rng, xshape), x_kind
        c.append(case)

    full = {"attrs": ATTRS_1D, "meta": True}
    add("J3-N64", dict(J=3, shape=64), (2, 64), output_size={}, **full)
    add("J4-N256-Q8", dict(J=4, shape=256, Q=8), (3, 256), output_size={"detail": True}, **full)
    add("Q-2tuple", dict(J=5, shape=300, Q=(4, 2)), (2, 300), **full)
    add("Q-1tuple", dict(J=4, shape=128, Q=(3,)), (128,), **full)
    add("T-nonpow2", dict(J=5, shape=257, Q=2, T=20.5), (2, 257), **full)
    add("T-small", dict(J=5, shape=256, Q=1, T=8), (1, 256), **full)
    add("max_order1", dict(J=4, shape=128, Q=2, max_order=1), (2, 128), output_size={},
        **full)
    add("oversampling1", dict(J=4, shape=128, Q=2, oversampling=1), (2, 128), **full)
    add("out-dict", dict(J=3, shape=64, Q=2, out_type="dict"), (2, 64))
    add("out-list", dict(J=3, shape=64, Q=2, out_type="list"), (2, 64))
    add("T0-list", dict(J=3, shape=64, Q=2, T=0, out_type="list"), (2, 64))
    add("average-False-dict", dict(J=3, shape=64, average=False, out_type="dict"), (64,))
    add("batch-2x3", dict(J=3, shape=64), (2, 3, 64))
    add("scattering-method", dict(J=3, shape=64), (2, 64), method="scattering")
    # NumPy scalars and 0-d arrays wherever Kymatio takes an int (np.load gives these).
    add("np-int-J-shape-Q", dict(J=I(4), shape=I(128), Q=I(4)), (2, 128), **full)
    add("0d-J-shape", dict(J=np.array(4), shape=np.array(128), Q=2), (2, 128), **full)
    add("0d-Q", dict(J=4, shape=128, Q=np.array(2)), (2, 128))
    add("0d-T", dict(J=4, shape=128, T=np.array(8)), (2, 128))
    add("np-int-Q-tuple", dict(J=4, shape=128, Q=(I(4), np.array(2))), (128,), **full)
    add("np-int-shape-tuple", dict(J=3, shape=(I(64),)), (64,))
    add("np-int-T", dict(J=4, shape=128, T=I(8)), (128,), **full)
    add("np-int-max_order", dict(J=4, shape=128, max_order=np.array(1)), (128,),
        output_size={})
    add("np-int-oversampling", dict(J=4, shape=128, oversampling=I(1)), (128,))
    add("np-uint-J", dict(J=np.uint8(3), shape=np.int32(64)), (64,))
    add("0d-oversampling", dict(J=3, shape=64, oversampling=np.array(1)), (64,))
    # Kymatio leaves these unchecked; numbascat refuses them (README, deliberate differences).
    add("max_order3", dict(J=3, shape=64, max_order=3), (64,))
    add("J-float", dict(J=3.0, shape=64), (64,))
    # Invalid constructors: Kymatio's exception type and message first.
    add("Q-0.9", dict(J=3, shape=64, Q=0.9))
    add("Q-0", dict(J=3, shape=64, Q=0))
    add("Q-negative-tuple", dict(J=3, shape=64, Q=(2, 0)))
    add("Q-3tuple", dict(J=3, shape=64, Q=(1, 2, 3)))
    add("Q-list", dict(J=3, shape=64, Q=[8]))
    add("Q-2.5", dict(J=3, shape=64, Q=2.5))
    add("Q-0d-0.9", dict(J=3, shape=64, Q=np.array(0.9)))
    add("shape-2tuple", dict(J=3, shape=(64, 64)))
    add("shape-list", dict(J=3, shape=[64]))
    add("T-too-large", dict(J=3, shape=64, T=128))
    add("T0-average-True", dict(J=3, shape=64, T=0, average=True))
    add("T-0.5", dict(J=3, shape=64, T=0.5))
    add("average-False-T8", dict(J=3, shape=64, T=8, average=False))
    add("out_type-bad", dict(J=3, shape=64, out_type="foo"), (64,))
    add("array-unaveraged", dict(J=3, shape=64, T=0), (64,))
    add("oversampling-negative", dict(J=3, shape=64, oversampling=-1), (64,))
    add("oversampling-float", dict(J=3, shape=64, oversampling=1.5), (64,))
    add("vectorize", dict(J=3, shape=64, vectorize=True))
    add("pad-kwarg", dict(J=3, shape=64, pad=True))
    # Bad inputs.
    c.append({"id": f"{frontend}-1d-x-0d", "kind": "object", "frontend": frontend,
              "cls": "Scattering1D", "kwargs": dict(J=3, shape=64),
              "x": np.array(1.0, np.float32), "x_kind": x_kind})
    add("x-wrong-length", dict(J=3, shape=64), (2, 60))
    add("x-float64", dict(J=3, shape=64), None, x=_x(rng, (2, 64), np.float64), x_kind=x_kind)
    add("x-list", dict(J=3, shape=64), None, x=_x(rng, (64,)), x_kind="list")
    return c


def _cases_2d(rng, frontend="numpy", x_kind="numpy"):
    c = []

    def add(name, kwargs, xshape=None, **extra):
        case = {"id": f"{frontend}-2d-{name}", "kind": "object", "frontend": frontend,
                "cls": "Scattering2D", "kwargs": kwargs, **extra}
        if xshape is not None:
            case["x"], case["x_kind"] = _x(rng, xshape), x_kind
        c.append(case)

    add("J2-16x16", dict(J=2, shape=(16, 16)), (2, 16, 16), attrs=ATTRS_2D)
    add("J2-L4-24x20", dict(J=2, shape=(24, 20), L=4), (3, 24, 20), attrs=ATTRS_2D)
    add("J3-L2-32", dict(J=3, shape=(32, 32), L=2), (1, 32, 32))
    add("max_order1", dict(J=2, shape=(16, 16), L=4, max_order=1), (2, 16, 16))
    add("pre_pad", dict(J=2, shape=(16, 16), L=2, pre_pad=True), (2, 24, 24))
    add("out-list", dict(J=2, shape=(16, 16), L=2, out_type="list"), (2, 16, 16))
    add("batch-2x3", dict(J=1, shape=(8, 8), L=2), (2, 3, 8, 8))
    add("J-equals-size", dict(J=3, shape=(8, 8), L=2), (2, 8, 8))
    add("np-int", dict(J=I(2), shape=(I(16), np.array(16)), L=np.array(4)), (2, 16, 16),
        attrs=ATTRS_2D)
    add("0d-J-max_order", dict(J=np.array(2), shape=(16, 16), L=2, max_order=I(1)),
        (16, 16))
    add("np-bool-pre_pad", dict(J=1, shape=(8, 8), L=2, pre_pad=np.bool_(False)), (8, 8),
        attrs=ATTRS_2D)
    add("0d-bool-pre_pad", dict(J=1, shape=(8, 8), L=2, pre_pad=np.array(True)), (12, 12))
    add("np-int-shape-array", dict(J=2, shape=np.array([16, 16]), L=2), (16, 16))
    add("J-too-large", dict(J=4, shape=(8, 16)))
    add("J0", dict(J=0, shape=(8, 8), L=2), (8, 8))
    add("M-N-attributes", dict(J=1, shape=(8, 12), L=2), attrs=["M", "N"])
    add("J-too-large-np", dict(J=I(5), shape=(32, 16)))
    add("out_type-dict", dict(J=2, shape=(16, 16), out_type="dict"), (16, 16))
    add("x-1d", dict(J=2, shape=(16, 16), L=2), (16,))
    add("x-wrong-size", dict(J=2, shape=(16, 16), L=2), (2, 16, 12))
    add("x-pre_pad-wrong-size", dict(J=2, shape=(16, 16), L=2, pre_pad=True), (2, 16, 16))
    add("x-float64", dict(J=1, shape=(8, 8), L=2), None, x=_x(rng, (2, 8, 8), np.float64),
        x_kind=x_kind)
    add("x-list", dict(J=1, shape=(8, 8), L=2), None, x=_x(rng, (8, 8)), x_kind="list")
    return c


def _cases_3d(rng, frontend="numpy", x_kind="numpy"):
    c = []

    def add(name, kwargs, xshape=None, dtype=np.float32, **extra):
        case = {"id": f"{frontend}-3d-{name}", "kind": "object", "frontend": frontend,
                "cls": "HarmonicScattering3D", "kwargs": kwargs, **extra}
        if xshape is not None:
            case["x"], case["x_kind"] = np.abs(_x(rng, xshape, dtype)), x_kind
        c.append(case)

    add("J1-L1-8", dict(J=1, shape=(8, 8, 8), L=1), (2, 8, 8, 8), attrs=ATTRS_3D)
    add("J2-L2-powers", dict(J=2, shape=(8, 8, 8), L=2, integral_powers=[1.0, 2.0]),
        (1, 8, 8, 8), attrs=ATTRS_3D)
    add("max_order1", dict(J=1, shape=(8, 8, 8), L=1, max_order=1), (2, 8, 8, 8))
    add("not-covariant", dict(J=1, shape=(8, 8, 8), L=2, rotation_covariant=False),
        (1, 8, 8, 8))
    add("sigma_0-2", dict(J=1, shape=(8, 8, 8), L=1, sigma_0=2.0), (1, 8, 8, 8))
    add("nonsquare", dict(J=1, shape=(8, 6, 10), L=1), (1, 8, 6, 10))
    add("np-int", dict(J=I(1), shape=(I(8), np.array(8), 8), L=np.array(1),
                       max_order=I(2)), (1, 8, 8, 8), attrs=ATTRS_3D)
    add("np-bool-covariant", dict(J=1, shape=(8, 8, 8), L=1,
                                  rotation_covariant=np.bool_(False)), (1, 8, 8, 8))
    add("x-2d", dict(J=1, shape=(8, 8, 8), L=1), (8, 8))
    add("x-wrong-size", dict(J=1, shape=(8, 8, 8), L=1), (1, 8, 8, 6))
    add("x-float64", dict(J=1, shape=(8, 8, 8), L=1), (1, 8, 8, 8), dtype=np.float64)
    add("x-list", dict(J=1, shape=(8, 8, 8), L=1), None,
        x=np.abs(_x(rng, (1, 8, 8, 8))), x_kind="list")
    return c


def _cases_torch(rng):
    c = _cases_1d(rng, "torch", "torch") + _cases_2d(rng, "torch", "torch") \
        + _cases_3d(rng, "torch", "torch")
    for case in c:
        if case["id"] == "torch-1d-scattering-method":
            case["method"] = "forward"
    c.append({"id": "torch-1d-x-numpy", "kind": "object", "frontend": "torch",
              "cls": "Scattering1D", "kwargs": dict(J=3, shape=64),
              "x": _x(rng, (64,)), "x_kind": "numpy"})
    return c


def _cases_sklearn(rng):
    c = []

    def add(name, cls, kwargs, xshape=None, **extra):
        case = {"id": f"sklearn-{name}", "kind": "object", "frontend": "sklearn", "cls": cls,
                "kwargs": kwargs, "method": "transform", **extra}
        if xshape is not None:
            case["x"] = _x(rng, xshape)
        c.append(case)

    add("1d-transform", "Scattering1D", dict(J=3, shape=64, Q=2), (4, 64))
    add("1d-predict", "Scattering1D", dict(J=3, shape=64), (2, 64), method="predict")
    add("1d-channels", "Scattering1D", dict(J=3, shape=64), (2, 3 * 64))
    add("2d-transform", "Scattering2D", dict(J=2, shape=(8, 8), L=2), (3, 64))
    add("2d-channels-rgb", "Scattering2D", dict(J=2, shape=(8, 8), L=2), (2, 3 * 64))
    add("2d-np-int", "Scattering2D", dict(J=I(2), shape=(I(8), I(8)), L=np.array(2)),
        (2, 64))
    add("3d-transform", "HarmonicScattering3D", dict(J=1, shape=(8, 8, 8), L=1), (2, 512))
    add("2d-J-too-large", "Scattering2D", dict(J=4, shape=(8, 8)), (2, 64))
    add("1d-Q-0.9", "Scattering1D", dict(J=3, shape=64, Q=0.9), (2, 64))
    # Only J: numbascat's transformers keep their constructor arguments verbatim (sklearn's
    # get_params/clone contract), Kymatio's hold the built values (shape (64,), Q (2, 1)).
    add("1d-attrs", "Scattering1D", dict(J=3, shape=64, Q=2), attrs=["J"], meta=True,
        output_size={})
    return c


def _cases_entry_and_backends(rng):
    c = []

    def add(name, cls, kwargs, xshape=None, frontend="numpy", **extra):
        case = {"id": f"entry-{name}", "kind": "object", "entry": True, "frontend": frontend,
                "cls": cls, "kwargs": kwargs, **extra}
        if xshape is not None:
            case["x"] = _x(rng, xshape)
            case["x_kind"] = "torch" if frontend == "torch" else "numpy"
        c.append(case)

    add("1d-numpy", "Scattering1D", dict(J=3, shape=64), (2, 64))
    add("2d-NumPy-case", "Scattering2D", dict(J=1, shape=(8, 8), L=2), (8, 8),
        frontend="NumPy")
    add("2d-torch", "Scattering2D", dict(J=1, shape=(8, 8), L=2), (8, 8), frontend="torch")
    add("3d-numpy", "HarmonicScattering3D", dict(J=1, shape=(8, 8, 8), L=1), (1, 8, 8, 8))
    add("frontend-invalid", "Scattering2D", dict(J=1, shape=(8, 8)), frontend="mxnet",
        prefix="The frontend 'mxnet")
    add("1d-sklearn", "Scattering1D", dict(J=3, shape=64), (2, 64), frontend="sklearn",
        method="transform")

    def backend_case(name, cls, kwargs, frontend, backend=None, module=None, xshape=None):
        case = {"id": f"backend-{name}", "kind": "object", "frontend": frontend, "cls": cls,
                "kwargs": dict(kwargs)}
        if backend is not None:
            case["kwargs"]["backend"] = backend
        if module is not None:
            case["backend_module"] = module
        if xshape is not None:
            case["x"] = _x(rng, xshape)
            case["x_kind"] = "torch" if frontend == "torch" else "numpy"
        c.append(case)

    k1, k2, k3 = dict(J=3, shape=64), dict(J=1, shape=(8, 8), L=2), dict(J=1, shape=(8,) * 3,
                                                                           L=1)
    backend_case("1d-numpy-name", "Scattering1D", k1, "numpy", "numpy", xshape=(64,))
    backend_case("1d-torch-on-numpy", "Scattering1D", k1, "numpy", "torch")
    backend_case("2d-torch-on-numpy", "Scattering2D", k2, "numpy", "torch")
    backend_case("2d-numpy-on-torch", "Scattering2D", k2, "torch", "numpy")
    backend_case("1d-unknown", "Scattering1D", k1, "numpy", "numpy_nonexistent")
    backend_case("2d-unknown-torch", "Scattering2D", k2, "torch", "torch_nonexistent")
    for dim, cls, kw, xs in (("1d", "Scattering1D", k1, (64,)), ("2d", "Scattering2D", k2,
                                                                 (8, 8)),
                             ("3d", "HarmonicScattering3D", k3, (1, 8, 8, 8))):
        backend_case(f"{dim}-numpy-object", cls, kw, "numpy",
                     module=f"kymatio.scattering{dim}.backend.numpy_backend", xshape=xs)
        backend_case(f"{dim}-torch-object", cls, kw, "torch",
                     module=f"kymatio.scattering{dim}.backend.torch_backend", xshape=xs)
        backend_case(f"{dim}-torch-object-on-numpy", cls, kw, "numpy",
                     module=f"kymatio.scattering{dim}.backend.torch_backend")
    return c


def _cases_helpers(rng, tmp):
    c = []

    def add(name, func, *args, **kwargs):
        c.append({"id": f"helper-{name}", "kind": "helper", "func": func, "args": list(args),
                  "kwargs": kwargs})

    sff = "kymatio.scattering1d.filter_bank.scattering_filter_factory"
    add("sff-1024-J5-Q8-T32", sff, 1024, 5, (8, 1), 32)
    add("sff-Q-8-2", sff, 1024, 5, (8, 2), 32)
    add("sff-T8", sff, 1024, 5, (8, 1), 8)
    add("sff-T12.5", sff, 1024, 5, (8, 1), 12.5)
    add("sff-Q1", sff, 512, 4, (1, 1), 16)
    add("sff-256-J8", sff, 256, 8, (2, 1), 256)
    add("sff-max_subsampling0", sff, 1024, 5, (8, 1), 32, max_subsampling=0)
    add("sff-max_subsampling3", sff, 1024, 5, (8, 1), 32, max_subsampling=3)
    add("sff-sigma0", sff, 1024, 5, (8, 1), 32, sigma0=0.2)
    add("sff-alpha", sff, 1024, 5, (8, 1), 32, alpha=3.0)
    add("sff-r_psi", sff, 1024, 5, (8, 1), 32, r_psi=0.5)
    add("sff-extra-kwarg", sff, 512, 4, (2, 1), 16, criterion_amplitude=1e-3)
    add("sff-np-int", sff, I(512), I(4), (I(2), I(1)), I(16))
    add("sff-Q-int", sff, 1024, 5, 8, 32)
    add("sff-T-None", sff, 1024, 5, (8, 1), None)
    fb = "kymatio.scattering2d.filter_bank.filter_bank"
    add("fb-32-J2-L4", fb, 32, 32, 2, L=4)
    add("fb-48x40-J3-L2", fb, 48, 40, 3, L=2)
    add("fb-16-J1", fb, 16, 16, 1, L=3)
    add("fb-default-L", fb, 16, 16, 2)
    gw = "kymatio.scattering3d.utils.generate_weighted_sum_of_gaussians"
    M = 8
    grid = np.mgrid[-M // 2:-M // 2 + M, -M // 2:-M // 2 + M, -M // 2:-M // 2 + M]
    pos = rng.uniform(-3, 3, (3, 4, 3))
    w = rng.uniform(0, 2, (3, 4))
    add("gauss-8", gw, grid, pos, w, 1.5)
    add("gauss-8-float-grid", gw, grid.astype(np.float32), pos, w, 2.0)
    grid2 = np.mgrid[-4:4, -3:3, -5:5]
    add("gauss-nonsquare", gw, grid2, pos[:1], w[:1], 1.0)
    vol = np.abs(_x(rng, (2, 6, 6, 6)))
    add("numpy-compute_integrals", "kymatio.scattering3d.backend.numpy_backend."
        "NumpyBackend3D.compute_integrals", vol, [0.5, 1.0, 2.0])
    add("numpy-compute_integrals-f64", "kymatio.scattering3d.backend.numpy_backend."
        "NumpyBackend3D.compute_integrals", vol.astype(np.float64), [1.0, 3.0])
    c.append({"id": "helper-torch-compute_integrals", "kind": "helper",
              "func": "kymatio.scattering3d.backend.torch_backend.TorchBackend3D."
                      "compute_integrals", "args": [vol, [0.5, 1.0, 2.0]], "kwargs": {},
              "x_kind": "torch"})
    c.append({"id": "helper-torch-compute_integrals-f64", "kind": "helper",
              "func": "kymatio.scattering3d.backend.torch_backend.TorchBackend3D."
                      "compute_integrals", "args": [vol.astype(np.float64), [2.0]],
              "kwargs": {}, "x_kind": "torch"})
    add("backend-name-1d-numpy", "kymatio.scattering1d.backend.numpy_backend.backend.name")
    cache = "kymatio.caching.get_cache_dir"
    add("cache-dir-named", cache, "qm7", cache_base_dir=f"{tmp}/cache")
    add("cache-dir-root", cache, cache_base_dir=f"{tmp}/cache")
    add("cache-dir-missing-nocreate", cache, "absent", cache_base_dir=f"{tmp}/cache",
        create=False)
    add("cache-base-explicit", "kymatio.caching.find_cache_base_dir", f"{tmp}/x")
    ds = "kymatio.datasets.get_dataset_dir"
    add("dataset-dir", ds, "fsdd", datasets_base_dir=f"{tmp}/data")
    add("dataset-dir-missing-nocreate", ds, "absent", datasets_base_dir=f"{tmp}/data",
        create=False)
    add("datasets-base-explicit", "kymatio.datasets.find_datasets_base_dir", f"{tmp}/y")
    return c


ACCEPTS_NUMPY_INTS = ("numbascat accepts NumPy integer scalars and 0-d integer arrays wherever "
                      "an int is expected (Kymatio 0.3 refuses them for Q and shape)")
ACCEPTS_ARRAY_LIKE = "the numpy frontend takes anything np.asarray accepts (Kymatio crashes)"
ACCEPTS_FLOAT64_TORCH = "the torch frontend computes float64 tensors in float64 (Kymatio refuses)"
TORCH_TYPE_ERROR = "a non-tensor input is a TypeError naming the fix (Kymatio: AttributeError)"
KEEPS_FLOAT64_3D = "3D float64 input stays float64 (Kymatio rounds it to float32)"

#: (id suffix, fields) applied to every case whose id ends with the suffix.
MARKS = [
    ("1d-np-int-J-shape-Q", {"deliberate": ACCEPTS_NUMPY_INTS}),
    ("1d-0d-J-shape", {"deliberate": ACCEPTS_NUMPY_INTS}),
    ("1d-0d-Q", {"deliberate": ACCEPTS_NUMPY_INTS}),
    ("1d-0d-oversampling", {"deliberate": ACCEPTS_NUMPY_INTS}),
    ("1d-max_order3", {"deliberate": "max_order must be 1 or 2 (Kymatio computes orders 0-1 "
                                     "for 3 and its meta() disagrees)",
                       "ours_error": "ValueError"}),
    ("1d-J-float", {"deliberate": "J must be an integer", "ours_error": "TypeError"}),
    ("2d-J0", {"deliberate": "J must be >= 1 (Kymatio crashes)", "ours_error": "ValueError"}),
    ("2d-M-N-attributes", {"deliberate": "S.M and S.N work (NameError in Kymatio)"}),
    # Kymatio's message names its own class (ScatteringNumPy1D.__init__()); same type.
    ("1d-vectorize", {"ours_error": "TypeError"}),
    ("1d-pad-kwarg", {"ours_error": "TypeError"}),
    ("numpy-1d-x-list", {"deliberate": ACCEPTS_ARRAY_LIKE}),
    ("numpy-2d-x-list", {"deliberate": ACCEPTS_ARRAY_LIKE}),
    ("numpy-3d-x-list", {"deliberate": ACCEPTS_ARRAY_LIKE}),
    ("numpy-3d-x-float64", {"deliberate": KEEPS_FLOAT64_3D, "dtype": "float64"}),
    ("torch-1d-x-float64", {"deliberate": ACCEPTS_FLOAT64_TORCH}),
    ("torch-2d-x-float64", {"deliberate": ACCEPTS_FLOAT64_TORCH}),
    ("torch-3d-x-float64", {"deliberate": ACCEPTS_FLOAT64_TORCH}),
    ("torch-1d-x-list", {"deliberate": TORCH_TYPE_ERROR, "ours_error": "TypeError"}),
    ("torch-2d-x-list", {"deliberate": TORCH_TYPE_ERROR, "ours_error": "TypeError"}),
    ("torch-3d-x-list", {"deliberate": TORCH_TYPE_ERROR, "ours_error": "TypeError"}),
    ("torch-1d-x-numpy", {"deliberate": TORCH_TYPE_ERROR, "ours_error": "TypeError"}),
    # numbascat keeps the validated powers as a tuple; Kymatio the object given.
    ("3d-J2-L2-powers", {"sequence_type_free": True}),
    # Kymatio's message is a crash inside its arithmetic; same type, numbascat's words.
    ("helper-sff-T-None", {"ours_error": "TypeError"}),
]


def _mark(cases):
    for case in cases:
        for suffix, fields in MARKS:
            if case["id"].endswith(suffix):
                case.update(fields)
    return cases


def build_cases(tmp: str, frontends=("numpy", "torch", "sklearn")) -> list[dict]:
    """The whole table; ``tmp`` is a scratch directory for the cache/dataset helpers."""
    rng = np.random.default_rng(15)
    cases = []
    if "numpy" in frontends:
        cases += _cases_1d(rng) + _cases_2d(rng) + _cases_3d(rng)
    if "torch" in frontends:
        cases += _cases_torch(rng)
    if "sklearn" in frontends:
        cases += _cases_sklearn(rng)
    cases += _cases_entry_and_backends(rng) + _cases_helpers(rng, tmp)
    _mark(cases)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases
