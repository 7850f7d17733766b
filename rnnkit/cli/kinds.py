"""The kinds of saved folder, for the verbs that work on any of them (``info``, ``evaluate``,
``predict``): which class loads each, and which capability function evaluates or predicts with
it. Everything is named by ``"module:attribute"`` and imported only for the kind found, so
reading a forecaster never imports the classifier. A new kind is one row.

A checkpoint folder says its kind in ``config.json``; a word-vectors folder has a ``card.json``
instead (:mod:`rnnkit.embed.vectors`).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Any, NamedTuple

from rnnkit.core.files import resolve_folder
from rnnkit.errors import RnnkitError

WORD_VECTORS = "word_vectors"


class Kind(NamedTuple):
    """A saved kind: the class whose ``load(folder)`` reads it, the functions that
    ``rnnkit evaluate`` / ``rnnkit predict`` call with the loaded model (None: not this kind),
    and whether its models can be conditioned on a style (``evaluate --style``)."""

    loads: str
    evaluate: str | None = None
    predict: str | None = None
    styles: bool = False


KINDS: dict[str, Kind] = {
    "char_lm": Kind("rnnkit.lm.charlm:CharLM", evaluate="rnnkit.lm.cli:evaluate", styles=True),
    "word_lm": Kind("rnnkit.lm.wordlm:WordLM", evaluate="rnnkit.lm.cli:evaluate", styles=True),
    "classifier": Kind(
        "rnnkit.classify.classifier:TextClassifier",
        evaluate="rnnkit.classify.cli:evaluate",
        predict="rnnkit.classify.cli:predict",
    ),
    "seq2seq": Kind("rnnkit.seq2seq.seq2seq:Seq2Seq", evaluate="rnnkit.seq2seq.cli:evaluate"),
    "forecaster": Kind("rnnkit.timeseries.forecaster:Forecaster"),
    "tabular": Kind("rnnkit.tabular.model:TabularModel", predict="rnnkit.tabular.cli:predict"),
    WORD_VECTORS: Kind("rnnkit.embed.vectors:WordVectors"),
}


def kind_of(folder: Path) -> str:
    """The kind of model saved in ``folder`` (a checkpoint's ``kind``, or word vectors)."""
    from rnnkit.embed.store import CARD

    folder = resolve_folder(folder, "saved model folder")
    if (folder / CARD).is_file() and not (folder / "config.json").is_file():
        return WORD_VECTORS
    from rnnkit.core import checkpoint

    kind = checkpoint.load_config(folder).get("kind")
    if kind not in KINDS:
        raise RnnkitError(f"{folder} holds a {kind!r} model, which this rnnkit does not know")
    return str(kind)


def load(folder: Path) -> tuple[str, Any]:
    """The kind of ``folder`` and the model loaded from it by its kind's class."""
    kind = kind_of(folder)
    return kind, pkgutil.resolve_name(KINDS[kind].loads).load(folder)


def action(kind: str, verb: str) -> Any:
    """The function ``rnnkit VERB`` (evaluate, predict) calls for ``kind``; an error naming the
    kinds that have one if this kind has none."""
    target = getattr(KINDS[kind], verb)
    if target is None:
        able = ", ".join(k for k, row in KINDS.items() if getattr(row, verb) is not None)
        raise RnnkitError(f"rnnkit {verb} works on {able}; this folder holds a {kind}")
    return pkgutil.resolve_name(target)
