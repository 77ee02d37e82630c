"""``numbascat scatter`` end to end on generated WAV, PNG and NPY files.

Outputs are checked against the transform called directly on the same samples. The numpy
backend keeps these tests fast (no JIT); the pipeline is the same for every backend.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numbascat.cli import main
from numbascat.numpy import Scattering1D, Scattering2D

sf = pytest.importorskip("soundfile")
Image = pytest.importorskip("PIL.Image")

RATE = 8000


def _wavs(directory: Path, lengths, channels=1, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i, n in enumerate(lengths):
        x = (0.2 * rng.standard_normal((n, channels))).astype(np.float32)
        sf.write(directory / f"s{i:02d}.wav", x, RATE, subtype="FLOAT")
        out.append(x.T)
    return out


def _scat(argv) -> int:
    return main(["scatter", "--backend", "numpy", "--quiet", *map(str, argv)])


@pytest.fixture
def wav_dir(tmp_path):
    d = tmp_path / "wav"
    (d / "nested").mkdir(parents=True)
    signals = _wavs(d, [1024] * 4)
    sf.write(d / "nested" / "deep.wav", signals[0].T * 0.5, RATE, subtype="FLOAT")
    signals.append(signals[0] * 0.5)
    (d / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    (d / "notes.txt").write_text("ignored: unknown suffix")
    return d, signals


def test_wav_directory_matches_direct_transform(wav_dir, tmp_path, capsys):
    d, signals = wav_dir
    out = tmp_path / "out.npz"
    assert _scat([d, "-o", out, "--J", 4, "--Q", 2, "--batch-size", 2]) == 1  # corrupt.wav
    err = capsys.readouterr().err
    assert "corrupt.wav" in err
    with np.load(out, allow_pickle=False) as z:
        files = [Path(f).name for f in z["files"]]
        assert files == ["s00.wav", "s01.wav", "s02.wav", "s03.wav", "deep.wav"]
        assert len(z["failed"]) == 1 and "corrupt.wav" in str(z["failed"][0])
        S = Scattering1D(4, 1024, Q=2, backend="numpy")
        expected = S(np.stack(signals).astype(np.float32))
        np.testing.assert_array_equal(z["coefficients"], expected)
        assert z["coefficients"].shape == (5, 1, S.meta()["order"].size, 1024 // 16)
        params = json.loads(str(z["parameters"]))
        assert params["arguments"]["J"] == 4 and params["arguments"]["Q"] == 2
        assert params["backend"] == "numpy" and params["dtype"] == "float32"
        np.testing.assert_array_equal(z["meta_order"], S.meta()["order"])
        np.testing.assert_array_equal(z["meta_xi"], S.meta()["xi"])
        assert list(z["meta_key"][:2]) == ["()", "(0,)"]
        assert (z["sample_rate"] == RATE).all()
        assert z["signal_shape"].tolist() == [1024]
    assert not (tmp_path / "out.npz.partial").exists()


def test_multichannel_kept_and_mono(tmp_path):
    d = tmp_path / "st"
    d.mkdir()
    signals = _wavs(d, [512, 512], channels=2)
    assert _scat([d, "-o", tmp_path / "st.npz", "--J", 3]) == 0
    S = Scattering1D(3, 512, backend="numpy")
    with np.load(tmp_path / "st.npz") as z:
        assert z["coefficients"].shape[:2] == (2, 2)
        np.testing.assert_array_equal(z["coefficients"], S(np.stack(signals)))
    assert _scat([d, "-o", tmp_path / "mono.npz", "--J", 3, "--mono"]) == 0
    with np.load(tmp_path / "mono.npz") as z:
        mono = np.stack([s.mean(axis=0, keepdims=True) for s in signals])
        np.testing.assert_allclose(z["coefficients"], S(mono), rtol=1e-6, atol=1e-7)


def test_mismatched_lengths_error_then_pad_and_crop(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    signals = _wavs(d, [1024, 1000, 1024])
    assert _scat([d, "-o", tmp_path / "x.npz", "--J", 4]) == 2
    err = capsys.readouterr().err
    assert "differ in signal shape" in err and "s01.wav" in err and "--pad" in err
    assert not (tmp_path / "x.npz").exists()
    assert _scat([d, "-o", tmp_path / "pad.npz", "--J", 4, "--pad"]) == 0
    S = Scattering1D(4, 1024, backend="numpy")
    padded = np.stack([np.pad(s, ((0, 0), (0, 1024 - s.shape[1]))) for s in signals])
    with np.load(tmp_path / "pad.npz") as z:
        np.testing.assert_array_equal(z["coefficients"], S(padded))
    assert _scat([d, "-o", tmp_path / "crop.npz", "--J", 4, "--crop"]) == 0
    S = Scattering1D(4, 1000, backend="numpy")
    with np.load(tmp_path / "crop.npz") as z:
        np.testing.assert_array_equal(z["coefficients"],
                                      S(np.stack([s[:, :1000] for s in signals])))


def test_resample_to_common_rate(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    x = np.sin(np.arange(800) / 7.0).astype(np.float32)
    sf.write(d / "a.wav", x, 8000, subtype="FLOAT")
    sf.write(d / "b.wav", x[::2], 4000, subtype="FLOAT")
    assert _scat([d, "-o", tmp_path / "bad.npz", "--J", 3]) == 2
    assert _scat([d, "-o", tmp_path / "r.npz", "--J", 3, "--resample", 8000]) == 0
    with np.load(tmp_path / "r.npz") as z:
        assert z["coefficients"].shape[0] == 2 and (z["sample_rate"] == 8000).all()
        assert z["signal_shape"].tolist() == [800]


@pytest.fixture
def png_dir(tmp_path):
    d = tmp_path / "png"
    d.mkdir()
    rng = np.random.default_rng(1)
    images = []
    for i in range(3):
        rgb = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(d / f"im{i}.png")
        images.append(rgb)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return d, images


def test_png_rgb_and_gray(png_dir, tmp_path):
    d, images = png_dir
    out = tmp_path / "img.npz"
    assert _scat([d, "-o", out, "--J", 2, "--L", 4, "--color", "rgb"]) == 1  # broken.png
    S = Scattering2D(2, (32, 32), L=4, backend="numpy")
    x = np.stack([np.moveaxis(im, -1, 0) for im in images]).astype(np.float32) / 255
    with np.load(out) as z:
        assert z["coefficients"].shape == (3, 3, 1 + 8 + 16, 8, 8)
        np.testing.assert_allclose(z["coefficients"], S(x), rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(z["meta_theta"], S.meta()["theta"])
    assert _scat([d, "-o", tmp_path / "gray.npz", "--J", 2, "--L", 4, "--size", 16, 16]) == 1
    with np.load(tmp_path / "gray.npz") as z:
        assert z["coefficients"].shape == (3, 1, 25, 4, 4)


def test_npy_and_npz_inputs_dim_inferred(tmp_path):
    d = tmp_path / "arr"
    d.mkdir()
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 256)).astype(np.float64)  # 2D array -> --dim 2 inferred...
    np.save(d / "a.npy", a[0])
    np.save(d / "b.npy", a[1])
    np.savez(d / "c.npz", signal=a[0] * 2)
    assert _scat([d, "-o", tmp_path / "arr.npz", "--J", 5, "--precision", "double"]) == 0
    S = Scattering1D(5, 256, backend="numpy")
    with np.load(tmp_path / "arr.npz") as z:
        assert z["coefficients"].dtype == np.float64
        np.testing.assert_array_equal(z["coefficients"][:, 0], S(np.stack([a[0], a[1],
                                                                            a[0] * 2])))
    np.save(d / "img.npy", rng.standard_normal((16, 16)))
    assert _scat([d, "-o", tmp_path / "mixed.npz"]) == 2  # 1D and 2D arrays: --dim needed


def test_per_file_and_resume(wav_dir, tmp_path, monkeypatch):
    d, signals = wav_dir
    out = tmp_path / "per"
    assert _scat([d, "-o", out, "--J", 4, "--per-file", "--batch-size", 3]) == 1
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npz"))
    assert written == ["nested/deep.wav.npz", "s00.wav.npz", "s01.wav.npz", "s02.wav.npz",
                       "s03.wav.npz"]
    S = Scattering1D(4, 1024, backend="numpy")
    with np.load(out / "s02.wav.npz") as z:
        np.testing.assert_array_equal(z["coefficients"], S(signals[2]))
        assert str(z["file"]).endswith("s02.wav")
    (out / "s01.wav.npz").unlink()
    calls = []
    import numbascat.cli.scatter_jobs as jobs
    real = jobs.process_batch
    monkeypatch.setattr(jobs, "process_batch",
                        lambda i, paths, *a: calls.append(paths) or real(i, paths, *a))
    assert _scat([d, "-o", out, "--J", 4, "--per-file", "--resume"]) == 1
    assert [Path(p).name for batch in calls for p in batch] == ["s01.wav"]
    with np.load(out / "s01.wav.npz") as z:
        np.testing.assert_array_equal(z["coefficients"], S(signals[1]))


def test_single_output_resume_after_interruption(wav_dir, tmp_path, monkeypatch):
    d, _ = wav_dir
    (d / "corrupt.wav").unlink()
    full = tmp_path / "full.npz"
    assert _scat([d, "-o", full, "--J", 4, "--batch-size", 2]) == 0
    import numbascat.cli.scatter as scatter_cmd
    real = scatter_cmd.local_executor

    def interrupted(batches, *args):
        it = real(batches, *args)
        yield next(it)
        raise KeyboardInterrupt

    monkeypatch.setattr(scatter_cmd, "local_executor", interrupted)
    out = tmp_path / "part.npz"
    assert _scat([d, "-o", out, "--J", 4, "--batch-size", 2]) == 130
    assert not out.exists()
    assert len(list((tmp_path / "part.npz.partial").glob("batch-*.npz"))) == 1
    monkeypatch.setattr(scatter_cmd, "local_executor", real)
    calls = []
    import numbascat.cli.scatter_jobs as jobs
    real_batch = jobs.process_batch
    monkeypatch.setattr(jobs, "process_batch",
                        lambda i, paths, *a: calls.append(i) or real_batch(i, paths, *a))
    # different settings refuse to resume from this state
    assert _scat([d, "-o", out, "--J", 3, "--batch-size", 2, "--resume"]) == 2
    assert _scat([d, "-o", out, "--J", 4, "--batch-size", 2, "--resume"]) == 0
    assert calls == [1, 2]  # batch 0 came from the partial state
    with np.load(out) as a, np.load(full) as b:
        np.testing.assert_array_equal(a["coefficients"], b["coefficients"])
        assert list(a["files"]) == list(b["files"])
    assert not (tmp_path / "part.npz.partial").exists()


def test_progress_quiet_in_pipe_and_summary(tmp_path, capsys):
    d = tmp_path / "p"
    d.mkdir()
    _wavs(d, [256, 256])
    assert main(["scatter", str(d), "-o", str(tmp_path / "p.npz"), "--J", "3",
                 "--backend", "numpy"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "scattered 2 file(s), 0 failed" in err
    assert "files/s" in err


def test_progress_bar_on_terminal(tmp_path):
    from numbascat.cli.progress import _Plain, _Silent, progress

    class Tty:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    assert isinstance(progress(3, "x", enabled=False, stream=Tty()), _Silent)
    bar = _Plain(3, "scatter", Tty())
    bar.update(3)
    bar.close()
    assert "3/3 files" in bar.stream.text and "files/s" in bar.stream.text
    tty = Tty()
    bar = progress(4, "scatter", stream=tty)
    bar.update(4)
    bar.close()
    assert "4/4" in tty.text


def test_bad_options_name_the_parameter(tmp_path, capsys):
    d = tmp_path / "b"
    d.mkdir()
    _wavs(d, [256])
    assert _scat([d, "-o", tmp_path / "b.npz", "--L", 4]) == 2
    assert "--L applies to --dim 2 and 3" in capsys.readouterr().err
    assert _scat([d, "-o", tmp_path / "b.npz", "--Q", "x"]) == 2
    assert "--Q must be" in capsys.readouterr().err
    assert _scat([tmp_path / "missing", "-o", tmp_path / "b.npz"]) == 2


def test_example_runs(tmp_path, capsys):
    out = tmp_path / "ex"
    assert main(["scatter", "--example", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert str(out.resolve()) in text and "coefficients" in text
    with np.load(out / "image_scattering.npz") as z:
        assert z["coefficients"].shape == (1, 1, 1 + 24 + 192, 8, 8)
    with np.load(out / "chirp_scattering.npz") as z:
        assert z["coefficients"].shape[:2] == (1, 1)


def test_example_without_optional_dependencies(tmp_path):
    """Only core dependencies: soundfile, Pillow and tqdm made unimportable."""
    code = ("import sys\n"
            "for m in ('soundfile', 'PIL', 'tqdm', 'matplotlib', 'dask'): sys.modules[m] = None\n"
            "from numbascat.cli import main\n"
            f"sys.exit(main(['scatter', '--example', '--backend', 'numpy', '-o', "
            f"{str(tmp_path / 'ex')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "2D image: input (64, 64)" in proc.stdout
    assert (tmp_path / "ex" / "chirp_scattering.npz").exists()


def test_import_numbascat_imports_no_optional_dependency():
    code = ("import sys, numbascat, numbascat.dask, numbascat.cli\n"
            "numbascat.cli.build_parser()\n"
            "bad = [m for m in ('soundfile', 'PIL', 'tqdm', 'matplotlib', 'dask', 'distributed')"
            " if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_console_script(tmp_path):
    script = shutil.which("numbascat", path=str(Path(sys.executable).parent)) or \
        shutil.which("numbascat")
    if script is None:
        pytest.skip("the numbascat console script is not installed in this environment")
    d = tmp_path / "c"
    d.mkdir()
    x = np.random.default_rng(3).standard_normal((2, 32, 32)).astype(np.float32)
    np.save(d / "a.npy", x[0])
    np.save(d / "b.npy", x[1])
    out = tmp_path / "c.npz"
    env = {**os.environ, "NUMBASCAT_CACHE": "off"}
    proc = subprocess.run([script, "scatter", str(d), "-o", str(out), "--J", "2", "--L", "4",
                           "--backend", "numpy"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "scattered 2 file(s)" in proc.stderr and "\r" not in proc.stderr
    with np.load(out) as z:
        np.testing.assert_array_equal(z["coefficients"][:, 0],
                                      Scattering2D(2, (32, 32), L=4, backend="numpy")(x))


def test_jtfs_transform(tmp_path, capsys):
    from numbascat.numpy import TimeFrequencyScattering

    x = np.random.default_rng(7).standard_normal((3, 1024)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out.npz"
    assert _scat([tmp_path / "x.npy", "-o", out, "--dim", "1", "--transform", "jtfs", "--J", 6,
                  "--J-fr", 2, "--Q", 8, "--format", "joint"]) == 0
    with np.load(out) as data:  # loadable without pickle
        coefs, key = data["coefficients"][0], data["meta_key"]
        assert data["meta_n"][0, 0] == "range(0, 38, 4)"
    want = TimeFrequencyScattering(6, 2, 8, 1024, format="joint", backend="numpy")(x)
    np.testing.assert_allclose(coefs, want, rtol=1e-6, atol=1e-7)
    assert len(key) == want.shape[1] == 32
    assert main(["scatter", str(tmp_path / "x.npy"), "-o", str(out), "--F", "2", "--quiet"]) != 0
    assert "--F applies to --transform jtfs only" in capsys.readouterr().err
