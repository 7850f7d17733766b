"""``CharLM``: train a character-level recurrent language model and generate text with it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from rnnkit.data.vocab import CharVocab
from rnnkit.lm.base import LanguageModel, Splits
from rnnkit.lm.planning import Defaults

KIND = "char_lm"


class CharLM(LanguageModel[CharVocab]):
    """A character-level RNN / LSTM / GRU language model.

    ``fit`` trains on a bundled corpus name (``"shakespeare"``), a registry dataset, a text
    file, a folder of text files, or a string; ``generate`` writes text of an exact size:
    ``n_chars`` characters or ``n_lines`` lines. Settings left as None are the defaults
    measured best on a 2-core CPU for the time budget (``defaults``); anything set explicitly
    is kept.

    Example:
        >>> lm = CharLM(cell="gru", hidden_size=32, embed_size=16, seq_len=16, batch_size=4)
        >>> lm = lm.fit("to be or not to be, that is the question\\n" * 20, steps=5, quiet=True)
        >>> len(lm.generate(n_chars=50, seed=1))
        50
    """

    kind = KIND
    unit = "chars"
    size_name = "n_chars"
    bits_key = "bpc"
    vocab_type = CharVocab
    sample_size: ClassVar[dict[str, int]] = {"n_chars": 200}
    #: Measured on a 2-core CPU (benchmarks/charlm.py, Tiny Shakespeare): up to 5 minutes, a
    #: GRU of 256 units; longer, a GRU of 512 with dropout 0.1 and AdamW weight decay 0.1
    #: (600 s: 1.4435 nats/char, against 1.4516 with decay 0.01; the decay was picked by
    #: benchmarks/charlm_replay.py). Step and epoch budgets use the first row.
    defaults = Defaults(
        auto=(
            (300.0, {"hidden_size": 256, "dropout": 0.0, "lr": 8e-3, "weight_decay": 0.01}),
            (math.inf, {"hidden_size": 512, "dropout": 0.1, "lr": 5e-3, "weight_decay": 0.1}),
        )
    )

    def __init__(
        self,
        cell: str = "gru",
        hidden_size: int | None = None,
        embed_size: int = 64,
        num_layers: int = 1,
        dropout: float | None = None,
        tie_weights: bool = False,
        **train_settings: Any,
    ) -> None:
        super().__init__(
            cell, hidden_size, embed_size, num_layers, dropout, tie_weights, **train_settings
        )

    def _build_vocab(self, data: Splits) -> CharVocab:
        # Every character of the corpus: validation text may hold one that training text lacks.
        return CharVocab.from_text(data.train + data.validation)

    def _counts(self, size_name: str) -> Callable[[str], int]:
        if size_name == "n_chars":
            return len
        return lambda piece: piece.count("\n")

    def _piece(self, vocab: CharVocab) -> Callable[[int], str]:
        return vocab.chars.__getitem__
