"""What ``evaluate()`` returns: one typed dictionary with the same core fields for every kind.

Each is a plain ``dict`` (``result["loss"]`` works, and it serialises to JSON as is) whose core
keys mean the same for a character model, a word model or a classifier: the mean negative
log-likelihood per scored unit, its perplexity and bits, how many units were scored and what a
unit is. Kinds add their own keys beside these (``bpc``, ``accuracy``, ...).
"""

from __future__ import annotations

import math
from typing import Any, NotRequired, TypedDict


class Evaluation(TypedDict):
    """The core of every evaluation.

    Example:
        >>> r = scores(math.log(4), 10, "words")
        >>> r["perplexity"], r["bits_per_token"], r["unit"]
        (4.0, 2.0, 'words')
    """

    loss: float  # mean negative log-likelihood per unit, in nats
    perplexity: float  # exp(loss)
    bits_per_token: float  # loss / ln 2
    tokens: int  # units scored
    unit: str  # what a unit is: "chars", "words", "texts"


class LMEvaluation(Evaluation, total=False):
    """A language model's evaluation: the core, plus the kind's own names for the same figures
    (``bpc`` and ``chars`` for a character model, ``bpw`` and ``words`` for a word model)."""

    bpc: float
    bpw: float
    chars: int
    words: int


class ClassifierEvaluation(Evaluation):
    """A classifier's evaluation: the core (cross-entropy per text), plus accuracy, macro-F1,
    per-class precision / recall / F1 / support, the confusion matrix and the number of texts;
    with a baseline, each part's accuracy under ``components``."""

    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, Any]]
    confusion: list[list[int]]
    classes: list[Any]
    texts: int
    components: NotRequired[dict[str, float]]  # with a baseline only


class Seq2SeqEvaluation(Evaluation):
    """A sequence-to-sequence model's evaluation: the core (teacher-forced cross-entropy per
    target symbol), the share of outputs matching a reference, the word error rate (1 - exact
    match), the token error rate (symbol edits against the closest reference: the phoneme
    error rate of G2P), the number of pairs and the beam width used."""

    exact_match: float
    word_error_rate: float
    token_error_rate: float
    pairs: int
    beam: int


def scores(loss: float, tokens: int, unit: str) -> Evaluation:
    """The core fields for a mean loss of ``loss`` nats over ``tokens`` units."""
    return {
        "loss": loss,
        "perplexity": math.exp(loss) if loss < 700 else math.inf,  # no overflow error
        "bits_per_token": loss / math.log(2),
        "tokens": tokens,
        "unit": unit,
    }
