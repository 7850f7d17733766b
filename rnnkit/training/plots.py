"""The loss curves of a training run, from its checkpoint folder's ``metrics.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from rnnkit.core.figures import new_figure, save_png
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
    run_dir = Path(run_dir)
    series = _read(run_dir / "metrics.csv")
    fig = new_figure(7, 4)
    ax = fig.subplots()
    for name, label in (("train_loss", "train (mean since last log)"), ("val_loss", "validation")):
        xs, ys = series[name]
        ax.plot(xs, ys, marker="o" if name == "val_loss" else None, label=label)
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(f"{run_dir.name}: loss while training")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_png(fig, Path(out) if out is not None else run_dir / "training.png")


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
