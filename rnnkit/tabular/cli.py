"""The tabular model's verbs: ``rnnkit train tabular``, ``rnnkit embed-map``, and what
``rnnkit predict`` does with a tabular model.

::

    rnnkit train tabular flights.csv --target-column arr_delay \\
        --categorical carrier,origin,dest --continuous distance --out runs/flights
    rnnkit predict runs/flights new.csv
    rnnkit embed-map runs/flights dest --out maps

The training options are generated from :class:`~rnnkit.tabular.model.TabularSettings`, so
every default lives there alone; the column lists are comma-separated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from rnnkit.core.options import (
    PredictRequest,
    Run,
    dataclass_settings,
    finished,
    out_option,
    run_options,
    settings_options,
    source_argument,
)
from rnnkit.core.options import train as fit_or_resume
from rnnkit.errors import RnnkitError
from rnnkit.models.tabular import NORMS
from rnnkit.tabular.model import LAYERS, TASKS, VAL_SPLITS, TabularModel, TabularSettings

#: Settings given by their own options below (lists), or by the run's budget (``--epochs``).
_OWN = ("categorical", "continuous", "embed_sizes", "layers", "epochs")
_HELP = {
    "task": "regression, classification, or auto (by the target's type).",
    "embed_dropout": "Dropout on the embeddings.",
    "norm": "Normalisation in the MLP and of the continuous inputs.",
    "log_target": "Regress log(1 + target) (a positive target).",
    "min_count": "Rarer categories share the <unk> row.",
    "batch_size": "Rows per step.",
    "val_fraction": "Training rows held out for validation.",
    "val_split": "Validate on random rows, or on the last ones (rows in time order).",
    "evals": "Validations per run.",
}
_SETTINGS = {k: v for k, v in dataclass_settings({"": TabularSettings}).items() if k not in _OWN}


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def _sizes(text: str | None) -> dict[str, int] | None:
    """``dest=10,tailnum=20`` -> ``{"dest": 10, "tailnum": 20}``."""
    if not text:
        return None
    sizes = {}
    for part in _names(text) or []:
        name, _, value = part.partition("=")
        if not value.strip().isdigit():
            raise RnnkitError(f"--embed-sizes takes COLUMN=WIDTH pairs, got {part!r}")
        sizes[name.strip()] = int(value)
    return sizes


def _layers(text: str | None) -> list[int] | None:
    names = _names(text)
    if names is None:
        return None
    if not all(n.isdigit() for n in names):
        raise RnnkitError(
            f"--hidden-layers takes widths joined by commas, e.g. 200,100; got {text!r}"
        )
    return [int(n) for n in names]


@click.command()
@source_argument("data", required=False)
@click.option("--target-column", help="The column to predict.")
@click.option("--categorical", help="Categorical columns, joined by commas.")
@click.option("--continuous", help="Continuous (numeric) columns, joined by commas.")
@click.option("--embed-sizes", help="Embedding widths, e.g. dest=10,tailnum=20 [default: rule].")
@click.option(
    "--hidden-layers", help=f"Widths of the MLP's layers [default: {','.join(map(str, LAYERS))}]."
)
@run_options
@settings_options(_SETTINGS, _HELP, choices={"task": TASKS, "norm": NORMS, "val_split": VAL_SPLITS})
def train(
    data: str | None,
    target_column: str | None,
    categorical: str | None,
    continuous: str | None,
    embed_sizes: str | None,
    hidden_layers: str | None,
    run: Run,
    settings: dict[str, Any],
) -> None:
    """Train entity embeddings and an MLP on the table DATA (a CSV file, or a registered table
    such as 'nycflights13') to predict --target-column from the --categorical and --continuous
    columns. Rows without a target are left out; a validation part keeps the best weights."""
    if run.encoding is not None:
        raise RnnkitError("--encoding: tables are read as UTF-8 CSV")
    columns = {
        "categorical": _names(categorical),
        "continuous": _names(continuous),
        "embed_sizes": _sizes(embed_sizes),
        "layers": _layers(hidden_layers),
    }
    chosen = settings | {k: v for k, v in columns.items() if v is not None}

    def fit(source: str, folder: Path) -> TabularModel:
        if target_column is None:
            raise RnnkitError("name the column to predict: --target-column NAME")
        model = TabularModel(**chosen)
        return model.fit(source, target=target_column, out_dir=folder, **_common(run))

    def resume(folder: Path) -> TabularModel:
        return TabularModel.resume(folder, data, **_common(run))

    model, folder = fit_or_resume(run, chosen, data, fit, resume)
    stats = model.info()["stats"]
    accuracy = stats.get("last_val_accuracy")
    quality = (
        f"validation accuracy {accuracy:.4f}"
        if accuracy is not None
        else f"best validation loss {stats['best_val_loss']:.4f}"
    )
    click.echo(finished(stats, quality, folder))


def _common(run: Run) -> dict[str, Any]:
    """What ``fit`` and ``resume`` take of the run's options (tables have no --encoding)."""
    return {k: v for k, v in run.common().items() if k != "encoding"}


def predict(model: TabularModel, request: PredictRequest) -> None:
    """``rnnkit predict`` for a tabular model: each argument is a CSV file of rows; prints a
    CSV of the predictions (a classifier's also has each class's probability), or one JSON
    record per row with ``--json``."""
    for path in request.texts:
        guess = model.predict(path)
        proba = model.predict_proba(path) if model.classes_ else None
        header = ["prediction"] + [f"p_{c}" for c in model.classes_]
        if not request.as_json:
            click.echo(",".join(header))
        for i, value in enumerate(guess):
            row = [_plain(value)] + (
                [round(float(p), 6) for p in proba[i]] if proba is not None else []
            )
            if request.as_json:
                click.echo(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            else:
                click.echo(",".join(map(str, row)))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@click.command("embed-map")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("column")
@out_option("embedding_COLUMN.png", "MODEL_DIR")
@click.option("--labels", type=int, default=120, show_default=True, help="Categories named.")
def embed_map(model_dir: Path, column: str, out_dir: Path | None, labels: int) -> None:
    """Draw the embedding that the tabular model in MODEL_DIR learned for COLUMN as a labelled
    map (its first two principal components) to embedding_COLUMN.png; prints the PNG's path."""
    model = TabularModel.load(model_dir)
    path = (out_dir or model_dir) / f"embedding_{column}.png"
    click.echo(str(model.plot_embedding(column, path, labels=labels)))
