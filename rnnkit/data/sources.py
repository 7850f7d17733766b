"""Where data comes from: the one rule every capability reads its sources by.

A *source* is what a user names as data (``fit("wikitext2")``, ``rnnkit train corpus.txt``);
:func:`resolve` says what it is, by this rule:

* a :class:`Text` (a ``str`` subclass) is always the text itself: ``Text("one line")``;
* a ``str`` holding a line break (LF or CR) is the text itself: no name or path holds one, and
  a text read from a file (``open(f).read()``) almost always does;
* any other ``str`` is a catalogued dataset name (``"wikitext2"``, optionally one split:
  ``"wikitext2:test"``; see :mod:`rnnkit.data.catalog`, which includes the bundled
  ``"shakespeare"``) or else a path: a file (``.gz`` is read transparently) or a folder (its
  files, sorted, hidden ones left out), or a token store (a folder written by
  ``rnnkit prepare``, :mod:`rnnkit.data.tokenstore`). A name beats a same-named path: write
  ``"./imdb"`` for a folder called ``imdb``;
* an :class:`os.PathLike` (a :class:`~pathlib.Path`) is always a path;
* anything else, an empty string, and a name that is neither catalogued nor an existing path
  are one-line :class:`~rnnkit.errors.RnnkitError`\\ s naming it, so a mistyped file name is
  never trained on as text.

On the command line an argument is a name or a path, never text. The readers on top
(:func:`read_corpus`, :func:`read_splits`, :func:`read_chunks`) normalise text the same way:
BOM dropped, CRLF / CR -> LF (:mod:`rnnkit.data.textio`).

Example:
    >>> resolve("wikitext2:test")
    Source(kind='dataset', name='wikitext2', split='test', path=None, text=None)
    >>> resolve("to be\\nor not").kind, resolve(Text("to be")).kind
    ('text', 'text')
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from rnnkit.data import catalog
from rnnkit.data.textio import folder_files, normalise, normalised, text_chunks
from rnnkit.errors import RnnkitError

#: Characters of a dataset split handed out at a time by :func:`read_chunks`.
_CHUNK_CHARS = 1 << 20

Kind = Literal["dataset", "file", "folder", "text", "tokens"]
#: The files that make a folder a token store (rnnkit.data.tokenstore), not a folder of texts.
STORE_FILES = ("manifest.json", "tokens.bin")


class Text(str):
    """A string that is the text itself, never a name or a path (for a one-line text).

    Example:
        >>> read_corpus(Text("hello world")).source
        '<string>'
    """


@dataclass(frozen=True)
class Source:
    """What a source resolved to: a dataset (``name``, optional ``split``), a ``file`` or a
    ``folder`` (``path``), or a ``text``.

    Example:
        >>> resolve("ptb").training()
        Source(kind='dataset', name='ptb', split='train', path=None, text=None)
    """

    kind: Kind
    name: str
    split: str | None = None
    path: Path | None = None
    text: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in messages and records: ``"name:split"``, the path as
        given, or ``"<string>"``."""
        return f"{self.name}:{self.split}" if self.split else self.name

    def training(self) -> Source:
        """A dataset given without a split as its ``train`` split (or its first split if it
        has none of that name), so that what is trained on never includes its test text;
        any other source as it is."""
        if self.kind != "dataset" or self.split is not None:
            return self
        splits = catalog.get(self.name).splits
        return replace(self, split="train" if "train" in splits else splits[0])


def resolve(source: str | os.PathLike[str], texts: bool = True) -> Source:
    """What ``source`` is, by the rule in the module docstring; nothing is read yet.

    With ``texts=False`` (readers of labelled data or time series, which cannot learn from a
    bare text) a text source is an error.

    Example:
        >>> resolve("no such corpus.txt")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rnnkit.errors.RnnkitError: no such file, folder or dataset: 'no such corpus.txt' ...
    """
    if isinstance(source, str) and (isinstance(source, Text) or "\n" in source or "\r" in source):
        if not texts:
            raise RnnkitError(
                "got a text (a string with a line break) where a file, folder or dataset name "
                "belongs"
            )
        return Source("text", "<string>", text=str(source))
    if isinstance(source, str):
        return _named(source, texts)
    if isinstance(source, os.PathLike):
        return _path(Path(source), str(source), texts, named=False)
    raise RnnkitError(
        f"a source is a dataset name, a path or a text, not a {type(source).__name__}"
    )


def _named(source: str, texts: bool) -> Source:
    name, _, split = source.partition(":")
    if name in catalog.DATASETS:
        splits = catalog.get(name).splits
        if split and split not in splits:
            raise RnnkitError(
                f"dataset {name} has no split {split!r} (splits: {', '.join(splits)})"
            )
        return Source("dataset", name, split or None)
    if not source:
        raise RnnkitError("an empty string names no file, folder or dataset")
    return _path(Path(source), source, texts, named=True)


def _path(path: Path, given: str, texts: bool, named: bool) -> Source:
    if _is(path, Path.is_dir):
        store = all((path / name).is_file() for name in STORE_FILES)
        return Source("tokens" if store else "folder", given, path=path)
    if _is(path, Path.is_file):
        return Source("file", given, path=path)
    if not named:
        raise RnnkitError(f"no such file or folder: {given!r}")
    close = difflib.get_close_matches(given, catalog.names(), n=1, cutoff=0.7)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    hint = "; in Python, a one-line text is passed as rnnkit.Text(...)" if texts else ""
    raise RnnkitError(
        f"no such file, folder or dataset: {given!r}{guess} "
        f"(datasets: {', '.join(catalog.names())}{hint})"
    )


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    try:
        return test(path)
    except OSError:  # e.g. a name too long to be a path: then it is not one
        return False


# ---------------------------------------------------------------------------------------------
# Readers


@dataclass(frozen=True)
class Corpus:
    """A loaded text with a short description of where it came from.

    Example:
        >>> c = read_corpus("to be or not to be\\n")
        >>> c.source, len(c.text)
        ('<string>', 19)
    """

    text: str
    source: str

    @property
    def sha256(self) -> str:
        """Hash of the normalised text, stored in checkpoints to identify the training data."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_corpus(
    source: str | os.PathLike[str], encoding: str = "utf-8", data_dir: str | Path | None = None
) -> Corpus:
    """The whole text of ``source`` (see :func:`resolve`): a dataset's splits joined in order,
    or one split (``"wikitext2:test"``), a file (``.gz`` too), a folder's files joined by a line
    break, or a text. ``encoding`` applies to files; ``data_dir`` is the dataset mirror.

    Example:
        >>> len(read_corpus("shakespeare").text) > 5_000_000
        True
    """
    src = resolve(source)
    if src.kind == "dataset":
        splits = _text_splits(src.name, data_dir)
        if src.split is not None:
            return splits[src.split]
        return Corpus("".join(part.text for part in splits.values()), src.name)
    text = "".join(read_chunks(src, encoding, data_dir))
    if not text.strip():
        what = "the given string" if src.kind == "text" else src.label
        raise RnnkitError(f"{what} is empty (no text to learn from)")
    return Corpus(text, src.label)


def read_splits(
    source: str | os.PathLike[str], data_dir: str | Path | None = None
) -> dict[str, Corpus] | None:
    """The standard splits of a text dataset given without a split (``"wikitext2"`` -> train,
    validation, test), each named ``"name:split"``; None for any other source.

    Example:
        >>> sorted(read_splits("shakespeare")), read_splits("shakespeare:train")
        (['train', 'validation'], None)
    """
    src = resolve(source)
    if src.kind != "dataset" or src.split is not None:
        return None
    return _text_splits(src.name, data_dir)


def read_chunks(
    src: Source, encoding: str = "utf-8", data_dir: str | Path | None = None
) -> Iterator[str]:
    """The normalised text of a resolved source in pieces of about a million characters, so
    that a corpus of any size streams in bounded memory. A folder's files are separated by a
    line break; a dataset of records (``imdb``) gives one record's text a line.

    Example:
        >>> "".join(read_chunks(resolve("a\\r\\nb")))
        'a\\nb'
    """
    if src.kind == "text":
        assert src.text is not None
        yield normalise(src.text)
    elif src.kind == "file":
        assert src.path is not None
        yield from text_chunks(src.path, encoding)
    elif src.kind == "folder":
        assert src.path is not None
        for i, path in enumerate(folder_files(src.path)):
            if i:
                yield "\n"  # a file's last line never runs into the next file's first
            yield from text_chunks(path, encoding)
    elif src.kind == "tokens":
        raise RnnkitError(
            f"{src.label} is a token store (rnnkit prepare): language models train on it, but "
            "it holds no text to read"
        )
    else:
        yield from normalised(_dataset_pieces(src, data_dir))


def _dataset_pieces(src: Source, data_dir: str | Path | None) -> Iterator[str]:
    parts = catalog.load(src.name, data_dir=data_dir)
    for split in [src.split] if src.split else list(parts):
        data = parts[split]
        if isinstance(data, str):
            for i in range(0, len(data), _CHUNK_CHARS):
                yield data[i : i + _CHUNK_CHARS]
        elif isinstance(data, list) and all(isinstance(r, dict) and "text" in r for r in data):
            for record in data:
                yield record["text"] + "\n"
        else:
            raise RnnkitError(f"dataset {src.name} holds no text (it is a table)")


def _text_splits(name: str, data_dir: str | Path | None) -> dict[str, Corpus]:
    splits = catalog.load(name, data_dir=data_dir)
    if not all(isinstance(part, str) for part in splits.values()):
        raise RnnkitError(
            f"{name} holds records or tables (e.g. reviews), not one text corpus; to train a "
            "language model on reviews, write them out with rnnkit.data.labelled.write_lm_corpus "
            "(and read them with WordLM(tokenizer='text'))"
        )
    return {k: Corpus(normalise(v), f"{name}:{k}") for k, v in splits.items()}
