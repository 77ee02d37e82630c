"""Read signals from files: audio (.wav/.flac), images (.png/.jpg/...), arrays (.npy/.npz).

Every reader returns a float array ``(channels, *signal)``; :func:`probe` returns the same
description without reading the samples (used to check shapes before any work is done).
Optional dependencies are imported here, lazily: ``soundfile`` (audio; ``scipy.io.wavfile`` is
the fallback for .wav), ``Pillow`` (images).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["AUDIO_SUFFIXES", "ARRAY_SUFFIXES", "IMAGE_SUFFIXES", "Probe", "ReadError",
           "kind_of", "probe", "read"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
ARRAY_SUFFIXES = (".npy", ".npz")
_NATURAL_DIM = {"audio": 1, "image": 2}


class ReadError(Exception):
    """A file that cannot be read or does not hold a usable signal (reported and skipped)."""


@dataclass(frozen=True)
class Probe:
    """What a file holds, read from its header.

    ``shape`` is the raw array shape as the reader sees it: audio ``(channels, frames)``,
    images ``(channels, height, width)`` (channels after the colour conversion), arrays as
    stored. ``rate`` is the audio sample rate (None otherwise).
    """

    path: str
    kind: str
    shape: tuple[int, ...]
    rate: int | None = None

    @property
    def natural_dim(self) -> int | None:
        """The scattering dimension the file suggests (None for arrays of 4+ axes)."""
        if self.kind in _NATURAL_DIM:
            return _NATURAL_DIM[self.kind]
        return len(self.shape) if 1 <= len(self.shape) <= 3 else None


def kind_of(path: str | Path) -> str | None:
    """'audio', 'image', 'array' or None, from the file suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in ARRAY_SUFFIXES:
        return "array"
    return None


def _install_hint(package: str, extra: str = "cli") -> str:
    return f"install it with `pip install {package}` or `pip install 'numbascat[{extra}]'`"


# ---------------------------------------------------------------------------------------- audio
def _soundfile():
    try:
        import soundfile
    except (ImportError, OSError):  # OSError: the package is there but libsndfile is not
        return None
    return soundfile


def _probe_audio(path: str) -> Probe:
    sf = _soundfile()
    if sf is not None:
        try:
            info = sf.info(path)
        except Exception as exc:  # libsndfile raises its own error types
            raise ReadError(f"not a readable audio file ({exc})") from None
        return Probe(path, "audio", (int(info.channels), int(info.frames)), int(info.samplerate))
    rate, data = _read_wav_scipy(path, mmap=True)
    return Probe(path, "audio", (data.shape[0], data.shape[1]), rate)


def _read_wav_scipy(path: str, mmap: bool = False) -> tuple[int, np.ndarray]:
    if Path(path).suffix.lower() != ".wav":
        raise ReadError(f"reading {Path(path).suffix} audio needs soundfile; "
                        + _install_hint("soundfile"))
    from scipy.io import wavfile

    try:
        rate, data = wavfile.read(path, mmap=mmap)
    except Exception as exc:  # scipy raises ValueError or struct.error on bad headers
        raise ReadError(f"not a readable WAV file ({exc})") from None
    data = data.reshape(len(data), -1).T  # (channels, frames)
    return int(rate), data


def _read_audio(path: str) -> tuple[np.ndarray, int]:
    sf = _soundfile()
    if sf is not None:
        try:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
        except Exception as exc:
            raise ReadError(f"not a readable audio file ({exc})") from None
        return np.ascontiguousarray(data.T), int(rate)
    rate, data = _read_wav_scipy(path)
    # Integer PCM to [-1, 1), like soundfile does, so both readers give the same numbers.
    if data.dtype == np.uint8:
        out = (data.astype(np.float32) - 128.0) / 128.0
    elif data.dtype.kind == "i":
        out = data.astype(np.float32) / float(2 ** (8 * data.dtype.itemsize - 1))
    else:
        out = data.astype(np.float32)
    return np.ascontiguousarray(out), rate


# ---------------------------------------------------------------------------------------- images
def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ReadError("reading images needs Pillow; " + _install_hint("pillow")) from None
    return Image


def _image_mode(color: str, bands: int) -> tuple[str, int]:
    if color == "gray":
        return "L", 1
    if bands >= 3:  # alpha is dropped: it is not a colour channel
        return "RGB", 3
    return "L", 1


def _probe_image(path: str, color: str, size: tuple[int, int] | None) -> Probe:
    Image = _pil()
    try:
        with Image.open(path) as img:
            width, height = img.size
            _, channels = _image_mode(color, len(img.getbands()))
    except Exception as exc:  # PIL.UnidentifiedImageError, OSError, ...
        raise ReadError(f"not a readable image ({exc})") from None
    if size is not None:
        height, width = size
    return Probe(path, "image", (channels, height, width))


def _read_image(path: str, color: str, size: tuple[int, int] | None) -> np.ndarray:
    Image = _pil()
    try:
        with Image.open(path) as img:
            mode, _ = _image_mode(color, len(img.getbands()))
            img = img.convert(mode)
            if size is not None and img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            data = np.asarray(img, dtype=np.float32) / 255.0
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"not a readable image ({exc})") from None
    return data[None] if data.ndim == 2 else np.ascontiguousarray(np.moveaxis(data, -1, 0))


# ---------------------------------------------------------------------------------------- arrays
def _npz_member(path: str, key: str | None):
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ReadError(f"not a readable .npz archive ({exc})") from None
    names = list(archive.files)
    if key is None:
        if len(names) != 1:
            archive.close()
            raise ReadError(f"holds {len(names)} arrays {names}; choose one with --key")
        key = names[0]
    if key not in names:
        archive.close()
        raise ReadError(f"has no array {key!r} (arrays: {names})")
    return archive, key


def _check_numeric(dtype: np.dtype) -> None:
    if dtype.kind not in "fiub":
        raise ReadError(f"holds dtype {dtype}; a real numeric array is needed")


def _probe_array(path: str, key: str | None) -> Probe:
    if path.lower().endswith(".npz"):
        archive, key = _npz_member(path, key)
        with archive:
            try:
                arr = archive[key]
            except Exception as exc:
                raise ReadError(f"array {key!r} is unreadable ({exc})") from None
    else:
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except Exception as exc:
            raise ReadError(f"not a readable .npy file ({exc})") from None
    _check_numeric(arr.dtype)
    return Probe(path, "array", tuple(arr.shape))


def _read_array(path: str, key: str | None) -> np.ndarray:
    try:
        if path.lower().endswith(".npz"):
            archive, key = _npz_member(path, key)
            with archive:
                arr = archive[key]
        else:
            arr = np.load(path, allow_pickle=False)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"not a readable array file ({exc})") from None
    _check_numeric(arr.dtype)
    return arr


# ---------------------------------------------------------------------------------------- public
def probe(path: str, *, color: str = "gray", size: tuple[int, int] | None = None,
          key: str | None = None) -> Probe:
    """Describe ``path`` from its header; :class:`ReadError` when it is unusable."""
    kind = kind_of(path)
    if kind == "audio":
        return _probe_audio(path)
    if kind == "image":
        return _probe_image(path, color, size)
    if kind == "array":
        return _probe_array(path, key)
    raise ReadError(f"unknown file type {Path(path).suffix!r}; known: "
                    f"{', '.join(AUDIO_SUFFIXES + IMAGE_SUFFIXES + ARRAY_SUFFIXES)}")


def read(path: str, *, color: str = "gray", size: tuple[int, int] | None = None,
         key: str | None = None) -> tuple[np.ndarray, int | None]:
    """The samples of ``path`` and the audio sample rate (None for other kinds).

    Audio ``(channels, frames)`` float32 in [-1, 1]; images ``(channels, H, W)`` float32 in
    [0, 1]; arrays as stored.
    """
    kind = kind_of(path)
    if kind == "audio":
        return _read_audio(path)
    if kind == "image":
        return _read_image(path, color, size), None
    if kind == "array":
        return _read_array(path, key), None
    raise ReadError(f"unknown file type {Path(path).suffix!r}")
