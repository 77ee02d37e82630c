"""
1D filters and the scalogram of a chirp
=======================================

A 1D scattering transform starts with a bank of Morlet wavelets, ``Q`` per octave, spread over
``J`` octaves, and one low-pass filter whose width sets the averaging scale ``T = 2**J``.
This example draws that bank in the frequency domain, then scatters a linear chirp (a tone
whose frequency rises with time) and shows the first-order coefficients as a scalogram: one
row per wavelet, time along the columns, so the rising frequency appears as a diagonal ridge.
"""

# %%
# The filter bank
# ---------------
# ``Q=(8, 1)``: eight wavelets per octave at the first order (fine frequency resolution, as for
# audio), one per octave at the second. The filters live in the Fourier domain on the padded
# length ``N_pad``; ``psi1_f``, ``psi2_f`` and ``phi_f`` hold them as in Kymatio.
import matplotlib.pyplot as plt
import numpy as np

from numbascat.numpy import Scattering1D

N = 4096
S = Scattering1D(J=8, shape=N, Q=(8, 1))
print(f"backend: {S.backend.name} (chosen by: {S.backend_source})")
print(f"padded length N_pad = {S.N_pad}, {len(S.psi1_f)} first-order and "
      f"{len(S.psi2_f)} second-order wavelets")

phi = np.asarray(S.phi_f["levels"][0])
n_pad = phi.shape[0]
freq = np.arange(n_pad // 2 + 1) / n_pad  # cycles per sample, positive half

fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True, layout="constrained")
for ax, bank, title in ((axes[0], S.psi1_f, "first order, Q=8"),
                        (axes[1], S.psi2_f, "second order, Q=1")):
    energy = np.abs(phi) ** 2
    for filt in bank:
        f = np.asarray(filt["levels"][0])
        energy = energy + np.abs(f) ** 2
        ax.plot(freq, f[: n_pad // 2 + 1], lw=0.8)
    ax.plot(freq, phi[: n_pad // 2 + 1], "k", lw=1.5, label="low-pass phi")
    ax.plot(freq, energy[: n_pad // 2 + 1], "r--", lw=1, label="sum of squared moduli")
    ax.set_title(f"{title}: {len(bank)} wavelets")
    ax.set_ylabel("Fourier magnitude")
    ax.legend(loc="upper right", fontsize=8)
axes[1].set_xscale("log")
axes[1].set_xlim(1 / n_pad, 0.5)
axes[1].set_xlabel("frequency (cycles per sample)")
plt.show()

# %%
# The red dashed curve is the Littlewood-Paley sum: where it stays close to a constant, the
# bank covers every frequency once and the transform keeps the signal's energy.
#
# Scattering a chirp
# ------------------
# The chirp sweeps from 0.01 to 0.4 cycles per sample over the signal. ``S(x)`` returns the
# coefficients ``(C, N / T)``: ``C`` paths (order 0, then order 1, then order 2) at
# ``N / 2**J = 16`` time positions. ``meta()`` says which path each row is.
t = np.arange(N)
f0, f1 = 0.01, 0.4
x = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * N))).astype(np.float32)
x *= np.hanning(N).astype(np.float32)

Sx = S(x)
meta = S.meta()
print("input", x.shape, x.dtype, "-> output", Sx.shape, Sx.dtype)
print("coefficients per order:", S.output_size(detail=True))

# %%
# The scalogram is the first-order block, rows sorted from high to low centre frequency
# (``meta()['xi']``). A finer time resolution helps the picture: ``T=2**5`` averages over 32
# samples instead of 256.
S_fine = Scattering1D(J=8, shape=N, Q=(8, 1), T=2 ** 5, max_order=1)
U1 = S_fine(x)
m = S_fine.meta()
first = m["order"] == 1
xi = m["xi"][first, 0]

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
image = ax.imshow(np.log10(U1[first] + 1e-6), aspect="auto", cmap="magma",
                  extent=(0, N, len(xi) - 0.5, -0.5))
ticks = np.arange(0, len(xi), 8)
ax.set_yticks(ticks, [f"{v:.3f}" for v in xi[ticks]])
ax.set_ylabel("wavelet centre frequency (cycles / sample)")
ax.set_xlabel("time (samples)")
ax.set_title("first-order scattering of a linear chirp (log10)")
fig.colorbar(image, ax=ax)
plt.show()

# %%
# Second-order coefficients measure how each first-order row itself varies in time: for a
# pure chirp they are small, for amplitude modulations they would not be.
second = meta["order"] == 2
print(f"energy per order: order 1 {np.sum(Sx[meta['order'] == 1] ** 2):.3g}, "
      f"order 2 {np.sum(Sx[second] ** 2):.3g}")
