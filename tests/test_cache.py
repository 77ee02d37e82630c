"""The filter-bank cache: memory, disk, atomic writes, corrupt files, unwritable directories."""
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from numbascat import cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_CACHE", str(tmp_path / "c"))
    cache.clear_memory_cache()
    cache._warned.clear()
    yield tmp_path / "c"
    cache.clear_memory_cache()


def builder(counter, value=1.0):
    def build():
        counter.append(1)
        return {"a": np.full(4, value), "b": np.arange(3)}
    return build


def files(directory):
    return sorted(p for p in (directory / "filters").glob("*.npz"))


def test_memory_then_disk(cache_dir):
    calls = []
    first = cache.cached_arrays("demo", {"n": 4}, builder(calls))
    assert cache.cached_arrays("demo", {"n": 4}, builder(calls)) is first
    assert len(calls) == 1 and len(files(cache_dir)) == 1
    assert not first["a"].flags.writeable
    cache.clear_memory_cache()
    again = cache.cached_arrays("demo", {"n": 4}, builder(calls))
    assert len(calls) == 1  # read from disk
    np.testing.assert_array_equal(again["b"], np.arange(3))
    cache.cached_arrays("demo", {"n": 5}, builder(calls))
    assert len(calls) == 2 and len(files(cache_dir)) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign"])
def test_corrupt_file_is_rebuilt_with_one_warning(cache_dir, damage):
    calls = []
    cache.cached_arrays("demo", {"n": 4}, builder(calls))
    (path,) = files(cache_dir)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    else:  # a valid npz written for something else
        np.savez(path, a=np.zeros(4), __numbascat_meta__=np.array("other"))
    cache.clear_memory_cache()
    with pytest.warns(RuntimeWarning, match="unreadable.*rebuilding"):
        out = cache.cached_arrays("demo", {"n": 4}, builder(calls))
    assert len(calls) == 2
    np.testing.assert_array_equal(out["a"], np.ones(4))
    cache.clear_memory_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rebuilt file is good now
        cache.cached_arrays("demo", {"n": 4}, builder(calls))
    assert len(calls) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_disables_disk_cache(cache_dir):
    cache_dir.mkdir()
    cache_dir.chmod(0o500)
    try:
        calls = []
        out = cache.cached_arrays("demo", {"n": 4}, builder(calls))
        assert len(calls) == 1 and out["a"].shape == (4,)
    finally:
        cache_dir.chmod(0o700)


def test_unwritable_location_disables_disk_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    monkeypatch.setenv("NUMBASCAT_CACHE", str(blocker / "sub"))
    cache.clear_memory_cache()
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cache.cached_arrays("demo", {"n": 4}, builder(calls))
    assert len(calls) == 1 and out["b"].shape == (3,)


def test_switched_off(monkeypatch):
    monkeypatch.setenv("NUMBASCAT_CACHE", "off")
    assert cache.cache_dir() is None


def test_atomic_write_leaves_no_temporaries(tmp_path):
    target = tmp_path / "d" / "x.bin"
    assert cache.atomic_write_bytes(target, b"abc")
    assert target.read_bytes() == b"abc"
    assert [p.name for p in target.parent.iterdir()] == ["x.bin"]


def test_concurrent_processes_never_leave_a_broken_file(cache_dir):
    script = textwrap.dedent("""
        import numpy as np, sys
        from numbascat import cache
        for i in range(40):
            cache.clear_memory_cache()
            out = cache.cached_arrays("race", {"n": 1},
                                      lambda: {"a": np.full(200_000, 7.0)})
            assert out["a"].shape == (200_000,) and out["a"][-1] == 7.0
    """)
    env = dict(os.environ, NUMBASCAT_CACHE=str(cache_dir))
    procs = [subprocess.Popen([sys.executable, "-W", "error", "-c", script], env=env)
             for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    (path,) = files(cache_dir)
    with np.load(path) as data:
        assert data["a"].shape == (200_000,)
    assert [p for p in (cache_dir / "filters").iterdir() if p.suffix == ".tmp"] == []


def test_large_banks_stay_in_memory_only(cache_dir, monkeypatch):
    monkeypatch.setenv("NUMBASCAT_CACHE_MAX_MB", "0.001")  # ~1 kB
    calls = []
    big = cache.cached_arrays("demo", {"n": "big"}, lambda: calls.append(1) or
                              {"a": np.zeros(1000)})
    assert big["a"].shape == (1000,) and not (cache_dir / "filters").exists()
    cache.cached_arrays("demo", {"n": "small"}, builder(calls))
    assert len(files(cache_dir)) == 1


def test_memory_cache_is_bounded_by_bytes(cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "MEMORY_BYTES", 10_000)
    monkeypatch.setenv("NUMBASCAT_CACHE", "off")
    first = cache.cached_arrays("demo", {"n": 1}, lambda: {"a": np.zeros(1000)})  # 8 kB
    cache.cached_arrays("demo", {"n": 2}, lambda: {"a": np.zeros(1000)})
    assert cache.cached_arrays("demo", {"n": 1}, lambda: {"a": np.zeros(1000)}) is not first
