"""
Classifying handwritten digits with the scikit-learn frontend
=============================================================

``numbascat.sklearn`` wraps each transform as a stateless scikit-learn transformer, so it drops
into a scikit-learn ``Pipeline`` in front of any classifier. Here it turns the 8x8
digits that scikit-learn ships (``sklearn.datasets.load_digits``, nothing downloaded) into
scattering features for a logistic regression, and the result is compared with the same
classifier on raw pixels.
"""

# %%
# Data and pipelines
# ------------------
# Each row of ``X`` is one raveled 8x8 image, which is the layout the transformer expects:
# ``X`` of shape ``(n_samples, 8 * 8)``. With ``J=1`` and ``L=8`` every image gives
# ``1 + 8 = 9`` channels of 4x4, so 144 features.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from numbascat.sklearn import Scattering2D

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
print("train", X_train.shape, "test", X_test.shape)

scattering = Scattering2D(J=1, shape=(8, 8), L=8)
print("features per image:", scattering.transform(X[:1]).shape[1])

pipelines = {
    "scattering J=1": make_pipeline(Scattering2D(J=1, shape=(8, 8), L=8), StandardScaler(),
                                    LogisticRegression(max_iter=2000)),
    "raw pixels": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
}
accuracy = {}
for name, pipeline in pipelines.items():
    pipeline.fit(X_train, y_train)
    accuracy[name] = accuracy_score(y_test, pipeline.predict(X_test))
    print(f"{name:16s} test accuracy {accuracy[name]:.3f}")

# %%
# What the features look like
# ---------------------------
# The pipeline's first step is an ordinary transformer; its ``meta()`` describes each channel
# (order, scale ``j``, orientation ``theta``) before raveling. The rows below show a digit,
# its order-0 channel (a blurred, subsampled copy) and the mean of its order-1 channels.
features = scattering.transform(X[:4]).reshape(4, scattering.output_size(), 4, 4)
order = scattering.meta()["order"]
fig, axes = plt.subplots(3, 4, figsize=(7, 5.5), layout="constrained")
for k in range(4):
    axes[0, k].imshow(X[k].reshape(8, 8), cmap="gray_r")
    axes[0, k].set_title(f"digit {y[k]}")
    axes[1, k].imshow(features[k, order == 0][0], cmap="viridis")
    axes[2, k].imshow(features[k, order == 1].mean(axis=0), cmap="magma")
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("order 0")
axes[2, 0].set_ylabel("order 1 (mean)")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %%
# Errors of the scattering pipeline
# ---------------------------------
ConfusionMatrixDisplay.from_estimator(pipelines["scattering J=1"], X_test, y_test,
                                      cmap="Blues", colorbar=False)
plt.title(f"scattering + logistic regression: accuracy {accuracy['scattering J=1']:.3f}")
plt.show()

# %%
# Because the transformer follows scikit-learn's conventions (parameters stored verbatim,
# nothing learnt in ``fit``), ``GridSearchCV`` can tune ``J`` or ``L`` like any other
# hyper-parameter, e.g. ``param_grid={"scattering2d__L": [4, 8]}``.
assert np.isfinite(list(accuracy.values())).all()
