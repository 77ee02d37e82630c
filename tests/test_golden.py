"""Every usable numpy-array backend reproduces the project's own golden files (float32)."""
import sys
from pathlib import Path

import numpy as np
import pytest

from numbascat.registry import BackendUnavailableError, backend_infos, get_backend

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_golden import CASES, HERE  # noqa: E402


def usable_numpy_backends():
    names = []
    for name, info in sorted(backend_infos().items()):
        if "numpy" in info.array_kinds:
            try:
                get_backend(name)
                names.append(name)
            except BackendUnavailableError:
                pass
    return names


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("backend", usable_numpy_backends())
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, backend):
    cls, params, _shape = CASES[name]
    info = get_backend(backend).info
    if cls.signal_ndim not in info.dims:
        pytest.skip(f"{backend} does not serve {cls.signal_ndim}D")
    with np.load(HERE / f"{name}.npz") as data:
        x, ref = data["x"], data["Sx"]
    out = cls(backend=backend, **params)(x)
    assert out.shape == ref.shape and out.dtype == np.float32
    assert np.abs(out - ref).max() <= 1e-5 * np.abs(ref).max()
