"""``kymatio.datasets``: the FSDD and QM7 fetchers of Kymatio 0.3's examples.

Directories follow Kymatio: datasets in ``$KYMATIO_DATASETS`` (default ``~/kymatio_datasets``),
derived arrays in Kymatio's cache (:mod:`.caching`, ``$KYMATIO_CACHE``). Without internet the
fetchers fail with :class:`DatasetUnavailableError` (a ``URLError``, as Kymatio's offline
failure), whose message says which files to put where; files placed there are loaded.
"""
from __future__ import annotations

import os
import subprocess
from urllib.error import URLError

import numpy as np

from numbascat.kymatio_compat.caching import _existing_dir, get_cache_dir

__all__ = ["DatasetUnavailableError", "atom_charges", "fetch_fsdd", "fetch_qm7",
           "find_datasets_base_dir", "fsdd_url", "get_cache_dir", "get_dataset_dir", "qm7_url"]

fsdd_url = "https://github.com/Jakobovski/free-spoken-digit-dataset.git"
qm7_url = "https://qmml.org/Datasets/gdb7-12.zip"
atom_charges = {"H": 1, "C": 6, "O": 8, "N": 7, "S": 16}
_FSDD_REPO = "free-spoken-digit-dataset"


class DatasetUnavailableError(URLError):
    """A dataset is neither on disk nor downloadable; the message says where to put it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


def find_datasets_base_dir(datasets_base_dir=None):
    """``datasets_base_dir`` if given, else ``$KYMATIO_DATASETS``, else ``~/kymatio_datasets``."""
    if datasets_base_dir is None:
        datasets_base_dir = os.environ.get("KYMATIO_DATASETS",
                                           os.path.expanduser("~/kymatio_datasets"))
    return datasets_base_dir


def get_dataset_dir(dataset_name, datasets_base_dir=None, create=True):
    """The directory ``<datasets base>/<dataset_name>`` (created when missing and ``create``).

    Raises ``ValueError`` when it does not exist and ``create`` is False.
    """
    path = os.path.join(find_datasets_base_dir(datasets_base_dir), dataset_name)
    return _existing_dir(path, create, f"Could not find dataset dir {path}. Create it, or call "
                                      f"get_dataset_dir({dataset_name!r}, create=True).")


def _git_clone(url: str, target: str) -> None:
    subprocess.run(["git", "clone", "--depth", "1", url, target], check=True,
                   capture_output=True, text=True, timeout=600)


def fetch_fsdd(verbose=False):
    """The Free Spoken Digit Dataset: ``{'path_dataset': <recordings dir>, 'files': [names]}``.

    Cloned with git into ``<datasets base>/fsdd/free-spoken-digit-dataset`` on first use (as
    Kymatio does); an existing non-empty ``fsdd`` directory is used as it is. ``files`` lists
    the recordings directory (``<digit>_<speaker>_<index>.wav``).
    """
    path = get_dataset_dir("fsdd")
    repo = os.path.join(path, _FSDD_REPO)
    recordings = os.path.join(repo, "recordings")
    if not os.listdir(path):
        if verbose:
            print("Cloning git repository at ", fsdd_url)
        try:
            _git_clone(fsdd_url, repo)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", None) or exc
            raise DatasetUnavailableError(
                f"fetch_fsdd: could not download the Free Spoken Digit Dataset (git clone "
                f"{fsdd_url} failed: {str(detail).strip()}). Without internet, copy the "
                f"dataset's recordings (files like 0_jackson_0.wav) into {recordings} and call "
                f"fetch_fsdd() again (set KYMATIO_DATASETS to move the base directory).") from exc
    if not os.path.isdir(recordings):
        raise FileNotFoundError(f"fetch_fsdd: {path} is not empty but has no "
                                f"{_FSDD_REPO}/recordings directory; put the dataset's .wav "
                                f"files in {recordings} (or empty {path} to download it).")
    return {"path_dataset": recordings, "files": os.listdir(recordings)}


def fetch_qm7(align=True, cache=True):
    """The QM7 molecules: ``{'positions' (n, 23, 3), 'charges' (n, 23), 'energies' (n,)}``.

    Loaded from Kymatio's cache, ``<cache>/qm7/qm7_aligned.npz`` (``align=True``, positions
    aligned on their principal axes) or ``<cache>/qm7/qm7.npz``, the files Kymatio's own
    ``fetch_qm7`` writes. numbascat does not build these arrays from the raw download: on a
    machine without them, run Kymatio's ``fetch_qm7`` once where it is installed and online,
    and copy the ``.npz`` files into that directory.
    """
    cache_dir = get_cache_dir("qm7")
    name = "qm7_aligned.npz" if align else "qm7.npz"
    path = os.path.join(cache_dir, name)
    if cache and os.path.exists(path):
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    why = f"{path} does not exist" if cache else "cache=False asks to rebuild it"
    raise DatasetUnavailableError(
        f"fetch_qm7: QM7 is not available ({why}). numbascat loads the arrays Kymatio's "
        f"fetch_qm7 caches but does not rebuild them from {qm7_url}: put {name} (keys "
        f"'positions', 'charges', 'energies'; made by Kymatio's fetch_qm7(align={bool(align)}) "
        f"on a machine with internet) in {cache_dir} (set KYMATIO_CACHE to move it) and call "
        f"fetch_qm7(align={bool(align)}) again.")
