"""The ``rnnkit`` command line: ``train``, ``generate``, ``evaluate``, ``info``.

Every user error becomes one line on stderr and exit code 2; Ctrl-C during generation exits with
130 and no traceback (Ctrl-C during training saves a resumable checkpoint first).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from rnnkit import __version__
from rnnkit.classify.classifier import TextClassifier
from rnnkit.classify.cli import evaluate_classifier, predict, train_classifier
from rnnkit.core import checkpoint
from rnnkit.core.options import DATA_DIR, use_mirror
from rnnkit.embed.cli import embed
from rnnkit.errors import RnnkitError
from rnnkit.lm.charlm import CharLM
from rnnkit.lm.wordlm import WordLM
from rnnkit.timeseries.cli import backtest, forecast

#: The language-model classes by --level and by the checkpoint's "kind".
LEVELS: dict[str, type[CharLM] | type[WordLM]] = {"char": CharLM, "word": WordLM}
KINDS = {cls.kind: cls for cls in LEVELS.values()}


class _Group(click.Group):
    """Turns :class:`RnnkitError` (and unreadable paths) into a one-line error, exit code 2, and
    reads ``rnnkit train classifier ...`` as the classifier's own command."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args[:2] == ["train", "classifier"]:
            return "train classifier", train_classifier, args[2:]
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():  # restores Python's own display afterwards
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except RnnkitError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except OSError as err:
            click.echo(f"error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(130)


def _show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    """Print a warning as one line (``warning: ...``), not with its source file and line."""
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rnnkit")
def cli() -> None:
    """Train and use recurrent neural networks (RNN, LSTM, GRU) on text."""


_MODEL_OPTIONS = {
    "cell": click.Option(["--cell"], type=click.Choice(["rnn", "lstm", "gru"]), help="Cell type."),
    "hidden_size": click.Option(
        ["--hidden-size"], type=int, help="Units per recurrent layer [default: by budget]."
    ),
    "embed_size": click.Option(["--embed-size"], type=int, help="Embedding size."),
    "num_layers": click.Option(["--layers", "num_layers"], type=int, help="Stacked layers."),
    "dropout": click.Option(["--dropout"], type=float, help="Dropout [default: by budget]."),
    "tie_weights": click.Option(
        ["--tie-weights/--no-tie-weights"], default=None, help="Share embedding and output."
    ),
    "seq_len": click.Option(["--seq-len"], type=int, help="TBPTT window length."),
    "batch_size": click.Option(["--batch-size"], type=int, help="Parallel streams per step."),
    "lr": click.Option(["--lr"], type=float, help="Peak AdamW learning rate [default: by budget]."),
    "weight_decay": click.Option(["--weight-decay"], type=float, help="AdamW weight decay."),
    "warmup_steps": click.Option(["--warmup-steps"], type=int, help="Linear warmup steps."),
    "clip": click.Option(["--clip"], type=float, help="Gradient-norm clipping threshold."),
    "val_fraction": click.Option(["--val-fraction"], type=float, help="Held-out tail fraction."),
    "seed": click.Option(["--seed"], type=int, help="Random seed (runs are repeatable on CPU)."),
    "evals": click.Option(["--evals"], type=int, help="Validations (with a sample) per run."),
    "backend": click.Option(
        ["--backend"],
        type=click.Choice(["torch", "numpy"]),
        help="Train with PyTorch, or with rnnkit's NumPy reference backprop (same checkpoint).",
    ),
    "device": click.Option(
        ["--device"], help="Train on cpu (default), cuda, mps, or auto (a GPU when present)."
    ),
}
#: Options of the word level only (AWD-LSTM regularisers and the vocabulary).
_WORD_OPTIONS = {
    "input_dropout": click.Option(
        ["--input-dropout"], type=float, help="[word] Embedding dropout."
    ),
    "embed_dropout": click.Option(
        ["--embed-dropout"], type=float, help="[word] Drop whole words from the embedding."
    ),
    "weight_drop": click.Option(
        ["--weight-drop"], type=float, help="[word] DropConnect on hidden-to-hidden weights."
    ),
    "adaptive": click.Option(
        ["--adaptive/--no-adaptive"], default=None, help="[word] Adaptive softmax head."
    ),
    "embeddings": click.Option(
        ["--embeddings"], help="[word] Initialise the embedding from a word-vectors folder."
    ),
    "freeze_embeddings": click.Option(
        ["--freeze-embeddings"], is_flag=True, default=None, help="[word] Keep them fixed."
    ),
    "min_count": click.Option(["--min-count"], type=int, help="[word] Rarer words -> <unk>."),
    "max_vocab": click.Option(["--max-vocab"], type=int, help="[word] Vocabulary size cap."),
    "lowercase": click.Option(
        ["--lowercase"], is_flag=True, default=None, help="[word] Lowercase."
    ),
    "words_only": click.Option(
        ["--words-only"], is_flag=True, default=None, help="[word] Drop punctuation."
    ),
}


def _model_options(f: Any) -> Any:
    """Attach every architecture / training option; unset ones keep CharLM's defaults."""
    for option in reversed([*_MODEL_OPTIONS.values(), *_WORD_OPTIONS.values()]):
        f.__click_params__ = [*getattr(f, "__click_params__", []), option]
    return f


@cli.command()
@click.argument("corpus", default="shakespeare")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Checkpoint folder.")
@click.option("--minutes", type=float, help="Wall-clock budget (default 5 if none is given).")
@click.option("--steps", type=int, help="Budget in optimizer steps.")
@click.option("--epochs", type=float, help="Budget in passes over the training text.")
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(path_type=Path),
    help="Continue the run saved in this folder exactly where it stopped.",
)
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of CORPUS.")
@click.option("--quiet", is_flag=True, help="No progress bar or samples.")
@click.option(
    "--level",
    type=click.Choice(list(LEVELS)),
    default="char",
    show_default=True,
    help="Model characters or words.",
)
@DATA_DIR
@_model_options
def train(
    corpus: str,
    level: str,
    out_dir: Path | None,
    minutes: float | None,
    steps: int | None,
    epochs: float | None,
    resume_dir: Path | None,
    encoding: str,
    quiet: bool,
    data_dir: Path | None,
    **options: Any,
) -> None:
    """Train a character (or, with --level word, word) language model on CORPUS (the bundled
    'shakespeare', a registry name such as 'tinyshakespeare' or 'wikitext2' (see `rnnkit data
    list`), a text file or a folder of text files) and save it as a checkpoint folder.

    To train a text classifier instead: rnnkit train classifier DATA (see its --help)."""
    use_mirror(data_dir)
    given = [k for k, v in options.items() if v is not None]
    if resume_dir is not None:
        if given:
            raise RnnkitError(f"--resume keeps the run's settings; drop: {', '.join(given)}")
        source = None if corpus == "shakespeare" else corpus
        lm = _kind_of(resume_dir, checkpoint.load_config(resume_dir)).resume(
            resume_dir,
            source,
            minutes=minutes,
            steps=steps,
            epochs=epochs,
            encoding=encoding,
            quiet=quiet,
        )
        out = resume_dir
    else:
        out = out_dir or Path("runs") / Path(corpus).stem
        word_only = [k for k in given if k in _WORD_OPTIONS]
        if level == "char" and word_only:
            raise RnnkitError(f"word-level options need --level word: {', '.join(word_only)}")
        lm = LEVELS[level](**{k: options[k] for k in given})
        lm.fit(
            corpus,
            minutes=minutes,
            steps=steps,
            epochs=epochs,
            out_dir=out,
            encoding=encoding,
            quiet=quiet,
        )
    stats = lm.info()["stats"]
    state = "interrupted; resume with --resume" if stats["interrupted"] else "done"
    best, unit = stats["best_val_loss"], lm.unit.removesuffix("s")
    quality = (
        "not validated yet"
        if best is None
        else f"best val loss {best:.4f} nats/{unit} ({best / math.log(2):.3f} bits/{unit}, "
        f"perplexity {math.exp(best):.2f})"
    )
    click.echo(
        f"{state}: {stats['steps']} steps in {stats['elapsed_s']:.0f} s, {quality}; saved to {out}"
    )


def _kind_of(model_dir: Path, config: dict[str, Any]) -> type[CharLM] | type[WordLM]:
    """The language-model class of the checkpoint in ``model_dir`` (its ``config``)."""
    kind = config.get("kind")
    if kind not in KINDS:
        raise RnnkitError(f"{model_dir} holds a {kind!r} model, not a language model")
    return KINDS[kind]


def _load(model_dir: Path) -> CharLM | WordLM:
    ck = checkpoint.load(model_dir)  # read once, whatever the kind
    return _kind_of(model_dir, ck.config)._from_checkpoint(ck)


def _load_any(model_dir: Path) -> CharLM | WordLM | TextClassifier:
    """A language model or a classifier, by the checkpoint's kind."""
    ck = checkpoint.load(model_dir)
    if ck.config.get("kind") == TextClassifier.kind:
        return TextClassifier._from_checkpoint(ck)
    return _kind_of(model_dir, ck.config)._from_checkpoint(ck)


@cli.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--chars", "n_chars", type=int, help="Generate exactly N characters (char model).")
@click.option("--words", "n_words", type=int, help="Generate exactly N words (word model).")
@click.option("--lines", "n_lines", type=int, help="Generate exactly N lines.")
@click.option("--prompt", default="", help="Text to prime the model with (printed first).")
@click.option(
    "--temperature",
    default=1.0,
    show_default=True,
    type=float,
    help="Sampling temperature; 0 = greedy.",
)
@click.option("--top-k", type=int, help="Sample among the K most likely characters.")
@click.option("--top-p", type=float, help="Nucleus sampling: smallest set with mass P.")
@click.option("--seed", type=int, help="Seed for repeatable samples.")
@click.option("--num-samples", default=1, show_default=True, type=int, help="Samples (batched).")
@click.option("--stop", multiple=True, help="Stop a sample at this string (repeatable).")
@click.option(
    "--stream/--no-stream",
    default=None,
    help="Print characters as they are generated (default for one sample).",
)
def generate(
    model_dir: Path,
    n_chars: int | None,
    n_words: int | None,
    n_lines: int | None,
    prompt: str,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int | None,
    num_samples: int,
    stop: tuple[str, ...],
    stream: bool | None,
) -> None:
    """Generate text from the model in MODEL_DIR: exactly --chars N characters (--words N words
    for a word model) or --lines N lines after the prompt."""
    lm = _load(model_dir)
    size, other = (n_words, n_chars) if isinstance(lm, WordLM) else (n_chars, n_words)
    if other is not None:
        raise RnnkitError(f"a {lm.kind} model counts {lm.unit}: use --{lm.unit} or --lines")
    args: dict[str, Any] = {lm.size_name: size, "n_lines": n_lines, "prompt": prompt}
    args |= {"temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed}
    if stream or (stream is None and num_samples == 1 and not stop):
        _stream_text(lm, args)
        return
    for i, text in enumerate(lm.generate_batch(num_samples, **args, stop=list(stop))):
        if i:
            click.echo(f"\n----- sample {i + 1} -----")
        click.echo(_lead(lm, prompt) + text)


def _lead(lm: CharLM | WordLM, prompt: str) -> str:
    """The prompt as printed before the generated text (a word model's words need a space)."""
    spaced = isinstance(lm, WordLM) and bool(prompt) and not prompt[-1].isspace()
    return prompt + " " if spaced else prompt


def _stream_text(lm: CharLM | WordLM, args: dict[str, Any]) -> None:
    """Print characters as they come (same text as the batched path for the same seed)."""
    click.echo(_lead(lm, args["prompt"]), nl=False)
    for ch in lm.stream(**args):
        click.echo(ch, nl=False)
    click.echo()


@cli.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("text")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--confusion", type=click.Path(path_type=Path), help="[classifier] PNG path.")
@click.option("--text-column", help="[classifier] Column holding the text.")
@click.option("--label-column", help="[classifier] Column holding the label.")
@DATA_DIR
def evaluate(
    model_dir: Path,
    text: str,
    encoding: str,
    as_json: bool,
    confusion: Path | None,
    text_column: str | None,
    label_column: str | None,
    data_dir: Path | None,
) -> None:
    """Score TEXT with the model. A language model reports loss (nats per token), bits per token
    and perplexity; TEXT is a file or a registry split such as 'wikitext2:test'. A classifier
    reports accuracy, macro-F1, per-class precision / recall / F1 and draws the confusion matrix
    [MODEL_DIR/confusion.png]; TEXT is labelled data, e.g. 'imdb:test' or a CSV file."""
    use_mirror(data_dir)
    lm = _load_any(model_dir)
    if isinstance(lm, TextClassifier):
        columns = (text_column, label_column)
        evaluate_classifier(lm, model_dir, text, encoding, as_json, confusion, columns)
        return
    result = lm.evaluate(text, encoding)
    if as_json:
        click.echo(json.dumps(result))
        return
    unit = lm.unit.removesuffix("s")
    click.echo(
        f"{text}: {result['tokens']:,} {lm.unit}, loss {result['loss']:.4f} nats/{unit}, "
        f"{result['bits_per_token']:.4f} bits/{unit}, perplexity {result['perplexity']:.3f}"
    )


@cli.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(model_dir: Path, as_json: bool) -> None:
    """Describe the model in MODEL_DIR: kind, cell, sizes, vocabulary, corpus, steps, best loss."""
    details = _load_any(model_dir).info()
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False, indent=2))
        return
    for key, value in details.items():
        if isinstance(value, dict):  # the validation curve is in --json
            value = ", ".join(f"{k}={v}" for k, v in value.items() if k != "history")
        click.echo(f"{key:>12}: {value!r}" if key == "vocab" else f"{key:>12}: {value}")


@cli.command()
@click.option(
    "--cell", type=click.Choice(["rnn", "lstm", "gru"]), default="lstm", show_default=True
)
@click.option(
    "--model",
    "whole_model",
    is_flag=True,
    help="Check the whole char model (embedding, 2 layers, head) instead of one cell.",
)
@click.option("--seed", default=0, show_default=True, type=int)
def gradcheck(cell: str, whole_model: bool, seed: int) -> None:
    """Compare the NumPy backend's analytic gradients with finite differences (float64).

    Prints the max relative error of every parameter; all should be far below 1e-6.
    """
    from rnnkit.numpy_rnn import gradcheck_cell, gradcheck_model

    errors = gradcheck_model(cell, seed=seed) if whole_model else gradcheck_cell(cell, seed=seed)
    width = max(len(name) for name in errors)
    click.echo(f"{'parameter':<{width}}  max relative error   ({cell}, float64)")
    for name, err in errors.items():
        click.echo(f"{name:<{width}}  {err:.3e}  {'ok' if err < 1e-6 else 'FAIL'}")
    if max(errors.values()) >= 1e-6:
        raise RnnkitError("gradient check failed: some relative error is >= 1e-6")


@cli.command()
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="PNG path [MODEL_DIR/training.png].")
def plot(model_dir: Path, out: Path | None) -> None:
    """Plot the train and validation loss of the run in MODEL_DIR to a PNG."""
    from rnnkit.training.plots import plot_training

    click.echo(str(plot_training(model_dir, out)))


@cli.group()
def data() -> None:
    """The dataset registry: list, describe and fetch (verified by sha256) named data sets."""


@data.command("list")
def data_list() -> None:
    """Name and description of every registered data set."""
    from rnnkit.data import registry as datasets

    for name in datasets.names():
        click.echo(f"{name:<16} {datasets.get(name).description}")


@data.command("info")
@click.argument("name")
@DATA_DIR
def data_info(name: str, data_dir: Path | None) -> None:
    """Licence, splits, URLs, checksums, and where each file of NAME is found."""
    from rnnkit.data import registry as datasets

    details = datasets.info(name, mirror=data_dir)
    for key in ("name", "description", "license", "splits"):
        click.echo(f"{key:>12}: {details[key]}")
    for f in details["files"]:
        click.echo(
            f"{'file':>12}: {f['name']}  ({f['where']})\n{'':>14}url {f['url']}"
            f"\n{'':>14}sha256 {f['sha256']} ({f['sha256_of']})"
        )


@data.command("fetch")
@click.argument("name")
@DATA_DIR
def data_fetch(name: str, data_dir: Path | None) -> None:
    """Make every file of NAME available locally, verified; print the paths."""
    from rnnkit.data import registry as datasets

    for path in datasets.fetch(name, mirror=data_dir):
        click.echo(str(path))


cli.add_command(predict)
cli.add_command(embed)
cli.add_command(forecast)
cli.add_command(backtest)


def main() -> None:
    """Console-script entry point."""
    cli()
