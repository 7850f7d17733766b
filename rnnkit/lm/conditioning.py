"""Language models conditioned on a style: a label (a genre, a work, a form, any corpus label)
fed with the input at every step, so that one model writes a sonnet or a play scene on demand,
still writes unconditioned text, and classifies text by Bayes' rule.

The data is a set of labelled **documents**: the works' blocks in their generation view
(:func:`rnnkit.data.works.documents`), or the rows of a labelled CSV / JSONL file or class
folder (:func:`rnnkit.data.labelled.read_labelled`). Each document is written as it starts
and ends (``"\\n" + text + "\\n"``, so documents are separated by a blank line and start as
generation starts, after a newline), the training ones in a seeded shuffled order so that the
TBPTT streams cross labels, and every token carries its document's label id. A style's id is
its index in the sorted styles; "no label" is the id after the last (see
:class:`~rnnkit.models.recurrent_lm.ModelConfig`).

Example:
    >>> c = Conditioning("label", ("neg", "pos"), (0.5, 0.5))
    >>> c.label_id("pos"), Conditioning.from_json(c.to_json()) == c
    (1, True)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from rnnkit.data import works
from rnnkit.data.labelled import read_labelled, split_validation
from rnnkit.data.sources import resolve
from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import RecurrentLM, State

#: The bundled data set whose conditions are its works' genre, title or form.
WORKS = "shakespeare-works"
#: The condition of any other labelled corpus: its label column (found as the classifier
#: finds it); another name is read as the name of the label column.
LABEL = "label"


@dataclass(frozen=True)
class Conditioning:
    """What a conditioned model was conditioned on: the condition, the styles (sorted; a
    style's label id is its index) and their prior p(style) (share of training documents)."""

    condition: str
    styles: tuple[str, ...]
    prior: tuple[float, ...]

    def label_id(self, style: str) -> int:
        """The label id of ``style``; an unknown style is an error naming the known ones."""
        if style not in self.styles:
            known = ", ".join(self.styles)
            raise RnnkitError(f"unknown style {style!r}; this model knows: {known}")
        return self.styles.index(style)

    def to_json(self) -> dict[str, Any]:
        return {"condition": self.condition, "styles": list(self.styles), "prior": list(self.prior)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conditioning:
        return cls(str(data["condition"]), tuple(data["styles"]), tuple(data["prior"]))


@dataclass(frozen=True)
class Documents:
    """The labelled documents of a conditioned run: training (shuffled) and validation."""

    train: tuple[list[str], list[str]]
    validation: tuple[list[str], list[str]]
    source: str
    #: Training documents per style as read, before any balancing repeats (the prior's counts).
    counts: dict[str, int]

    def conditioning(self, condition: str) -> Conditioning:
        counts = self.counts
        styles = tuple(sorted(counts))
        total = sum(counts.values())
        return Conditioning(condition, styles, tuple(counts[s] / total for s in styles))

    def text(self, part: str) -> str:
        """The documents of ``part`` ("train" or "validation") as one text."""
        return "".join(document(t) for t in getattr(self, part)[0])

    def fingerprint(self) -> str:
        """The text of every document with its label, for the run's sha256 (a resumed run
        must read the same documents under the same labels)."""
        rows = (*zip(*self.train, strict=True), *zip(*self.validation, strict=True))
        return "\0".join(f"{label}\0{text}" for text, label in rows)

    def token_labels(
        self, part: str, conditioning: Conditioning, count: Callable[[str], int]
    ) -> np.ndarray:
        """A label id for every token of :meth:`text` (``count``: a document's tokens)."""
        texts, labels = getattr(self, part)
        ids = [conditioning.label_id(label) for label in labels]
        return np.repeat(np.asarray(ids, dtype=np.int64), [count(document(t)) for t in texts])


def document(text: str) -> str:
    """A document as it is trained on: after a newline (where generation starts) and ending
    with one, so documents are separated by a blank line."""
    return "\n" + text.strip("\n") + "\n"


def read_documents(
    source: str | Path,
    condition: str,
    val_fraction: float,
    seed: int,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
    balance: float = 0.0,
) -> Documents:
    """The labelled documents of ``source`` for ``condition``: for ``shakespeare-works`` its
    ``genre``, ``work`` or ``form`` (the data set's train and validation blocks); else any
    labelled corpus, by its label column (``"label"``: found as the classifier finds it), with
    a stratified ``val_fraction`` held out. A corpus of one label is an error. ``balance``
    repeats rare styles' training documents (see :func:`balanced`); validation is as read."""
    named = resolve(source).name if isinstance(source, str) else None
    if named == WORKS:
        train = works.documents("train", condition)
        validation = works.documents("validation", condition)
        texts, labels, val = train.texts, train.labels, (validation.texts, validation.labels)
        label = WORKS
    else:
        column = None if condition == LABEL else condition
        data = read_labelled(source, label_column=column, encoding=encoding, data_dir=data_dir)
        _two_labels(data.labels, data.source)
        fit_part, val_part = split_validation(data, val_fraction, seed)
        texts, labels = fit_part.texts, [str(x) for x in fit_part.labels]
        val, label = (val_part.texts, [str(x) for x in val_part.labels]), data.source
    _two_labels(labels, label)
    counts = dict(Counter(labels))
    texts, labels = balanced(texts, labels, balance)
    order = np.random.default_rng(seed).permutation(len(texts))
    train_part = ([texts[i] for i in order], [labels[i] for i in order])
    return Documents(train_part, val, label, counts)


def balanced(texts: list[str], labels: list[str], balance: float) -> tuple[list[str], list[str]]:
    """Each document of a style with n documents, repeated round((most / n) ** balance) times
    (most: the commonest style's count). 0 reads the documents as they are, 1 shows every
    style about equally often, 0.5 between: the works' 8 sonnet blocks beside 96 comedy ones
    would otherwise give the sonnet label 2 % of the training signal.

    >>> balanced(["a", "b", "c", "d", "e"], ["x", "x", "x", "x", "y"], 0.5)[1]
    ['x', 'x', 'x', 'x', 'y', 'y']
    """
    if balance < 0:
        raise RnnkitError(f"style balance must be 0 or more, not {balance}")
    counts = Counter(labels)
    most = max(counts.values())
    times = [round((most / counts[label]) ** balance) for label in labels]
    return (
        [t for t, k in zip(texts, times, strict=True) for _ in range(k)],
        [x for x, k in zip(labels, times, strict=True) for _ in range(k)],
    )


def _two_labels(labels: list[Any], source: str) -> None:
    values = set(labels)
    if len(values) < 2:
        only = ", ".join(repr(v) for v in values) or "none"
        raise RnnkitError(
            f"{source} has one label value ({only}): conditioning needs texts of at least "
            "two labels"
        )


class Classified(NamedTuple):
    """What :meth:`~rnnkit.CharLM.classify` finds: the most probable style, p(style | text)
    for every style, and the text's negative log-likelihood (nats) given each style."""

    label: str
    probabilities: dict[str, float]
    nats: dict[str, float]


def classify(nats: np.ndarray, conditioning: Conditioning) -> Classified:
    """Bayes' rule: p(c | text) ∝ p(text | c) p(c), from ``nats`` = -log p(text | c) [L].

    Example:
        >>> c = Conditioning("label", ("a", "b"), (0.5, 0.5))
        >>> found = classify(np.array([10.0, 10.0 + np.log(3)]), c)
        >>> found.label, round(found.probabilities["a"], 3)
        ('a', 0.75)
    """
    scores = -nats + np.log(np.asarray(conditioning.prior))
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    styles = conditioning.styles
    return Classified(
        styles[int(np.argmax(probs))],
        {s: float(p) for s, p in zip(styles, probs, strict=True)},
        {s: float(n) for s, n in zip(styles, nats, strict=True)},
    )


@torch.inference_mode()
def text_nats(
    model: RecurrentLM, ids: np.ndarray, labels: torch.Tensor | None, seq_len: int = 256
) -> np.ndarray:
    """-log p(ids[1:] | ids[0], label) in nats for each row of ``labels`` [L] (None: one row,
    no label): the whole text read once per label, in one batch.

    Example:
        >>> from rnnkit.models.recurrent_lm import ModelConfig
        >>> m = RecurrentLM(ModelConfig(vocab_size=4, hidden_size=8, num_labels=2))
        >>> text_nats(m, np.array([0, 1, 2, 3]), torch.tensor([0, 1])).shape
        (2,)
    """
    model.eval()
    rows = 1 if labels is None else len(labels)
    device = model.embed.weight.device
    data = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64)).to(device)
    x, y = data[:-1].expand(rows, -1), data[1:].expand(rows, -1)
    labels = None if labels is None else labels.to(device)
    total = torch.zeros(rows, dtype=torch.float64, device=device)
    state: State | None = None
    for start in range(0, x.shape[1], seq_len):
        window = slice(start, start + seq_len)
        logits, state = model(x[:, window], state, labels)  # [L, T, V]
        logp = torch.log_softmax(logits.double(), dim=-1)
        total -= logp.gather(-1, y[:, window].unsqueeze(-1)).sum(dim=(1, 2))
    return total.cpu().numpy()
