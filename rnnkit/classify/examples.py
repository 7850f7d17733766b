"""A classifier's labelled examples, from a source (file, folder, registry name) or from two
lists in memory, checked so that every bad input is a one-line error; and what identifies them
in a checkpoint (a fingerprint, to refuse resuming on other data)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.labelled import Labelled, read_labelled
from rnnkit.errors import RnnkitError

#: The source recorded for data given as lists.
IN_MEMORY = "texts in memory"
#: What a classifier can be trained or evaluated on.
Data = str | Path | Sequence[str]


def labelled(
    data: Data,
    labels: Sequence[Any] | None,
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
) -> Labelled:
    """Labelled text from a source (file, folder, registry name) or from two lists.

    Example:
        >>> labelled(["good", "bad"], ["pos", "neg"]).labels
        ['pos', 'neg']
        >>> labelled(["good"], None)
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: give labels with the texts (or a file / dataset that has them)
    """
    if isinstance(data, (str, Path)):
        if labels is not None:
            raise RnnkitError("a file or dataset brings its own labels: give labels with a list")
        return read_labelled(data, text_column, label_column, encoding, data_dir)
    if labels is None:
        raise RnnkitError("give labels with the texts (or a file / dataset that has them)")
    texts = checked_texts(data)
    if len(texts) != len(labels):
        raise RnnkitError(f"{len(texts)} texts but {len(labels)} labels")
    return Labelled(texts, plain_labels(labels), IN_MEMORY)


def checked_texts(texts: Sequence[str] | str) -> list[str]:
    """A list of non-empty texts; a bare string is a mistake worth naming."""
    if isinstance(texts, str):
        raise RnnkitError("give a list of texts, not one string (wrap it: [text])")
    result = list(texts)
    wrong = [i + 1 for i, t in enumerate(result) if not isinstance(t, str)]
    if wrong:
        raise RnnkitError(f"{len(wrong)} text(s) are not strings, e.g. number {wrong[0]}")
    empty = [i + 1 for i, t in enumerate(result) if not t.strip()]
    if empty:
        shown = ", ".join(map(str, empty[:5]))
        raise RnnkitError(f"{len(empty)} empty text(s), e.g. number {shown}")
    return [str(t) for t in result]


def plain_labels(labels: Sequence[Any]) -> list[Any]:
    """Labels as JSON values (NumPy scalars unwrapped); all str or all int."""
    plain = [x.item() if isinstance(x, np.generic) else x for x in labels]
    kinds = {type(x) for x in plain}
    if not (kinds <= {str} or kinds <= {int}):
        names = ", ".join(sorted(k.__name__ for k in kinds))
        raise RnnkitError(f"labels must be all strings or all integers, got {names}")
    return plain


def classes_of(labels: Sequence[Any]) -> list[Any]:
    """The sorted distinct labels; fewer than two is an error."""
    classes = sorted(set(labels), key=lambda c: (str(type(c)), c))
    if len(classes) < 2:
        raise RnnkitError(f"the training data has a single class ({classes[0]!r}): need at least 2")
    return classes


def fingerprint(data: Labelled) -> str:
    """The sha256 of the labelled texts, in order."""
    h = hashlib.sha256()
    for text, label in zip(data.texts, data.labels, strict=True):
        h.update(f"{label!r}\t{text}\x00".encode())
    return h.hexdigest()


def described(
    whole: Labelled, train: Labelled, val: Labelled, columns: dict[str, str | None]
) -> dict[str, Any]:
    """What a checkpoint records of its data: source, fingerprint, sizes, how it was read."""
    return {
        "source": whole.source,
        "sha256": fingerprint(whole),
        "texts": len(whole),
        "train": len(train),
        "validation": len(val),
        **columns,
    }
