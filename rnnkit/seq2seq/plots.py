"""The attention heatmap: which source symbol each output symbol looked at."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rnnkit.core.figures import new_figure, save_png


def plot_attention(
    weights: np.ndarray,
    source: Sequence[str],
    output: Sequence[str],
    path: str | Path,
    title: str = "",
) -> Path:
    """Draw ``weights`` [len(output), len(source)] as a heatmap PNG at ``path``: one row per
    output symbol, one column per source symbol."""
    rows, cols = weights.shape
    fig = new_figure(max(3.0, 0.35 * cols + 1.5), max(2.5, 0.35 * rows + 1.2))
    ax = fig.subplots()
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), [s if s != " " else "·" for s in source], fontsize=8)
    ax.set_yticks(range(rows), [s if s != " " else "·" for s in output], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    return save_png(fig, path)
