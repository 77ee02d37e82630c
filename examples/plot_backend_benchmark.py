"""
Benchmarking the backends
=========================

``numbascat bench`` times the reference workloads of ``numbascat/data/workloads.json`` on each
backend: the median of a few forward calls after a warm-up call (filters prepared, numba
kernels compiled, FFT plans made), the throughput, and for the ``numba`` backend the ratio to
its *FFT floor*, the time of the same FFTs replayed alone. The same measurements are available
in Python from :mod:`numbascat.benchmarking`; this example uses both on sizes small enough for
a documentation build, so its numbers say little about large workloads. Run
``numbascat bench`` on your own machine for those.
"""

# %%
# The command line
# ----------------
# The smallest reference workload on the numpy frontend's CPU backends (``--backend torch``,
# ``jax`` or ``tensorflow`` time the other frontends the same way). ``main`` is the
# ``numbascat`` command itself; it prints the same table as in a terminal.
import statistics

import matplotlib.pyplot as plt
import numpy as np

from numbascat.benchmarking import Workload, measure
from numbascat.cli import main
from numbascat.cli.table import format_table
from numbascat.registry import list_backends

available = {row.name for row in list_backends() if row.available}
cpu_engines = [name for name in ("numpy", "numba") if name in available]
print("timing on:", ", ".join(cpu_engines))
status = main(["bench", "--workload", "2d-mnist", "--backend", *cpu_engines, "--repeat", "2"])

# %%
# The same in Python, on tiny workloads
# -------------------------------------
# A :class:`~numbascat.benchmarking.Workload` names a transform, its parameters and a batch of
# float32 noise; :func:`~numbascat.benchmarking.measure` builds, warms up and times it.
workloads = [
    Workload("tiny-1d", "Scattering1D", {"J": 6, "Q": 8, "shape": 2048}, (16,), (16,)),
    Workload("tiny-2d", "Scattering2D", {"J": 2, "L": 8, "shape": [64, 64]}, (8,), (8,)),
    Workload("tiny-3d", "HarmonicScattering3D", {"J": 1, "L": 2, "shape": [24, 24, 24]},
             (2,), (2,)),
]
# Any engine of numbascat.benchmarking.ENGINES (torch, jax, ...) is measured the same way.
rows, results = [], {}
for workload in workloads:
    for engine in cpu_engines:
        m = measure(workload, engine, repeat=3)
        results[workload.name, engine] = m
        rows.append([m.workload, m.engine, "x".join(map(str, m.batch)),
                     f"{1e3 * m.median_s:.2f} ms", f"{m.throughput:.3g} {m.throughput_unit}",
                     "n/a" if m.floor_ratio is None else f"{m.floor_ratio:.2f}x"])
print(format_table(["workload", "backend", "batch", "median", "throughput", "x FFT floor"],
                   rows))

# %%
# As a chart: time per call relative to the ``numpy`` reference backend (lower is faster).
# On sizes this small, and on a busy machine, the order can invert: the ``numba`` backend's
# gains (half spectra, fused kernels, parallel batch parts) grow with the amount of work per
# call, and the reference workloads above are where they are measured.
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.8 / len(cpu_engines)
for k, engine in enumerate(cpu_engines):
    ratios = [results[w.name, engine].median_s / results[w.name, "numpy"].median_s
              for w in workloads]
    ax.bar(np.arange(len(workloads)) + k * width, ratios, width, label=engine)
ax.set_xticks(np.arange(len(workloads)) + width * (len(cpu_engines) - 1) / 2,
              [w.name for w in workloads])
ax.axhline(1.0, color="k", lw=0.8)
ax.set_ylabel("time / numpy backend time")
ax.set_title("tiny workloads (a documentation build, not a benchmark)")
ax.legend(fontsize=8)
plt.show()

# %%
# How time grows with the signal
# ------------------------------
# 1D transforms of growing length on the default CPU backend: the time per signal follows the
# FFTs, roughly ``N log N``.
#
# .. LEAD: `numbascat bench --scale` (issue "bench --scale", another branch) will replace this
#    hand-made loop: after merging, plot its output here instead and remove the loop below.
#    Marker: NUMBASCAT-DOCS-SCALE-PLOT
backend = "numba" if "numba" in available else "numpy"
lengths = [512, 1024, 2048, 4096, 8192]
per_signal = []
for n in lengths:
    w = Workload(f"1d-{n}", "Scattering1D", {"J": 6, "Q": 8, "shape": n}, (8,), (8,))
    m = measure(w, backend, repeat=3, floor=False)
    per_signal.append(statistics.median(m.times_s) / 8)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.loglog(lengths, [1e3 * s for s in per_signal], "o-", label=backend)
reference = np.array(lengths) * np.log2(lengths)
ax.loglog(lengths, 1e3 * per_signal[0] * reference / reference[0], "k--", lw=0.8,
          label="N log N")
ax.set_xlabel("signal length N")
ax.set_ylabel("ms per signal")
ax.set_title("Scattering1D(J=6, Q=8), batch of 8")
ax.legend(fontsize=8)
plt.show()
