"""The classifier's verbs: ``rnnkit train classifier``, and what ``rnnkit predict`` and
``rnnkit evaluate`` do with a classifier.

::

    rnnkit train classifier imdb --minutes 20 --baseline --out runs/imdb
    rnnkit train classifier reviews.csv --text-column review --label-column stars
    rnnkit train classifier shakespeare-works --level char --target genre --passage-chars 500
    rnnkit predict runs/imdb "A wonderful, moving film."
    rnnkit evaluate runs/imdb imdb:test --out reports/imdb

The training options are generated from :class:`~rnnkit.classify.classifier.ClassifierSettings`
and the architecture defaults (``ARCH_DEFAULTS``), so every default lives there alone. User
errors raise :class:`~rnnkit.errors.RnnkitError`; the ``rnnkit`` group turns them into one
``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np

from rnnkit.classify.baseline import ANALYZERS
from rnnkit.classify.classifier import ARCH_DEFAULTS, LEVELS, ClassifierSettings, TextClassifier
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
from rnnkit.data.works import DEFAULT_PASSAGE_CHARS, TARGETS
from rnnkit.models.recurrent_lm import CELLS

#: With more classes than this, ``predict`` shows only the most likely this many.
TOP = 5
#: Texts of fewer words than this get a warning that the guess is weak.
FEW_WORDS = 4

_ARCH_TYPES: dict[str, type] = {
    "cell": str,
    "hidden_size": int,
    "embed_size": int,
    "num_layers": int,
    "bidirectional": bool,
    "pooling": str,
    "ngrams": int,
    "ngram_buckets": int,
    "chunk_tokens": int,
}
_HELP = {
    "hidden_size": "Units per direction and layer.",
    "embed_size": "Embedding size (the vectors' with --embeddings; 64 with --level char).",
    "bidirectional": "Read the text both ways, or forwards only.",
    "pooling": "last, max, mean, attention, or several joined by +.",
    "ngrams": "Add hashed embeddings of the 2- to N-grams ending at each token (char: 4).",
    "ngram_buckets": "Rows of the hashed n-gram table.",
    "chunk_tokens": "Read longer texts as chunks of at most N tokens, their outputs averaged.",
    "batch_size": "Texts per step.",
    "val_fraction": "Training texts held out for validation.",
    "evals": "Validations per run.",
    "level": "Read the texts as words or as characters.",
    "max_tokens": "Keep the first N tokens of a text.",
    "lm": "Start from a language model folder (ULMFiT; a char LM with --level char).",
    "lr_decay": "Discriminative rate factor between layer groups.",
    "unfreeze_steps": "Gradual unfreezing period, in steps.",
    "embed_lr_scale": "The embeddings' share of the learning rate.",
    "dropout": "Dropout (0.2 with --level char).",
    "embed_dropout": "Drop whole words from the embedding (none with --level char).",
    "ngram_dropout": "Dropout on the hashed n-gram embeddings (with --ngrams above 1).",
    "baseline": "Also train a TF-IDF + logistic regression baseline.",
    "blend": "Blend the baseline into the predictions.",
    "baseline_analyzer": "The baseline's n-grams: words, or characters 1-5 (char_wb, char).",
    "fold_editions": "Read texts lowercased, ASCII punctuation, one space per whitespace run.",
}
_UNSET = {
    "max_tokens": "whole texts",
    "lm": "none",
    "lr_decay": "2.6 with --lm, else off",
    "unfreeze_steps": "a quarter epoch per layer with --lm, else off",
    "embed_lr_scale": "10 with --ngrams above 1, else 1",
    "baseline_analyzer": "word, or char_wb with --level char",
    "blend": "on in a run planned without a budget, on 1,000+ training texts",
}
_ARCH = {name: Setting(kind, {"": ARCH_DEFAULTS[name]}) for name, kind in _ARCH_TYPES.items()}


@click.command()
@source_argument("data", required=False)
@click.option("--text-column", help="Column holding the text (CSV / JSONL).")
@click.option("--label-column", help="Column holding the label (CSV / JSONL).")
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    help="[shakespeare-works] Label passages by work or by genre [default: work].",
)
@click.option(
    "--passage-chars",
    type=int,
    help=f"[shakespeare-works] Passage length in characters [default: {DEFAULT_PASSAGE_CHARS}].",
)
@run_options
@settings_options(
    _ARCH | dataclass_settings({"": ClassifierSettings}),
    _HELP,
    choices={"cell": CELLS, "level": LEVELS, "baseline_analyzer": ANALYZERS},
    unset=_UNSET,
)
def train(
    data: str | None,
    text_column: str | None,
    label_column: str | None,
    target: str | None,
    passage_chars: int | None,
    run: Run,
    settings: dict[str, Any],
) -> None:
    """Train a recurrent text classifier on DATA: a registry dataset ('imdb'), a CSV or JSONL
    file with text and label columns, or a folder with one subfolder of .txt files per class.
    A validation split keeps the best weights: DATA's own where it has one
    (shakespeare-works), else one held out of DATA. With --resume DIR, DATA is the run's own
    (read again and checked) unless given."""

    def fit(source: str, folder: Path) -> TextClassifier:
        clf = TextClassifier(**settings)
        columns = {"text_column": text_column, "label_column": label_column}
        works = {"target": target, "passage_chars": passage_chars}
        return clf.fit(source, out_dir=folder, **columns | works | run.common())

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
    """``rnnkit predict`` for a classifier: each text's label and class probabilities, or with
    more than :data:`TOP` classes the most likely :data:`TOP` (with each work's genre where the
    model knows it); and the words attention weighed most, with ``explain``. A text of fewer
    than :data:`FEW_WORDS` words gets a warning that the guess is weak."""
    proba = clf.predict_proba(request.texts)
    for text, row in zip(request.texts, proba, strict=True):
        if len(text.split()) < FEW_WORDS:
            warnings.warn(f"{text[:40]!r} is only a few words: the guess is weak", stacklevel=2)
        best = clf.classes_[int(row.argmax())]
        probs = {str(c): round(float(p), 6) for c, p in zip(clf.classes_, row, strict=True)}
        top = _top(clf, row) if len(clf.classes_) > TOP else []
        why = clf.explain(text, request.explain) if request.explain > 0 else []
        if request.as_json:
            record = {"label": best, "probabilities": probs, "text": text}
            extra = ({"top": top} if top else {}) | ({"explain": why} if why else {})
            click.echo(json.dumps(record | extra, ensure_ascii=False))
            continue
        if top:
            click.echo(f"{best}\t{text[:60]}")
            for entry in top:
                genre = f"  ({entry['genre']})" if "genre" in entry else ""
                click.echo(f"  {entry['probability']:.3f}  {entry['label']}{genre}")
        else:
            shown = "  ".join(f"{c} {p:.3f}" for c, p in probs.items())
            click.echo(f"{best}\t{shown}\t{text[:60]}")
        if why:
            click.echo("\t" + ", ".join(f"{w} {a:.3f}" for w, a in why))


def _top(clf: TextClassifier, row: np.ndarray) -> list[dict[str, Any]]:
    """The :data:`TOP` most likely classes of one text, most likely first, with their genre
    where the model knows it."""
    genres = clf.genres_ or {}
    best = np.argsort(-row, kind="stable")[:TOP]
    top = [{"label": clf.classes_[i], "probability": round(float(row[i]), 6)} for i in best]
    return [t | ({"genre": genres[t["label"]]} if t["label"] in genres else {}) for t in top]


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
