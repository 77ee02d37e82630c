"""
2D filters and a disk plot of the coefficients
==============================================

A 2D scattering transform filters an image with Morlet wavelets at ``J`` scales and ``L``
orientations. This example shows the wavelets in space and in frequency, then scatters two
textures and draws their first-order coefficients on a disk: each ring is a scale, each sector
an orientation, so the pattern on the disk reads like the image's local spectrum.
"""

# %%
# The wavelets
# ------------
# ``S.psi`` lists the wavelets as in Kymatio: one dict per ``(j, theta)`` with its
# Fourier-domain filter at each resolution (``levels[0]`` is the full padded size).
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Wedge

from numbascat.numpy import Scattering2D

J, L, size = 3, 8, 64
S = Scattering2D(J=J, shape=(size, size), L=L)
print(f"{len(S.psi)} wavelets on the padded grid {S.padded_shape}; output "
      f"{S.output_size()} channels of {size // 2 ** J}x{size // 2 ** J}")

fig, axes = plt.subplots(J, L, figsize=(10, 4), layout="constrained")
for filt in S.psi:
    spatial = np.fft.fftshift(np.fft.ifft2(filt["levels"][0]))
    ax = axes[filt["j"], filt["theta"]]
    centre = spatial.shape[0] // 2
    half = 4 * 2 ** filt["j"]
    ax.imshow(spatial.real[centre - half:centre + half, centre - half:centre + half],
              cmap="RdBu_r")
    ax.set_xticks([])
    ax.set_yticks([])
    if filt["j"] == 0:
        ax.set_title(f"theta={filt['theta']}", fontsize=8)
    if filt["theta"] == 0:
        ax.set_ylabel(f"j={filt['j']}")
fig.suptitle("real part of each wavelet in space (crop grows with the scale)")
plt.show()

# %%
# In frequency, each wavelet is a bump away from the origin in the direction of its
# orientation; larger ``j`` sits closer to the origin (lower frequency).
fig, axes = plt.subplots(1, J, figsize=(9, 3.2), layout="constrained")
for j in range(J):
    total = sum(np.abs(f["levels"][0]) ** 2 for f in S.psi if f["j"] == j)
    axes[j].imshow(np.fft.fftshift(total), cmap="viridis")
    axes[j].set_title(f"sum over theta of |psi|^2, j={j}", fontsize=9)
    axes[j].set_xticks([])
    axes[j].set_yticks([])
plt.show()

# %%
# Two textures
# ------------
# A grating with stripes at 45 degrees and a grating of fine horizontal stripes, plus a little
# noise. The transform takes a batch ``(2, 64, 64)`` and returns ``(2, C, 8, 8)``.
rng = np.random.default_rng(0)
yy, xx = np.mgrid[0:size, 0:size] / size
textures = np.stack([
    np.cos(2 * np.pi * 6 * (xx + yy)),
    np.cos(2 * np.pi * 14 * yy),
]) + 0.2 * rng.standard_normal((2, size, size))
textures = textures.astype(np.float32)
Sx = S(textures)
meta = S.meta()
print("input", textures.shape, "-> output", Sx.shape, Sx.dtype)

# %%
# The disk plot
# -------------
# Order-1 coefficients averaged over space, ``(j, theta)`` taken from ``meta()``. The outer
# ring is ``j=0`` (finest scale, highest frequency). Each sector is drawn in the direction of
# its wavelet's peak in the Fourier plane (read from the filter itself, y pointing up), and
# again opposite, since the spectrum of a real image is symmetric: the disk is a coarse,
# scale-by-orientation picture of the image's spectrum.
first = meta["order"] == 1
j1 = meta["j"][first, 0].astype(int)
theta1 = meta["theta"][first, 0].astype(int)
freqs = np.fft.fftfreq(S.padded_shape[0])
peak_angle = {}
for filt in S.psi:
    row, col = np.unravel_index(np.argmax(np.abs(filt["levels"][0])), filt["levels"][0].shape)
    peak_angle[filt["j"], filt["theta"]] = np.degrees(np.arctan2(-freqs[row], freqs[col]))


def disk(ax, values, title):
    norm = plt.Normalize(values.min(), values.max())
    for v, j, t in zip(values, j1, theta1, strict=True):
        outer, inner = 1.0 - j / J, 1.0 - (j + 1) / J
        for turn in (0, 180):  # the orientation and its mirror image
            start = peak_angle[j, t] + turn - 90 / L
            ax.add_patch(Wedge((0, 0), outer, start, start + 180 / L, width=outer - inner,
                               facecolor=plt.cm.magma(norm(v)), edgecolor="white", lw=0.4))
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


fig, axes = plt.subplots(2, 2, figsize=(7, 7), layout="constrained")
for k, name in enumerate(["45-degree grating", "horizontal stripes"]):
    axes[0, k].imshow(textures[k], cmap="gray")
    axes[0, k].set_title(name, fontsize=9)
    axes[0, k].axis("off")
    disk(axes[1, k], Sx[k, first].mean(axis=(-2, -1)), "order 1: ring = j, sector = theta")
plt.show()

# %%
# Order 2
# -------
# Second-order paths ``(j1, theta1) -> (j2, theta2)`` with ``j2 > j1`` capture how the
# first-order envelopes vary. Summed over orientations they form a small ``(j1, j2)`` table.
second = meta["order"] == 2
table = np.zeros((2, J, J))
for k in range(2):
    energy = Sx[k, second].mean(axis=(-2, -1))
    for e, a, b in zip(energy, meta["j"][second, 0].astype(int),
                       meta["j"][second, 1].astype(int), strict=True):
        table[k, a, b] += e
fig, axes = plt.subplots(1, 2, figsize=(7, 3), layout="constrained")
for k in range(2):
    shown = np.where(table[k] > 0, table[k], np.nan)
    image = axes[k].imshow(shown, cmap="viridis")
    axes[k].set_xticks(range(J))
    axes[k].set_yticks(range(J))
    axes[k].set_xlabel("j2")
    axes[k].set_ylabel("j1")
    fig.colorbar(image, ax=axes[k])
axes[0].set_title("order 2, 45-degree grating", fontsize=9)
axes[1].set_title("order 2, horizontal stripes", fontsize=9)
plt.show()
