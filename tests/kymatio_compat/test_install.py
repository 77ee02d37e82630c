"""install_as_kymatio / uninstall / refusal / laziness / ``python -m numbascat.kymatio``."""
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import numbascat
import numbascat.numpy
from numbascat.kymatio_compat import (
    KymatioAlreadyImportedError,
    install_as_kymatio,
    installed_as_kymatio,
    is_installed,
    uninstall_as_kymatio,
)
from numbascat.kymatio_compat.install import MODULES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:Signal support:UserWarning")


@pytest.fixture
def kymatio():
    with installed_as_kymatio() as module:
        yield module


def _python(code, tmp_path, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, *args, "-c", code] if code else [sys.executable,
                                                                             *args],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


def test_install_registers_kymatio_paths_and_uninstall_removes_them():
    assert not is_installed()
    install_as_kymatio()
    try:
        install_as_kymatio()  # a second call is a no-op
        for name in ("kymatio", "kymatio.numpy", "kymatio.torch", "kymatio.sklearn",
                     "kymatio.tensorflow", "kymatio.keras", "kymatio.jax", "kymatio.datasets",
                     "kymatio.caching", "kymatio.scattering1d.filter_bank",
                     "kymatio.scattering2d.filter_bank", "kymatio.scattering3d.utils",
                     "kymatio.scattering3d.backend.torch_backend"):
            assert name in sys.modules, name
        import kymatio
        import kymatio.scattering1d.backend.numpy_backend as nb
        from kymatio.numpy import Scattering2D
        assert kymatio.__version__ == "0.3.0"
        assert issubclass(Scattering2D, numbascat.numpy.Scattering2D)
        assert nb.backend.name == "numpy"
        assert kymatio.scattering1d.filter_bank is sys.modules["kymatio.scattering1d.filter_bank"]
    finally:
        assert uninstall_as_kymatio() is True
    assert not any(n == "kymatio" or n.startswith("kymatio.") for n in sys.modules)
    assert uninstall_as_kymatio() is False


def test_every_backend_module_holds_a_named_backend(kymatio):
    import importlib

    for name, attrs in MODULES.items():
        module = importlib.import_module(name)
        if name.endswith("_backend"):
            assert module.backend.name == name.rsplit(".", 1)[1][:-len("_backend")]
        for attr in attrs:
            if name.split(".")[-1] in ("torch", "tensorflow", "keras", "jax") \
                    or name.endswith(("torch_backend",)):
                continue  # resolved lazily; needs the framework (checked below)
            getattr(module, attr)


def test_context_manager_undoes_only_what_it_did():
    with installed_as_kymatio():
        assert is_installed()
        with installed_as_kymatio():
            pass
        assert is_installed()  # the inner block did not install it, so it does not remove it
    assert not is_installed()


def test_refuses_when_the_real_kymatio_is_imported(monkeypatch):
    fake = types.ModuleType("kymatio")
    fake.__file__ = "/site-packages/kymatio/__init__.py"
    monkeypatch.setitem(sys.modules, "kymatio", fake)
    with pytest.raises(KymatioAlreadyImportedError, match="real Kymatio is already imported") \
            as info:
        install_as_kymatio()
    assert isinstance(info.value, RuntimeError)
    assert "python -m numbascat.kymatio" in str(info.value)
    assert sys.modules["kymatio"] is fake and "kymatio.numpy" not in sys.modules


def test_unknown_kymatio_module_names_what_is_provided(kymatio):
    with pytest.raises(ModuleNotFoundError, match="drop-in.*provides.*kymatio.numpy"):
        import kymatio.scattering1d.frontend.numpy_frontend  # noqa: F401
    with pytest.raises(AttributeError, match="provides: HarmonicScattering3D"):
        kymatio.numpy.Scattering4D  # noqa: B018


def test_installing_imports_no_framework(tmp_path):
    code = ("import sys, numbascat; numbascat.install_as_kymatio()\n"
            "import kymatio, kymatio.torch, kymatio.tensorflow, kymatio.jax, kymatio.keras\n"
            "import kymatio.scattering3d.backend.torch_backend\n"
            "heavy = [m for m in ('torch', 'tensorflow', 'jax', 'keras', 'sklearn', 'numba')"
            " if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "from kymatio.sklearn import Scattering1D\n"
            "assert 'sklearn' in sys.modules and 'torch' not in sys.modules\n"
            "print('lazy ok')\n")
    proc = _python(code, tmp_path)
    assert proc.returncode == 0 and "lazy ok" in proc.stdout, proc.stderr[-2000:]


def test_python_m_numbascat_kymatio_runs_a_script_with_its_arguments(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(
        "import sys\nimport numpy as np\nfrom kymatio.numpy import Scattering1D\n"
        "import kymatio\n"
        "S = Scattering1D(3, 64)\n"
        "Sx = S(np.ones((2, 64), np.float32))\n"
        "print(__name__, sys.argv, kymatio.__version__, Sx.shape, Sx.dtype,"
        " type(S).__mro__[1].__module__)\n")
    proc = _python(None, tmp_path, "-m", "numbascat.kymatio", str(script), "a", "--b")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[:2] == ["__main__", f"['{script}',"]
    assert "'a', '--b']" in proc.stdout and "0.3.0" in proc.stdout
    assert "float64" in proc.stdout and "numbascat" in proc.stdout
    usage = _python(None, tmp_path, "-m", "numbascat.kymatio")
    assert usage.returncode == 2 and "usage: python -m numbascat.kymatio" in usage.stderr
    missing = _python(None, tmp_path, "-m", "numbascat.kymatio", "nope.py")
    assert missing.returncode == 2 and "nope.py" in missing.stderr


def test_kymatio_dtypes_under_kymatio_paths_only(kymatio):
    x = np.random.default_rng(0).standard_normal((2, 128)).astype(np.float32)
    mine = numbascat.numpy.Scattering1D(4, 128, backend="numpy")(x)
    theirs = kymatio.numpy.Scattering1D(4, 128, backend="numpy")(x)
    assert mine.dtype == np.float32 and theirs.dtype == np.float64
    np.testing.assert_allclose(mine, theirs, atol=1e-6 * np.abs(theirs).max())
    unaveraged = kymatio.numpy.Scattering1D(4, 128, T=0, out_type="dict")(x)
    assert unaveraged[()].dtype == np.float32 and unaveraged[(0,)].dtype == np.float64
    entry = kymatio.Scattering1D(4, 128, frontend="numpy")
    assert entry(x).dtype == np.float64
    sk = kymatio.sklearn.Scattering1D(4, 128).transform(x)
    assert sk.dtype == np.float64
    S2 = kymatio.numpy.Scattering2D(1, (8, 8), L=2)
    assert S2(np.zeros((8, 8), np.float32)).dtype == np.float32
    S3 = kymatio.numpy.HarmonicScattering3D(1, (6, 6, 6), L=1)
    assert S3(np.ones((6, 6, 6))).dtype == np.float64  # deliberate: Kymatio gives float32


def test_backend_objects_select_backends(kymatio):
    import kymatio.scattering2d.backend.numpy_backend as nb

    S = kymatio.numpy.Scattering2D(1, (8, 8), L=2, backend=nb.backend)
    assert S.backend.name == "numpy" and S.backend_source == "backend= argument"
    torch_backend = sys.modules["kymatio.scattering2d.backend.torch_backend"].backend
    with pytest.raises(ImportError, match="^The backend torch is not supported by the "
                                          "frontend numpy."):
        kymatio.numpy.Scattering2D(1, (8, 8), backend=torch_backend)
    with pytest.raises(ImportError, match="^The backend torch can not be called from the "
                                          "frontend numpy."):
        kymatio.numpy.Scattering2D(1, (8, 8), backend="torch")
    with pytest.raises(ImportError, match="^Backend numpy_fast not found!"):
        kymatio.numpy.Scattering2D(1, (8, 8), backend="numpy_fast")
    # numbascat's own API takes backend objects too.
    assert numbascat.numpy.Scattering1D(3, 64, backend=nb.backend).backend.name == "numpy"


@pytest.mark.parametrize("frontend, package", [("tensorflow", "tensorflow"), ("jax", "jax"),
                                               ("keras", "keras"), ("torch", "torch")])
def test_framework_frontends_are_numbascats(kymatio, frontend, package):
    import importlib

    pytest.importorskip(package)
    served = importlib.import_module(f"kymatio.{frontend}")
    own = importlib.import_module(f"numbascat.frontends.{frontend}")
    assert served.Scattering1D is own.Scattering1D and served.Scattering2D is own.Scattering2D
    if frontend != "keras":
        assert served.HarmonicScattering3D is own.HarmonicScattering3D
        S = kymatio.Scattering2D(np.int64(1), (8, 8), L=2, frontend=frontend)
        assert isinstance(S, own.Scattering2D)
