"""Character vocabulary: the mapping between text and token ids, saved as JSON in checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError


class CharVocab:
    """Sorted set of the characters of a corpus; id ``i`` is ``chars[i]``.

    Example:
        >>> v = CharVocab.from_text("hello")
        >>> v.chars, v.decode(v.encode("hole"))
        (['e', 'h', 'l', 'o'], 'hole')
    """

    kind = "char"

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
