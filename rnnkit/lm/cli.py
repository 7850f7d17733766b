"""The language models' verbs: ``rnnkit train lm`` (also ``rnnkit train CORPUS``),
``rnnkit generate``, and what ``rnnkit evaluate`` does with a language model.

The training options are generated from :class:`~rnnkit.lm.base.TrainSettings`,
:class:`~rnnkit.lm.wordlm.WordSettings` and the models' constructors, so their defaults live
there alone (shown per level where the levels differ).

User errors raise :class:`~rnnkit.errors.RnnkitError`; the ``rnnkit`` group turns them into one
``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
from pathlib import Path
from typing import Any

import click

from rnnkit.core import checkpoint
from rnnkit.core.options import (
    SEED,
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
from rnnkit.errors import RnnkitError
from rnnkit.lm.base import DEFAULT_CORPUS, LEARNERS
from rnnkit.lm.charlm import CharLM
from rnnkit.lm.wordlm import WordLM
from rnnkit.models.recurrent_lm import CELLS
from rnnkit.training import distributed

#: The language-model classes by --level, and by the "kind" a checkpoint of each says.
LEVELS: dict[str, type[CharLM] | type[WordLM]] = {"char": CharLM, "word": WordLM}
KINDS = {cls.kind: cls for cls in LEVELS.values()}

#: The constructor's architecture arguments (no settings dataclass holds them) and their types.
_ARCH_TYPES: dict[str, type] = {
    "cell": str,
    "hidden_size": int,
    "embed_size": int,
    "num_layers": int,
    "dropout": float,
    "tie_weights": bool,
    "input_dropout": float,
    "embed_dropout": float,
    "weight_drop": float,
    "adaptive": bool,
}
_HELP = {
    "hidden_size": "Units per recurrent layer.",
    "tie_weights": "Share the embedding and output weights.",
    "input_dropout": "Embedding dropout.",
    "weight_drop": "DropConnect on the hidden-to-hidden weights.",
    "adaptive": "Adaptive softmax head.",
    "seq_len": "TBPTT window length.",
    "batch_size": "Parallel streams per step.",
    "val_fraction": "Held-out tail fraction.",
    "val_max_chars": "Validate on at most this many tokens.",
    "seed": "Random seed (runs are repeatable on CPU).",
    "evals": "Validations (with a sample) per run.",
    "grad_accum": "Go through each window's streams in N parts (same update, less memory).",
    "dist_timeout": "Seconds a rank waits for the others before it stops (torchrun runs).",
    "backend": "Train with PyTorch, or with rnnkit's NumPy reference backprop (same checkpoint).",
    "words_only": "Drop punctuation.",
    "tokenizer": "Read words as the benchmarks do (words) or as the classifier does (text).",
    "condition": "Condition on a style: genre, work or form of shakespeare-works, or label "
    "(or a label column's name) of a labelled CSV / JSONL file or class folder.",
    "label_size": "Style embedding size (with --condition).",
    "label_dropout": "Share of training windows read without their style (with --condition).",
    "style_balance": "Repeat rare styles' documents (most / n) ** B times (0: as read; with "
    "--condition).",
}
#: What a None default means, where it is not "auto" (chosen by the budget or the data).
_UNSET = {"val_max_chars": "all", "condition": "none"}


def _arch() -> dict[str, Setting]:
    """The architecture arguments, with each level's default from its constructor."""
    found: dict[str, Setting] = {}
    for name, kind in _ARCH_TYPES.items():
        defaults = {}
        for level, cls in LEVELS.items():
            params = inspect.signature(cls).parameters
            if name in params:
                defaults[level] = params[name].default
            elif name in cls.extra_arch:
                defaults[level] = cls.extra_arch[name]
        found[name] = Setting(kind, defaults)
    return found


_SETTINGS = _arch() | dataclass_settings({lv: c.settings_type for lv, c in LEVELS.items()})
_CHAR_SETTINGS = {name for name, s in _SETTINGS.items() if "char" in s.defaults}


@click.command()
@source_argument("corpus", required=False)
@click.option(
    "--level",
    type=click.Choice(list(LEVELS)),
    default="char",
    show_default=True,
    help="Model characters or words.",
)
@click.option(
    "--nproc",
    type=int,
    help="Train on N processes of this machine (starts torchrun; for several machines run "
    "torchrun --nnodes ... -m rnnkit train ... yourself).",
)
@run_options
@settings_options(
    _SETTINGS,
    _HELP,
    kinds=LEVELS,
    choices={"cell": CELLS, "backend": LEARNERS, "tokenizer": ("words", "text")},
    unset=_UNSET,
)
def train(
    corpus: str | None, level: str, nproc: int | None, run: Run, settings: dict[str, Any]
) -> None:
    """Train a character (or, with --level word, word) language model on CORPUS and save it as
    a checkpoint folder. CORPUS is the bundled 'shakespeare' (the default), a registry name
    such as 'tinyshakespeare' or 'wikitext2' (see `rnnkit data list`), a text file (.gz too) or
    a folder of text files. With --resume DIR, CORPUS is the run's own (read again and checked)
    unless given. Options left unset take the level's default; 'auto' ones are chosen by the
    budget."""
    if nproc is not None and nproc > 1 and not distributed.launched():
        sys.exit(distributed.torchrun(nproc, distributed.without_option(sys.argv[1:], "--nproc")))

    def fit(source: str, folder: Path) -> CharLM | WordLM:
        word_only = [k for k in settings if k not in _CHAR_SETTINGS]
        if level == "char" and word_only:
            raise RnnkitError(f"word-level options need --level word: {', '.join(word_only)}")
        return LEVELS[level](**settings).fit(source, out_dir=folder, **run.common())

    def resume(folder: Path) -> CharLM | WordLM:
        return lm_class(folder).resume(folder, corpus, **run.common())

    lm, folder = fit_or_resume(run, settings, corpus or DEFAULT_CORPUS, fit, resume)
    if not distributed.current().is_main:
        return  # rank 0 alone reports
    stats = lm.info()["stats"]
    best, unit = stats["best_val_loss"], lm.unit.removesuffix("s")
    quality = (
        "not validated yet"
        if best is None
        else f"best val loss {best:.4f} nats/{unit} ({best / math.log(2):.3f} bits/{unit}, "
        f"perplexity {math.exp(best):.2f})"
    )
    click.echo(finished(stats, quality, folder))


def lm_class(model_dir: Path) -> type[CharLM] | type[WordLM]:
    """The language-model class of the checkpoint in ``model_dir``."""
    kind = checkpoint.load_config(model_dir).get("kind")
    if kind not in KINDS:
        hint = f" (its own verb: rnnkit train {kind} --resume ...)" if kind == "classifier" else ""
        raise RnnkitError(f"{model_dir} holds a {kind!r} model, not a language model{hint}")
    return KINDS[kind]


@click.command()
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
@click.option("--top-k", type=int, help="Sample among the K most likely tokens.")
@click.option("--top-p", type=float, help="Nucleus sampling: smallest set with mass P.")
@SEED
@click.option("--num-samples", default=1, show_default=True, type=int, help="Samples (batched).")
@click.option("--stop", multiple=True, help="Stop a sample at this string (repeatable).")
@click.option("--style", help="Write in this style (a model trained with --condition).")
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
    style: str | None,
    stream: bool | None,
) -> None:
    """Generate text from the model in MODEL_DIR: exactly --chars N characters (--words N words
    for a word model) or --lines N lines after the prompt. Without --seed, a new sample each
    time. A model trained with --condition writes in --style (`rnnkit info` lists them)."""
    lm = lm_class(model_dir).load(model_dir)
    size, other = (n_words, n_chars) if isinstance(lm, WordLM) else (n_chars, n_words)
    if other is not None:
        raise RnnkitError(f"a {lm.kind} model counts {lm.unit}: use --{lm.unit} or --lines")
    args: dict[str, Any] = {lm.size_name: size, "n_lines": n_lines, "prompt": prompt}
    args |= {"temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed}
    args["style"] = style
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


def evaluate(lm: CharLM | WordLM, request: EvaluateRequest) -> None:
    """``rnnkit evaluate`` for a language model: loss, bits and perplexity per token."""
    if request.out_dir or request.text_column or request.label_column:
        raise RnnkitError("--out, --text-column and --label-column are for classifiers")
    result = lm.evaluate(request.data, request.encoding, request.data_dir, request.style)
    if request.as_json:
        click.echo(json.dumps(result))
        return
    unit = lm.unit.removesuffix("s")
    click.echo(
        f"{request.data}: {result['tokens']:,} {lm.unit}, loss {result['loss']:.4f} "
        f"nats/{unit}, {result['bits_per_token']:.4f} bits/{unit}, "
        f"perplexity {result['perplexity']:.3f}"
    )
