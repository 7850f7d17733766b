"""The classifier's verbs: ``rnnkit train classifier``, and what ``rnnkit predict`` and
``rnnkit evaluate`` do with a classifier.

::

    rnnkit train classifier imdb --minutes 20 --baseline --out runs/imdb
    rnnkit train classifier reviews.csv --text-column review --label-column stars
    rnnkit predict runs/imdb "A wonderful, moving film."
    rnnkit evaluate runs/imdb imdb:test --out reports/imdb

The training options are generated from :class:`~rnnkit.classify.classifier.ClassifierSettings`
and the architecture defaults (``ARCH_DEFAULTS``), so every default lives there alone. User
errors raise :class:`~rnnkit.errors.RnnkitError`; the ``rnnkit`` group turns them into one
``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from rnnkit.classify.classifier import ARCH_DEFAULTS, ClassifierSettings, TextClassifier
from rnnkit.classify.reports import format_report
from rnnkit.core.options import (
    EvaluateRequest,
    PredictRequest,
    Run,
    Setting,
    dataclass_settings,
    finished,
    run_options,
    settings_options,
    source_argument,
)
from rnnkit.core.options import train as fit_or_resume
from rnnkit.models.recurrent_lm import CELLS

_ARCH_TYPES: dict[str, type] = {
    "cell": str,
    "hidden_size": int,
    "embed_size": int,
    "num_layers": int,
    "bidirectional": bool,
    "pooling": str,
}
_HELP = {
    "hidden_size": "Units per direction and layer.",
    "embed_size": "Embedding size (the vectors' with --embeddings).",
    "bidirectional": "Read the text both ways, or forwards only.",
    "pooling": "last, max, mean, attention, or several joined by +.",
    "batch_size": "Texts per step.",
    "val_fraction": "Training texts held out for validation.",
    "evals": "Validations per run.",
    "max_tokens": "Keep the first N tokens of a text.",
    "lm": "Start from a word language model folder (ULMFiT).",
    "lr_decay": "Discriminative rate factor between layer groups.",
    "unfreeze_steps": "Gradual unfreezing period, in steps.",
    "baseline": "Also train a TF-IDF + logistic regression baseline.",
    "blend": "Blend the baseline into the predictions.",
}
_UNSET = {
    "max_tokens": "whole texts",
    "lm": "none",
    "lr_decay": "2.6 with --lm, else off",
    "unfreeze_steps": "a quarter epoch per layer with --lm, else off",
}
_ARCH = {name: Setting(kind, {"": ARCH_DEFAULTS[name]}) for name, kind in _ARCH_TYPES.items()}


@click.command()
@source_argument("data", required=False)
@click.option("--text-column", help="Column holding the text (CSV / JSONL).")
@click.option("--label-column", help="Column holding the label (CSV / JSONL).")
@run_options
@settings_options(
    _ARCH | dataclass_settings({"": ClassifierSettings}),
    _HELP,
    choices={"cell": CELLS},
    unset=_UNSET,
)
def train(
    data: str | None,
    text_column: str | None,
    label_column: str | None,
    run: Run,
    settings: dict[str, Any],
) -> None:
    """Train a recurrent text classifier on DATA: a registry dataset ('imdb'), a CSV or JSONL
    file with text and label columns, or a folder with one subfolder of .txt files per class.
    A validation split is held out of DATA to keep the best weights. With --resume DIR, DATA is
    the run's own (read again and checked) unless given."""

    def fit(source: str, folder: Path) -> TextClassifier:
        clf = TextClassifier(**settings)
        columns = {"text_column": text_column, "label_column": label_column}
        return clf.fit(source, out_dir=folder, **columns | run.common())

    def resume(folder: Path) -> TextClassifier:
        return TextClassifier.resume(folder, data, **run.common())

    clf, folder = fit_or_resume(run, settings, data, fit, resume)
    info = clf.info()
    scores = info.get("validation_accuracy") or {"network": info["stats"]["last_val_accuracy"]}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if v is not None)
    click.echo(
        finished(info["stats"], f"validation accuracy {shown or 'not measured yet'}", folder)
    )


def predict(clf: TextClassifier, request: PredictRequest) -> None:
    """``rnnkit predict`` for a classifier: each text's label and class probabilities (and the
    words attention weighed most, with ``explain``)."""
    proba = clf.predict_proba(request.texts)
    for text, row in zip(request.texts, proba, strict=True):
        best = clf.classes_[int(row.argmax())]
        probs = {str(c): round(float(p), 6) for c, p in zip(clf.classes_, row, strict=True)}
        why = clf.explain(text, request.explain) if request.explain > 0 else []
        if request.as_json:
            record = {"label": best, "probabilities": probs, "text": text}
            click.echo(json.dumps(record | ({"explain": why} if why else {}), ensure_ascii=False))
            continue
        shown = "  ".join(f"{c} {p:.3f}" for c, p in probs.items())
        click.echo(f"{best}\t{shown}\t{text[:60]}")
        if why:
            click.echo("\t" + ", ".join(f"{w} {a:.3f}" for w, a in why))


def evaluate(clf: TextClassifier, request: EvaluateRequest) -> None:
    """``rnnkit evaluate`` for a classifier: the report, and the confusion matrix drawn to
    confusion.png in the request's folder (the model's by default)."""
    from rnnkit.classify.reports import plot_confusion

    found = clf.evaluate(
        request.data,
        text_column=request.text_column,
        label_column=request.label_column,
        encoding=request.encoding,
        data_dir=request.data_dir,
    )
    report: dict[str, Any] = dict(found)
    png = plot_confusion(
        np.array(report["confusion"]),
        [str(c) for c in clf.classes_],
        (request.out_dir or request.model_dir) / "confusion.png",
        title=f"{request.model_dir.name} on {request.data}",
    )
    report["confusion_png"] = str(png)
    if request.as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"{request.data}: {report['texts']:,} texts")
    click.echo(format_report(report))
    for part, accuracy in report.get("components", {}).items():
        click.echo(f"{part:>12} alone: accuracy {accuracy:.4f}")
    click.echo(f"confusion matrix: {png}")
