"""Backend discovery: entry points, metadata without imports, guarded loading, aliases."""
import subprocess
import sys
import warnings
from importlib.metadata import EntryPoint, EntryPoints

import pytest

import numbascat
from numbascat import registry
from numbascat.backend_api import Backend, BackendInfo
from numbascat.backends.numpy_backend import NumpyBackend
from numbascat.registry import BackendNotFoundError, BackendUnavailableError

testplugin = pytest.importorskip(
    "numbascat_testplugin", reason="the test plugin distribution is not installed: "
                                   "pip install ./tests/testplugin")


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.refresh_backends()
    yield
    registry.refresh_backends()


def test_builtin_backends_are_registered_by_entry_point():
    infos = registry.backend_infos()
    for name in ("numpy", "numba", "torch", "numba_cuda", "tensorflow", "jax"):
        assert name in infos, name
        assert infos[name].name == name
    assert infos["numba"].priority > infos["numpy"].priority


def test_third_party_plugin_is_discovered_and_loaded():
    rows = {row.name: row for row in numbascat.list_backends()}
    assert rows["testplug"].source == "numbascat-testplugin"
    assert rows["testplug"].info.dims == (2,)
    backend = numbascat.get_backend("testplug")
    assert isinstance(backend, Backend) and backend.name == "testplug"
    assert numbascat.get_backend("testplug") is backend  # cached


def test_listing_imports_no_backend_module():
    code = ("import sys, numbascat; rows = numbascat.list_backends(); "
            "heavy = [m for m in ('torch', 'numba', 'pyfftw', 'cupy', 'tensorflow', 'jax', "
            "'numbascat_testplugin.broken', 'numbascat.backends.numpy_backend') "
            "if m in sys.modules]; print(len(rows), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    assert int(out[0]) >= 6
    assert out[1].strip() == "[]"


def test_import_numbascat_is_light():
    code = ("import sys, numbascat; print([m for m in ('torch', 'numba', 'pyfftw', 'scipy', "
            "'cupy', 'tensorflow', 'jax', 'sklearn', 'dask', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_broken_plugin_warns_once_and_breaks_nothing_else():
    with pytest.warns(RuntimeWarning, match="'broken'.*broken on purpose"):
        with pytest.raises(BackendUnavailableError, match="broken on purpose"):
            numbascat.get_backend("broken")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # second attempt: no new warning
        with pytest.raises(BackendUnavailableError):
            numbascat.get_backend("broken")
        assert numbascat.get_backend("numpy").name == "numpy"
    rows = {row.name: row for row in numbascat.list_backends()}
    assert not rows["broken"].available and "broken on purpose" in rows["broken"].reason
    assert rows["numpy"].available


def test_load_flag_reports_import_failures():
    with pytest.warns(RuntimeWarning, match="broken"):
        rows = {row.name: row for row in numbascat.list_backends(load=True)}
    assert not rows["broken"].available
    assert rows["testplug"].available and rows["numpy"].available


def test_unknown_name_lists_backends_and_nearest_match():
    with pytest.raises(BackendNotFoundError) as info:
        numbascat.get_backend("nmupy")
    message = str(info.value)
    assert "Did you mean 'numpy'" in message
    assert "numba" in message and "testplug" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, ImportError)


@pytest.mark.parametrize("alias, target", [("torch_skcuda", "numba_cuda"),
                                           ("torch17_skcuda", "numba_cuda"),
                                           ("torch17", "torch"), ("NumPy", "numpy")])
def test_kymatio_aliases(alias, target):
    assert registry.canonical_name(alias) == target


def test_missing_requirement_names_the_extra(monkeypatch):
    info = BackendInfo(name="ghost", requires=("surely_not_installed_pkg",), extra="ghost")
    monkeypatch.setattr(testplugin, "GHOST_INFO", info, raising=False)
    eps = [EntryPoint("ghost", "numbascat_testplugin.backend:TestPlugBackend",
                      registry.BACKENDS_GROUP)]
    infos = [EntryPoint("ghost", "numbascat_testplugin:GHOST_INFO", registry.INFO_GROUP)]
    monkeypatch.setattr(registry, "_installed_entry_points", _fake_entry_points(eps, infos))
    registry.refresh_backends()
    with pytest.raises(BackendUnavailableError, match=r"numbascat\[ghost\]"):
        registry.get_backend("ghost")
    (row,) = registry.list_backends()
    assert not row.available and "surely_not_installed_pkg" in row.reason


def _fake_entry_points(backends, infos):
    return lambda: EntryPoints(list(backends) + list(infos))


def test_duplicate_name_warns_and_keeps_the_builtin(monkeypatch):
    eps = [EntryPoint("numpy", "numbascat_testplugin.backend:TestPlugBackend",
                      registry.BACKENDS_GROUP),
           EntryPoint("numpy", "numbascat.backends.numpy_backend:NumpyBackend",
                      registry.BACKENDS_GROUP)]
    infos = [EntryPoint("numpy", "numbascat.backends.info:NUMPY", registry.INFO_GROUP)]
    monkeypatch.setattr(registry, "_installed_entry_points", _fake_entry_points(eps, infos))
    registry.refresh_backends()
    with pytest.warns(RuntimeWarning, match="registered more than once"):
        assert isinstance(registry.get_backend("numpy"), Backend)


def test_plugin_that_is_not_a_backend_is_isolated(monkeypatch):
    eps = [EntryPoint("odd", "numbascat.backends.info:NUMPY", registry.BACKENDS_GROUP),
           EntryPoint("numpy", "numbascat.backends.numpy_backend:NumpyBackend",
                      registry.BACKENDS_GROUP)]
    monkeypatch.setattr(registry, "_installed_entry_points", _fake_entry_points(eps, []))
    registry.refresh_backends()
    with pytest.warns(RuntimeWarning, match="not a numbascat.backend_api.Backend"):
        with pytest.raises(BackendUnavailableError):
            registry.get_backend("odd")
    assert isinstance(registry.get_backend("numpy"), NumpyBackend)


def test_unreadable_metadata_is_isolated(monkeypatch):
    eps = [EntryPoint("bad", "numbascat.backends.numpy_backend:NumpyBackend",
                      registry.BACKENDS_GROUP)]
    infos = [EntryPoint("bad", "no_such_module_xyz:INFO", registry.INFO_GROUP)]
    monkeypatch.setattr(registry, "_installed_entry_points", _fake_entry_points(eps, infos))
    registry.refresh_backends()
    with pytest.warns(RuntimeWarning, match="unreadable metadata"):
        assert registry.backend_infos() == {}


def test_getting_a_backend_reads_only_its_own_metadata(monkeypatch):
    """A transform's first call needs one backend: the info modules of the others are not
    imported (here, one that would warn as unreadable stays silent until it is listed)."""
    eps = [EntryPoint("numpy", "numbascat.backends.numpy_backend:NumpyBackend",
                      registry.BACKENDS_GROUP),
           EntryPoint("bad", "numbascat.backends.numpy_backend:NumpyBackend",
                      registry.BACKENDS_GROUP)]
    infos = [EntryPoint("numpy", "numbascat.backends.info:NUMPY", registry.INFO_GROUP),
             EntryPoint("bad", "no_such_module_xyz:INFO", registry.INFO_GROUP)]
    monkeypatch.setattr(registry, "_installed_entry_points", _fake_entry_points(eps, infos))
    registry.refresh_backends()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(registry.get_backend("numpy"), NumpyBackend)
    with pytest.warns(RuntimeWarning, match="unreadable metadata"):
        assert set(registry.backend_infos()) == {"numpy"}
