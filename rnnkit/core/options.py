"""Command-line pieces every capability's CLI shares, so a flag means the same on every verb.

This is a low layer: a capability's ``cli`` module uses it without importing the verb table
(:mod:`rnnkit.cli`), and it imports nothing heavy (click and the standard library only).

* Shared options: ``--data-dir``, ``--quiet``, ``--encoding``, ``--json``, ``--seed`` and
  :func:`out_option` (``--out`` is always an output folder).
* :func:`settings_options`: options generated from an estimator's settings dataclass (name,
  type, default), so each default lives in the dataclass alone. :data:`SPELLING` and
  :data:`TYPES` hold the few names whose flag is not ``--field-name`` or whose type is wider on
  the command line, for every verb at once.
* :func:`run_options`, :class:`Run` and :func:`train`: the budget, output folder and resume
  logic every ``rnnkit train KIND`` shares.
* :class:`EvaluateRequest` / :class:`PredictRequest`: what ``rnnkit evaluate`` / ``predict``
  hand to the kind of model they found.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from rnnkit.errors import RnnkitError

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")

#: Where the ``rnnkit`` group keeps its log handler in ``click.Context.meta``, for ``--quiet``.
LOG_HANDLER = "rnnkit.log_handler"

#: ``--data-dir``: where the dataset registry finds its files (a folder laid out like
#: shared/data); the RNNKIT_DATA environment variable sets it too. Passed on explicitly.
DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="RNNKIT_DATA",
    help="Local mirror of the data sets (a folder laid out like shared/data); or RNNKIT_DATA.",
)


def _quiet(ctx: click.Context, _: click.Parameter, quiet: bool) -> bool:
    # Progress messages go through the "rnnkit" logger; --quiet keeps only warnings of it.
    handler = ctx.meta.get(LOG_HANDLER)
    if quiet and isinstance(handler, logging.Handler):
        handler.setLevel(logging.WARNING)
    return quiet


QUIET = click.option(
    "--quiet", is_flag=True, callback=_quiet, help="No progress bar or progress messages."
)
ENCODING = click.option(
    "--encoding", default="utf-8", show_default=True, help="Text encoding of the input files."
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
#: ``--seed`` of the verbs without a settings dataclass; a dataclass's ``seed`` field becomes
#: the same option (an integer, unset by default) through :func:`settings_options`.
SEED = click.option("--seed", type=int, default=None, help="Random seed, for repeatable results.")


def out_option(holds: str, default: str) -> Callable[[F], F]:
    """``--out DIR``, the output folder of every verb that writes files: what it ``holds`` and
    where it goes when not given (``default``)."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path, file_okay=False),
        callback=_a_folder,
        help=f"Output folder: {holds} [default: {default}].",
    )


#: Suffixes of the files verbs write: ``--out x.png`` was a file in rnnkit 0.1.0, now a folder.
_FILE_SUFFIXES = {".png", ".csv", ".json", ".txt", ".svg", ".pdf"}


def _a_folder(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and Path(value).suffix.lower() in _FILE_SUFFIXES:
        raise RnnkitError(
            f"--out is the output folder (the files get their own names in it), not a file: {value}"
        )
    return value


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not None): the rest keep the callee's defaults."""
    return {k: v for k, v in values.items() if v is not None}


def show(details: Mapping[str, Any], as_json: bool) -> None:
    """Print a description (``info``): JSON, or one ``key: value`` line each; nested parts on
    one line (a validation curve, ``history``, only in JSON)."""
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False, indent=2))
        return
    width = max(map(len, details), default=0)
    for key, value in details.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if k != "history")
        click.echo(f"{key:>{width}}: {value!r}" if key == "vocab" else f"{key:>{width}}: {value}")


# ---------------------------------------------------------------------------------------------
# Options generated from settings dataclasses

#: Flags spelled other than ``--field-name`` (``--name/--no-name`` for a bool), on every verb.
SPELLING = {
    "num_layers": "--layers",
    "architecture": "--arch",
    "lowercase": "--lowercase/--keep-case",
    "bidirectional": "--bidirectional/--unidirectional",
}
#: Help of the settings that several estimators have, the same on every verb (a capability's
#: own text for a name replaces it where the setting means something else there).
HELP = {
    "cell": "Cell type.",
    "num_layers": "Stacked layers.",
    "embed_size": "Embedding size.",
    "dropout": "Dropout.",
    "lr": "Peak AdamW learning rate.",
    "warmup_steps": "Linear warmup steps.",
    "min_lr_ratio": "Final learning rate as a fraction of the peak.",
    "weight_decay": "AdamW weight decay.",
    "clip": "Gradient-norm clipping threshold.",
    "seed": "Random seed.",
    "device": "cpu, cuda, mps, or auto (a GPU when present).",
    "min_count": "Rarer words become <unk>.",
    "max_vocab": "Vocabulary size cap.",
    "lowercase": "Lowercase the text, or keep its case.",
    "embeddings": "Start the embedding from a word-vectors folder.",
    "freeze_embeddings": "Keep the starting embedding fixed.",
    "embed_dropout": "Drop whole words from the embedding.",
}
#: What a None default means for the settings where it is not "auto" (chosen at fit time).
UNSET = {"max_vocab": "no cap", "embeddings": "none"}
#: Settings whose command-line type is wider than some dataclass's: ``--epochs`` is a number of
#: passes everywhere, fractional for a training budget; word2vec takes whole ones (checked).
TYPES: dict[str, type] = {"epochs": float}


@dataclass(frozen=True)
class Setting:
    """One setting as an option: its Python type, and its default for each kind of model
    (``""`` when the verb has one kind; None means the estimator decides at fit time)."""

    type: type
    defaults: Mapping[str, Any]


def dataclass_settings(kinds: Mapping[str, type]) -> dict[str, Setting]:
    """The fields of each kind's settings dataclass (every field has a default), in field
    order, with their defaults read from a default instance."""
    types: dict[str, type] = {}
    defaults: dict[str, dict[str, Any]] = {}
    for kind, cls in kinds.items():
        hints, instance = typing.get_type_hints(cls), cls()
        for f in dataclasses.fields(cls):
            types.setdefault(f.name, _plain_type(hints[f.name]))
            defaults.setdefault(f.name, {})[kind] = getattr(instance, f.name)
    return {name: Setting(kind, defaults[name]) for name, kind in types.items()}


def settings_options(
    settings: Mapping[str, Setting],
    help: Mapping[str, str],
    *,
    kinds: Collection[str] = ("",),
    choices: Mapping[str, Collection[str]] | None = None,
    unset: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Decorate a command with one option per setting, and pass it ``settings``: the ones given,
    converted to their dataclass type (the rest keep the estimator's defaults).

    ``help`` has a text for each setting that :data:`HELP` lacks or means otherwise; each
    option shows its default from ``settings`` (per kind where the ``kinds`` differ; a setting
    of only some kinds is marked ``[word]``, say). ``unset`` says what a None default means
    where :data:`UNSET` does not (else ``auto``); ``choices`` restricts strings.
    """
    choices, texts, nones = choices or {}, {**HELP, **help}, {**UNSET, **(unset or {})}
    options = [
        _option(name, s, texts[name], list(kinds), choices.get(name), nones.get(name, "auto"))
        for name, s in settings.items()
    ]

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(**kwargs: Any) -> Any:
            chosen = {n: kwargs.pop(n) for n in settings}
            values = {n: _typed(n, v, settings[n].type) for n, v in given(**chosen).items()}
            return f(settings=values, **kwargs)

        for option in reversed(options):
            command = option(command)
        return typing.cast(F, command)

    return decorate


def _plain_type(hint: Any) -> type:
    """``int | None`` -> ``int``: the type an option parses to."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return typing.cast(type, args[0] if args else hint)


def _option(
    name: str,
    setting: Setting,
    text: str,
    kinds: list[str],
    choices: Collection[str] | None,
    unset: str,
) -> Callable[[F], F]:
    flag = SPELLING.get(name, "--" + name.replace("_", "-"))
    if setting.type is bool and "/" not in flag:
        flag = f"{flag}/--no-{flag.removeprefix('--')}"
    only = [k for k in kinds if k in setting.defaults]
    mark = f"[{'/'.join(only)}] " if len(only) < len(kinds) else ""
    shown = {k: _shown(v, flag, unset) for k, v in setting.defaults.items()}
    default = (
        next(iter(shown.values()))
        if len(set(shown.values())) == 1
        else ", ".join(f"{k} {v}" for k, v in shown.items())
    )
    kind: Any = click.Choice(list(choices)) if choices else TYPES.get(name, setting.type)
    extra: dict[str, Any] = {} if setting.type is bool else {"type": kind}
    text = f"{mark}{text} [default: {default}]"
    return click.option(flag, name, default=None, help=text, **extra)


def _shown(value: Any, flag: str, unset: str) -> str:
    if value is None:
        return unset
    if isinstance(value, bool):  # the flag that is on by default: --lowercase, --keep-case
        on, _, off = flag.partition("/")
        return (on if value else off).removeprefix("--")
    return str(value)


def _typed(name: str, value: Any, declared: type) -> Any:
    """A value of a wider command-line type (:data:`TYPES`) as the dataclass's type."""
    if declared is int and isinstance(value, float):
        if not value.is_integer():
            flag = "--" + name.replace("_", "-")
            raise RnnkitError(f"{flag} must be a whole number here, got {value}")
        return int(value)
    return value


# ---------------------------------------------------------------------------------------------
# What every `rnnkit train KIND` shares


@dataclass(frozen=True)
class Run:
    """The options of a training run that do not describe the model: its budget, its folder,
    and how its data is read."""

    out_dir: Path | None
    resume_dir: Path | None
    minutes: float | None
    steps: int | None
    epochs: float | None
    encoding: str | None  # None: UTF-8, or what a resumed run recorded
    quiet: bool
    data_dir: Path | None

    def common(self) -> dict[str, Any]:
        """The keyword arguments ``fit`` and ``resume`` both take: all but the two folders (and
        the encoding when none was given, so that each takes its own default)."""
        skip = ("out_dir", "resume_dir") + (("encoding",) if self.encoding is None else ())
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip
        }


_RUN_OPTIONS = (
    out_option("the checkpoint, metrics.csv and the training state", "runs/NAME of the data"),
    click.option(
        "--resume",
        "resume_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Continue the run saved in this folder exactly where it stopped (its settings).",
    ),
    click.option(
        "--minutes",
        type=float,
        help="Wall-clock budget in minutes [default with no budget: the kind's own (a language "
        "model: 5 minutes; a classifier: planned from the data)].",
    ),
    click.option("--steps", type=int, help="Budget in optimizer steps."),
    click.option(
        "--epochs", type=float, default=None, help="Budget in passes over the training data."
    ),
    click.option(
        "--encoding",
        help="Text encoding of the data [default: utf-8; on --resume, the run's own].",
    ),
    QUIET,
    DATA_DIR,
)


def run_options(f: F) -> F:
    """Decorate a ``train`` command with the :class:`Run` options; it receives ``run``."""

    @functools.wraps(f)
    def command(**kwargs: Any) -> Any:
        run = Run(**{k.name: kwargs.pop(k.name) for k in dataclasses.fields(Run)})
        return f(run=run, **kwargs)

    for option in reversed(_RUN_OPTIONS):
        command = option(command)
    return typing.cast(F, command)


def train(
    run: Run,
    settings: Mapping[str, Any],
    source: str | None,
    fit: Callable[[str, Path], M],
    resume: Callable[[Path], M],
) -> tuple[M, Path]:
    """Start a run with ``fit(source, folder)``, or continue one with ``resume(folder)``
    (which keeps the saved settings, so none may be given); returns the model and its folder."""
    if run.resume_dir is not None:
        if settings:
            raise RnnkitError(f"--resume keeps the run's settings; drop: {', '.join(settings)}")
        return resume(run.resume_dir), run.resume_dir
    if source is None:
        raise RnnkitError("give the data to train on, or --resume DIR")
    folder = run.out_dir or Path("runs") / folder_name(source)
    return fit(source, folder), folder


def finished(stats: Mapping[str, Any], quality: str, folder: Path) -> str:
    """The last line of a ``train`` verb: done or interrupted, steps, time, ``quality``."""
    state = "interrupted; resume with --resume" if stats["interrupted"] else "done"
    took = f"{stats['steps']} steps in {stats['elapsed_s']:.0f} s"
    return f"{state}: {took}, {quality}; saved to {folder}"


def source_argument(name: str, required: bool = True) -> Callable[[F], F]:
    """A data-source argument: on the command line it is always a registry name or a path,
    never the text itself (a shell argument with a line break is refused)."""

    def checked(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and ("\n" in value or "\r" in value):
            raise RnnkitError(
                f"{name.upper()} is a data set name or a path, not the text itself: write the text "
                "to a file and give its path"
            )
        return value

    return click.argument(name, required=required, callback=checked)


def folder_name(source: str) -> str:
    """A folder name after a data source, as earlier releases chose it (the name without its
    last suffix): ``data/v1.2.txt`` -> ``v1.2``, ``imdb:test`` -> ``imdb_test``.

    Example:
        >>> folder_name("data/v1.2.txt"), folder_name("imdb:test")
        ('v1.2', 'imdb_test')
    """
    return Path(source).stem.replace(":", "_") or "run"


# ---------------------------------------------------------------------------------------------
# What `rnnkit evaluate` and `rnnkit predict` hand to a kind of model


@dataclass(frozen=True)
class EvaluateRequest:
    """``rnnkit evaluate MODEL_DIR DATA``: the data and how to read it, where files go (None:
    MODEL_DIR), and whether to print JSON."""

    model_dir: Path
    data: str
    encoding: str
    data_dir: Path | None
    out_dir: Path | None
    as_json: bool
    text_column: str | None = None
    label_column: str | None = None
    style: str | None = None  # a conditioned language model reads DATA in this style


@dataclass(frozen=True)
class PredictRequest:
    """``rnnkit predict MODEL_DIR TEXTS``: the texts, the words to explain each by, JSON."""

    texts: list[str]
    explain: int
    as_json: bool
