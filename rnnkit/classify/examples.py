"""A classifier's labelled examples, from a source (file, folder, registry name) or from two
lists in memory, checked so that every bad input is a one-line error; their training and
validation parts; and what identifies them in a checkpoint (a fingerprint, to refuse resuming
on other data).

``shakespeare-works`` takes two options of its own, ``target`` (``"work"`` or ``"genre"``)
and ``passage_chars``: passages of any length labelled either way
(:func:`rnnkit.data.works.passages`); the registry's records are its default, 500 characters
by work."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data import catalog, works
from rnnkit.data.labelled import Labelled, read_labelled, split_validation
from rnnkit.data.sources import Source, resolve
from rnnkit.errors import RnnkitError

#: The source recorded for data given as lists.
IN_MEMORY = "texts in memory"
#: What a classifier can be trained or evaluated on.
Data = str | Path | Sequence[str]
#: The data set with options of its own, and those options.
WORKS = "shakespeare-works"
WORKS_OPTIONS = ("target", "passage_chars")


def labelled(
    data: Data,
    labels: Sequence[Any] | None,
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
    target: str | None = None,
    passage_chars: int | None = None,
) -> Labelled:
    """Labelled text from a source (file, folder, registry name) or from two lists;
    ``target`` and ``passage_chars`` are options of ``shakespeare-works`` only.

    Example:
        >>> labelled(["good", "bad"], ["pos", "neg"]).labels
        ['pos', 'neg']
        >>> labelled(["good"], None)
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: give labels with the texts (or a file / dataset that has them)
        >>> sorted(set(labelled("shakespeare-works:test", None, target="genre").labels))[:2]
        ['comedy', 'history']
    """
    if isinstance(data, (str, Path)) and labels is not None:
        raise RnnkitError("a file or dataset brings its own labels: give labels with a list")
    split = works_split(data)
    if split is not None:
        return _works_passages(split, target, passage_chars)
    if target is not None or passage_chars is not None:
        raise RnnkitError(f"target and passage_chars are options of the {WORKS} data set only")
    if isinstance(data, (str, Path)):
        return read_labelled(data, text_column, label_column, encoding, data_dir)
    if labels is None:
        raise RnnkitError("give labels with the texts (or a file / dataset that has them)")
    texts = checked_texts(data)
    if len(texts) != len(labels):
        raise RnnkitError(f"{len(texts)} texts but {len(labels)} labels")
    return Labelled(texts, plain_labels(labels), IN_MEMORY)


def training_parts(
    data: Data, labels: Sequence[Any] | None, val_fraction: float, seed: int, **reading: Any
) -> tuple[Labelled, Labelled, Labelled]:
    """All the training data, its training part and its validation part: a registry data set's
    own validation split where it has one (read as its training split is), else a stratified
    random ``val_fraction`` of the training data. ``reading``: :func:`labelled`'s options.

    Example:
        >>> whole, train, val = training_parts(["a", "b"] * 5, ["x", "y"] * 5, 0.2, seed=0)
        >>> len(whole), len(train), len(val)
        (10, 8, 2)
    """
    whole = labelled(data, labels, **reading)
    own = _own_validation(data)
    if own is None:
        return (whole, *split_validation(whole, val_fraction, seed))
    val = labelled(own, None, **reading)
    both = Labelled(whole.texts + val.texts, whole.labels + val.labels, whole.source)
    return both, whole, val


def works_split(data: Data) -> Source | None:
    """The split of ``shakespeare-works`` that ``data`` names (its train split when none is
    named), or None for any other data."""
    if not isinstance(data, str) or data.partition(":")[0] != WORKS:
        return None
    return resolve(data, texts=False).training()


def works_described(data: Data, target: str | None, passage_chars: int | None) -> dict[str, Any]:
    """What a checkpoint records of ``shakespeare-works``' options (with the defaults made
    explicit), and by work, each label's genre; nothing for other data."""
    if works_split(data) is None:
        return {}
    chosen: dict[str, Any] = {"target": target or "work", "passage_chars": _chars(passage_chars)}
    genres = {w.title: w.genre for w in works.works()} if chosen["target"] == "work" else None
    return chosen | ({"genres": genres} if genres else {})


def _works_passages(split: Source, target: str | None, passage_chars: int | None) -> Labelled:
    assert split.split is not None
    texts, labels = works.passages(split.split, _chars(passage_chars), target or "work")
    return Labelled(texts, labels, split.label)


def _chars(passage_chars: int | None) -> int:
    return works.DEFAULT_PASSAGE_CHARS if passage_chars is None else passage_chars


def _own_validation(data: Data) -> str | None:
    """``NAME:validation`` when ``data`` names a registry data set (or its train split) that
    has a validation split."""
    if not isinstance(data, str):
        return None
    src = resolve(data, texts=False)
    if src.kind != "dataset" or src.split not in (None, "train"):
        return None
    return f"{src.name}:validation" if "validation" in catalog.get(src.name).splits else None


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
