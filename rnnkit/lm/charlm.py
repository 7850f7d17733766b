"""``CharLM``: train a character-level recurrent language model and generate text with it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from rnnkit.data.vocab import CharVocab
from rnnkit.lm.base import LanguageModel, Splits, one_size, stops
from rnnkit.lm.sampling import Counter, SamplingConfig

KIND = "char_lm"


class CharLM(LanguageModel[CharVocab]):
    """A character-level RNN / LSTM / GRU language model.

    ``fit`` trains on a bundled corpus name (``"shakespeare"``), a registry dataset, a text
    file, a folder of text files, or a string; ``generate`` writes text of an exact size.
    Settings left as None are the defaults measured best on a 2-core CPU for the time budget
    (``AUTO``); anything set explicitly is kept.

    Example:
        >>> lm = CharLM(cell="gru", hidden_size=32, embed_size=16, seq_len=16, batch_size=4)
        >>> lm = lm.fit("to be or not to be, that is the question\\n" * 20, steps=5, quiet=True)
        >>> len(lm.generate(n_chars=50, seed=1))
        50
    """

    kind = KIND
    unit = "chars"
    bits_key = "bpc"
    vocab_type = CharVocab
    sample_size: ClassVar[dict[str, int]] = {"n_chars": 200}
    #: Measured on a 2-core CPU (benchmarks/charlm.py, Tiny Shakespeare): up to 5 minutes, a
    #: GRU of 256 units; longer, a GRU of 512 with dropout 0.1 and AdamW weight decay 0.1
    #: (600 s: 1.4435 nats/char, against 1.4516 with decay 0.01; the decay was picked by
    #: benchmarks/charlm_replay.py). Step and epoch budgets use the first row.
    auto: ClassVar[tuple[tuple[float, dict[str, Any]], ...]] = (
        (300.0, {"hidden_size": 256, "dropout": 0.0, "lr": 8e-3, "weight_decay": 0.01}),
        (math.inf, {"hidden_size": 512, "dropout": 0.1, "lr": 5e-3, "weight_decay": 0.1}),
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

    def _counter(self, sizes: dict[str, int | None]) -> Callable[[], Counter]:
        name, n = one_size(sizes)
        if name == "n_chars":
            return lambda: Counter(n, len)
        return lambda: Counter(n, lambda piece: piece.count("\n"))

    def _piece(self, vocab: CharVocab) -> Callable[[int], str]:
        return vocab.chars.__getitem__

    def generate(
        self,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
    ) -> str:
        """Generate exactly ``n_chars`` characters or exactly ``n_lines`` lines.

        The prompt primes the model and is *not* part of the result (and not counted); with no
        prompt the model is primed with a newline when its vocabulary has one. With
        ``n_lines`` the result holds ``n_lines`` lines (blank lines count) and no trailing
        newline. A stop string ends the text early and is removed; temperature 0 is greedy.
        """
        return self.generate_batch(
            1, n_chars, n_lines, prompt, temperature, top_k, top_p, seed, stop
        )[0]

    def generate_batch(
        self,
        num_samples: int,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
    ) -> list[str]:
        """Like :meth:`generate`, for ``num_samples`` independent samples computed as a batch."""
        sizes = {"n_chars": n_chars, "n_lines": n_lines}
        cfg = SamplingConfig(temperature, top_k, top_p)
        return self._sample_text(num_samples, sizes, prompt, cfg, seed, stops(stop))

    def stream(
        self,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Yield generated characters one recurrent step at a time.

        With a size, the characters joined equal ``generate(...)`` with the same arguments
        (``n_lines`` stops before the last newline); with no size, the stream never ends.
        """
        cfg = SamplingConfig(temperature, top_k, top_p)
        return self._stream_pieces({"n_chars": n_chars, "n_lines": n_lines}, prompt, cfg, seed)
