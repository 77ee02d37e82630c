"""kymatio.datasets / kymatio.caching: Kymatio's directories, offline errors, placed files."""
import subprocess
from urllib.error import URLError

import numpy as np
import pytest

from numbascat.kymatio_compat import caching, datasets


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("KYMATIO_DATASETS", str(tmp_path / "data"))
    monkeypatch.setenv("KYMATIO_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_directories_follow_kymatio(dirs, monkeypatch):
    assert caching.find_cache_base_dir() == str(dirs / "cache")
    assert caching.get_cache_dir() == str(dirs / "cache") + "/"
    assert caching.get_cache_dir("qm7") == str(dirs / "cache" / "qm7")
    assert (dirs / "cache" / "qm7").is_dir()
    with pytest.raises(ValueError, match="^The cache directory does not exist,but I cannot "
                                         "create it: .*absent"):
        caching.get_cache_dir("absent", create=False)
    assert datasets.get_dataset_dir("fsdd") == str(dirs / "data" / "fsdd")
    with pytest.raises(ValueError, match="^Could not find dataset dir .*absent"):
        datasets.get_dataset_dir("absent", create=False)
    assert datasets.find_datasets_base_dir("/x") == "/x"
    monkeypatch.delenv("KYMATIO_CACHE")
    monkeypatch.delenv("KYMATIO_DATASETS")
    assert caching.find_cache_base_dir().endswith("kymatio_cache")
    assert datasets.find_datasets_base_dir().endswith("kymatio_datasets")


def test_fsdd_offline_says_where_to_put_the_files_then_loads_them(dirs, monkeypatch):
    def offline(url, target):
        raise subprocess.CalledProcessError(128, ["git", "clone", url], stderr="Could not "
                                            "resolve host: github.com")

    monkeypatch.setattr(datasets, "_git_clone", offline)
    recordings = dirs / "data" / "fsdd" / "free-spoken-digit-dataset" / "recordings"
    with pytest.raises(URLError) as info:
        datasets.fetch_fsdd()
    message = str(info.value)
    assert str(recordings) in message and "resolve host" in message and "0_jackson_0.wav" \
        in message
    recordings.mkdir(parents=True)
    for name in ("0_jackson_0.wav", "7_theo_12.wav"):
        (recordings / name).write_bytes(b"RIFF")
    out = datasets.fetch_fsdd()
    assert out["path_dataset"] == str(recordings)
    assert sorted(out["files"]) == ["0_jackson_0.wav", "7_theo_12.wav"]


def test_fsdd_clones_into_kymatios_directory(dirs, monkeypatch):
    calls = []

    def clone(url, target):
        calls.append((url, target))
        (dirs / target / "recordings").mkdir(parents=True)

    monkeypatch.setattr(datasets, "_git_clone", clone)
    out = datasets.fetch_fsdd()
    assert calls == [(datasets.fsdd_url, str(dirs / "data" / "fsdd" /
                                             "free-spoken-digit-dataset"))]
    assert out == {"path_dataset": calls[0][1] + "/recordings", "files": []}


def test_qm7_loads_kymatios_cached_arrays_or_says_where_to_put_them(dirs):
    with pytest.raises(URLError, match="qm7_aligned.npz.*" + str(dirs / "cache" / "qm7")):
        datasets.fetch_qm7()
    arrays = {"positions": np.ones((2, 23, 3)), "charges": np.full((2, 23), 6.0),
              "energies": np.array([-1.0, -2.0])}
    np.savez(dirs / "cache" / "qm7" / "qm7_aligned.npz", **arrays)
    np.savez(dirs / "cache" / "qm7" / "qm7.npz", **{**arrays, "positions": np.zeros((2, 23, 3))})
    aligned, raw = datasets.fetch_qm7(), datasets.fetch_qm7(align=False)
    assert list(aligned) == ["positions", "charges", "energies"]
    np.testing.assert_array_equal(aligned["positions"], 1.0)
    np.testing.assert_array_equal(raw["positions"], 0.0)
    with pytest.raises(URLError, match="cache=False"):
        datasets.fetch_qm7(cache=False)
