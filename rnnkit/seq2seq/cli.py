"""The sequence-to-sequence verbs: ``rnnkit train seq2seq``, ``rnnkit translate``, and what
``rnnkit evaluate`` does with a seq2seq model.

::

    rnnkit train seq2seq cmudict --attention bahdanau --minutes 15 --out runs/g2p
    rnnkit translate runs/g2p recurrent kitten --beam 5 --attention-png attn.png
    rnnkit evaluate runs/g2p cmudict:test

The training options are generated from :class:`~rnnkit.seq2seq.seq2seq.Seq2SeqSettings` and
the constructor's architecture defaults, so every default lives there alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rnnkit.core.options import (
    JSON,
    EvaluateRequest,
    Run,
    Setting,
    dataclass_settings,
    finished,
    run_options,
    settings_options,
    source_argument,
)
from rnnkit.core.options import train as fit_or_resume
from rnnkit.models.seq2seq import ATTENTIONS, CELLS
from rnnkit.seq2seq.seq2seq import Seq2Seq, Seq2SeqSettings
from rnnkit.seq2seq.symbols import UNITS

#: The architecture options and their defaults (the constructor's).
_ARCH: dict[str, Setting] = {
    "cell": Setting(str, {"": "gru"}),
    "hidden_size": Setting(int, {"": 256}),
    "embed_size": Setting(int, {"": 64}),
    "num_layers": Setting(int, {"": 1}),
    "bidirectional": Setting(bool, {"": True}),
    "attention": Setting(str, {"": "bahdanau"}),
    "input_feeding": Setting(bool, {"": False}),
}
_HELP = {
    "hidden_size": "Units per direction and layer (encoder and decoder).",
    "bidirectional": "Read the source both ways, or forwards only.",
    "attention": "Attention score: additive (bahdanau), multiplicative (luong), or none.",
    "input_feeding": "Feed each step's attentional output to the next step (with attention).",
    "source_unit": "Read sources as characters or whitespace-separated tokens.",
    "target_unit": "Read targets as characters or whitespace-separated tokens.",
    "batch_size": "Pairs per step.",
    "val_fraction": "Pairs held out for validation (data without its own split).",
    "evals": "Validations per run.",
    "label_smoothing": "Share of each target's probability spread over the others (training).",
    "beam": "Default beam width of translate / evaluate (1: greedy).",
    "length_penalty": "Beam scores are log p / length ** this.",
    "max_length": "Longest output, in symbols.",
}
_UNSET = {
    "source_unit": "the data set's, else chars",
    "target_unit": "the data set's, else chars",
    "max_length": "2 x source + 10",
}
_MODEL_DIR = click.argument("model_dir", type=click.Path(path_type=Path))


@click.command()
@source_argument("data", required=False)
@run_options
@settings_options(
    _ARCH | dataclass_settings({"": Seq2SeqSettings}),
    _HELP,
    choices={
        "cell": CELLS,
        "attention": ("none", *ATTENTIONS),
        "source_unit": UNITS,
        "target_unit": UNITS,
    },
    unset=_UNSET,
)
def train(data: str | None, run: Run, settings: dict[str, Any]) -> None:
    """Train an encoder-decoder with attention on DATA: a registry pair set (cmudict, dates,
    reverse), or a TSV (source<TAB>target) or JSONL file of pairs. The best weights by
    validation loss are kept (DATA's own validation split, else a part held out). With
    --resume DIR, DATA is the run's own (read again and checked) unless given."""
    if settings.get("attention") == "none":
        settings["attention"] = None

    def fit(source: str, folder: Path) -> Seq2Seq:
        return Seq2Seq(**settings).fit(source, out_dir=folder, **run.common())

    def resume(folder: Path) -> Seq2Seq:
        return Seq2Seq.resume(folder, data, **run.common())

    model, folder = fit_or_resume(run, settings, data, fit, resume)
    stats = model.info()["stats"]
    click.echo(finished(stats, f"best validation loss {stats['best_val_loss']:.4f}", folder))


@click.command()
@_MODEL_DIR
@click.argument("texts", nargs=-1, required=True)
@click.option("--beam", type=int, help="Beam width (1: greedy) [default: the model's].")
@click.option("--max-length", type=int, help="Longest output, in symbols.")
@click.option(
    "--attention-png",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Draw the attention to this PNG (NAME-2.png, ... for the second text on).",
)
@JSON
def translate(
    model_dir: Path,
    texts: tuple[str, ...],
    beam: int | None,
    max_length: int | None,
    attention_png: Path | None,
    as_json: bool,
) -> None:
    """Translate TEXTS with the seq2seq model in MODEL_DIR: one output per line (with its
    score in --json), and with --attention-png a heatmap of the attention of each."""
    model = Seq2Seq.load(model_dir)
    found = model.translate(list(texts), beam=beam, max_length=max_length, return_attention=True)
    for number, (text, t) in enumerate(zip(texts, found, strict=True), start=1):
        png = None
        if attention_png is not None:
            png = _numbered(attention_png, number)
            model.plot_attention(text, png, beam=beam)
        if as_json:
            record = {"source": text, "output": t.text, "score": round(t.score, 6)}
            click.echo(json.dumps(record | ({"png": str(png)} if png else {}), ensure_ascii=False))
        else:
            click.echo(f"{text}\t{t.text}")


def _numbered(path: Path, number: int) -> Path:
    """``path`` for the first text, ``NAME-N.png`` beside it for the N-th."""
    return path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")


def evaluate(model: Seq2Seq, request: EvaluateRequest) -> None:
    """``rnnkit evaluate`` for a seq2seq model: exact match, word and token error rates, loss."""
    found: dict[str, Any] = dict(
        model.evaluate(request.data, data_dir=request.data_dir, encoding=request.encoding)
    )
    if request.as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    click.echo(
        f"{request.data}: {found['pairs']:,} pairs, beam {found['beam']}: exact match "
        f"{found['exact_match']:.4f}, word error rate {found['word_error_rate']:.4f}, "
        f"token error rate {found['token_error_rate']:.4f}, loss {found['loss']:.4f} nats per "
        f"target {found['unit'].removesuffix('s')}"
    )
