"""Corpus preparation for word2vec: any source -> one file in gensim's LineSentence format.

Tokenisation (documented, deliberately simple):
    the source is read as every capability reads one (:mod:`rnnkit.data.sources`: a dataset's
    train split unless ``"name:split"`` says otherwise, a file, ``.gz`` included, a folder, or a
    text; BOM dropped, CRLF / CR -> LF), or given as sentences (token lists or lines);
    everything is lowercased unless ``lowercase=False``, and tokens are the runs of
    non-whitespace characters (``str.split()``). Each line is one sentence; lines longer than
    10,000 words are cut into 10,000-word sentences, exactly as gensim cuts them. The result is
    a file in gensim's LineSentence format (one sentence a line, tokens separated by single
    spaces), which is what gensim then trains on through its fast ``corpus_file`` path.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rnnkit.data.sources import read_chunks, resolve
from rnnkit.data.textio import normalised
from rnnkit.errors import RnnkitError

#: gensim cuts longer sentences into pieces of this many words (its MAX_WORDS_IN_BATCH). Writing
#: lines no longer than that trains identically, and gensim's Python vocabulary scan never has to
#: hold a whole one-line corpus (text8 is one 100 MB line) as a list of strings.
LINE_WORDS = 10_000
#: A "word" this long means the input is not text; refusing it keeps the reader's memory bounded.
_MAX_TOKEN_CHARS = 1 << 20
#: Sentences joined into one piece of text at a time (normalising each alone would be slow).
_BATCH = 1000

#: A corpus: a source (dataset name, path or text, see rnnkit.data.sources) or sentences.
CorpusSource = str | os.PathLike[str] | Iterable[str | Sequence[str]]


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`write_sentences` wrote: sentences (lines), words, sha256 of the file, time.

    Example:
        >>> import tempfile
        >>> from rnnkit.data.sources import Text
        >>> stats = write_sentences(Text("a b c"), tempfile.mkdtemp() + "/s.txt")
        >>> stats.source, stats.lines, stats.words
        ('<string>', 1, 3)
    """

    source: str
    lines: int
    words: int
    sha256: str
    seconds: float


def write_sentences(
    corpus: CorpusSource,
    out: str | Path,
    lowercase: bool = True,
    encoding: str = "utf-8",
    max_words: int | None = None,
    data_dir: str | Path | None = None,
) -> CorpusStats:
    """Stream ``corpus`` into ``out`` in gensim's LineSentence format (see the module docstring).

    ``max_words`` keeps only the first that many words.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.txt"
        >>> write_sentences(["The cat\\tsat.", ["a", "Dog"]], out).words
        5
        >>> out.read_text()
        'the cat sat.\\na dog\\n'
    """
    start = time.perf_counter()
    source, chunks = _open(corpus, encoding, data_dir)
    with Path(out).open("wb") as fh:
        writer = _SentenceWriter(fh, max_words)
        for text in _whole_tokens(chunks, lowercase, source):
            writer.add(text)
            if writer.full:
                break
        writer.finish()
    if writer.words == 0:
        raise RnnkitError(f"{source} holds no words (nothing to learn from)")
    return CorpusStats(
        source, writer.lines, writer.words, writer.digest.hexdigest(), time.perf_counter() - start
    )


def _open(
    corpus: CorpusSource, encoding: str, data_dir: str | Path | None
) -> tuple[str, Iterator[str]]:
    """A description of ``corpus`` and its normalised text, in pieces."""
    if not isinstance(corpus, str | os.PathLike):
        return "<sentences>", normalised(_sentence_chunks(corpus))
    # A dataset's train split by default, so that vectors used to initialise a model never saw
    # its test text; "name:split" picks another.
    src = resolve(corpus).training()
    return src.label, read_chunks(src, encoding, data_dir)


def _sentence_chunks(sentences: Iterable[str | Sequence[str]]) -> Iterator[str]:
    batch: list[str] = []
    for sentence in sentences:
        batch.append(sentence if isinstance(sentence, str) else " ".join(sentence))
        if len(batch) == _BATCH:
            yield "\n".join(batch) + "\n"
            batch = []
    yield "\n".join(batch) + "\n"


def _whole_tokens(chunks: Iterable[str], lowercase: bool, source: str) -> Iterator[str]:
    """Text pieces that each end at whitespace, so no token straddles two pieces."""
    carry = ""
    for chunk in chunks:
        text = carry + chunk
        if lowercase:
            text = text.lower()
        cut = _last_token_start(text)
        carry = text[cut:]
        if len(carry) > _MAX_TOKEN_CHARS:
            raise RnnkitError(f"{source} has a 'word' of over a million characters: not text")
        yield text[:cut]
    yield carry


def _last_token_start(text: str) -> int:
    """Where the token that ``text`` ends in starts (``len(text)`` if it ends in whitespace)."""
    if not text or text[-1].isspace():
        return len(text)
    parts = text.rsplit(None, 1)  # scans from the right: cost is the last token's length
    return len(text) - len(parts[-1]) if len(parts) == 2 else 0


class _SentenceWriter:
    """Writes tokens as LineSentence lines: single spaces, at most LINE_WORDS words a line."""

    def __init__(self, out: IO[bytes], max_words: int | None) -> None:
        self.out, self.max_words = out, max_words
        self.digest = hashlib.sha256()
        self.words = self.lines = self._in_line = 0
        self._parts: list[str] = []

    @property
    def full(self) -> bool:
        return self.max_words is not None and self.words >= self.max_words

    def add(self, text: str) -> None:
        """Append text whose last token is complete; each LF ends a sentence."""
        for i, line in enumerate(text.split("\n")):
            if i:
                self._end_line()
            self._add_tokens(line.split())
        self._flush()

    def finish(self) -> None:
        self._end_line()
        self._flush()

    def _add_tokens(self, tokens: list[str]) -> None:
        if self.max_words is not None:
            tokens = tokens[: self.max_words - self.words]
        start = 0
        while start < len(tokens):
            piece = tokens[start : start + LINE_WORDS - self._in_line]
            self._parts.append((" " if self._in_line else "") + " ".join(piece))
            start += len(piece)
            self._in_line += len(piece)
            self.words += len(piece)
            if self._in_line == LINE_WORDS:
                self._end_line()

    def _end_line(self) -> None:
        if self._in_line:  # empty lines are dropped: they hold no sentence
            self._parts.append("\n")
            self.lines += 1
            self._in_line = 0

    def _flush(self) -> None:
        data = "".join(self._parts).encode("utf-8")
        self._parts = []
        self.digest.update(data)
        self.out.write(data)
