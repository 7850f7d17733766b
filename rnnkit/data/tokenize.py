"""Tokenizers: how text becomes tokens, as a small value that a vocabulary carries and saves.

Three ways of reading text, each a :class:`Tokenizer` with a name and its options:

``chars``
    every character is a token (line breaks included).
``words``
    the standard word-level benchmarks' reading (WikiText, Penn Treebank): each line's
    whitespace-separated tokens followed by ``<eos>`` (``line.split() + ["<eos>"]``, blank lines
    included), so perplexities compare with published ones. ``lowercase`` and ``words_only``
    (drop punctuation) suit raw prose.
``text``
    the text classifier's reading of raw text such as reviews: HTML tags (IMDB's ``<br />``)
    become spaces and entities are unescaped, the curly ``’`` is read as ``'``, accents are
    composed (NFC); tokens are words (inner apostrophes kept: ``don't``) and single punctuation
    marks, since ``!`` and ``?`` carry sentiment; each line ends with ``<eos>``. ``lowercase``
    is the classifier's default.

A word vocabulary saves its tokenizer in its JSON, so whoever reads text for it (a language
model, and a classifier that starts from that model) reads it the same way by construction.

Example:
    >>> Tokenizer("words").split("Down the Rabbit-Hole.\\n")
    ['Down', 'the', 'Rabbit-Hole.', '<eos>']
    >>> Tokenizer("text", lowercase=True).split("Great movie!<br />Don't miss it")
    ['great', 'movie', '!', "don't", 'miss', 'it', '<eos>']
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rnnkit.errors import RnnkitError

#: The token that closes every line for the word tokenizers.
EOS = "<eos>"
#: The tokenizer names, in the order the module docstring describes them.
NAMES = ("chars", "words", "text")

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # a tag starts with a letter: "a < b > c" is not one
_TOKEN = re.compile(r"\w+(?:'\w+)*|\S")
# The token patterns with a line end as a token of its own (it becomes <eos>): none of them
# matches across a line end, so one scan of a text finds what a scan of each line would.
_WORD_LINES = re.compile(f"{_WORD.pattern}|\n")
_TOKEN_LINES = re.compile(f"{_TOKEN.pattern}|\n")
_LINE_END = " " + EOS + " "


@dataclass(frozen=True)
class Tokenizer:
    """One way of splitting text into tokens (see the module docstring), with its options.

    Example:
        >>> t = Tokenizer("words", lowercase=True, words_only=True)
        >>> t.split("Down the Rabbit-Hole.\\n\\nAlice was")
        ['down', 'the', 'rabbit', 'hole', '<eos>', '<eos>', 'alice', 'was', '<eos>']
        >>> Tokenizer.from_json(t.to_json()) == t
        True
    """

    name: str = "words"
    lowercase: bool = False
    words_only: bool = False

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise RnnkitError(f"unknown tokenizer {self.name!r} (tokenizers: {', '.join(NAMES)})")
        if self.name == "chars" and self.lowercase:
            raise RnnkitError("the chars tokenizer keeps every character: lowercase is not for it")
        if self.words_only and self.name != "words":
            raise RnnkitError("words_only is an option of the words tokenizer only")

    def split(self, text: str) -> list[str]:
        """The tokens of ``text``; the word tokenizers close every line with ``<eos>`` (the
        line break that ends the text, if any, does not start another line)."""
        if self.name == "chars":
            return list(text)
        if self.name == "text":
            text = _clean(text)
        if self.lowercase:
            text = text.lower()
        if self.name == "words" and not self.words_only:
            return _split_words(text)
        pattern = _TOKEN_LINES if self.name == "text" else _WORD_LINES
        return _by_lines(text, pattern)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the name and the options that apply to it."""
        data: dict[str, Any] = {"name": self.name}
        if self.name != "chars":
            data["lowercase"] = self.lowercase
        if self.name == "words":
            data["words_only"] = self.words_only
        return data

    @classmethod
    def from_json(cls, data: Any) -> Tokenizer:
        """Rebuild a tokenizer saved by :meth:`to_json`; anything else is a one-line error."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise RnnkitError(f"not a saved tokenizer: {data!r}")
        options = {k: data[k] for k in ("lowercase", "words_only") if k in data}
        if not all(isinstance(v, bool) for v in options.values()):
            raise RnnkitError(f"a saved tokenizer's options must be true or false: {data!r}")
        return cls(data["name"], **options)


#: Characters, and the benchmarks' words: the tokenizers of vocabularies saved without one.
CHARS, WORDS = Tokenizer("chars"), Tokenizer("words")


def _split_words(text: str) -> list[str]:
    """Each line's ``split()`` followed by ``<eos>``, in one pass over ``text`` rather than a
    Python loop over its lines (``rnnkit prepare`` reads gigabytes): a line end becomes
    `` <eos> ``, and ``<eos>`` holds no whitespace, so it is a token of its own."""
    return _ended(text).replace("\n", _LINE_END).split()


def _by_lines(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Each line's ``pattern.findall`` followed by ``<eos>`` (``pattern`` matches a line end)."""
    return [EOS if t == "\n" else t for t in pattern.findall(_ended(text))]


def _ended(text: str) -> str:
    """``text`` with a line break at its end, where it has any text (a last line without its
    line break still ends with ``<eos>``; an empty text has no line)."""
    return text if not text or text.endswith("\n") else text + "\n"


def _clean(text: str) -> str:
    """Raw text as the ``text`` tokenizer reads it: tags out, entities and ``’`` in, NFC."""
    # Tags go before unescaping, so an escaped "&lt;br&gt;" stays text rather than becoming one.
    text = html.unescape(_TAG.sub(" ", text)).replace("’", "'")
    if not text.isascii():  # composed accents, so "café" is one word whichever way it was typed
        text = unicodedata.normalize("NFC", text)
    return text
