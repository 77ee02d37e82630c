"""
Joint time-frequency scattering: which way does a chirp go?
===========================================================

A time scattering transform averages each first-order band separately, so two sounds that
hold the same frequencies for the same time, one rising and one falling, give nearly the same
coefficients. Joint time-frequency scattering (JTFS, Kymatio main's
``TimeFrequencyScattering``) also filters *across* the first-order bands, with wavelets of
both orientations ("spins" +1 and -1) along the frequency axis. A pattern that climbs in
frequency as time goes on excites one spin, a falling one the other. This example scatters an
upward and a downward chirp and compares the energy per spin.
"""

# %%
# Two chirps
# ----------
# Exponential chirps sweep a constant number of octaves per second, so in the log-frequency
# scalogram (the first-order coefficients) they are straight lines: rising or falling.
import matplotlib.pyplot as plt
import numpy as np

from numbascat.numpy import TimeFrequencyScattering

N = 4096
t = np.arange(N) / N
f_low, f_high = 0.01, 0.3  # cycles per sample


def chirp(f_start, f_stop):
    rate = np.log(f_stop / f_start)
    phase = 2 * np.pi * N * f_start * (np.exp(rate * t) - 1) / rate
    return (np.sin(phase) * np.hanning(N)).astype(np.float32)


x = np.stack([chirp(f_low, f_high), chirp(f_high, f_low)])  # (2, N): up, down

# %%
# The transform
# -------------
# ``J=8``: time averaging over ``T = 2**8`` samples; ``Q=8`` first-order wavelets per octave;
# ``J_fr=3``: frequential wavelets up to ``2**3`` bands wide, averaged over ``F = 2**3``
# bands. The ``'joint'`` format keeps each path's frequency rows together: a list entry per
# (order, second-order wavelet ``n2``, frequential wavelet ``n_fr``) path, with its ``spin``.
S = TimeFrequencyScattering(J=8, J_fr=3, Q=8, shape=N, format="joint", out_type="list")
out = S(x)
print(f"backend: {S.backend.name}; {len(out)} paths; first entry keys: {sorted(out[0])}")
second = [e for e in out if e["order"] == 2]
print(f"second-order paths: {len(second)}, coefficient shape (batch, rows, time) = "
      f"{second[0]['coef'].shape}")

# %%
# Energy per spin
# ---------------
# Sum the squared second-order coefficients of each spin, for each chirp. Spin 0 (the
# frequential low-pass) responds to both alike; the two oriented spins split the chirps.
energy = {spin: np.zeros(2) for spin in (-1, 0, 1)}
for e in second:
    energy[e["spin"]] += (e["coef"] ** 2).sum(axis=(1, 2))
for name, i in (("rising", 0), ("falling", 1)):
    up, down = energy[1][i], energy[-1][i]
    print(f"{name:8s} chirp: spin +1 {up:.3e}, spin -1 {down:.3e}, ratio {up / down:6.2f}")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
width = 0.25
for k, spin in enumerate((1, 0, -1)):
    ax.bar(np.arange(2) + (k - 1) * width, energy[spin], width, label=f"spin {spin:+d}")
ax.set_xticks([0, 1], ["rising chirp", "falling chirp"])
ax.set_ylabel("second-order energy")
ax.set_yscale("log")
ax.legend()
ax.set_title("JTFS energy per frequential spin")
plt.show()

# %%
# Where the energy sits
# ---------------------
# One second-order wavelet, one frequential scale, both spins: each panel is a
# (first-order index x time) map, low first-order index = high frequency. The rising chirp
# lights up one orientation and the falling chirp the other, at the same positions.
n2 = second[len(second) // 2]["n"][0]
pair = [e for e in second if e["n"][0] == n2 and e["spin"] != 0 and e["j_fr"] == (0,)]
fig, axes = plt.subplots(2, len(pair), figsize=(7, 4.5), layout="constrained", squeeze=False)
for i, name in enumerate(("rising", "falling")):
    for k, e in enumerate(pair):
        ax = axes[i, k]
        ax.imshow(np.log1p(1e3 * e["coef"][i]), aspect="auto", cmap="magma", origin="lower")
        ax.set_title(f"{name}, spin {e['spin']:+d}", fontsize=9)
        ax.set_xlabel("time")
        ax.set_ylabel("first-order row")
plt.show()

# %%
# The numbers are Kymatio main's (the references in ``shared/refdata`` and a side-by-side peer
# check them to float32 precision); ``numbascat bench --workload jtfs-speech`` times this
# configuration against Kymatio main's frontends.
