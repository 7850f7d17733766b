"""The word map: word vectors projected to 2-D by PCA, drawn as a labelled scatter plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnnkit.core.figures import new_figure, save_png
from rnnkit.errors import RnnkitError


def plot_words(words: Sequence[str], vectors: np.ndarray, out: str | Path) -> Path:
    """Save a PNG at ``out`` of ``words`` (row i of ``vectors`` is word i) on their first two
    principal axes, titled with the share of variance those show; returns the path.

    Example:
        >>> import tempfile
        >>> out = plot_words(["a", "b", "c"], np.eye(3), tempfile.mkdtemp() + "/map.png")
        >>> out.read_bytes()[:4]
        b'\\x89PNG'
    """
    if len(words) < 2:
        raise RnnkitError(f"a plot needs at least 2 distinct words, got {len(words)}")
    coords, explained = pca_2d(vectors)
    fig = new_figure(8, 7)
    ax = fig.subplots()
    ax.scatter(coords[:, 0], coords[:, 1], s=12, alpha=0.7)
    for word, (x, y) in zip(words, coords, strict=True):
        ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(f"PCA of {len(words)} word vectors ({explained:.0%} of their variance)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_png(fig, out)


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Coordinates on the first two principal axes, and the share of variance they explain.

    Example:
        >>> coords, share = pca_2d(np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]]))
        >>> coords[:, 0].tolist(), share
        ([-2.0, 0.0, 2.0], 1.0)
    """
    centred = x - x.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # Fix each axis's sign (its largest entry positive) so that a run draws the same picture.
    axes = axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    coords = centred @ axes.T
    if coords.shape[1] < 2:  # fewer dimensions than two: pad with a flat axis
        coords = np.hstack([coords, np.zeros((len(coords), 1))])
    variance = float((sv**2).sum())
    return coords, float((sv[:2] ** 2).sum()) / variance if variance else 1.0
