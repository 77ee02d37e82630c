"""Regenerate the golden files: ``python tests/golden/make_golden.py``.

Made once with the numpy reference backend after parity with Kymatio 0.3.0's reference files
held (see tests/scattering*/); they let every backend be checked against known numbers even
where ../shared is absent. Checked against Kymatio 0.3.0 itself when made (max error / max|ref|:
1D 2.4e-7, 2D 0.0, 3D 3.1e-8). Regenerate only on purpose, and say why in the commit.
"""
from pathlib import Path

import numpy as np

import numbascat.numpy as nsn

HERE = Path(__file__).parent

#: name -> (class, parameters, input shape)
CASES = {
    "scattering1d": (nsn.Scattering1D, dict(J=4, shape=100, Q=(4, 2), T=12), (2, 100)),
    "scattering2d": (nsn.Scattering2D, dict(J=2, shape=(20, 24), L=4), (2, 20, 24)),
    "harmonic3d": (nsn.HarmonicScattering3D, dict(J=1, shape=(8, 9, 10), L=2,
                                                  integral_powers=(0.5, 1.0, 2.0)), (2, 8, 9, 10)),
}


def main():
    rng = np.random.default_rng(20261123)
    for name, (cls, params, shape) in CASES.items():
        x = rng.standard_normal(shape).astype(np.float32)
        Sx = cls(backend="numpy", **params)(x)
        np.savez_compressed(HERE / f"{name}.npz", x=x, Sx=Sx)
        print(name, Sx.shape, Sx.dtype)


if __name__ == "__main__":
    main()
