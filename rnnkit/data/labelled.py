"""Labelled texts for the text classifier: reading them, a language-model corpus of them, and a
validation split.

:func:`read_labelled` reads (text, label) pairs from a catalogued dataset (``"imdb"``,
``"imdb:test"``), a CSV/TSV or JSON-lines file (optionally gzipped), or a folder with one
subfolder per class; sources are named by :func:`rnnkit.data.sources.resolve`'s rule. Every
problem in the data (a missing column, empty texts, a bad JSON line, another encoding...) is a
one-line :class:`~rnnkit.errors.RnnkitError` that says where it is.

Example:
    >>> data = Labelled(["Loved it.", "Dull."], ["pos", "neg"], "<example>")
    >>> len(split_validation(data, 0.5, seed=0)[1])
    1
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.core.files import atomic_file
from rnnkit.data import catalog
from rnnkit.data.sources import Source, resolve
from rnnkit.data.textio import read_text
from rnnkit.data.tokenize import EOS, Tokenizer
from rnnkit.errors import RnnkitError

#: Column (or JSON key) names taken as the text, in this order of preference (case-insensitive).
TEXT_COLUMNS = ("text", "review", "sentence", "content", "document")
#: Column (or JSON key) names taken as the label, in this order of preference (case-insensitive).
LABEL_COLUMNS = ("label", "sentiment", "class", "category", "target", "y")
#: Catalogued datasets whose integer labels have names: predictions then read as words.
_LABEL_NAMES: dict[str, dict[int, str]] = {"imdb": {0: "neg", 1: "pos"}}
_TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_JSON_SUFFIXES = (".jsonl", ".json")
#: Rows named in an error message; the rest are only counted.
_SHOWN = 5

#: Where row ``i`` of a source is, in the user's terms ("line 4", "data row 3", "pos/1.txt").
Locator = Callable[[int], str]


@dataclass(frozen=True)
class Labelled:
    """Texts and their labels (``str``, or ``int`` as read from JSON), and where they came from.

    Example:
        >>> data = Labelled(["Loved it.", "Dull."], ["pos", "neg"], "<example>")
        >>> len(data), data.labels[0]
        (2, 'pos')
    """

    texts: list[str]
    labels: list[Any]
    source: str

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise RnnkitError(
                f"{self.source}: {len(self.texts)} texts but {len(self.labels)} labels"
            )

    def __len__(self) -> int:
        return len(self.texts)


def read_labelled(
    source: str | os.PathLike[str],
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
) -> Labelled:
    """Read labelled texts from a catalogued dataset, a CSV/TSV/JSONL file, or a class folder.

    * ``"imdb"``, ``"imdb:test"``: a dataset (default split ``train``) whose records are dicts
      with ``text`` and ``label``; IMDB's labels become ``"neg"`` / ``"pos"``. A dataset name
      wins over a same-named folder (write ``./imdb`` for that), as everywhere
      (:func:`rnnkit.data.sources.resolve`).
    * ``.csv`` / ``.tsv`` (also ``.gz``): read with pandas, every value a string.
    * ``.jsonl`` / ``.json`` (also ``.gz``): one JSON object per line; blank lines are skipped;
      integer labels stay integers.
    * a folder ``DIR/<class name>/*.txt``: one text per file, labelled by its subfolder.

    Columns (keys) of a file are ``text_column`` / ``label_column`` when given, else the first of
    :data:`TEXT_COLUMNS` / :data:`LABEL_COLUMNS` present, case-insensitively. String labels are
    stripped of surrounding spaces; texts are kept as they are (BOM and CRLF normalised).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "reviews.csv"
        >>> _ = path.write_text("Review,Sentiment\\nLoved it.,pos\\nDull.,neg\\n")
        >>> data = read_labelled(path)
        >>> data.texts, data.labels
        (['Loved it.', 'Dull.'], ['pos', 'neg'])
    """
    src = resolve(source, texts=False).training()
    if src.path is None:  # a dataset
        texts, labels, where = _from_dataset(src, data_dir)
    elif src.kind == "folder":
        texts, labels, where = _from_folder(src.path, encoding)
    else:
        texts, labels, where = _from_file(src.path, text_column, label_column, encoding)
    return _checked(texts, labels, src.label, where)


def write_lm_corpus(texts: Iterable[str], path: str | Path, lowercase: bool = True) -> Path:
    """Write ``texts`` as a language-model corpus read the classifier's way: one text per line,
    its ``text`` tokenizer's tokens (:mod:`rnnkit.data.tokenize`) joined by spaces: records
    (reviews) become one corpus a word LM can train on, with ``tokenizer="text"`` (which reads
    these lines back as the same tokens) to start a :class:`~rnnkit.TextClassifier`,
    ULMFiT-style. Written aside, then renamed into place.

    Example:
        >>> import tempfile
        >>> out = write_lm_corpus(["Great film!<br />Loved it."], tempfile.mkdtemp() + "/lm.txt")
        >>> out.read_text()
        'great film ! loved it .\\n'
    """
    tokenizer = Tokenizer("text", lowercase=lowercase)
    with atomic_file(path, "w") as fh:
        for text in texts:
            # One text, one line: the line breaks inside a text are spaces here.
            fh.write(" ".join(t for t in tokenizer.split(text) if t != EOS) + "\n")
    return Path(path)


def split_validation(data: Labelled, fraction: float, seed: int) -> tuple[Labelled, Labelled]:
    """Split ``data`` into (train, validation) at random, stratified by label, fixed by ``seed``.

    The validation part holds ``round(fraction * len(data))`` rows, at least 1 and leaving at
    least 1 for training. When some class has a single row, or there are more classes than
    rows on one side, stratifying is impossible and the split is plain random instead (not an
    error: small or very imbalanced data can still be split). Both parts are shuffled.

    Example:
        >>> data = Labelled([f"text {i}" for i in range(10)], ["a", "b"] * 5, "<example>")
        >>> train, valid = split_validation(data, 0.2, seed=1)
        >>> len(train), sorted(valid.labels)
        (8, ['a', 'b'])
    """
    if not 0 < fraction < 1:
        raise RnnkitError(f"the validation fraction must be between 0 and 1, not {fraction}")
    n = len(data)
    if n < 2:
        raise RnnkitError(f"{data.source} has {n} row(s); a validation split needs at least 2")
    n_valid = min(n - 1, max(1, round(n * fraction)))
    # Labels as small ints: any hashable labels work, even a mix sklearn could not sort.
    index: dict[Any, int] = {}
    codes = [index.setdefault(label, len(index)) for label in data.labels]
    counts = Counter(codes)
    stratifiable = min(counts.values()) >= 2 and len(counts) <= min(n_valid, n - n_valid)
    from sklearn.model_selection import train_test_split  # imported here: sklearn is slow to load

    train, valid = train_test_split(
        list(range(n)),
        test_size=n_valid,
        random_state=seed,
        stratify=codes if stratifiable else None,
    )
    return _subset(data, train, "training"), _subset(data, valid, "validation")


def _subset(data: Labelled, rows: list[int], part: str) -> Labelled:
    return Labelled(
        [data.texts[i] for i in rows],
        [data.labels[i] for i in rows],
        f"{data.source} ({part} part)",
    )


# ---------------------------------------------------------------------------------------------
# Sources


def _from_dataset(src: Source, data_dir: str | Path | None) -> tuple[list[str], list[Any], Locator]:
    name = src.name
    assert src.split is not None  # read_labelled asked for the training split
    records = catalog.load(name, src.split, data_dir)
    labelled = isinstance(records, list) and all(
        isinstance(r, dict) and "text" in r and "label" in r for r in records
    )
    if not labelled:
        raise RnnkitError(
            f"dataset {name} has no labels (a labelled dataset such as imdb, or a "
            "CSV/JSONL file or class folder of your own, is needed to train a classifier)"
        )
    names = _LABEL_NAMES.get(name, {})
    labels = [names.get(r["label"], r["label"]) for r in records]
    return [r["text"] for r in records], labels, lambda i: f"record {i + 1}"


def _from_folder(folder: Path, encoding: str) -> tuple[list[str], list[Any], Locator]:
    files = sorted(
        p
        for p in folder.glob("*/*.txt")
        if p.is_file() and not p.name.startswith(".") and not p.parent.name.startswith(".")
    )
    if not files:
        raise RnnkitError(
            f"folder {folder} has no .txt files in class subfolders (expected "
            f"{folder}/<class name>/*.txt, one text per file)"
        )
    texts = [read_text(p, encoding) for p in files]
    return texts, [p.parent.name for p in files], lambda i: str(files[i].relative_to(folder))


def _from_file(
    path: Path, text_column: str | None, label_column: str | None, encoding: str
) -> tuple[list[str], list[Any], Locator]:
    suffix = Path(path.name.removesuffix(".gz")).suffix.lower()
    if suffix in _TABLE_SEPARATORS:
        rows, columns = _table_rows(path, _TABLE_SEPARATORS[suffix], encoding)
    elif suffix in _JSON_SUFFIXES:
        rows, columns = _json_rows(path, encoding)
    else:
        raise RnnkitError(
            f"cannot read labelled texts from {path}: give a .csv, .tsv, .jsonl or .json file "
            "(optionally .gz), a folder with one subfolder of .txt files per class, or a "
            "dataset name such as imdb"
        )
    if not rows:  # no columns to look for either: the caller reports "no rows"
        return [], [], str
    text = _column(columns, text_column, TEXT_COLUMNS, "text", path)
    label = _column(columns, label_column, LABEL_COLUMNS, "label", path)
    texts = [_text_value(row.get(text), where) for where, row in rows]
    labels = [_label_value(row.get(label), where) for where, row in rows]
    return texts, labels, lambda i: rows[i][0]


Row = tuple[str, dict[str, Any]]  # (where the row is, its values by column)


def _table_rows(path: Path, sep: str, encoding: str) -> tuple[list[Row], list[str]]:
    import pandas as pd  # imported here: pandas is slow to load and only needed for tables

    try:
        frame = pd.read_csv(
            io.StringIO(read_text(path, encoding)), sep=sep, dtype=str, keep_default_na=False
        )
    except pd.errors.EmptyDataError:
        raise RnnkitError(f"{path} is empty (no header, no rows)") from None
    except pd.errors.ParserError as err:
        message = " ".join(str(err).split())
        raise RnnkitError(f"cannot read {path} as a table ({message})") from None
    columns = [str(c) for c in frame.columns]
    records = frame.to_dict("records")
    # Rows counted from 1 below the header: a quoted text may span lines, so line numbers can't.
    return [(f"data row {i + 1}", r) for i, r in enumerate(records)], columns


def _json_rows(path: Path, encoding: str) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    # Split on "\n" only: str.splitlines would also cut at U+2028 inside a JSON string.
    for number, line in enumerate(read_text(path, encoding).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise RnnkitError(
                f"{path} line {number} is not valid JSON ({err.msg}); a JSONL file holds one "
                "object per line"
            ) from None
        if not isinstance(record, dict):
            raise RnnkitError(
                f"{path} line {number} holds a {type(record).__name__}, not a JSON object"
            )
        rows.append((f"line {number}", record))
    columns = list(dict.fromkeys(key for _, record in rows for key in record))
    return rows, columns


def _column(
    columns: list[str], chosen: str | None, candidates: tuple[str, ...], role: str, path: Path
) -> str:
    """The column to read as ``role``: ``chosen`` (exact, else case-insensitive) or a candidate."""
    by_lower = {c.lower(): c for c in reversed(columns)}  # the first of equal spellings wins
    if chosen is not None:
        found = chosen if chosen in columns else by_lower.get(chosen.lower())
        if found is None:
            raise RnnkitError(
                f"{path} has no column {chosen!r} for the {role} (its columns: {_listed(columns)})"
            )
        return found
    found = next((by_lower[c] for c in candidates if c in by_lower), None)
    if found is None:
        raise RnnkitError(
            f"{path} has no {role} column (looked for {', '.join(candidates)}; its columns: "
            f"{_listed(columns)}); name it with {role}_column= (--{role}-column)"
        )
    return found


def _listed(columns: list[str]) -> str:
    return ", ".join(repr(c) for c in columns) if columns else "none"


def _text_value(value: Any, where: str) -> str:
    if value is None:  # a JSON row without the key, or with null: an empty text, reported later
        return ""
    if not isinstance(value, str):
        raise RnnkitError(f"{where}: the text must be a string, not {value!r}")
    return value


def _label_value(value: Any, where: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RnnkitError(f"{where}: a label must be a string or an integer, not {value!r}")


# ---------------------------------------------------------------------------------------------
# Checks


def _checked(texts: list[str], labels: list[Any], source: str, where: Locator) -> Labelled:
    """``Labelled(texts, labels, source)`` once it has rows, texts and labels everywhere."""
    if not texts:
        raise RnnkitError(f"{source} has no rows (no texts to read)")
    empty = [i for i, text in enumerate(texts) if not text.strip()]
    _refuse(empty, "empty or whitespace-only text", source, where)
    missing = [i for i, label in enumerate(labels) if label is None or label == ""]
    _refuse(missing, "missing or empty label", source, where)
    kinds = {type(label) for label in labels}
    if len(kinds) > 1:
        first = next(i for i, label in enumerate(labels) if type(label) is not type(labels[0]))
        raise RnnkitError(
            f"{source} mixes integer and string labels ({labels[0]!r} in {where(0)}, "
            f"{labels[first]!r} in {where(first)}); use one kind"
        )
    return Labelled(texts, labels, source)


def _refuse(rows: list[int], problem: str, source: str, where: Locator) -> None:
    """Raise a one-line error naming the first few of ``rows`` and counting them all."""
    if not rows:
        return
    shown = ", ".join(where(i) for i in rows[:_SHOWN])
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    plural = "s" if len(rows) > 1 else ""
    raise RnnkitError(
        f"{source} has {len(rows)} {problem}{plural}: {shown}{more} (remove or fix them)"
    )
