"""How well a classifier does: accuracy, macro-F1, per-class precision / recall / F1 and the
confusion matrix, as numbers, as text and as a picture."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.core.figures import new_figure, save_png
from rnnkit.errors import RnnkitError


def classification_report(
    y_true: Sequence[Any], y_pred: Sequence[Any], classes: Sequence[Any]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix
    (rows = true class, columns = predicted, both in ``classes`` order), JSON-ready.

    Example:
        >>> r = classification_report(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
        >>> r["accuracy"], r["confusion"], r["per_class"]["b"]["precision"]
        (0.6666666666666666, [[1, 1], [0, 1]], 0.5)
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    classes = list(classes)
    if len(y_true) != len(y_pred):
        raise RnnkitError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true or not classes or len(set(classes)) != len(classes):
        raise RnnkitError("a report needs examples and a list of distinct classes")
    known = set(classes)
    unknown = [v for v in (*y_true, *y_pred) if v not in known]
    if unknown:
        raise RnnkitError(f"label {unknown[0]!r} is not one of the classes {classes}")
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    per_class = {
        str(c): {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, c in enumerate(classes)
    }
    correct = sum(t == p for t, p in zip(y_true, y_pred, strict=True))
    return {
        "accuracy": correct / len(y_true),
        # The mean over every class in ``classes``, absent ones included (their F1 is 0).
        "macro_f1": float(np.mean(f1)),
        "per_class": per_class,
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
        "classes": [c.item() if isinstance(c, np.generic) else c for c in classes],
    }


def format_report(report: dict[str, Any]) -> str:
    """The report of :func:`classification_report` as a plain-text table.

    Example:
        >>> print(format_report(classification_report([0, 1, 1], [0, 1, 0], [0, 1])))
        accuracy  0.6667  (3 examples)
        macro-F1  0.6667
        <BLANKLINE>
        class  precision  recall      f1  support
        0         0.5000  1.0000  0.6667        1
        1         1.0000  0.5000  0.6667        2
    """
    rows = report["per_class"]
    total = sum(r["support"] for r in rows.values())
    width = max(5, *(len(name) for name in rows))
    lines = [
        f"accuracy  {report['accuracy']:.4f}  ({total} examples)",
        f"macro-F1  {report['macro_f1']:.4f}",
        "",
        f"{'class':<{width}}  precision  recall      f1  support",
    ]
    for name, r in rows.items():
        lines.append(
            f"{name:<{width}}  {r['precision']:>9.4f}  {r['recall']:.4f}  {r['f1']:.4f}"
            f"  {r['support']:>7d}"
        )
    return "\n".join(lines)


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
    counts = _square_counts(matrix, classes)
    n = len(classes)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    side = min(12.0, 2.5 + 0.5 * n)  # cells stay about half an inch wide up to 20 classes
    fig = new_figure(side + 1.2, side)
    ax = fig.subplots()
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
    return save_png(fig, path)


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
