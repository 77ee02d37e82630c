"""``numbascat scatter --example``: the bundled example through the ordinary file pipeline.

Needs only the core dependencies: the chirp is a float WAV read by scipy when soundfile is
absent, the image is a ``.npy``, and the progress bar is off.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from numbascat.examples import write_example_inputs

__all__ = ["run_example"]

#: (name, input key, extra CLI arguments)
_RUNS = (("1D chirp", "chirp", ["--dim", "1", "--J", "6", "--Q", "8"]),
         ("2D image", "image", ["--dim", "2", "--J", "3", "--L", "8"]))


def run_example(args, parser) -> int:
    """Write the example inputs under ``-o`` (default ``./numbascat-example``) and scatter them."""
    directory = Path(args.output or "numbascat-example")
    inputs = write_example_inputs(directory)
    print(f"example inputs written to {directory.resolve()}")
    status = 0
    for title, key, extra in _RUNS:
        out = directory / f"{key}_scattering.npz"
        argv = [str(inputs[key]), "-o", str(out), "--quiet", *extra]
        if args.backend:
            argv += ["--backend", args.backend]
        sub = parser.parse_args(argv)
        start = time.perf_counter()
        try:
            rc = sub.func(sub)
        except NotImplementedError as exc:  # a transform not available in this build
            print(f"{title}: skipped ({exc})")
            continue
        elapsed = time.perf_counter() - start
        if rc:
            status = rc
            continue
        with np.load(out, allow_pickle=False) as z:
            coefs = z["coefficients"]
            orders = np.bincount(z["meta_order"].astype(int))
            shape = tuple(int(s) for s in z["signal_shape"])
        counts = ", ".join(f"order {i}: {c}" for i, c in enumerate(orders))
        print(f"{title}: input {shape} -> coefficients {coefs.shape} ({counts}) "
              f"in {elapsed:.2f} s\n  written to {out.resolve()}")
    return status
