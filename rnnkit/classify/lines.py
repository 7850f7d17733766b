"""The line structure of a text as a few numbers: how often its lines rhyme, how long they are
and how alike. Character n-grams read within words, so they miss what tells a poem from a play
(issue 15's verse vs drama): rhymed line ends (a sonnet's ABAB, a couplet), lines of one
length with no half-lines where one speaker hands over to the next, every line opening with a
capital. :func:`line_features` measures these; :class:`LineLogReg` is logistic regression on
them.

Rhyme is judged by spelling, not sound: two different last words rhyme when they share their
last vowel group and what follows it (a final silent ``e`` after a consonant moves the key one
vowel group back: *increase* / *decease* share ``ease``) or their last three letters. That
misses eye rhymes and finds some chance ones, the same way in every text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit.classify.baseline import choose_c
from rnnkit.errors import RnnkitError

#: What :func:`line_features` returns, in order.
LINE_FEATURES = (
    "rhyme_next",  # lines whose last word rhymes with the next line's (couplets)
    "rhyme_alternate",  # ... with the line after next (ABAB)
    "mean_length",  # characters per line, / 40 (a pentameter line is about 40)
    "length_spread",  # standard deviation / mean of the line lengths
    "short_lines",  # lines under 25 characters (half-lines shared between speakers)
    "capital_starts",  # lines that open with a capital letter
)
_WORD = re.compile(r"[a-z]+")
_VOWELS = "aeiouy"
_SHORT_LINE = 25


def rhyme_key(word: str) -> str:
    """The spelling a rhyme shares: the last vowel group of a lowercase ``word`` and what
    follows it, one group further back past a silent final ``e``.

    Example:
        >>> rhyme_key("increase"), rhyme_key("eyes"), rhyme_key("spring")
        ('ease', 'eyes', 'ing')
    """
    end = (
        len(word) - 1
        if len(word) > 2 and word[-1] == "e" and word[-2] not in _VOWELS
        else len(word)
    )
    start = end
    while start > 0 and word[start - 1] not in _VOWELS:
        start -= 1
    while start > 0 and word[start - 1] in _VOWELS:
        start -= 1
    return word[start:]


def rhymes(a: str, b: str) -> bool:
    """Whether two lowercase words rhyme by spelling (a word does not rhyme with itself).

    Example:
        >>> rhymes("increase", "decease"), rhymes("fuel", "cruel"), rhymes("die", "eyes")
        (True, True, False)
    """
    return a != b and (rhyme_key(a) == rhyme_key(b) or a[-3:] == b[-3:])


def line_features(text: str) -> list[float]:
    """The :data:`LINE_FEATURES` of ``text``'s non-blank lines (all 0 for a text without
    any).

    Example:
        >>> couplet = "Shall I compare thee to a summer's day?\\nThou art more lovely and more gay."
        >>> dict(zip(LINE_FEATURES, line_features(couplet)))["rhyme_next"]
        1.0
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return [0.0] * len(LINE_FEATURES)
    ends = [words[-1] for words in (_WORD.findall(line.lower()) for line in lines) if words]
    lengths = np.array([len(line) for line in lines], dtype=np.float64)
    return [
        _rhyme_rate(ends, 1),
        _rhyme_rate(ends, 2),
        float(lengths.mean()) / 40,
        float(lengths.std() / lengths.mean()),
        float((lengths < _SHORT_LINE).mean()),
        float(np.mean([line.lstrip()[:1].isupper() for line in lines])),
    ]


def _rhyme_rate(ends: list[str], apart: int) -> float:
    """The share of line ends that rhyme with the end ``apart`` lines on."""
    pairs = len(ends) - apart
    if pairs < 1:
        return 0.0
    return sum(rhymes(ends[i], ends[i + apart]) for i in range(pairs)) / pairs


class LineLogReg:
    """Logistic regression on the standardised :func:`line_features` of texts, classes
    weighted as balanced (however few the texts of one), ``C`` chosen from ``Cs`` (ascending)
    by validation accuracy when a validation set is given, else the middle one.

    Example:
        >>> poem = "The rose is red\\nAnd so my bed\\nThe sky is blue\\nAnd so are you\\n" * 3
        >>> play = "What, ho!\\nWho goes there? Stand and unfold yourself.\\nA friend.\\n" * 3
        >>> model = LineLogReg().fit([poem, play] * 4, ["verse", "drama"] * 4)
        >>> model.predict([poem[:60], play[:80]]).tolist()
        ['verse', 'drama']
    """

    def __init__(self, Cs: Sequence[float] = (0.25, 1.0, 4.0), max_iter: int = 1000) -> None:
        if not Cs or min(Cs) <= 0:
            raise RnnkitError(f"Cs must be positive numbers, got {list(Cs)}")
        self.Cs = tuple(sorted(float(c) for c in Cs))
        self.max_iter = max_iter
        self.C_: float | None = None
        self.model_: Any = None
        self._mean: np.ndarray | None = None
        self._scale: np.ndarray | None = None

    def fit(
        self,
        texts: list[str],
        labels: Sequence[Any],
        val_texts: list[str] | None = None,
        val_labels: Sequence[Any] | None = None,
    ) -> LineLogReg:
        """Fit on ``texts``; with a validation set, keep the ``C`` that scores best on it
        (ties go to the smaller C)."""
        if len(texts) != len(labels) or len(set(labels)) < 2:
            raise RnnkitError("give as many labels as texts, of at least two classes")
        from sklearn.linear_model import LogisticRegression

        X, y = self._features(texts, fit=True), np.asarray(labels)

        def fit(C: float) -> Any:
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=self.max_iter)
            return model.fit(X, y)

        if val_texts is None:  # nothing to choose by: the middle C
            self.C_ = self.Cs[len(self.Cs) // 2]
            self.model_ = fit(self.C_)
        else:
            val_X, val_y = self._features(val_texts), np.asarray(val_labels)
            _, self.C_, self.model_, _ = choose_c(fit, self.Cs, val_X, val_y)
        return self

    def predict(self, texts: list[str]) -> np.ndarray:
        """The most probable class of each text."""
        if self.model_ is None:
            raise RnnkitError("LineLogReg is not fitted: call fit first")
        return np.asarray(self.model_.predict(self._features(texts)))

    def _features(self, texts: list[str], fit: bool = False) -> np.ndarray:
        X = np.array([line_features(t) for t in texts], dtype=np.float64)
        if fit:  # standardised with the training texts' mean and spread
            self._mean, self._scale = X.mean(axis=0), X.std(axis=0) + 1e-9
        assert self._mean is not None and self._scale is not None
        return (X - self._mean) / self._scale
