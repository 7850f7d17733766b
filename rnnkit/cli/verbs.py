"""The verb table: every ``rnnkit`` command is one row here, and nowhere else.

A row names the verb, gives the one line ``rnnkit --help`` shows, and says where the command
lives as ``"module:attribute"`` (a click command or group), imported only when the verb runs or
its own help is asked for: ``rnnkit --help`` imports no capability. A row named ``"VERB KIND"``
(``"train classifier"``) is one kind of a verb that several capabilities share; :data:`KINDED`
gives such a verb its help and the kind it means when no kind is named (``rnnkit train CORPUS``
is ``rnnkit train lm CORPUS``). A new verb, or a new kind of ``train``, is one new row.
"""

from __future__ import annotations

from typing import NamedTuple


class Verb(NamedTuple):
    """One command: its name (``"KIND"`` under a verb as ``"VERB KIND"``), its one-line help,
    and ``"module:attribute"`` of its click command."""

    name: str
    help: str
    target: str


class Kinded(NamedTuple):
    """A verb made of kinds: its one-line help, its help, and the kind it means when the first
    argument names none."""

    summary: str
    help: str
    default: str


VERBS: tuple[Verb, ...] = (
    Verb(
        "train lm",
        "A character or word language model (the default kind).",
        "rnnkit.lm.cli:train",
    ),
    Verb(
        "train classifier",
        "A recurrent text classifier, on labelled texts.",
        "rnnkit.classify.cli:train",
    ),
    Verb(
        "train seq2seq",
        "An encoder-decoder with attention, on pairs.",
        "rnnkit.seq2seq.cli:train",
    ),
    Verb(
        "train tabular",
        "Entity embeddings and an MLP, on a table (CSV).",
        "rnnkit.tabular.cli:train",
    ),
    Verb("generate", "Generate text with a language model.", "rnnkit.lm.cli:generate"),
    Verb(
        "evaluate",
        "Score a saved model on data (loss, or accuracy and confusion).",
        "rnnkit.cli.saved:evaluate",
    ),
    Verb(
        "predict", "Predict with a saved classifier or tabular model.", "rnnkit.cli.saved:predict"
    ),
    Verb(
        "translate",
        "Translate texts with a seq2seq model.",
        "rnnkit.seq2seq.cli:translate",
    ),
    Verb(
        "info",
        "Describe any saved folder: model, forecaster or word vectors.",
        "rnnkit.cli.saved:info",
    ),
    Verb("plot", "Draw the loss curves of a training run to a PNG.", "rnnkit.cli.saved:plot"),
    Verb(
        "embed",
        "Word vectors (word2vec): train, query, evaluate, plot, export.",
        "rnnkit.embed.cli:embed",
    ),
    Verb(
        "embed-map",
        "Draw a tabular model's embedding of a column as a map.",
        "rnnkit.tabular.cli:embed_map",
    ),
    Verb(
        "forecast",
        "Forecast a time series (fit a model, or load a saved one).",
        "rnnkit.timeseries.cli:forecast",
    ),
    Verb(
        "backtest",
        "Compare forecasting models by rolling-origin backtest.",
        "rnnkit.timeseries.cli:backtest",
    ),
    Verb(
        "data", "The dataset registry: list, describe and fetch data sets.", "rnnkit.data.cli:data"
    ),
    Verb(
        "gradcheck",
        "Check the NumPy backend's gradients against finite differences.",
        "rnnkit.cli.gradcheck:gradcheck",
    ),
)

KINDED: dict[str, Kinded] = {
    "train": Kinded(
        "Train a model and save it as a checkpoint folder.",
        "Train a model of one KIND and save it as a checkpoint folder. Without a KIND the "
        "arguments are a language model's: `rnnkit train CORPUS` is `rnnkit train lm CORPUS`. "
        "The options of each kind: `rnnkit train KIND --help`.",
        default="lm",
    ),
}
