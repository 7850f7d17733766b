"""Vocabularies: the mapping between text and token ids, saved as JSON in checkpoints.

:class:`CharVocab` maps characters; :class:`WordVocab` maps the words of a
:class:`~rnnkit.data.tokenize.Tokenizer` that it carries and saves (by default the standard
word-level benchmarks' reading: whitespace-separated tokens with an ``<eos>`` at the end of
every line), rare or unseen words as ``<unk>``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, ClassVar

import numpy as np

from rnnkit.data.tokenize import CHARS, EOS, WORDS, Tokenizer
from rnnkit.errors import RnnkitError


class CharVocab:
    """Sorted set of the characters of a corpus; id ``i`` is ``chars[i]``.

    Example:
        >>> v = CharVocab.from_text("hello")
        >>> v.chars, v.decode(v.encode("hole"))
        (['e', 'h', 'l', 'o'], 'hole')
    """

    kind = "char"
    #: How text becomes this vocabulary's tokens (one per character).
    tokenizer: ClassVar[Tokenizer] = CHARS

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = list(chars)
        if any(len(c) != 1 for c in self.chars) or len(set(self.chars)) != len(self.chars):
            raise RnnkitError("a character vocabulary needs distinct single characters")
        self._index = {c: i for i, c in enumerate(self.chars)}
        # Sorted code points and their ids: encoding a corpus becomes one vectorised searchsorted.
        order = np.argsort([ord(c) for c in self.chars])
        self._codes = np.array([ord(self.chars[i]) for i in order], dtype=np.uint32)
        self._ids = order.astype(np.int64)

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """Build the vocabulary of every character that occurs in ``text``."""
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocab) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(tuple(self.chars))

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` that are not in the vocabulary, in first-seen order."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        """Token ids of ``text`` as an int64 array; unseen characters raise a named error."""
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise RnnkitError(f"{what} has characters the model never saw: {shown}{more}")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        return self._ids[np.searchsorted(self._codes, codes)]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The text of a sequence of token ids."""
        return "".join(self.chars[int(i)] for i in ids)

    def encode_prompt(self, prompt: str) -> tuple[np.ndarray, list[str]]:
        """Ids to prime generation with (a newline when the prompt is empty, so the model starts
        as text starts rather than from a uniform guess); unseen characters raise."""
        if not prompt and "\n" in self._index:
            prompt = "\n"
        return self.encode(prompt, what="the prompt"), []

    def summary(self) -> str:
        """The vocabulary as shown by ``rnnkit info``: every character."""
        return "".join(self.chars)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reverses it exactly."""
        return {"type": self.kind, "tokens": self.chars}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CharVocab:
        """Rebuild a vocabulary saved by :meth:`to_json`."""
        if data.get("type") != cls.kind or not isinstance(data.get("tokens"), list):
            raise RnnkitError("vocab.json is not a character vocabulary")
        return cls(data["tokens"])

    def dumps(self) -> str:
        """The vocabulary as a JSON string (unicode kept readable)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=0)


#: The token that stands for every word outside a word vocabulary.
UNK = "<unk>"


class WordVocab:
    """Words by descending frequency (ties alphabetical), always with ``<unk>`` and ``<eos>``.

    Frequency order lets an adaptive softmax put the common words in its cheap head cluster.
    The tokenizer is part of the vocabulary (and of its JSON), so prompts, evaluation texts and
    a classifier starting from a language model are read like the training text.

    Example:
        >>> v = WordVocab.from_text("the cat\\nthe dog\\n", min_count=2)
        >>> v.tokens
        ['<eos>', 'the', '<unk>']
        >>> v.decode(v.encode("the cow\\n"))
        'the <unk> <eos>'
        >>> WordVocab.from_text("It's <b>good</b>", tokenizer=Tokenizer("text")).tokens
        ['<eos>', "It's", 'good', '<unk>']
    """

    kind = "word"

    def __init__(self, tokens: Iterable[str], tokenizer: Tokenizer = WORDS) -> None:
        self.tokens: list[str] = list(tokens)
        if len(set(self.tokens)) != len(self.tokens) or not {UNK, EOS} <= set(self.tokens):
            raise RnnkitError("a word vocabulary needs distinct tokens including <unk> and <eos>")
        self._check_tokenizer(tokenizer)
        self.tokenizer = tokenizer
        self._index = {t: i for i, t in enumerate(self.tokens)}
        self.unk_id, self.eos_id = self._index[UNK], self._index[EOS]

    @staticmethod
    def _check_tokenizer(tokenizer: Tokenizer) -> None:
        if tokenizer.name == "chars":
            raise RnnkitError("a word vocabulary needs a word tokenizer, not chars")

    @classmethod
    def from_text(
        cls,
        text: str,
        min_count: int = 1,
        max_size: int | None = None,
        tokenizer: Tokenizer = WORDS,
    ) -> WordVocab:
        """The words of ``text`` (read by ``tokenizer``) seen at least ``min_count`` times, at
        most ``max_size`` of them (the most frequent; ``<unk>`` and ``<eos>`` always kept)."""
        counts = Counter(tokenizer.split(text))
        return cls.from_counts(counts, min_count, max_size, tokenizer)

    @classmethod
    def from_counts(
        cls,
        counts: Counter[str],
        min_count: int = 1,
        max_size: int | None = None,
        tokenizer: Tokenizer = WORDS,
    ) -> WordVocab:
        """:meth:`from_text` for word counts already made (of text read by ``tokenizer``)."""
        if min_count < 1 or (max_size is not None and max_size < 2):
            raise RnnkitError("min_count must be >= 1 and max_size >= 2")
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [t for t, n in ranked if n >= min_count or t in (UNK, EOS)]
        if max_size is not None and len(kept) > max_size:
            kept = [t for t in kept[: max_size - 2] if t not in (UNK, EOS)]
            kept = sorted([*kept, UNK, EOS], key=lambda t: (-counts[t], t))
        kept += [t for t in (UNK, EOS) if t not in kept]
        return cls(kept, tokenizer)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordVocab) and other.to_json() == self.to_json()

    def __hash__(self) -> int:
        return hash(tuple(self.tokens))

    def tokenize(self, text: str) -> list[str]:
        """``text`` as tokens, read by this vocabulary's tokenizer."""
        return self.tokenizer.split(text)

    def unknown(self, text: str) -> list[str]:
        """Words of ``text`` outside the vocabulary (read as ``<unk>``), in first-seen order."""
        return self._unknown(self.tokenize(text))

    def _unknown(self, tokens: list[str]) -> list[str]:
        return list(dict.fromkeys(t for t in tokens if t not in self._index))

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        """Token ids of ``text`` (int64); words outside the vocabulary become ``<unk>``."""
        return self.ids(self.tokenize(text))

    def ids(self, tokens: Iterable[str]) -> np.ndarray:
        """Ids of already tokenized words (int64); unknown ones become ``<unk>``."""
        # map() over the dict's own get runs in C: no Python frame per token (large corpora).
        return np.fromiter(map(self._index.get, tokens, repeat(self.unk_id)), dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The tokens of ``ids`` joined by spaces."""
        return " ".join(self.tokens[int(i)] for i in ids)

    def encode_prompt(self, prompt: str) -> tuple[np.ndarray, list[str]]:
        """Ids to prime generation with, and the prompt words read as ``<unk>``.

        The prompt is read as the start of a line (no ``<eos>`` after it) unless it ends with a
        line break; an empty prompt primes with ``<eos>``, so generation starts a new line.
        """
        tokens = self.tokenize(prompt) if prompt.strip() else []
        if tokens and not prompt.endswith("\n"):
            tokens.pop()  # the <eos> that tokenize closes every line with
        unknown = self._unknown(tokens)
        ids = [self._index.get(t, self.unk_id) for t in tokens] or [self.eos_id]
        return np.asarray(ids, dtype=np.int64), unknown

    def summary(self) -> str:
        """The vocabulary as shown by ``rnnkit info``: its size and most frequent words."""
        return f"{len(self)} words: {' '.join(self.tokens[:20])} ..."

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reverses it exactly."""
        return {"type": self.kind, "tokens": self.tokens, "tokenizer": self.tokenizer.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any], default: Tokenizer | None = None) -> WordVocab:
        """Rebuild a vocabulary saved by :meth:`to_json`.

        A vocabulary saved before tokenizers were saved with it gets ``default``, or without
        one the benchmarks' words with its old ``lowercase`` / ``words_only`` flags (what
        such vocabularies always read text with).

        Example:
            >>> old = {"type": "word", "tokens": ["<unk>", "<eos>"], "lowercase": True}
            >>> WordVocab.from_json(old).tokenizer
            Tokenizer(name='words', lowercase=True, words_only=False)
        """
        if data.get("type") != cls.kind or not isinstance(data.get("tokens"), list):
            raise RnnkitError("vocab.json is not a word vocabulary")
        if "tokenizer" in data:
            tokenizer = Tokenizer.from_json(data["tokenizer"])
        else:
            flags = {
                "lowercase": bool(data.get("lowercase")),
                "words_only": bool(data.get("words_only")),
            }
            tokenizer = default or Tokenizer("words", **flags)
        return cls(data["tokens"], tokenizer)


class CharTokenVocab(WordVocab):
    """Characters as tokens, with ``<unk>`` for characters never seen and ``<eos>`` closing a
    text: a character-level classifier's vocabulary. (A :class:`CharVocab` has neither, since
    a language model must know every character it generates; a classifier must read any text.)

    Example:
        >>> v = CharTokenVocab.from_text("abba", tokenizer=CHARS)
        >>> v.tokens, v.encode("abc").tolist()
        (['a', 'b', '<unk>', '<eos>'], [0, 1, 2])
        >>> CharTokenVocab.from_json(v.to_json()) == v
        True
    """

    kind = "char-tokens"

    def __init__(self, tokens: Iterable[str], tokenizer: Tokenizer = CHARS) -> None:
        super().__init__(tokens, tokenizer)

    @staticmethod
    def _check_tokenizer(tokenizer: Tokenizer) -> None:
        if tokenizer != CHARS:
            raise RnnkitError("a character vocabulary reads text with the chars tokenizer")

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The characters of ``ids``, joined as they were."""
        return "".join(self.tokens[int(i)] for i in ids)

    def summary(self) -> str:
        """The vocabulary as shown by ``rnnkit info``: its size and most frequent characters."""
        shown = "".join(t for t in self.tokens[:40] if len(t) == 1)
        return f"{len(self)} characters: {shown!r} ..."


def word_vocab_from_json(data: dict[str, Any], default: Tokenizer | None = None) -> WordVocab:
    """A :class:`WordVocab` or :class:`CharTokenVocab` saved by ``to_json``, by its type.

    Example:
        >>> word_vocab_from_json(CharTokenVocab(["<unk>", "<eos>", "a"]).to_json()).kind
        'char-tokens'
    """
    kinds = {cls.kind: cls for cls in (WordVocab, CharTokenVocab)}
    return kinds.get(str(data.get("type")), WordVocab).from_json(data, default)
