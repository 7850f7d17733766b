"""Where a sequence-to-sequence model's pairs come from: pairs in memory, a TSV / JSONL file,
or a registry pair set (``cmudict``, ``dates``, ``reverse``, with a split: ``"cmudict:test"``).

A registry set brings its own validation split and its own units (phonemes are tokens, a date
is characters); other data gets a validation part carved out of it by a seeded shuffle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data import catalog
from rnnkit.data.pairs import Pair, merged, read_pairs
from rnnkit.data.sources import resolve
from rnnkit.errors import RnnkitError

#: What ``fit`` / ``evaluate`` take: pairs in memory, a file path, or a registry name.
PairData = str | Path | Sequence[Any]
IN_MEMORY = "<pairs>"
#: The units (source, target) each registry pair set is read in.
SET_UNITS = {
    "cmudict": ("chars", "tokens"),
    "dates": ("chars", "chars"),
    "reverse": ("chars", "chars"),
}


@dataclass(frozen=True)
class PairSet:
    """Pairs with the name of where they came from, and that source's own units (None: the
    caller's or the default)."""

    pairs: list[Pair]
    source: str
    units: tuple[str, str] | None = None

    def sha256(self) -> str:
        """A fingerprint of the pairs, to check that a resumed run reads the same data."""
        blob = json.dumps([p.to_json() for p in self.pairs], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read(data: PairData, data_dir: str | Path | None = None, encoding: str = "utf-8") -> PairSet:
    """The pairs of ``data`` (a registry set without a split is its test split's opposite:
    its training split)."""
    if isinstance(data, (str, Path)):
        src = resolve(data, texts=False).training()
        if src.kind == "dataset":
            if src.name not in SET_UNITS:
                raise RnnkitError(
                    f"dataset {src.name} holds no pairs (pair sets: {', '.join(SET_UNITS)})"
                )
            assert src.split is not None
            return PairSet(
                list(catalog.load(src.name, src.split, data_dir)), src.label, SET_UNITS[src.name]
            )
        if src.kind != "file" or src.path is None:
            raise RnnkitError(f"{src.label} is a folder: give a TSV or JSONL file of pairs")
        return PairSet(read_pairs(src.path, encoding), src.label)
    return PairSet(in_memory(data), IN_MEMORY)


def in_memory(data: Sequence[Any]) -> list[Pair]:
    """Pairs given as ``(source, target)`` tuples (or :class:`Pair`), checked.

    Example:
        >>> in_memory([("kitten", "K IH1 T AH0 N"), ("a", "AH0"), ("a", "EY1")])[1].targets
        ('AH0', 'EY1')
    """
    rows: list[tuple[str, str]] = []
    for number, item in enumerate(data, start=1):
        if isinstance(item, Pair):
            rows.extend((item.source, t) for t in item.targets)
            continue
        if not (
            isinstance(item, (tuple, list))
            and len(item) == 2
            and all(isinstance(x, str) for x in item)
        ):
            raise RnnkitError(f"pair {number} is not a (source, target) pair of strings")
        if not item[0].strip() or not item[1].strip():
            raise RnnkitError(f"pair {number} has an empty source or target")
        rows.append((item[0], item[1]))
    if not rows:
        raise RnnkitError("no pairs to train on")
    return merged(rows)


def validation_split(
    whole: PairSet, data: PairData, fraction: float, seed: int, data_dir: str | Path | None
) -> tuple[list[Pair], list[Pair]]:
    """Training and validation pairs: a registry set's own validation split, else ``fraction``
    of ``whole`` held out by a seeded shuffle (at least one pair, at most all but one)."""
    if isinstance(data, (str, Path)):
        src = resolve(data, texts=False)
        if src.kind == "dataset" and "validation" in catalog.get(src.name).splits:
            return whole.pairs, list(catalog.load(src.name, "validation", data_dir))
    if len(whole.pairs) < 2:
        raise RnnkitError("need at least 2 pairs (one held out for validation), or validation=")
    order = np.random.default_rng(seed).permutation(len(whole.pairs))
    held = min(len(order) - 1, max(1, round(fraction * len(order))))
    val = set(order[:held].tolist())
    train = [p for i, p in enumerate(whole.pairs) if i not in val]
    return train, [whole.pairs[i] for i in sorted(val)]
