"""word2vec settings: the one place their names, defaults, checks and help texts live.

:meth:`~rnnkit.embed.vectors.WordVectors.train` takes a :class:`Settings` (or overrides of its
fields) and the command line generates its options from the fields, so a default is written
once. Each field's ``metadata["help"]`` is its one-line help text.

Example:
    >>> from dataclasses import fields
    >>> [(f.name, f.default) for f in fields(Settings)][:3]
    [('architecture', 'skipgram'), ('dim', 100), ('window', 5)]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from rnnkit.errors import RnnkitError

ARCHITECTURES = ("skipgram", "cbow")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Settings:
    """word2vec settings (gensim's names differ: ``dim`` is ``vector_size``, ``sg`` is derived).
    ``workers=None`` is the CPU count, at most 8 (filled in when the settings are made).

    Example:
        >>> Settings(architecture="cbow", dim=50).gensim_kwargs()["sg"]
        0
    """

    architecture: str = field(
        default="skipgram",
        metadata=_help("Skip-gram predicts the context from the word; CBOW the word from it."),
    )
    dim: int = field(default=100, metadata=_help("Vector size."))
    window: int = field(default=5, metadata=_help("Context words each side."))
    min_count: int = field(default=5, metadata=_help("Drop rarer words."))
    negative: int = field(default=5, metadata=_help("Negative samples."))
    epochs: int = field(default=5, metadata=_help("Passes over the corpus (whole ones)."))
    workers: int | None = field(
        default=None,
        metadata=_help("Threads (the CPU count, at most 8); 1 for bit-identical repeats."),
    )
    seed: int = field(default=1, metadata=_help("Random seed (exact with 1 worker)."))
    sample: float = field(
        default=1e-3, metadata=_help("Downsampling threshold of frequent words (0: off).")
    )
    lowercase: bool = field(default=True, metadata=_help("Lowercase the text, or keep its case."))

    def __post_init__(self) -> None:
        if self.workers is None:  # frozen: the default is filled in once, here
            object.__setattr__(self, "workers", min(os.cpu_count() or 1, 8))
        if self.architecture not in ARCHITECTURES:
            raise RnnkitError(
                f"unknown architecture {self.architecture!r} (choose {' or '.join(ARCHITECTURES)})"
            )
        for name in ("dim", "window", "min_count", "negative", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise RnnkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.sample < 0:
            raise RnnkitError(f"sample must be >= 0 (0 turns downsampling off), got {self.sample}")

    def updated(self, **overrides: Any) -> Settings:
        """These settings with ``overrides`` (field names); an unknown name is an error.

        Example:
            >>> Settings().updated(dim=8, workers=1).dim
            8
        """
        known = [f.name for f in fields(self)]
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise RnnkitError(
                f"unknown word2vec setting(s) {', '.join(unknown)} (settings: {', '.join(known)})"
            )
        return replace(self, **overrides)

    def gensim_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``gensim.models.Word2Vec`` (negative sampling, no softmax)."""
        return {
            "vector_size": self.dim,
            "window": self.window,
            "min_count": self.min_count,
            "sg": int(self.architecture == "skipgram"),
            "hs": 0,
            "negative": self.negative,
            "epochs": self.epochs,
            "workers": self.workers,
            "seed": self.seed,
            "sample": self.sample,
        }
