"""A Kymatio 0.3 user script (unchanged under ``python -m numbascat.kymatio``).

Scattering features of small colour images for a classifier: ``kymatio.sklearn``'s
``Scattering2D`` on raveled RGB images (three channels per row) in a scikit-learn pipeline, the
numpy frontend on the same images, and the torch frontend through the entry point
``kymatio.Scattering2D(..., frontend='torch')``. Writes features and predictions to ``argv[1]``.
"""
import sys

import numpy as np
import torch
from kymatio import Scattering2D as ScatteringEntry
from kymatio.numpy import Scattering2D
from kymatio.sklearn import Scattering2D as ScatteringTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(0)
n, M = 40, 16
labels = rng.integers(0, 2, n)
yy, xx = np.mgrid[:M, :M]
images = rng.standard_normal((n, 3, M, M)).astype(np.float32) * 0.3
for i, label in enumerate(labels):  # class 1: horizontal stripes, class 0: vertical
    images[i] += np.sin(2 * np.pi * (yy if label else xx) / 4).astype(np.float32)

# Parameters as read from a file (np.load gives NumPy integers).
params = {"J": np.int64(2), "shape": (np.int64(M), np.int64(M)), "L": np.int64(4)}

transformer = ScatteringTransformer(**params)
features = transformer.transform(images.reshape(n, -1))
model = make_pipeline(ScatteringTransformer(**params), StandardScaler(),
                      LogisticRegression(max_iter=200))
model.fit(images.reshape(n, -1)[:30], labels[:30])
predicted = model.predict(images.reshape(n, -1)[30:])
accuracy = float(np.mean(predicted == labels[30:]))

S = Scattering2D(**params)
Sx = S(images)
S_torch = ScatteringEntry(2, (M, M), L=4, frontend="torch")
Sx_torch = S_torch(torch.from_numpy(images[:4])).numpy()
print("features", features.shape, features.dtype, "accuracy", accuracy)
np.savez(sys.argv[1], features=features, Sx=Sx, Sx_torch=Sx_torch, predicted=predicted,
         accuracy=np.array(accuracy))
