"""Pictures of a training run: the loss curves from a checkpoint folder's ``metrics.csv``, and
the confusion matrix of a classifier."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError


def plot_training(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Draw train and validation loss against training time; returns the PNG path.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "metrics.csv").write_text(
        ...     "step,elapsed_s,train_loss,val_loss,lr\\n5,1.0,3.1,,0.01\\n10,2.0,,2.5,\\n")
        >>> plot_training(d).name
        'training.png'
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    series = _read(run_dir / "metrics.csv")
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, label in (("train_loss", "train (mean since last log)"), ("val_loss", "validation")):
        xs, ys = series[name]
        ax.plot(xs, ys, marker="o" if name == "val_loss" else None, label=label)
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(f"{run_dir.name}: loss while training")
    ax.grid(alpha=0.3)
    ax.legend()
    path = Path(out) if out is not None else run_dir / "training.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_confusion(
    matrix: np.ndarray, classes: list[str], path: str | Path, title: str = ""
) -> Path:
    """Draw a confusion matrix (rows = true class, columns = predicted): counts in the cells,
    colours by the share of each true class, so rare classes read as clearly as common ones.
    The PNG is written atomically; returns its path.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "confusion.png"
        >>> plot_confusion(np.array([[5, 1], [2, 7]]), ["neg", "pos"], out).name
        'confusion.png'
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    counts = _square_counts(matrix, classes)
    n = len(classes)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    side = min(12.0, 2.5 + 0.5 * n)  # cells stay about half an inch wide up to 20 classes
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    font = 10 if n <= 8 else 8 if n <= 20 else 6  # five-digit counts still fit a cell
    for i in range(n):
        for j in range(n):
            # White on dark cells, black on light ones.
            colour = "white" if shares[i, j] > 0.5 else "black"
            ax.text(
                j, i, f"{counts[i, j]:d}", ha="center", va="center", color=colour, fontsize=font
            )
    names = [str(c) for c in classes]
    ax.set_xticks(
        range(n),
        names,
        rotation=45 if n > 4 else 0,
        ha="right" if n > 4 else "center",
        fontsize=font,
    )
    ax.set_yticks(range(n), names, fontsize=font)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or f"confusion matrix ({int(counts.sum())} examples)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _save_atomic(fig, path)
    finally:
        plt.close(fig)
    return path


def _square_counts(matrix: np.ndarray, classes: list[str]) -> np.ndarray:
    counts = np.asarray(matrix)
    n = len(classes)
    if counts.shape != (n, n) or n == 0:
        raise RnnkitError(
            f"a confusion matrix for {n} classes must be {n} x {n}, not {counts.shape}"
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise RnnkitError("a confusion matrix holds non-negative whole counts")
    return counts.astype(np.int64)


def _save_atomic(fig: Any, path: Path) -> None:
    # Draw into a temporary file beside the target, then rename: a reader never sees half a PNG.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=120)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> dict[str, tuple[list[float], list[float]]]:
    if not path.is_file():
        raise RnnkitError(f"{path} not found: plots need a run trained with an output folder")
    series: dict[str, tuple[list[float], list[float]]] = {
        "train_loss": ([], []),
        "val_loss": ([], []),
    }
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for name, (xs, ys) in series.items():
                if row.get(name):
                    xs.append(float(row["elapsed_s"]))
                    ys.append(float(row[name]))
    if not series["train_loss"][0] and not series["val_loss"][0]:
        raise RnnkitError(f"{path} holds no loss values yet")
    return series
