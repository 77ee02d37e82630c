"""``numbascat plot``: filter banks and coefficients written as valid PNGs of sensible size."""
import struct
import sys

import numpy as np
import pytest

from numbascat.cli import main

pytest.importorskip("matplotlib")


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR" and data[-8:-4] == b"IEND", "truncated PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _sensible(path):
    w, h = _png_size(path)
    assert 300 <= w <= 3000 and 300 <= h <= 3000, (w, h)
    assert path.stat().st_size > 10_000  # more than an empty canvas


def test_filters_1d(tmp_path, capsys):
    out = tmp_path / "filters.png"
    assert main(["plot", "filters", "--dim", "1", "--J", "8", "--Q", "8", "--backend", "numpy",
                 "-o", str(out)]) == 0
    _sensible(out)
    assert str(out) in capsys.readouterr().out


def test_filters_2d(tmp_path):
    out = tmp_path / "f2.png"
    assert main(["plot", "filters", "--dim", "2", "--J", "3", "--L", "4", "--backend", "numpy",
                 "-o", str(out)]) == 0
    _sensible(out)


def test_filters_lp_sum_is_sensible():
    """The plotted Littlewood-Paley sum stays bounded and covers the band (not a blank plot)."""
    from numbascat.cli.plot_draw import _lp_1d
    from numbascat.numpy import Scattering1D

    S = Scattering1D(6, 1024, Q=8, backend="numpy")
    lp = _lp_1d([f["levels"][0] for f in S.psi1_f], S.phi_f["levels"][0])
    n = lp.size
    band = lp[n // 64: n // 2 - n // 16]
    assert 0.3 < band.min() and band.max() < 2.5


def test_scattering_from_result_and_from_input(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / "in"
    d.mkdir()
    np.save(d / "x.npy", rng.standard_normal(2048).astype(np.float32))
    res = tmp_path / "res.npz"
    assert main(["scatter", str(d), "-o", str(res), "--J", "6", "--Q", "4", "--backend",
                 "numpy", "--quiet"]) == 0
    out1 = tmp_path / "s1.png"
    assert main(["plot", "scattering", str(res), "-o", str(out1)]) == 0
    _sensible(out1)
    img = tmp_path / "img.npy"
    np.save(img, rng.random((64, 64)).astype(np.float32))
    out2 = tmp_path / "s2.png"
    assert main(["plot", "scattering", str(img), "--J", "3", "--L", "4", "--backend", "numpy",
                 "-o", str(out2)]) == 0
    _sensible(out2)
    vol = tmp_path / "vol.npy"
    np.save(vol, rng.random((16, 16, 16)).astype(np.float32))
    out3 = tmp_path / "s3.png"
    assert main(["plot", "scattering", str(vol), "--J", "2", "--L", "2", "--backend", "numpy",
                 "-o", str(out3)]) == 0
    _sensible(out3)


def test_errors(tmp_path, capsys, monkeypatch):
    assert main(["plot", "filters", "--dim", "1", "-o", str(tmp_path / "f.jpg")]) == 2
    assert "-o must name a .png" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    assert main(["plot", "filters", "--dim", "1", "--J", "4", "--backend", "numpy",
                 "-o", str(tmp_path / "f.png")]) == 2
    assert "numbascat[plot]" in capsys.readouterr().err


def test_jtfs_panels_from_result_and_from_input(tmp_path, capsys):
    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(1).standard_normal(1024).astype(np.float32))
    res = tmp_path / "res.npz"
    assert main(["scatter", str(x), "-o", str(res), "--dim", "1", "--transform", "jtfs",
                 "--J", "6", "--Q", "8", "--format", "joint", "--backend", "numpy",
                 "--quiet"]) == 0
    out1, out2 = tmp_path / "j1.png", tmp_path / "j2.png"
    assert main(["plot", "scattering", str(res), "-o", str(out1)]) == 0
    _sensible(out1)
    assert main(["plot", "scattering", str(x), "--dim", "1", "--transform", "jtfs", "--J", "6",
                 "--Q", "8", "--backend", "numpy", "-o", str(out2)]) == 0
    _sensible(out2)
    time_res = tmp_path / "time.npz"
    assert main(["scatter", str(x), "-o", str(time_res), "--dim", "1", "--transform", "jtfs",
                 "--J", "6", "--Q", "8", "--backend", "numpy", "--quiet"]) == 0
    assert main(["plot", "scattering", str(time_res), "-o", str(out1)]) != 0
    assert "--format joint" in capsys.readouterr().err
