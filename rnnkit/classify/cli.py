"""``rnnkit train classifier`` and ``rnnkit predict``: recurrent text classifiers.

::

    rnnkit train classifier imdb --minutes 20 --baseline --out runs/imdb
    rnnkit train classifier reviews.csv --text-column review --label-column stars
    rnnkit predict runs/imdb "A wonderful, moving film."
    rnnkit evaluate runs/imdb imdb:test --confusion confusion.png

User errors raise :class:`~rnnkit.errors.RnnkitError`; the top-level ``rnnkit`` group turns them
into one ``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from rnnkit.classify.classifier import TextClassifier
from rnnkit.classify.reports import format_report
from rnnkit.core.options import DATA_DIR, use_mirror
from rnnkit.data.labelled import read_text
from rnnkit.errors import RnnkitError

_OPTIONS = [
    click.Option(["--cell"], type=click.Choice(["rnn", "lstm", "gru"]), help="Cell [lstm]."),
    click.Option(["--hidden-size"], type=int, help="Units per direction and layer [128]."),
    click.Option(["--embed-size"], type=int, help="Embedding size [100, or the vectors']."),
    click.Option(["--layers", "num_layers"], type=int, help="Stacked layers [1]."),
    click.Option(
        ["--bidirectional/--unidirectional"], default=None, help="Read both ways [bidirectional]."
    ),
    click.Option(
        ["--pooling"], help="last, max, mean, attention, or several joined by + [max+mean]."
    ),
    click.Option(["--dropout"], type=float, help="Dropout [0.4]."),
    click.Option(["--embed-dropout"], type=float, help="Drop whole words [0.1]."),
    click.Option(["--batch-size"], type=int, help="Texts per step [64]."),
    click.Option(["--lr"], type=float, help="Peak AdamW learning rate [3e-3]."),
    click.Option(["--weight-decay"], type=float, help="AdamW weight decay [0.01]."),
    click.Option(["--warmup-steps"], type=int, help="Linear warmup steps [50]."),
    click.Option(["--clip"], type=float, help="Gradient-norm clipping [1.0]."),
    click.Option(["--val-fraction"], type=float, help="Training texts held out [0.1]."),
    click.Option(["--seed"], type=int, help="Random seed [0]."),
    click.Option(["--evals"], type=int, help="Validations per run [5]."),
    click.Option(["--min-count"], type=int, help="Rarer words -> <unk> [2]."),
    click.Option(["--max-vocab"], type=int, help="Vocabulary size cap [50000]."),
    click.Option(["--max-tokens"], type=int, help="Keep the first N tokens of a text [all]."),
    click.Option(["--keep-case", "lowercase"], flag_value=False, default=None, help="Keep case."),
    click.Option(["--embeddings"], help="Start the embedding from a word-vectors folder."),
    click.Option(["--freeze-embeddings"], is_flag=True, default=None, help="Keep it fixed."),
    click.Option(["--lm"], help="Start from a word language model folder (ULMFiT)."),
    click.Option(["--lr-decay"], type=float, help="Discriminative rate factor [2.6 with --lm]."),
    click.Option(["--unfreeze-steps"], type=int, help="Gradual unfreezing period, in steps."),
    click.Option(
        ["--baseline"], is_flag=True, default=None, help="Also train TF-IDF + logistic regression."
    ),
    click.Option(
        ["--blend"], is_flag=True, default=None, help="Blend the baseline into predictions."
    ),
    click.Option(["--device"], help="cpu (default), cuda, mps or auto."),
]


def _with_options(f: Any) -> Any:
    for option in reversed(_OPTIONS):
        f.__click_params__ = [*getattr(f, "__click_params__", []), option]
    return f


@click.command("classifier")
@click.argument("data")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Checkpoint folder.")
@click.option("--minutes", type=float, help="Wall-clock budget (default 5 if none is given).")
@click.option("--steps", type=int, help="Budget in optimizer steps.")
@click.option("--epochs", type=float, help="Budget in passes over the training texts.")
@click.option("--text-column", help="Column holding the text (CSV / JSONL).")
@click.option("--label-column", help="Column holding the label (CSV / JSONL).")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path), help="Continue this run.")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@DATA_DIR
@_with_options
def train_classifier(
    data: str,
    out_dir: Path | None,
    minutes: float | None,
    steps: int | None,
    epochs: float | None,
    text_column: str | None,
    label_column: str | None,
    resume_dir: Path | None,
    encoding: str,
    quiet: bool,
    data_dir: Path | None,
    **options: Any,
) -> None:
    """Train a recurrent text classifier on DATA: a registry dataset ('imdb'), a CSV or JSONL
    file with text and label columns, or a folder with one subfolder of .txt files per class.
    A validation split is held out of DATA to keep the best weights. With --resume DIR, DATA is
    the data the run was trained on (read again and checked)."""
    use_mirror(data_dir)
    given = {k: v for k, v in options.items() if v is not None}
    if resume_dir is not None:
        if given:
            raise RnnkitError(f"--resume keeps the run's settings; drop: {', '.join(given)}")
        clf = TextClassifier.resume(
            resume_dir,
            data,
            minutes=minutes,
            steps=steps,
            epochs=epochs,
            encoding=encoding,
            quiet=quiet,
        )
        out = resume_dir
    else:
        out = out_dir or Path("runs") / Path(data).stem.replace(":", "_")
        clf = TextClassifier(**given).fit(
            data,
            out_dir=out,
            text_column=text_column,
            label_column=label_column,
            encoding=encoding,
            quiet=quiet,
            minutes=minutes,
            steps=steps,
            epochs=epochs,
        )
    stats = clf.info()["stats"]
    state = "interrupted; resume with --resume" if stats["interrupted"] else "done"
    scores = clf.info().get("validation_accuracy") or {"network": stats["last_val_accuracy"]}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if v is not None)
    click.echo(
        f"{state}: {stats['steps']} steps in {stats['elapsed_s']:.0f} s, validation accuracy "
        f"{shown or 'not measured yet'}; saved to {out}"
    )


@click.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("texts", nargs=-1)
@click.option("--file", "path", type=click.Path(path_type=Path), help="One text per line.")
@click.option("--explain", type=int, default=0, help="Show the N words attention weighed most.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of --file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per text.")
def predict(
    model_dir: Path,
    texts: tuple[str, ...],
    path: Path | None,
    explain: int,
    encoding: str,
    as_json: bool,
) -> None:
    """Label TEXTS (or the lines of --file) with the classifier in MODEL_DIR: the label and the
    probability of every class."""
    clf = TextClassifier.load(model_dir)
    batch = list(texts)
    if path is not None:
        lines = read_text(path, encoding).splitlines()
        batch += [line for line in lines if line.strip()]
    if not batch:
        raise RnnkitError("give texts to label, or --file with one text per line")
    proba = clf.predict_proba(batch)
    for text, row in zip(batch, proba, strict=True):
        best = clf.classes_[int(row.argmax())]
        probs = {str(c): round(float(p), 6) for c, p in zip(clf.classes_, row, strict=True)}
        why = clf.explain(text, explain) if explain > 0 else []
        if as_json:
            record = {"label": best, "probabilities": probs, "text": text}
            click.echo(json.dumps(record | ({"explain": why} if why else {}), ensure_ascii=False))
            continue
        shown = "  ".join(f"{c} {p:.3f}" for c, p in probs.items())
        click.echo(f"{best}\t{shown}\t{text[:60]}")
        if why:
            click.echo("\t" + ", ".join(f"{w} {a:.3f}" for w, a in why))


def evaluate_classifier(
    clf: TextClassifier,
    model_dir: Path,
    data: str,
    encoding: str,
    as_json: bool,
    confusion: Path | None,
    columns: tuple[str | None, str | None],
) -> None:
    """``rnnkit evaluate`` for a classifier: the report, and the confusion matrix as a PNG."""
    from rnnkit.classify.reports import plot_confusion

    found = clf.evaluate(data, text_column=columns[0], label_column=columns[1], encoding=encoding)
    report: dict[str, Any] = dict(found)
    png = plot_confusion(
        np.array(report["confusion"]),
        [str(c) for c in clf.classes_],
        confusion or model_dir / "confusion.png",
        title=f"{model_dir.name} on {data}",
    )
    report["confusion_png"] = str(png)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"{data}: {report['texts']:,} texts")
    click.echo(format_report(report))
    for part, accuracy in report.get("components", {}).items():
        click.echo(f"{part:>12} alone: accuracy {accuracy:.4f}")
    click.echo(f"confusion matrix: {png}")
