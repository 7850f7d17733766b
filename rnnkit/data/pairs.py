"""Pairs of sequences for sequence-to-sequence models: reading them, and the named pair sets.

A pair set is a list of :class:`Pair`: a source text and one or more reference targets (a word
with several pronunciations has several; a prediction matching any of them is right). Readers:

* :func:`read_pairs`: a TSV file (``source<TAB>target`` a line) or a JSONL file (``{"source":
  ..., "target": ...}`` a line, ``"targets"`` for several references); a line lacking its tab or
  its keys is a one-line error naming the line;
* :func:`read_cmudict`: the CMU Pronouncing Dictionary (``word PH1 PH2 ...`` a line; alternates
  ``word(2)`` kept as extra references; ``# comments`` and ``;;;`` comment lines stripped),
  split by a stable hash of the word so that all pronunciations of a word fall in one split;
* :func:`dates`: one date written in one of :data:`DATE_FORMATS` -> ISO ``YYYY-MM-DD``, seeded;
* :func:`reversals`: random lowercase strings -> the same reversed, seeded.

The catalog (:mod:`rnnkit.data.catalog`) names the sets ``cmudict``, ``dates`` and
``reverse`` and builds their splits from these functions.

Example:
    >>> [p.source for p in dates(2, seed=0)] == [p.source for p in dates(2, seed=0)]
    True
    >>> pair = reversals(1, seed=0, lengths=(5, 5))[0]
    >>> pair.targets[0] == pair.source[::-1]
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.data.textio import read_text
from rnnkit.errors import RnnkitError


@dataclass(frozen=True)
class Pair:
    """A source and its reference targets (the first is the one trained on first).

    Example:
        >>> Pair("a", ("AH0", "EY1")).to_json()
        {'source': 'a', 'targets': ['AH0', 'EY1']}
    """

    source: str
    targets: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "targets": list(self.targets)}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Pair:
        return cls(record["source"], tuple(record["targets"]))


# ---------------------------------------------------------------------------------------------
# Files


def read_pairs(path: str | Path, encoding: str = "utf-8") -> list[Pair]:
    """The pairs of a ``.jsonl`` file (one object a line) or of a TSV file (any other name:
    ``source<TAB>target`` a line; blank lines skipped). Pairs with one source are merged, so
    a source listed twice has two references."""
    path = Path(path)
    text = read_text(path, encoding)
    jsonl = path.name.removesuffix(".gz").endswith(".jsonl")
    rows = _jsonl_rows(text, path) if jsonl else _tsv_rows(text, path)
    pairs = merged(rows)
    if not pairs:
        raise RnnkitError(f"{path} holds no pairs")
    return pairs


def _tsv_rows(text: str, path: Path) -> Iterable[tuple[str, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        source, tab, target = line.partition("\t")
        if not tab:
            raise RnnkitError(
                f"{path} line {number} has no tab: a TSV file holds source<TAB>target a line"
            )
        if not source.strip() or not target.strip():
            raise RnnkitError(f"{path} line {number} has an empty source or target")
        yield source, target


def _jsonl_rows(text: str, path: Path) -> Iterable[tuple[str, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise RnnkitError(f"{path} line {number} is not valid JSON ({err.msg})") from None
        targets = record.get("targets", [record.get("target")]) if isinstance(record, dict) else []
        source = record.get("source") if isinstance(record, dict) else None
        if (
            not isinstance(source, str)
            or not targets
            or not all(isinstance(t, str) and t.strip() for t in targets)
        ):
            raise RnnkitError(
                f'{path} line {number} needs a "source" string and a "target" string (or a '
                '"targets" list)'
            )
        for target in targets:
            yield source, target


def merged(rows: Iterable[tuple[str, str]]) -> list[Pair]:
    """Pairs in first-seen order of their source, each with its distinct targets.

    Example:
        >>> merged([("a", "x"), ("b", "y"), ("a", "z"), ("a", "x")])
        [Pair(source='a', targets=('x', 'z')), Pair(source='b', targets=('y',))]
    """
    found: dict[str, dict[str, None]] = {}
    for source, target in rows:
        found.setdefault(source, {})[target] = None
    return [Pair(source, tuple(targets)) for source, targets in found.items()]


# ---------------------------------------------------------------------------------------------
# CMUdict

#: Parts of 1000 (by the hash of the word) that go to the validation and test splits.
CMUDICT_SPLIT = {"validation": 50, "test": 50}


def read_cmudict(text: str) -> dict[str, list[Pair]]:
    """The CMU Pronouncing Dictionary's entries as train / validation / test pairs of word ->
    phonemes (space-separated ARPAbet with stress digits), alternates as extra references.

    Example:
        >>> parts = read_cmudict("read R EH1 D\\nread(2) R IY1 D # verb\\n")
        >>> [p for split in parts.values() for p in split]
        [Pair(source='read', targets=('R EH1 D', 'R IY1 D'))]
    """
    rows = []
    for line in text.split("\n"):
        entry = line.partition("#")[0].split()
        if len(entry) < 2 or line.startswith(";;;"):  # ;;; starts a comment in older releases
            continue
        word = entry[0]
        if word.endswith(")") and "(" in word:
            word = word[: word.rindex("(")]
        rows.append((word, " ".join(entry[1:])))
    splits: dict[str, list[Pair]] = {"train": [], "validation": [], "test": []}
    for pair in merged(rows):
        splits[cmudict_split(pair.source)].append(pair)
    return splits


def cmudict_split(word: str) -> str:
    """The split of ``word``: a pure function of its spelling (sha256, not Python's salted
    ``hash``), so the split is the same on every machine and run.

    Example:
        >>> cmudict_split("kitten") == cmudict_split("kitten")
        True
    """
    bucket = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:4], "big") % 1000
    if bucket < CMUDICT_SPLIT["test"]:
        return "test"
    if bucket < CMUDICT_SPLIT["test"] + CMUDICT_SPLIT["validation"]:
        return "validation"
    return "train"


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_YEAR, LAST_YEAR = 1900, 2099
#: Years a two-digit year can stand for, as Python's ``%y`` reads them: 69-99 -> 1969-1999,
#: 00-68 -> 2000-2068. A format with a two-digit year is only used for dates in this range.
TWO_DIGIT_YEARS = (1969, 2068)


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d: dt.date) -> str:
    return _MONTHS[d.month - 1]


def _weekday(d: dt.date) -> str:
    return _DAYS[d.weekday()]


#: How a date may be written (English names, independent of the machine's locale), and whether
#: the format has a two-digit year.
DATE_FORMATS: tuple[tuple[Callable[[dt.date], str], bool], ...] = (
    (lambda d: f"{_ordinal(d.day)} of {_month(d)}, {d.year}", False),
    (lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}", True),
    (lambda d: f"{_weekday(d)[:3]} {d.day} {_month(d)[:3]} {d.year}", False),
    (lambda d: f"{_month(d)} {d.day}, {d.year}", False),
    (lambda d: f"{d.day} {_month(d)} {d.year}", False),
    (lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}", False),
    (lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}", False),
    (lambda d: f"{d.year}{d.month:02d}{d.day:02d}", False),
    (lambda d: f"{_month(d)[:3].lower()} {d.day} {d.year % 100:02d}", True),
    (lambda d: f"{d.day:02d}-{_month(d)[:3].upper()}-{d.year}", False),
    (lambda d: f"{_weekday(d)} {_ordinal(d.day)} {_month(d)} {d.year}", False),
    (lambda d: f"{d.month}/{d.day}/{d.year}", False),
)

#: The seeds of the catalog's splits: one each, so the test set is fixed.
SPLIT_SEEDS = {"train": 1, "validation": 2, "test": 3}


def dates(n: int, seed: int) -> list[Pair]:
    """``n`` dates from 1900-01-01 to 2099-12-31, each written in a random one of
    :data:`DATE_FORMATS` -> ISO 8601; the same ``seed`` gives the same pairs.

    Example:
        >>> pair = dates(1, seed=7)[0]
        >>> len(pair.targets[0]), pair.targets[0][4]
        (10, '-')
    """
    rng = random.Random(seed)
    first = dt.date(FIRST_YEAR, 1, 1).toordinal()
    last = dt.date(LAST_YEAR, 12, 31).toordinal()
    out = []
    for _ in range(n):
        day = dt.date.fromordinal(rng.randint(first, last))
        usable = [
            write
            for write, two_digit in DATE_FORMATS
            if not two_digit or TWO_DIGIT_YEARS[0] <= day.year <= TWO_DIGIT_YEARS[1]
        ]
        out.append(Pair(rng.choice(usable)(day), (day.isoformat(),)))
    return out


def read_date(text: str) -> dt.date:
    """The date ``text`` writes, read back by :mod:`datetime`'s own parser for the formats it
    has (the generator's check: ``%y`` is Python's reading of a two-digit year).

    Example:
        >>> read_date("06/25/09"), read_date("25th of June, 1969")
        (datetime.date(2009, 6, 25), datetime.date(1969, 6, 25))
    """
    plain = text
    for day in range(31, 0, -1):
        plain = plain.replace(_ordinal(day) + " ", f"{day} ")
    for fmt in (
        "%d of %B, %Y", "%m/%d/%y", "%a %d %b %Y", "%B %d, %Y", "%d %B %Y", "%A, %B %d, %Y",
        "%d.%m.%Y", "%Y%m%d", "%b %d %y", "%d-%b-%Y", "%A %d %B %Y", "%m/%d/%Y",
    ):  # fmt: skip
        try:
            return dt.datetime.strptime(plain, fmt).date()
        except ValueError:
            continue
    raise RnnkitError(f"not a date in a known format: {text!r}")


# ---------------------------------------------------------------------------------------------
# Reversal

REVERSE_LENGTHS = (5, 40)
REVERSE_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def reversals(n: int, seed: int, lengths: tuple[int, int] = REVERSE_LENGTHS) -> list[Pair]:
    """``n`` random strings of ``REVERSE_ALPHABET`` with lengths uniform in ``lengths``
    (inclusive) -> the same strings reversed.

    Example:
        >>> [(p.source, p.targets) for p in reversals(1, seed=3, lengths=(5, 5))] == [
        ...     (p.source, (p.source[::-1],)) for p in reversals(1, seed=3, lengths=(5, 5))]
        True
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = "".join(rng.choices(REVERSE_ALPHABET, k=rng.randint(*lengths)))
        out.append(Pair(text, (text[::-1],)))
    return out


def without(pairs: list[Pair], held_out: Iterable[list[Pair]]) -> list[Pair]:
    """``pairs`` less those whose source is in one of the ``held_out`` sets (so that a
    generated training set never holds a test question).

    Example:
        >>> without([Pair("a", ("x",)), Pair("b", ("y",))], [[Pair("a", ("x",))]])
        [Pair(source='b', targets=('y',))]
    """
    seen = {p.source for part in held_out for p in part}
    return [p for p in pairs if p.source not in seen]
