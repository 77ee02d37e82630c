"""The scikit-learn frontend: scattering transforms as stateless sklearn transformers.

``Scattering2D(J=2, shape=(8, 8)).transform(X)`` maps ``X`` of shape
``(n_samples, prod(shape))`` (each row a raveled signal) to ``(n_samples, n_features_out)``,
the raveled coefficients of each signal. As in Kymatio, ``n_features`` may be a multiple
``c * prod(shape)``: each row is then ``c`` channels (a raveled colour image, ``c = 3``) and
its output the ``c`` channels' coefficients one after the other. The estimators follow
sklearn's conventions:

- ``__init__`` stores its arguments verbatim and validates nothing, so ``get_params``,
  ``set_params`` and ``clone`` work and ``GridSearchCV`` can search over ``J``, ``L``, ...;
- the transform is built (and its parameters validated) on first use in ``fit`` / ``transform``,
  as a numpy-frontend transform kept until the parameters change;
- ``fit`` learns nothing (the transform is fixed): it validates and records ``n_features_in_``;
  ``transform`` works without ``fit`` (tag ``requires_fit=False``), like Kymatio's, whose
  ``predict`` alias is kept too.

The compute backend is the numpy frontend's default (numba when present, else numpy) unless
``backend=`` names one. float32 input gives float32 output, anything else float64.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array

from numbascat.frontends import numpy as numpy_frontend
from numbascat.scattering1d.transform import Scattering1DBase
from numbascat.scattering2d.transform import Scattering2DBase
from numbascat.scattering3d.transform import HarmonicScattering3DBase
from numbascat.scattering_jtfs.transform import TimeFrequencyScatteringBase

__all__ = ["HarmonicScattering3D", "Scattering1D", "Scattering2D", "SklearnFrontend",
           "TimeFrequencyScattering"]

# Attributes of the dimension base that live on the inner transform (used by its properties,
# e.g. ``padded_shape``); everything else missing is a genuine AttributeError.
_DELEGATED = frozenset({"params", "filters", "_plan", "block_bytes", "backend_source"})


def _freeze(value):
    """A comparable snapshot of a parameter value (lists become tuples, arrays bytes).

    Scalars keep their type: ``True == 1`` and ``2.0 == 2``, but ``J=True`` must not reuse a
    transform built for ``J=1`` (it is invalid).
    """
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return (type(value), value)


class SklearnFrontend(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Mixin: a stateless sklearn transformer wrapping a numpy-frontend transform."""

    frontend_name = "sklearn"
    array_kind = "numpy"
    #: The numpy-frontend class doing the work, set by each concrete class.
    _numpy_class: ClassVar[type]

    # ------------------------------------------------------------------ the inner transform
    def _scattering(self):
        """The numpy-frontend transform for the current parameters (built, validated, cached)."""
        params = self.get_params(deep=False)
        key = _freeze(tuple(sorted(params.items())))
        state = self.__dict__
        inner = state.get("_inner")
        try:
            same = inner is not None and state.get("_inner_key") == key
        except (TypeError, ValueError):  # an exotic parameter that cannot be compared
            same = False
        if not same:
            inner = self._numpy_class(**params)
            state["_inner"], state["_inner_key"] = inner, key
            state.pop("_n_out", None)
        return inner

    def __getattr__(self, name: str):
        if name in _DELEGATED:
            return getattr(self._scattering(), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        state = super().__getstate__()
        # The inner transform holds locks and backend objects; it is rebuilt on demand.
        return {k: v for k, v in state.items() if k not in ("_inner", "_inner_key", "_n_out")}

    @property
    def signal_shape(self) -> tuple[int, ...]:
        """Shape of one signal: each row of ``X`` is a raveled array of this shape."""
        inner = self._scattering()
        shape = getattr(getattr(inner, "params", None), "input_shape", None)
        return tuple(int(n) for n in (shape if shape is not None else np.atleast_1d(inner.shape)))

    @property
    def _n_features_out(self) -> int:
        n_out = self.__dict__.get("_n_out")
        if n_out is None:
            inner = self._scattering()
            empty = np.zeros((0,) + self.signal_shape, dtype=np.float32)
            n_out = int(np.prod(inner(empty).shape[1:], dtype=np.int64))
            self.__dict__["_n_out"] = n_out
        fitted = self.__dict__.get("n_features_in_")
        if fitted:  # fitted on several channels per row
            n_out *= max(1, fitted // int(np.prod(self.signal_shape, dtype=np.int64)))
        return n_out

    def meta(self) -> dict:
        """The inner transform's ``meta()`` (one row per channel, before raveling)."""
        return self._scattering().meta()

    def output_size(self, *args, **kwargs):
        """The inner transform's ``output_size()`` (number of channels)."""
        return self._scattering().output_size(*args, **kwargs)

    # ------------------------------------------------------------------ sklearn API
    def _check_X(self, X) -> np.ndarray:
        expected = int(np.prod(self.signal_shape, dtype=np.int64))
        if X is None:  # check_array would read it as the scalar NaN
            raise ValueError(f"X must be an array-like of shape (n_samples, {expected}), got "
                             f"None")
        X = check_array(X, dtype=(np.float64, np.float32), order="C", input_name="X")
        fitted = self.__dict__.get("n_features_in_")
        if fitted is not None and X.shape[1] != fitted:
            raise ValueError(f"X has n_features = {X.shape[1]}, but {type(self).__name__} is "
                             f"expecting {fitted} features as input (as in fit)")
        if X.shape[1] == 0 or X.shape[1] % expected:
            raise ValueError(f"X has n_features = {X.shape[1]}, but {type(self).__name__} is "
                             f"expecting {expected} features as input (signals of shape "
                             f"{self.signal_shape} raveled), or a multiple of {expected} "
                             f"(several channels per sample, as in Kymatio)")
        return X

    def fit(self, X, y=None):
        """Validate the parameters and ``X`` ``(n_samples, c * prod(shape))``; learns nothing
        but ``n_features_in_`` (``transform`` then expects that many features)."""
        self._scattering()
        self.__dict__.pop("n_features_in_", None)
        X = self._check_X(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Scatter each row: ``(n_samples, c * prod(shape))`` -> ``(n_samples, n_out)``.

        ``c >= 1`` channels per row (e.g. 3 for raveled colour images), as in Kymatio: each row
        is ``c`` signals one after the other, and its output their coefficients one after the
        other (``n_out = c * n_out_per_signal``).
        """
        X = self._check_X(X)
        inner = self._scattering()
        channels = X.shape[1] // int(np.prod(self.signal_shape, dtype=np.int64))
        S = inner(X.reshape((X.shape[0], channels) + self.signal_shape))
        return np.asarray(S).reshape(X.shape[0], -1)

    def predict(self, X):
        """Alias of :meth:`transform` (Kymatio's sklearn frontend has it)."""
        return self.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"requires_fit": False, "stateless": True,
                "preserves_dtype": [np.float64, np.float32]}


class Scattering1D(SklearnFrontend, Scattering1DBase):
    """1D scattering as a sklearn transformer: ``X (n_samples, N) -> (n_samples, n_out)``.

    Parameters as :class:`numbascat.numpy.Scattering1D` (``out_type`` is fixed to 'array').
    """

    _numpy_class = numpy_frontend.Scattering1D
    stride = None  # a plain attribute here (the transform base has a read-only property)

    def __init__(self, J, shape, Q=1, T=None, max_order=2, average=None,
                 oversampling=0, backend=None, *, stride=None, compat="0.3"):
        self.J, self.shape, self.Q, self.T = J, shape, Q, T
        self.max_order, self.average, self.oversampling = max_order, average, oversampling
        self.backend, self.stride, self.compat = backend, stride, compat


class Scattering2D(SklearnFrontend, Scattering2DBase):
    """2D scattering as a sklearn transformer: ``X (n_samples, M*N) -> (n_samples, n_out)``.

    Parameters as :class:`numbascat.numpy.Scattering2D` (``out_type`` is fixed to 'array');
    ``n_out = C * (M // 2^J) * (N // 2^J)`` with ``C`` channels (``output_size()``).
    """

    _numpy_class = numpy_frontend.Scattering2D

    def __init__(self, J, shape, L=8, max_order=2, pre_pad=False, backend=None):
        self.J, self.shape, self.L, self.max_order = J, shape, L, max_order
        self.pre_pad, self.backend = pre_pad, backend


class HarmonicScattering3D(SklearnFrontend, HarmonicScattering3DBase):
    """3D solid-harmonic scattering as a sklearn transformer: ``(n_samples, M*N*O) -> ...``.

    Parameters as :class:`numbascat.numpy.HarmonicScattering3D`.
    """

    _numpy_class = numpy_frontend.HarmonicScattering3D

    def __init__(self, J, shape, L=3, sigma_0=1, max_order=2, rotation_covariant=True,
                 method="integral", points=None, integral_powers=(0.5, 1.0, 2.0), backend=None):
        self.J, self.shape, self.L, self.sigma_0 = J, shape, L, sigma_0
        self.max_order, self.rotation_covariant = max_order, rotation_covariant
        self.method, self.points, self.integral_powers = method, points, integral_powers
        self.backend = backend


class TimeFrequencyScattering(SklearnFrontend, TimeFrequencyScatteringBase):
    """Joint time-frequency scattering as a sklearn transformer: ``X (n_samples, N) ->
    (n_samples, n_out)`` (format 'time' or 'joint', raveled per sample).

    Parameters as :class:`numbascat.numpy.TimeFrequencyScattering` (``out_type`` is fixed to
    'array').
    """

    _numpy_class = numpy_frontend.TimeFrequencyScattering
    # Plain attributes here (the transform base has read-only properties of these names).
    stride = stride_fr = None

    def __init__(self, J, J_fr, Q, shape, T=None, stride=None, Q_fr=1, F=None, stride_fr=None,
                 format="time", backend=None):
        self.J, self.J_fr, self.Q, self.shape, self.T = J, J_fr, Q, shape, T
        self.stride, self.Q_fr, self.F, self.stride_fr = stride, Q_fr, F, stride_fr
        self.format, self.backend = format, backend
