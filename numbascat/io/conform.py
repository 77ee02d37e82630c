"""Bring every input to the transform's layout ``(channels, *signal)`` and a common shape.

Policy (also in ``numbascat scatter --help``):

- the last ``dim`` axes of a file are the signal; leading axes are flattened into channels
  (audio channels, image colour bands, any leading axes of an array);
- ``--mono`` averages audio channels; ``--color gray`` (default) converts images to one band;
- ``--resample RATE`` resamples audio (polyphase, scipy) to one sample rate; without it, files
  of different rates are an error in single-output mode;
- with neither ``--crop`` nor ``--pad`` every signal must have the same shape (``--shape`` if
  given); ``--crop`` keeps the first samples of longer signals, ``--pad`` appends zeros to
  shorter ones; the common shape is ``--shape``, else the shortest (``--crop``) or the longest
  (``--pad``) shape among the inputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil

import numpy as np

from numbascat.io.readers import Probe, ReadError, read

__all__ = ["LoadOptions", "Layout", "common_shape", "layout", "load"]


@dataclass(frozen=True)
class LoadOptions:
    """How files are read and conformed (see the module docstring)."""

    dim: int
    color: str = "gray"
    size: tuple[int, int] | None = None
    key: str | None = None
    mono: bool = False
    resample: int | None = None
    crop: bool = False
    pad: bool = False
    shape: tuple[int, ...] | None = None
    dtype: str = "float32"


@dataclass(frozen=True)
class Layout:
    """A probed file seen by the transform: channel count, signal shape, sample rate."""

    path: str
    channels: int
    signal: tuple[int, ...]
    rate: int | None


def _resampled_length(n: int, rate: int, target: int) -> int:
    ratio = Fraction(target, rate)
    return ceil(n * ratio.numerator / ratio.denominator)


def layout(probe: Probe, opts: LoadOptions) -> Layout:
    """The layout of ``probe`` after reading and resampling; ReadError if it cannot fit."""
    dim = opts.dim
    if probe.kind == "audio" and dim != 1:
        raise ReadError(f"audio gives 1D signals, but --dim is {dim}")
    if probe.kind == "image" and dim != 2:
        raise ReadError(f"images give 2D signals, but --dim is {dim}")
    if len(probe.shape) < dim:
        raise ReadError(f"array of shape {probe.shape} has fewer than --dim={dim} axes")
    signal = tuple(probe.shape[-dim:])
    if min(signal, default=1) == 0:
        raise ReadError(f"empty signal of shape {probe.shape}")
    channels = int(np.prod(probe.shape[:-dim], dtype=np.int64))
    rate = probe.rate
    if probe.kind == "audio":
        if opts.mono:
            channels = 1
        if opts.resample is not None and rate != opts.resample:
            signal = (_resampled_length(signal[0], rate, opts.resample),)
            rate = opts.resample
    return Layout(probe.path, channels, signal, rate)


def _describe_groups(groups: dict, what: str, limit: int = 4) -> str:
    parts = []
    for value, paths in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(paths[:limit]) + (f" and {len(paths) - limit} more"
                                            if len(paths) > limit else "")
        parts.append(f"{what} {value}: {shown}")
    return "; ".join(parts)


def common_shape(layouts: list[Layout], opts: LoadOptions,
                 uniform: bool = True) -> tuple[int, ...]:
    """The one signal shape all ``layouts`` are brought to; ValueError naming the misfits.

    With ``uniform`` also checks that channel counts and sample rates agree (one output array
    holds them all).
    """
    if not layouts:
        raise ValueError("no readable input files")
    rates: dict[int | None, list[str]] = {}
    channels: dict[int, list[str]] = {}
    shapes: dict[tuple, list[str]] = {}
    for lay in layouts:
        rates.setdefault(lay.rate, []).append(lay.path)
        channels.setdefault(lay.channels, []).append(lay.path)
        shapes.setdefault(lay.signal, []).append(lay.path)
    if uniform and len(rates) > 1:
        raise ValueError("inputs have different sample rates (" + _describe_groups(rates, "rate")
                         + "); pass --resample RATE, or --per-file")
    if uniform and len(channels) > 1:
        raise ValueError("inputs have different channel counts ("
                         + _describe_groups(channels, "channels")
                         + "); pass --mono (audio), --color gray (images) or --per-file")
    if opts.shape is not None:
        target = tuple(opts.shape)
    elif opts.pad:
        target = tuple(np.max([s for s in shapes], axis=0).tolist())
    elif opts.crop:
        target = tuple(np.min([s for s in shapes], axis=0).tolist())
    else:  # the most common shape; the others are the misfits to report
        target = max(shapes, key=lambda s: len(shapes[s]))
    if not (opts.crop or opts.pad):
        bad = {s: p for s, p in shapes.items() if s != target}
        if bad:
            raise ValueError(
                f"inputs differ in signal shape (expected {target}; "
                + _describe_groups(bad, "shape") + "); pass --crop and/or --pad"
                + (" (with --shape)" if opts.shape is None else "") + ", or --per-file")
    else:
        for s, paths in shapes.items():
            if not opts.crop and any(a > b for a, b in zip(s, target, strict=True)):
                raise ValueError(f"signal shape {s} of {paths[0]} is larger than {target}; "
                                 f"pass --crop")
            if not opts.pad and any(a < b for a, b in zip(s, target, strict=True)):
                raise ValueError(f"signal shape {s} of {paths[0]} is smaller than {target}; "
                                 f"pass --pad")
    return target


def _fit(x: np.ndarray, target: tuple[int, ...]) -> np.ndarray:
    dim = len(target)
    lead = x.shape[:-dim]
    crop = (slice(None),) * len(lead) + tuple(slice(0, t) for t in target)
    x = x[crop]
    widths = [(0, 0)] * len(lead) + [(0, t - s) for s, t in zip(x.shape[-dim:], target,
                                                                   strict=True)]
    if any(w[1] for w in widths):
        x = np.pad(x, widths)
    return x


def load(path: str, opts: LoadOptions,
         target: tuple[int, ...] | None) -> tuple[np.ndarray, int | None]:
    """Read ``path`` as ``(channels, *signal)`` in ``opts.dtype``, fitted to ``target``.

    Returns the samples and the sample rate after resampling (None when not audio).

    ``target`` None keeps the file's own shape (per-file mode without --shape/--crop/--pad).
    """
    data, rate = read(path, color=opts.color, size=opts.size, key=opts.key)
    dim = opts.dim
    if data.ndim < dim:
        raise ReadError(f"array of shape {data.shape} has fewer than --dim={dim} axes")
    data = np.asarray(data).reshape((-1,) + data.shape[data.ndim - dim:])
    if rate is not None:
        if opts.mono and data.shape[0] > 1:
            data = data.mean(axis=0, keepdims=True)
        if opts.resample is not None and rate != opts.resample:
            from scipy.signal import resample_poly

            ratio = Fraction(opts.resample, rate)
            data = resample_poly(data, ratio.numerator, ratio.denominator, axis=-1)
            rate = opts.resample
    if not np.all(np.isfinite(data)):
        raise ReadError("holds NaN or infinite values")
    if target is not None and tuple(data.shape[1:]) != tuple(target):
        if not (opts.crop or opts.pad):
            raise ReadError(f"signal shape {data.shape[1:]} differs from {tuple(target)}")
        data = _fit(data, tuple(target))
    return np.ascontiguousarray(data, dtype=opts.dtype), rate
