"""How a side of a pair is read: characters or whitespace-separated tokens, and their ids.

Ids 0-3 are the specials every side has: padding, the start and end of a target, and
``<unk>`` for a source symbol never seen in training (which is warned of, naming the symbols).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.models.seq2seq import EOS

#: How a text may be cut into symbols: every character, or whitespace-separated tokens.
UNITS = ("chars", "tokens")
UNK = 3
#: The specials' names, by id: the network's PAD, BOS and EOS (0, 1, 2), then UNK.
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")


class Symbols:
    """The symbols of one side, after the specials.

    Example:
        >>> s = Symbols.from_texts(["K IH1 T", "T AH0 N"], unit="tokens")
        >>> s.symbols, s.encode("K AH0 N").tolist(), s.decode([4, 5, 2, 7])
        (['AH0', 'IH1', 'K', 'N', 'T'], [6, 4, 7], 'AH0 IH1')
        >>> Symbols.from_json(s.to_json()) == s
        True
    """

    def __init__(self, symbols: Iterable[str], unit: str) -> None:
        if unit not in UNITS:
            raise RnnkitError(f"a unit is one of {', '.join(UNITS)}, got {unit!r}")
        self.symbols, self.unit = list(symbols), unit
        self._ids = {s: i + len(SPECIALS) for i, s in enumerate(self.symbols)}

    @classmethod
    def from_texts(cls, texts: Iterable[str], unit: str) -> Symbols:
        """Every symbol of ``texts``, sorted."""
        seen: set[str] = set()
        for text in texts:
            seen.update(split(text, unit))
        return cls(sorted(seen), unit)

    def __len__(self) -> int:
        return len(SPECIALS) + len(self.symbols)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Symbols) and (other.symbols, other.unit) == (
            self.symbols,
            self.unit,
        )

    def __hash__(self) -> int:
        return hash((tuple(self.symbols), self.unit))

    def split(self, text: str) -> list[str]:
        return split(text, self.unit)

    def join(self, symbols: Sequence[str]) -> str:
        return ("" if self.unit == "chars" else " ").join(symbols)

    def unknown(self, text: str) -> list[str]:
        """Symbols of ``text`` not in this vocabulary, in first-seen order."""
        return list(dict.fromkeys(s for s in self.split(text) if s not in self._ids))

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text`` (int64); an unknown symbol is ``<unk>``."""
        return np.array([self._ids.get(s, UNK) for s in self.split(text)], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``, up to the first end id; specials are left out."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.symbols[i - len(SPECIALS)])
        return self.join(out)

    def names(self, ids: Iterable[int]) -> list[str]:
        """Each id's symbol, specials by their names (for attention plots)."""
        return [SPECIALS[i] if i < len(SPECIALS) else self.symbols[i - len(SPECIALS)] for i in ids]

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "symbols": self.symbols}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Symbols:
        return cls(data["symbols"], data["unit"])


def split(text: str, unit: str) -> list[str]:
    """``text`` cut into symbols: its characters, or its whitespace-separated tokens.

    Example:
        >>> split("ab c", "chars"), split(" K  AE1 T ", "tokens")
        (['a', 'b', ' ', 'c'], ['K', 'AE1', 'T'])
    """
    return list(text) if unit == "chars" else text.split()


def checked_sources(texts: Sequence[str], symbols: Symbols) -> list[np.ndarray]:
    """The ids of each source; an empty one is an error, unknown symbols read as ``<unk>``
    with one warning naming them."""
    missing: dict[str, None] = {}
    out = []
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise RnnkitError(f"source {number} is a {type(text).__name__}, not a string")
        if not symbols.split(text):
            raise RnnkitError(f"source {number} is empty: there is nothing to translate")
        missing.update(dict.fromkeys(symbols.unknown(text)))
        out.append(symbols.encode(text))
    if missing:
        shown = ", ".join(repr(s) for s in list(missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        warnings.warn(f"symbols never seen in training, read as <unk>: {shown}{more}", stacklevel=3)
    return out


@dataclass(frozen=True)
class Vocabulary:
    """The symbols of both sides, saved as a checkpoint's vocab.json.

    Example:
        >>> v = Vocabulary(Symbols(["a"], "chars"), Symbols(["AH0"], "tokens"))
        >>> Vocabulary.from_json(v.to_json()) == v, v.summary()
        (True, '1 source chars, 1 target tokens')
    """

    source: Symbols
    target: Symbols

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source.to_json(), "target": self.target.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocabulary:
        return cls(Symbols.from_json(data["source"]), Symbols.from_json(data["target"]))

    def summary(self) -> str:
        s, t = self.source, self.target
        return f"{len(s.symbols)} source {s.unit}, {len(t.symbols)} target {t.unit}"
