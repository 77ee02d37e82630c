"""Small deterministic example signals, generated (nothing is downloaded or shipped as data).

- :func:`chirp`: an exponential sine sweep with a decaying click train, 1D float32.
- :func:`synthetic_image`: a disk, oriented gratings and a Gaussian blob, 2D float32 in [0, 1].
- :func:`write_example_inputs`: both written as ``chirp.wav`` (scipy) and ``image.npy``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["chirp", "synthetic_image", "write_example_inputs"]


def chirp(n: int = 8192, rate: int = 8000, f0: float = 50.0, f1: float = 3000.0) -> np.ndarray:
    """An exponential sweep from ``f0`` to ``f1`` Hz over ``n`` samples at ``rate`` Hz.

    Returns ``(n,)`` float32 in [-1, 1]: amplitude 0.6 sweep plus 8 short decaying clicks of
    amplitude 0.3 (transients, so both first and second order coefficients have something to
    show).
    """
    t = np.arange(n) / rate
    duration = n / rate
    k = np.log(f1 / f0) / duration
    phase = 2 * np.pi * f0 * (np.exp(k * t) - 1) / k
    x = 0.6 * np.sin(phase)
    period = n // 8
    local = np.arange(n) % period
    x += 0.3 * np.exp(-local / (0.002 * rate)) * np.cos(2 * np.pi * 1000.0 * local / rate)
    return (x / np.max(np.abs(x))).astype(np.float32)


def synthetic_image(size: int = 64) -> np.ndarray:
    """A ``(size, size)`` float32 image in [0, 1]: disk, two gratings, Gaussian blob."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    img = 0.5 * ((x - 0.3) ** 2 + (y - 0.35) ** 2 < 0.04)
    img += 0.25 * (1 + np.sin(2 * np.pi * 8 * (x + y))) * (x > 0.55)
    img += 0.25 * (1 + np.sin(2 * np.pi * 12 * y)) * (y > 0.7) * (x < 0.5)
    img += 0.6 * np.exp(-((x - 0.75) ** 2 + (y - 0.25) ** 2) / 0.005)
    img -= img.min()
    return (img / img.max()).astype(np.float32)


def write_example_inputs(directory: str | Path) -> dict[str, Path]:
    """Write ``chirp.wav`` (8 kHz float32 WAV) and ``image.npy`` into ``directory``."""
    from scipy.io import wavfile

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wav = directory / "chirp.wav"
    wavfile.write(wav, 8000, chirp())
    npy = directory / "image.npy"
    np.save(npy, synthetic_image())
    return {"chirp": wav, "image": npy}
