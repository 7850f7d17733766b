"""``WordLM``: a word-level recurrent language model (AWD-LSTM style) on the shared stack."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from rnnkit.data.tokenize import Tokenizer
from rnnkit.data.tokenstore import PrepareSettings
from rnnkit.data.vocab import EOS, WordVocab
from rnnkit.errors import RnnkitError
from rnnkit.lm.base import LanguageModel, Splits, TrainSettings
from rnnkit.lm.planning import Defaults
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM

if TYPE_CHECKING:
    from rnnkit.embed.vectors import WordVectors

KIND = "word_lm"
_SIZES = {"hidden_size": 512, "embed_size": 256}
_NO_DROPOUT = {"dropout": 0.0, "input_dropout": 0.0, "embed_dropout": 0.0, "weight_drop": 0.0}
_LIGHT = {"dropout": 0.1, "input_dropout": 0.1, "embed_dropout": 0.0, "weight_drop": 0.0}
_AWD = {"dropout": 0.25, "input_dropout": 0.25, "embed_dropout": 0.05, "weight_drop": 0.2}
_UNTIED, _TIED = {"tie_weights": False}, {"tie_weights": True}


@dataclass
class WordSettings(TrainSettings):
    """Training settings of a word LM: the char-LM ones, plus how the vocabulary is built."""

    seq_len: int = 64
    batch_size: int = 32
    warmup_steps: int = 50
    min_count: int = 1
    max_vocab: int | None = None
    tokenizer: str = "words"  # "words": the benchmarks' reading; "text": the classifier's
    lowercase: bool = False
    words_only: bool = False
    embeddings: str | None = None  # a WordVectors folder to initialise the embedding from
    freeze_embeddings: bool = False


class WordLM(LanguageModel[WordVocab]):
    """A word-level LSTM / GRU language model with the AWD-LSTM regularisers.

    The vocabulary comes from the training text (``min_count``, ``max_vocab``; ``<eos>`` ends
    every line, other words become ``<unk>``), read as the WikiText / PTB benchmarks read
    their files; ``lowercase`` and ``words_only`` suit raw prose. ``tokenizer="text"`` reads it
    as :class:`~rnnkit.TextClassifier` does (punctuation split off, tags dropped), which is the
    reading for a model that will start a classifier (ULMFiT): the vocabulary saves its
    tokenizer, and the classifier reads text with it. Large vocabularies get an
    adaptive softmax head (``adaptive=None`` decides by size), which is what makes a 33k-word
    model trainable on a CPU; small ones a full softmax. Either can score words against the
    embedding (``tie_weights``; by default, runs long enough for the AWD-LSTM regularisers).

    ``generate`` writes ``n_words`` words or ``n_lines`` lines.

    Example:
        >>> text = "the cat sat on the mat\\nthe dog sat on the log\\n" * 30
        >>> lm = WordLM(hidden_size=32, embed_size=16, seq_len=8, batch_size=4)
        >>> lm = lm.fit(text, steps=5, quiet=True)
        >>> len(lm.generate(n_words=12, seed=1).split())
        12
    """

    kind = KIND
    unit = "words"
    size_name = "n_words"
    bits_key = "bpw"
    vocab_type = WordVocab
    settings_type = WordSettings
    sample_size: ClassVar[dict[str, int]] = {"n_words": 40}
    extra_arch: ClassVar[dict[str, Any]] = {
        "input_dropout": None,
        "embed_dropout": None,
        "weight_drop": None,
        "variational": True,
        "adaptive": None,
    }
    #: Sizes and rates by time budget; the regularisation by the epochs it buys.
    #: Up to 3 epochs, no dropout: replaying 13 recipes for the steps their measured CPU speed
    #: reaches in 10 minutes (benchmarks/wordlm_recipes.py), WikiText-2 (1.7 epochs) was best
    #: without any, PTB (5 epochs) best with light dropout (validation 120.3, none 123.4,
    #: AWD-style 131.2). PTB for 15 epochs with light dropout overfitted (test 132.1, against
    #: 120.8 after 5 epochs), so longer runs get the AWD-LSTM regularisers. Tying the output to
    #: the embedding is a regulariser too: with the AWD set it took PTB at 30 minutes (14.4 and
    #: 15.6 epochs) from test 106.8 to 98.3, but it raised the perplexity of runs of up to 6
    #: epochs (WikiText-2 10 minutes 189.2 against 155.8 untied, 30 minutes 136.8 against
    #: 133.1; PTB 10 minutes 124.5 against 113.9), so only the long runs are tied.
    defaults = Defaults(
        auto=(
            (1800.0, {**_SIZES, "lr": 5e-3, "weight_decay": 0.01}),
            (math.inf, {**_SIZES, "lr": 3e-3, "weight_decay": 0.01}),
        ),
        by_epochs=(
            (3.0, {**_NO_DROPOUT, **_UNTIED}),
            (8.0, {**_LIGHT, **_UNTIED}),
            (math.inf, {**_AWD, **_TIED}),
        ),
    )
    #: Vocabularies at least this large get an adaptive softmax when ``adaptive`` is None.
    adaptive_from = 5000

    def __init__(
        self,
        cell: str = "lstm",
        hidden_size: int | None = None,
        embed_size: int | None = None,
        num_layers: int = 1,
        dropout: float | None = None,
        tie_weights: bool | None = None,
        **options: Any,
    ) -> None:
        self._vectors: WordVectors | None = None  # the ``embeddings`` folder, read once
        super().__init__(cell, hidden_size, embed_size, num_layers, dropout, tie_weights, **options)
        self._tokenizer()  # a bad tokenizer or option fails here, before the data is read

    def _word_vectors(self, path: str) -> WordVectors:
        if self._vectors is None:
            from rnnkit.embed.vectors import WordVectors

            self._vectors = WordVectors.load(path)
        return self._vectors

    def _build_vocab(self, data: Splits) -> WordVocab:
        s = self.settings
        return WordVocab.from_text(data.train, s.min_count, s.max_vocab, self._tokenizer())

    def _store_settings(self) -> PrepareSettings | None:
        s = self.settings
        assert isinstance(s, WordSettings)
        if s.tokenizer != "words":  # a store reads the benchmarks' words only
            return None
        return PrepareSettings(
            "word", s.val_fraction, s.min_count, s.max_vocab, s.lowercase, s.words_only
        )

    def _tokenizer(self) -> Tokenizer:
        s = self.settings
        assert isinstance(s, WordSettings)
        return Tokenizer(s.tokenizer, s.lowercase, s.words_only)

    def _model_config(self, vocab_size: int, arch: dict[str, Any]) -> ModelConfig:
        arch = dict(arch)
        s = self.settings
        assert isinstance(s, WordSettings)
        if s.embeddings is not None and self.arch["embed_size"] is None:
            arch["embed_size"] = self._word_vectors(s.embeddings).dim  # the vectors' width
        adaptive = arch.pop("adaptive")
        if adaptive is None:
            adaptive = vocab_size >= self.adaptive_from
        cutoffs = adaptive_cutoffs(vocab_size) if adaptive else []
        return ModelConfig(vocab_size=vocab_size, adaptive_cutoffs=cutoffs, **arch)

    def _init_weights(self, model: RecurrentLM, vocab: WordVocab) -> None:
        """Initialise the embedding from trained word vectors (``embeddings=``), if given.

        Rows follow the vocabulary; words without a vector (``<eos>``, rare words) get random
        rows at the vectors' scale. A frozen embedding stays as loaded (with tied weights, the
        output layer too).
        """
        s = self.settings
        assert isinstance(s, WordSettings)
        if s.embeddings is None:
            return
        aligned = self._word_vectors(s.embeddings).embedding_matrix(
            vocab.tokens, dim=model.config.embed_size, seed=s.seed
        )
        with torch.no_grad():
            model.embed.weight.copy_(torch.from_numpy(aligned.matrix))
        self.embedding_oov_ = aligned.oov  # words that started from a random row

    def _freeze(self, model: RecurrentLM) -> None:
        s = self.settings
        assert isinstance(s, WordSettings)
        if s.freeze_embeddings and s.backend != "torch":
            raise RnnkitError(f"the {s.backend} backend cannot freeze the embeddings")
        model.embed.weight.requires_grad_(not s.freeze_embeddings)

    def _counts(self, size_name: str) -> Callable[[str], int]:
        if size_name == "n_words":
            return lambda piece: int(piece != "\n")
        return lambda piece: int(piece == "\n")

    def _piece(self, vocab: WordVocab) -> Callable[[int], str]:
        # The space goes before a word, so a line ends exactly as written ("end.\n"), which is
        # what stop strings are matched against; the space that starts a line is dropped later.
        tokens = vocab.tokens
        return lambda i: "\n" if tokens[i] == EOS else " " + tokens[i]

    def _finish(self, text: str, sizes: dict[str, int | None]) -> str:
        lines = [line.removeprefix(" ") for line in text.split("\n")]
        return super()._finish("\n".join(lines), sizes)

    def _tidy_stream(self, pieces: Iterator[str]) -> Iterator[str]:
        line_start = True
        for piece in pieces:
            yield piece.removeprefix(" ") if line_start else piece
            line_start = piece == "\n"


def adaptive_cutoffs(vocab_size: int) -> list[int]:
    """Cluster bounds for an adaptive softmax: a head of the 2,000 most frequent words, then
    tails of growing size (untied, each tail's vectors are 4x narrower than the one before;
    tied, every word keeps its embedding's width)."""
    return [c for c in (2000, 10000, 50000) if c < vocab_size * 0.9]
