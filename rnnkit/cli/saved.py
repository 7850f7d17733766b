"""The verbs that work on any saved folder: ``info``, ``evaluate``, ``predict``, ``plot``.

They sit above the capabilities: each reads the folder's kind (:mod:`rnnkit.cli.kinds`) and
hands the loaded model to that capability's own function, so no capability imports another.
"""

from __future__ import annotations

from pathlib import Path

import click

from rnnkit.cli import kinds
from rnnkit.core.options import (
    DATA_DIR,
    ENCODING,
    JSON,
    EvaluateRequest,
    PredictRequest,
    out_option,
    show,
    source_argument,
)
from rnnkit.errors import RnnkitError

_MODEL_DIR = click.argument("model_dir", type=click.Path(path_type=Path))


@click.command()
@_MODEL_DIR
@JSON
def info(model_dir: Path, as_json: bool) -> None:
    """Describe the folder MODEL_DIR: a language model or classifier (kind, architecture, sizes,
    vocabulary, data, steps, best loss), a forecaster (model, horizon, series, parameters) or
    word vectors (their card: corpus, settings, vocabulary size, speed)."""
    kind, model = kinds.load(model_dir)
    show({"kind": kind, **model.info()}, as_json)


@click.command()
@_MODEL_DIR
@source_argument("data")
@ENCODING
@JSON
@out_option("confusion.png, for a classifier", "MODEL_DIR")
@click.option("--text-column", help="[classifier] Column holding the text (CSV / JSONL).")
@click.option("--label-column", help="[classifier] Column holding the label (CSV / JSONL).")
@click.option("--style", help="[conditioned language model] Read DATA in this style.")
@DATA_DIR
def evaluate(
    model_dir: Path,
    data: str,
    encoding: str,
    as_json: bool,
    out_dir: Path | None,
    text_column: str | None,
    label_column: str | None,
    style: str | None,
    data_dir: Path | None,
) -> None:
    """Score the model in MODEL_DIR on DATA. A language model reports loss (nats per token),
    bits per token and perplexity; DATA is a text file or a registry split such as
    'wikitext2:test'. A classifier reports accuracy, macro-F1, per-class precision / recall / F1
    and draws its confusion matrix to confusion.png in --out; DATA is labelled data, e.g.
    'imdb:test' or a CSV file."""
    kind, model = kinds.load(model_dir)
    run = kinds.action(kind, "evaluate")
    if style is not None and not kinds.KINDS[kind].styles:
        raise RnnkitError(f"--style is for conditioned language models, not a {kind}")
    columns = {"text_column": text_column, "label_column": label_column, "style": style}
    run(model, EvaluateRequest(model_dir, data, encoding, data_dir, out_dir, as_json, **columns))


@click.command()
@_MODEL_DIR
@click.argument("texts", nargs=-1)
@click.option("--file", "path", type=click.Path(path_type=Path), help="One text per line.")
@click.option("--explain", type=int, default=0, help="Show the N words attention weighed most.")
@ENCODING
@JSON
def predict(
    model_dir: Path,
    texts: tuple[str, ...],
    path: Path | None,
    explain: int,
    encoding: str,
    as_json: bool,
) -> None:
    """Label TEXTS (and the lines of --file) with the classifier in MODEL_DIR: the label and the
    probability of every class, or with more than 5 classes the 5 most likely (and each work's
    genre, for a shakespeare-works model by work). A text of a few words is warned of. With a
    tabular model, TEXTS are CSV files of rows: prints a CSV of their predictions."""
    from rnnkit.data.labelled import read_text

    batch = list(texts)
    if path is not None:
        batch += [line for line in read_text(path, encoding).splitlines() if line.strip()]
    if not batch:
        raise RnnkitError("give texts to label, or --file with one text per line")
    empty = next((i for i, text in enumerate(batch, start=1) if not text.strip()), None)
    if empty is not None:
        raise RnnkitError(f"text {empty} is empty: there is nothing to label")
    kind, model = kinds.load(model_dir)
    kinds.action(kind, "predict")(model, PredictRequest(batch, explain, as_json))


@click.command()
@_MODEL_DIR
@out_option("training.png", "MODEL_DIR")
def plot(model_dir: Path, out_dir: Path | None) -> None:
    """Plot the train and validation loss of the run in MODEL_DIR (any kind trained with an
    output folder: its metrics.csv) to training.png; prints the PNG's path."""
    from rnnkit.training.plots import plot_training

    click.echo(str(plot_training(model_dir, (out_dir or model_dir) / "training.png")))
