"""
Reconstructing a signal from its scattering coefficients
========================================================

The torch frontend's transforms are ``torch.nn.Module`` objects and the ``torch`` backend is
differentiable, so the coefficients can be inverted numerically: start from noise and move the
signal by gradient descent until its scattering coefficients match those of a target. The
result is not the target itself (scattering discards phase and averages over time ``T``), but
a signal with the same time-frequency content, which is what the coefficients describe.
"""

# %%
# The target and the transform
# ----------------------------
# A short signal: two tone bursts and a rising chirp, 1024 samples. ``T = 2**6`` keeps some
# time resolution, so the bursts stay in place.
import matplotlib.pyplot as plt
import numpy as np
import torch

from numbascat.torch import Scattering1D

torch.manual_seed(0)
torch.set_num_threads(1)  # small tensors: one thread avoids contention on a busy machine
N = 1024
t = np.arange(N) / N
target = (np.sin(2 * np.pi * 60 * t) * np.exp(-((t - 0.25) / 0.06) ** 2)
          + np.sin(2 * np.pi * 160 * t) * np.exp(-((t - 0.7) / 0.05) ** 2)
          + 0.5 * np.sin(2 * np.pi * (20 * t + 100 * t ** 2)) * (t > 0.4))
target = torch.tensor(target, dtype=torch.float32)

S = Scattering1D(J=6, shape=N, Q=(8, 1))
print(f"backend {S.backend.name}: {S.output_size()} coefficients x {N // 2 ** 6} times")
with torch.no_grad():
    S_target = S(target)

# %%
# Gradient descent
# ----------------
# The loss is the relative squared distance between coefficients. Adam with a decaying step
# converges in a few hundred cheap iterations (each one a forward and a backward pass).
x = (0.1 * torch.randn(N)).requires_grad_(True)
optimizer = torch.optim.Adam([x], lr=0.05)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.992)
norm = S_target.pow(2).sum()
history = []
for _ in range(300):
    optimizer.zero_grad()
    loss = (S(x) - S_target).pow(2).sum() / norm
    loss.backward()
    optimizer.step()
    scheduler.step()
    history.append(loss.item())
print(f"relative loss: start {history[0]:.3g}, end {history[-1]:.3g}")

# %%
# Results
# -------
# The reconstruction has the bursts and the chirp at the right times and frequencies; its
# waveform differs in phase, which the coefficients do not record.
fig, axes = plt.subplots(3, 1, figsize=(8, 7), layout="constrained")
axes[0].semilogy(history)
axes[0].set_xlabel("iteration")
axes[0].set_ylabel("relative loss")
axes[0].set_title("coefficient mismatch during descent")
axes[1].plot(target.numpy(), lw=0.8, label="target")
axes[1].plot(x.detach().numpy(), lw=0.8, alpha=0.8, label="reconstruction")
axes[1].legend(loc="upper right", fontsize=8)
axes[1].set_xlabel("sample")
spectra = [np.abs(np.fft.rfft(s)) for s in (target.numpy(), x.detach().numpy())]
axes[2].plot(spectra[0], lw=0.8, label="target")
axes[2].plot(spectra[1], lw=0.8, alpha=0.8, label="reconstruction")
axes[2].set_xlim(0, 250)
axes[2].set_xlabel("frequency bin")
axes[2].set_ylabel("|FFT|")
axes[2].legend(loc="upper right", fontsize=8)
plt.show()

# %%
# The first-order coefficients of both signals, side by side: the descent matched them.
with torch.no_grad():
    pair = [S(target), S(x)]
order = S.meta()["order"]
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True, layout="constrained")
for ax, coefs, title in zip(axes, pair, ("target", "reconstruction"), strict=True):
    ax.imshow(np.log10(coefs[order == 1].numpy() + 1e-5), aspect="auto", cmap="magma")
    ax.set_title(f"order 1 of the {title} (log10)", fontsize=9)
    ax.set_xlabel("time (subsampled)")
axes[0].set_ylabel("wavelet (high to low frequency)")
plt.show()
