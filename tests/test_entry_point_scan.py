import importlib.metadata
import sys
import zipfile

import pytest

from numbascat import entry_point_scan

GROUPS = ("numbascat.backends", "numbascat.backend_info")


def _key(ep):
    return (ep.group, ep.name, ep.value, ep.dist.name)


def _importlib(groups):
    everything = importlib.metadata.entry_points()
    return [_key(ep) for group in groups for ep in everything.select(group=group)]


def _dist(root, dirname, name, entry_points=None):
    info = root / dirname
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_the_installed_environment_gives_importlibs_entry_points():
    for groups in (GROUPS, ("console_scripts",)):
        got = [_key(ep) for ep in entry_point_scan.entry_points(groups)]
        assert got == _importlib(groups)
    assert any(name == "numba" for _, name, _, _ in
               map(_key, entry_point_scan.entry_points(GROUPS)))


def test_the_first_distribution_of_a_name_shadows_later_ones(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    # 'Plug.One' and 'plug_one' normalise alike: the one earlier on sys.path wins, even with
    # no entry points of its own.
    _dist(first, "Plug.One-2.0.dist-info", "Plug.One")
    _dist(second, "plug_one-1.0.dist-info", "plug_one",
          "[numbascat.backends]\nshadowed = plug_one:Backend\n")
    _dist(first, "plug_two-1.0.egg-info", "plug_two",
          "[numbascat.backends]\ntwo = plug_two:Backend\n"
          "[numbascat.backend_info]\ntwo = plug_two:INFO\n[other]\nx = y:z\n")
    _dist(second, "plug_three-1.0.dist-info", "plug_three",
          "[numbascat.backends]\nthree = plug_three:Backend\n")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    got = [_key(ep) for ep in entry_point_scan.entry_points(GROUPS)]
    assert got == _importlib(GROUPS)
    assert sorted(name for _, name, _, _ in got) == ["three", "two", "two"]
    by_group = entry_point_scan.entry_points(GROUPS)
    (info,) = by_group.select(group="numbascat.backend_info")
    (backend,) = [ep for ep in by_group.select(group="numbascat.backends") if ep.name == "two"]
    assert info.dist is backend.dist  # the registry pairs a backend with its info by identity


@pytest.mark.parametrize("kind", ["zip", "finder"])
def test_paths_the_walk_cannot_read_defer_to_importlib(tmp_path, monkeypatch, kind):
    plain = tmp_path / "plain"
    _dist(plain, "plug_one-1.0.dist-info", "plug_one",
          "[numbascat.backends]\none = plug_one:Backend\n")
    path = [str(plain)]
    if kind == "zip":
        archive = tmp_path / "plugins.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("plug_zip-1.0.dist-info/METADATA",
                       "Metadata-Version: 2.1\nName: plug_zip\nVersion: 1.0\n")
            z.writestr("plug_zip-1.0.dist-info/entry_points.txt",
                       "[numbascat.backends]\nzipped = plug_zip:Backend\n")
        path.append(str(archive))
    else:
        class Finder:
            @staticmethod
            def find_spec(*args, **kwargs):
                return None

            @staticmethod
            def find_distributions(context=None):
                return iter([importlib.metadata.PathDistribution(
                    plain / "plug_one-1.0.dist-info")])

        monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder])
    monkeypatch.setattr(sys, "path", path)
    assert not entry_point_scan._walkable()
    got = [_key(ep) for ep in entry_point_scan.entry_points(GROUPS)]
    assert got == _importlib(GROUPS)
    if kind == "zip":
        assert ("numbascat.backends", "zipped", "plug_zip:Backend", "plug_zip") in got
