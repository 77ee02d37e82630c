"""Conformance kit for backends: :func:`check_backend` (public; plugins call it in their tests).

Every operation of the operator API (:mod:`numbascat.backend_api`) is run on random inputs and
compared with the numpy reference backend, in float32 and float64, for every signal dimension
the backend declares; then a small scattering transform of each available dimension is compared
end to end. A failure raises ``AssertionError`` naming the backend, the operation, the dimension
and the dtype.

Real spectra are only compared through
:meth:`~numbascat.backend_api.Backend.to_full_spectrum` or ``irfft`` round trips, since each
backend owns its spectrum layout. Only public numbascat API is used.

Examples
--------
>>> from numbascat.testing import check_backend
>>> check_backend("numpy")                                          # doctest: +SKIP
"""
from __future__ import annotations

import importlib

import numpy as np

from numbascat.backend_api import Backend, FilterRole
from numbascat.registry import get_backend

__all__ = ["check_backend"]

#: Signal shapes per dimension, each with the periodisation factors tried on it.
_CASES = {
    1: [((16,), [(1,), (2,), (4,), (16,)]), ((15,), [(1,), (3,), (5,)])],
    2: [((8, 12), [(1, 1), (2, 2), (2, 4), (8, 3)]), ((6, 5), [(1, 1), (3, 5), (2, 1)])],
    3: [((4, 6, 8), [(1, 1, 1), (2, 3, 2), (4, 2, 8)]), ((3, 4, 5), [(1, 1, 1), (3, 2, 5)])],
}
_LEAD = (2, 3)
_DEFAULT_RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}
_COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64),
            np.dtype(np.float64): np.dtype(np.complex128)}


class _Checker:
    def __init__(self, backend: Backend, ref: Backend, dtype, rtol: float, seed: int):
        self.b, self.ref = backend, ref
        self.dtype = np.dtype(dtype)
        self.cdtype = _COMPLEX[self.dtype]
        self.rtol = rtol
        self.rng = np.random.default_rng(seed)
        self.where = ""

    # ---------------------------------------------------------------- helpers
    def real(self, shape, positive=False):
        x = self.rng.standard_normal(shape)
        return (np.abs(x) + 0.1 if positive else x).astype(self.dtype)

    def cplx(self, shape):
        z = self.rng.standard_normal(shape) + 1j * self.rng.standard_normal(shape)
        return z.astype(self.cdtype)

    def np_(self, x):
        return np.asarray(self.b.to_numpy(x))

    def close(self, op, got, want, dtype):
        got = self.np_(got) if not isinstance(got, np.ndarray) else got
        want = np.asarray(want)
        where = f"{op} ({self.where}, {self.dtype.name})"
        assert got.shape == want.shape, f"{where}: shape {got.shape}, expected {want.shape}"
        assert got.dtype == np.dtype(dtype), f"{where}: dtype {got.dtype}, expected " \
                                              f"{np.dtype(dtype)} (no promotion allowed)"
        scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-30)
        err = float(np.max(np.abs(got.astype(complex) - want))) if want.size else 0.0
        assert err <= self.rtol * scale, f"{where}: max error {err:.3g} exceeds " \
                                         f"{self.rtol:g} x max|reference| ({scale:.3g})"

    def ref_arr(self, x):
        return self.ref.from_numpy(x)

    # ---------------------------------------------------------------- checks
    def run(self, d):
        for s, ks in _CASES[d]:
            self.where = f"{d}D signal {s}"
            self.check_layout(d, s)
            self.check_ffts(d, s)
            for k in ks:
                self.where = f"{d}D signal {s}, k={k}"
                self.check_filters(d, s, k)
            self.where = f"{d}D signal {s}"
            self.check_pointwise(d, s)
        if d == 1:
            self.check_frequency_axis()

    def check_layout(self, d, s):
        b, x = self.b, self.real(_LEAD + s)
        bx = b.from_numpy(x)
        for widths in [((1, 2),) * d, tuple((n - 1, n) for n in s), tuple((2 * n + 1, 3 * n)
                                                                         for n in s)]:
            want = np.pad(x, [(0, 0)] * len(_LEAD) + list(widths), mode="reflect")
            self.close(f"pad{widths}", b.pad(bx, widths), want, self.dtype)
        starts, stops = (1,) * d, tuple(n - 1 for n in s)
        index = (Ellipsis,) + tuple(slice(1, n - 1) for n in s)
        self.close("crop", b.crop(bx, starts, stops), x[index], self.dtype)
        self.close("reshape", b.reshape(bx, (6,) + s), x.reshape((6,) + s), self.dtype)
        self.close("take", b.take(bx, np.array([2, 0]), axis=1), x[:, [2, 0]], self.dtype)
        self.close("concatenate", b.concatenate([bx, bx[:, :1]], axis=1),
                   np.concatenate([x, x[:, :1]], axis=1), self.dtype)
        assert tuple(b.shape(bx)) == x.shape, f"shape ({self.where}): {b.shape(bx)}"
        assert np.dtype(b.real_dtype(bx)) == self.dtype, f"real_dtype ({self.where})"
        blocks = [self.real((2, c) + s) for c in (1, 3, 2)]
        order = self.rng.permutation(6)
        want = np.concatenate(blocks, axis=1)[:, order]
        self.close("assemble", b.assemble([b.from_numpy(v) for v in blocks], order), want,
                   self.dtype)

    def check_ffts(self, d, s):
        b, axes = self.b, tuple(range(-d, 0))
        x = self.real(_LEAD + s)
        X = b.rfft(b.from_numpy(x), d)
        full = np.fft.fftn(x.astype(np.float64), axes=axes)
        self.close("rfft/to_full_spectrum", b.to_full_spectrum(X, d, s), full, self.cdtype)
        self.close("irfft(rfft(x))", b.irfft(X, d, s), x, self.dtype)
        self.close("rfft (input unchanged)", b.from_numpy(x), x, self.dtype)
        z = self.cplx(_LEAD + s)
        zc = z.astype(np.complex128)
        self.close("fft", b.fft(b.from_numpy(z), d), np.fft.fftn(zc, axes=axes), self.cdtype)
        self.close("ifft", b.ifft(b.from_numpy(z), d), np.fft.ifftn(zc, axes=axes),
                   self.cdtype)
        self.close("real", b.real(b.from_numpy(z)), z.real, self.dtype)
        self.close("modulus", b.modulus(b.from_numpy(z)), np.abs(zc), self.dtype)
        self.close("ifft_modulus", b.ifft_modulus(b.from_numpy(z), d),
                   np.abs(np.fft.ifftn(zc, axes=axes)), self.dtype)
        u, U = b.ifft_modulus_rfft(b.from_numpy(z), d)
        u_want = np.abs(np.fft.ifftn(zc, axes=axes))
        self.close("ifft_modulus_rfft (u)", u, u_want, self.dtype)
        self.close("ifft_modulus_rfft (spectrum)", b.to_full_spectrum(U, d, s),
                   np.fft.fftn(u_want, axes=axes), self.cdtype)
        self.close("ifft (input unchanged)", b.from_numpy(z), z, self.cdtype)
        for axis in (0, 1, -d - 1):
            want = np.sqrt(np.sum(np.abs(np.fft.ifftn(zc, axes=axes)) ** 2, axis=axis))
            self.close(f"quadrature_modulus(axis={axis})",
                       b.quadrature_modulus(b.from_numpy(z), d, axis), want, self.dtype)

    def check_filters(self, d, s, k):
        b, ref = self.b, self.ref
        axes = tuple(range(-d, 0))
        x = self.real(_LEAD + s)
        X, Xr = b.rfft(b.from_numpy(x), d), ref.rfft(self.ref_arr(x), d)
        s_low = tuple(n // kk for n, kk in zip(s, k, strict=True))
        real_f = self.rng.standard_normal((3,) + s)
        complex_f = real_f + 1j * self.rng.standard_normal((3,) + s)
        for label, f in (("real", real_f), ("complex", complex_f)):
            for fdtype in (np.float64, self.dtype):  # filters in any precision are cast
                f_cast = f.astype(np.result_type(fdtype, f.dtype))
                pf = b.prepare_filters(f_cast, self.dtype, FilterRole.WAVELET)
                pr = ref.prepare_filters(f_cast, self.dtype, FilterRole.WAVELET)
                want = self.np_ref(ref.multiply_subsample(Xr, pr, k, d))
                self.close(f"multiply_subsample({label} filters)", b.multiply_subsample(
                    X, pf, k, d), want, self.cdtype)
                # The spectra of the moduli, compared as full spectra (any half layout).
                u_want = np.abs(np.fft.ifftn(want.astype(np.complex128), axes=axes))
                self.close(f"wavelet_modulus_rfft({label} filters)",
                           b.to_full_spectrum(b.wavelet_modulus_rfft(X, pf, k, d), d, s_low),
                           np.fft.fftn(u_want, axes=axes), self.cdtype)
                # The same stack twice in one sequence: each result as alone.
                for i, got in enumerate(b.wavelet_modulus_rfft_stacks(X, iter([(pf, k)] * 2), d)):
                    self.close(f"wavelet_modulus_rfft_stacks({label} filters), item {i}",
                               b.to_full_spectrum(got, d, s_low),
                               np.fft.fftn(u_want, axes=axes), self.cdtype)
                if all(kk == 1 for kk in k):
                    self.close(f"multiply({label} filters)", b.multiply(X, pf, d),
                               self.np_ref(ref.multiply(Xr, pr, d)), self.cdtype)
                if b.filter_row_views:  # a view of rows 1:3 filters as those rows alone
                    rows = b.filter_rows(pf, 1, 3)
                    self.close(f"multiply_subsample(filter_rows of {label} filters)",
                               b.multiply_subsample(X, rows, k, d),
                               np.take(want, [1, 2], axis=-(d + 1)), self.cdtype)
        self.check_wavelet_quadrature(d, s, x, X, complex_f)
        full = self.cplx(_LEAD + (3,) + s)
        self.close("subsample", b.subsample(b.from_numpy(full), k),
                   self.np_ref(ref.subsample(self.ref_arr(full), k)), self.cdtype)
        phi = np.abs(self.rng.standard_normal((1,) + s))
        for label, f in (("real", phi), ("complex", phi + 0.5j * self.rng.standard_normal(
                phi.shape))):
            pf = b.prepare_filters(f, self.dtype, FilterRole.LOWPASS)
            pr = ref.prepare_filters(f, self.dtype, FilterRole.LOWPASS)
            got = b.lowpass_irfft(X, pf, k, d, s)
            want = self.np_ref(ref.lowpass_irfft(Xr, pr, k, d, s))
            assert want.shape == _LEAD + s_low
            self.close(f"lowpass_irfft({label} filter)", got, want, self.dtype)

    def check_wavelet_quadrature(self, d, s, x, X, f):
        """``wavelet_quadrature`` on a random complex stack and on one whose outer rows are
        conjugate mirrors (``f2[k] = conj(f0[-k])``, as the solid harmonics' orders +-m)."""
        b = self.b
        axes = tuple(range(-d, 0))
        mirrored = np.conj(f[0])
        for axis in axes:
            mirrored = np.take(mirrored, (-np.arange(s[axis])) % s[axis], axis=axis)
        paired = np.stack([f[0], f[1], mirrored])
        powers = (0.5, 1.0, 2.0)
        x_full = np.fft.fftn(x.astype(np.float64), axes=axes)
        for label, stack in (("random", f), ("conjugate pairs", paired)):
            stack = stack.astype(self.cdtype)
            y = np.fft.ifftn(np.expand_dims(x_full, -d - 1) * stack, axes=axes)
            u_want = np.sqrt(np.sum(np.abs(y) ** 2, axis=-d - 1))
            sums_want = np.stack([np.sum(u_want ** q, axis=axes) for q in powers], axis=-1)
            pf = b.prepare_filters(stack, self.dtype, FilterRole.WAVELET)
            u, sums = b.wavelet_quadrature(X, pf, d, powers, True)
            self.close(f"wavelet_quadrature({label}, u)", u, u_want, self.dtype)
            self.close(f"wavelet_quadrature({label}, sums)", sums, sums_want, self.dtype)
            none, sums = b.wavelet_quadrature(X, pf, d, powers, False)
            assert none is None, "wavelet_quadrature(keep_modulus=False) must return None"
            self.close(f"wavelet_quadrature({label}, sums only)", sums, sums_want, self.dtype)

    def check_pointwise(self, d, s):
        b = self.b
        u = self.real(_LEAD + s, positive=True)
        powers = (0.5, 1.0, 2.0, 3.0)
        want = np.stack([np.sum(u.astype(np.float64) ** q, axis=tuple(range(-d, 0)))
                         for q in powers], axis=-1)
        self.close("sum_powers", b.sum_powers(b.from_numpy(u), powers, d), want, self.dtype)
        out = b.output_array((2, 5) + s, self.dtype)
        if out is not None:  # optional: backends filling outputs in place
            blocks = [(self.real((2, 2) + s), [3, 1]), (self.real((2, 3) + s), [0, 2, 4])]
            want = np.empty((2, 5) + s, self.dtype)
            for block, channels in blocks:
                b.write_channels(out, b.from_numpy(block), channels)
                want[:, channels] = block
            self.close("output_array/write_channels", out, want, self.dtype)

    def check_frequency_axis(self):
        """The joint time-frequency ops along axis -2 of ``(..., n, t)`` arrays."""
        b, ref = self.b, self.ref
        n, t = 12, 6
        phi = self.real((1, t))
        phi_t = b.prepare_filters(phi, self.dtype, FilterRole.LOWPASS)
        phi_tr = ref.prepare_filters(phi, self.dtype, FilterRole.LOWPASS)
        for label, x in (("real", self.real(_LEAD + (n - 3, t))),
                         ("complex", self.cplx(_LEAD + (n - 3, t)))):
            self.where = f"frequency axis, {label} input ({n}, {t})"
            dtype = self.dtype if label == "real" else self.cdtype
            xp = b.pad_zeros(b.from_numpy(x), ((0, 3), (0, 0)))
            self.close("pad_zeros", xp, np.pad(x, [(0, 0)] * len(_LEAD) + [(0, 3), (0, 0)]),
                       dtype)
            xp_ref = ref.pad_zeros(self.ref_arr(x), ((0, 3), (0, 0)))
            for fkind in ("real", "complex"):
                f = self.real((3, n, 1)) if fkind == "real" else self.cplx((3, n, 1))
                pf, pr = b.prepare_filters(f, self.dtype), ref.prepare_filters(f, self.dtype)
                X, Xr = b.frequency_fft(xp, label == "real"), ref.frequency_fft(xp_ref,
                                                                                label == "real")
                if fkind == "real":  # the fused padding gives the same spectrum
                    Xp = b.frequency_fft_padded(b.from_numpy(x), n, label == "real")
                    self.close("frequency_fft_padded", b.frequency_filter(Xp, pf, 1),
                               self.np_ref(ref.frequency_filter(Xr, pr, 1)), self.cdtype)
                for k in (1, 2, 4):
                    got = b.frequency_filter(X, pf, k)
                    want = self.np_ref(ref.frequency_filter(Xr, pr, k))
                    self.close(f"frequency_filter({fkind} filters, k={k})", got, want,
                               self.cdtype)
                    self.close(f"frequency_modulus({fkind} filters, k={k})",
                               b.frequency_modulus(X, pf, k),
                               self.np_ref(ref.frequency_modulus(Xr, pr, k)), self.dtype)
                    for kt in (1, 2):
                        got = b.frequency_modulus(X, pf, k, (phi_t, kt))
                        want = self.np_ref(ref.frequency_modulus(Xr, pr, k, (phi_tr, kt)))
                        self.close(f"frequency_modulus({fkind} filters, k={k}, time lowpass "
                                   f"kt={kt})", got, want, self.dtype)
        u = self.real(_LEAD + (n, t), positive=True)
        phi = self.real((1, n // 2, 1))
        pf, pr = b.prepare_filters(phi, self.dtype), ref.prepare_filters(phi, self.dtype)
        half = self.real(_LEAD + (n // 2, t))
        self.close("frequency_lowpass", b.frequency_lowpass(b.from_numpy(half), pf, 3),
                   self.np_ref(ref.frequency_lowpass(self.ref_arr(half), pr, 3)), self.dtype)
        self.close("frequency_sum", b.frequency_sum(b.from_numpy(u)),
                   u.sum(axis=-2, keepdims=True), self.dtype)

    def np_ref(self, x):
        return np.asarray(self.ref.to_numpy(x))


# ---------------------------------------------------------------------------------- transforms
_TRANSFORMS = {
    1: ("Scattering1D", {"J": 3, "shape": 256, "Q": 2}, (2, 256)),
    2: ("Scattering2D", {"J": 2, "shape": (16, 16), "L": 4}, (2, 16, 16)),
    3: ("HarmonicScattering3D", {"J": 1, "shape": (8, 8, 8), "L": 1}, (2, 8, 8, 8)),
}
#: Also compared end to end in 1D (joint time-frequency scattering, both formats).
_JTFS = [("TimeFrequencyScattering", {"J": 3, "J_fr": 1, "Q": 2, "shape": 256}, (2, 256)),
         ("TimeFrequencyScattering", {"J": 4, "J_fr": 2, "Q": 3, "shape": 256, "F": 2,
                                      "format": "joint"}, (2, 256))]


def _frontend_for(backend: Backend):
    for kind in backend.info.array_kinds:
        try:
            return importlib.import_module(f"numbascat.{kind}")
        except ImportError:
            continue
    return None


def _check_transform(backend: Backend, d: int, dtype, rtol: float, seed: int) -> bool:
    """Compare small ``d``-D transforms with the numpy reference; False when unavailable."""
    frontend = _frontend_for(backend)
    cases = [_TRANSFORMS[d]] + (_JTFS if d == 1 else [])
    done = False
    for name, params, shape in cases:
        if frontend is None or not hasattr(frontend, name):
            continue
        done = _compare_transform(backend, frontend, name, params, shape, dtype, rtol,
                                  seed) or done
    return done


def _compare_transform(backend, frontend, name, params, shape, dtype, rtol, seed) -> bool:
    import numbascat.numpy as reference_frontend

    try:
        reference = getattr(reference_frontend, name)(backend="numpy", **params)
    except NotImplementedError:
        return False
    S = getattr(frontend, name)(backend=backend, **params)
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    want = np.asarray(reference(x))
    got = S(backend.from_numpy(x))
    got = np.asarray(backend.to_numpy(got))
    where = f"{name}{params} end to end ({np.dtype(dtype).name})"
    assert got.shape == want.shape, f"{where}: shape {got.shape}, expected {want.shape}"
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype}, expected {want.dtype}"
    err = float(np.max(np.abs(got - want)))
    scale = float(np.max(np.abs(want)))
    assert err <= rtol * scale, f"{where}: max error {err:.3g} > {rtol:g} x {scale:.3g}"
    return True


def check_backend(name_or_backend: str | Backend, dims=None,
                  dtypes=(np.float32, np.float64), rtol: float | None = None, seed: int = 0,
                  end_to_end: bool = True) -> dict:
    """Check every operation of a backend against the numpy reference backend.

    Parameters
    ----------
    name_or_backend : str or Backend
        A registered backend name or an instance.
    dims : iterable of int, optional
        Signal dimensions to check (default: all the backend declares in ``info.dims``).
    dtypes : iterable of dtypes
        Real precisions to check (float32 and float64 by default).
    rtol : float, optional
        Allowed max error relative to max|reference| (default 1e-5 in float32, 1e-10 in
        float64).
    seed : int
        Seed of the random inputs.
    end_to_end : bool
        Also compare a small scattering transform per dimension whose transform exists.

    Returns
    -------
    dict with ``'ops'``: the (dimension, dtype) pairs checked, and ``'transforms'``: the
    dimensions compared end to end.

    Raises
    ------
    AssertionError
        Naming the failing operation, dimension and dtype.
    """
    backend = (name_or_backend if isinstance(name_or_backend, Backend)
               else get_backend(name_or_backend))
    reference = get_backend("numpy")
    dims = tuple(backend.info.dims if dims is None else dims)
    for d in dims:
        if d not in (1, 2, 3):
            raise ValueError(f"dims must be a subset of (1, 2, 3); got {dims}")
    report = {"ops": [], "transforms": []}
    for dtype in dtypes:
        dtype = np.dtype(dtype)
        if dtype not in _DEFAULT_RTOL:
            raise ValueError(f"dtypes must be float32 and/or float64; got {dtype}")
        tol = _DEFAULT_RTOL[dtype] if rtol is None else rtol
        checker = _Checker(backend, reference, dtype, tol, seed)
        for d in dims:
            try:
                checker.run(d)
            except AssertionError as exc:
                raise AssertionError(f"backend {backend.name!r}: {exc}") from None
            report["ops"].append((d, dtype.name))
            if end_to_end:
                try:
                    ok = _check_transform(backend, d, dtype, tol, seed)
                except AssertionError as exc:
                    raise AssertionError(f"backend {backend.name!r}: {exc}") from None
                if ok and d not in report["transforms"]:
                    report["transforms"].append(d)
    return report
