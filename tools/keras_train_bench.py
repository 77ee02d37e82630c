"""Keras training step with a Scattering2D layer: numbascat.keras against kymatio.keras.

The model is the one of the Keras digit-classification example: 28 x 28 inputs, a
``Scattering2D(J=2)`` layer, a dense softmax over 10 classes. Inputs are synthetic (seeded
normal noise with a class-dependent mean pattern), so nothing is downloaded.

Usage::

    python tools/keras_train_bench.py --vs-kymatio /tmp/kym03/bin/python [--rounds 3]

Each measurement runs in its own process (``--worker numbascat|kymatio``), the two engines
alternating, and reports the median time of one epoch (after one warm-up epoch) and the
median over rounds. Speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys


def worker(engine: str, samples: int, batch: int, epochs: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import time

    import keras
    import numpy as np

    if engine == "kymatio":
        from kymatio.keras import Scattering2D
    else:
        from numbascat.keras import Scattering2D
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, samples)
    patterns = rng.standard_normal((10, 28, 28)).astype(np.float32)
    x = (patterns[labels] + rng.standard_normal((samples, 28, 28))).astype(np.float32)
    model = keras.Sequential([keras.Input(shape=(28, 28)), Scattering2D(J=2),
                              keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, labels, batch_size=batch, epochs=1, verbose=0)  # warm-up: tracing, filters
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        model.fit(x, labels, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - t)
    return {"engine": engine, "epoch_s": statistics.median(times), "epochs": times}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vs-kymatio", metavar="PYTHON", help="interpreter with Kymatio 0.3")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--samples", type=int, default=2048)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per measurement")
    p.add_argument("--worker", choices=["numbascat", "kymatio"], help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.worker, a.samples, a.batch, a.epochs)))
        return 0
    engines = [("numbascat", sys.executable)]
    if a.vs_kymatio:
        engines.append(("kymatio", a.vs_kymatio))
    results: dict[str, list[float]] = {name: [] for name, _ in engines}
    for r in range(a.rounds):
        for name, python in engines:
            out = subprocess.run([python, __file__, "--worker", name, "--samples",
                                  str(a.samples), "--batch", str(a.batch), "--epochs",
                                  str(a.epochs)], capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{name} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
                return 1
            epoch = json.loads(out.stdout.strip().splitlines()[-1])["epoch_s"]
            results[name].append(epoch)
            print(f"round {r + 1} {name:9s} {epoch:.3f} s/epoch", flush=True)
    ours = statistics.median(results["numbascat"])
    line = f"numbascat.keras: {ours:.3f} s/epoch ({a.samples} samples, batch {a.batch})"
    if a.vs_kymatio:
        theirs = statistics.median(results["kymatio"])
        line += f"; kymatio.keras {theirs:.3f} s/epoch; ratio {theirs / ours:.2f}x"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
