"""The map of a learned embedding: its categories on their first two principal components,
labelled, drawn through :mod:`rnnkit.core.figures` (no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.core.figures import new_figure, save_png
from rnnkit.errors import RnnkitError

METHODS = ("pca",)


def principal_components(vectors: np.ndarray, k: int = 2) -> np.ndarray:
    """The rows of ``vectors`` [N, D] on their first ``k`` principal components [N, k] (zeros
    where D < k), signs fixed so that each component's largest loading is positive.

    Example:
        >>> pts = np.array([[0.0, 0.0], [2.0, 1.0], [4.0, 2.0]])
        >>> np.round(principal_components(pts, 1)[:, 0], 4).tolist()
        [-2.2361, 0.0, 2.2361]
    """
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:k]
    signs = np.sign(basis[np.arange(len(basis)), np.abs(basis).argmax(axis=1)])
    coords = centred @ (basis * signs[:, None]).T
    return np.pad(coords, ((0, 0), (0, k - coords.shape[1])))


def plot_embedding(
    frame: pd.DataFrame, counts: list[int], path: Path, method: str = "pca", labels: int = 120
) -> Path:
    """Draw the categories of ``frame`` (one embedding row each; ``counts`` how often each was
    seen in training) on a 2-D map to ``path``, naming the ``labels`` most frequent."""
    if method not in METHODS:
        raise RnnkitError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if len(frame) < 2:
        raise RnnkitError("an embedding map needs at least two categories")
    xy = principal_components(frame.to_numpy(), 2)
    fig = new_figure(9, 7)
    ax = fig.subplots()
    ax.scatter(xy[:, 0], xy[:, 1], s=12, alpha=0.6)
    for i in np.argsort(-np.asarray(counts), kind="stable")[:labels]:
        ax.annotate(
            str(frame.index[i]), xy[i], fontsize=7, xytext=(2, 2), textcoords="offset points"
        )
    name = frame.index.name or "embedding"
    ax.set_title(f"{name}: learned embedding ({frame.shape[1]}-d), first two principal components")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    return save_png(fig, path)
