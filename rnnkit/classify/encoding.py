"""How a classifier reads its texts: tokens by a tokenizer (the vocabulary's own, so a
classifier that starts from a language model reads as that model did), capped at
``max_tokens``, then ids with an end marker, and labels as class indices. A word-level
classifier's tokens are words (the ``text`` tokenizer); a character-level one's are
characters (``chars``), in a :class:`~rnnkit.data.vocab.CharTokenVocab`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.data.tokenize import EOS, Tokenizer
from rnnkit.data.vocab import CharTokenVocab, WordVocab
from rnnkit.data.works import folded
from rnnkit.errors import RnnkitError


@dataclass
class Encoded:
    """Texts as the network and the baseline read them."""

    seqs: list[np.ndarray]  # token ids, each ending with <eos>
    labels: np.ndarray  # class indices (empty without labels)
    docs: list[str]  # the baseline's input: words joined by spaces, or the characters read


class TextEncoder:
    """Reads texts for a classifier.

    Example:
        >>> text = Tokenizer("text", lowercase=True)
        >>> TextEncoder(text, max_tokens=3).tokens("Great film!<br />Loved it.")
        ['great', 'film', '!']
        >>> vocab = TextEncoder(text, None).vocabulary(["great film", "bad film"], 1, None)
        >>> vocab.tokens
        ['<eos>', 'film', 'bad', 'great', '<unk>']
        >>> TextEncoder(text, None, vocab).encode(["great plot"]).seqs[0].tolist()  # plot: <unk>
        [3, 4, 0]
        >>> chars = Tokenizer("chars")
        >>> vocab = TextEncoder(chars, max_tokens=6).vocabulary(["To be, or"], 1, None)
        >>> vocab.tokens, TextEncoder(chars, 6, vocab).encode(["To be, or"]).docs
        ([' ', ',', '<eos>', 'T', 'b', 'e', 'o', '<unk>'], ['To be,'])
        >>> TextEncoder(chars, None, fold=True).tokens("To be;\\nor")
        ['t', 'o', ' ', 'b', 'e', ',', ' ', 'o', 'r']
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        max_tokens: int | None,
        vocab: WordVocab | None = None,
        classes: Sequence[Any] = (),
        fold: bool = False,
    ) -> None:
        self.tokenizer, self.max_tokens = tokenizer, max_tokens
        self.vocab, self.classes, self.fold = vocab, list(classes), fold

    def tokens(self, text: str) -> list[str]:
        """The tokens of one text (``fold``: of :func:`~rnnkit.data.works.folded` text),
        without line ends (a text ends once), the first ``max_tokens``."""
        text = folded(text) if self.fold else text
        tokens = [t for t in self.tokenizer.split(text) if t != EOS]
        return tokens if self.max_tokens is None else tokens[: self.max_tokens]

    def vocabulary(self, texts: Sequence[str], min_count: int, max_vocab: int | None) -> WordVocab:
        """The words of ``texts`` seen ``min_count`` times or more (each text ends with
        ``<eos>``, as encoded), saved with this reader's tokenizer."""
        counts = Counter(t for text in texts for t in self.tokens(text))
        counts[EOS] += len(texts)
        kind = CharTokenVocab if self._chars else WordVocab
        return kind.from_counts(counts, min_count, max_vocab, self.tokenizer)

    def encode(self, texts: Sequence[str], labels: Sequence[Any] = ()) -> Encoded:
        """Ids, class indices (if labels are given) and baseline documents of ``texts``."""
        tokens = [self.tokens(t) for t in texts]
        docs = [self._joined(t) for t in tokens]
        return Encoded([self.ids(t) for t in tokens], self.indices(labels), docs)

    @property
    def _chars(self) -> bool:
        return self.tokenizer.name == "chars"

    def _joined(self, tokens: list[str]) -> str:
        # Characters joined as they stood, so the baseline's character n-grams see the text
        # itself; words by single spaces, so the baseline splits them back at whitespace.
        return "".join(tokens) if self._chars else " ".join(tokens)

    def ids(self, tokens: list[str]) -> np.ndarray:
        """Ids of ``tokens`` and an end marker (``<eos>``, as a language model read its text),
        so even a text with no tokens left (only tags, say) is one step long."""
        vocab = self._vocab()
        return np.append(vocab.ids(tokens), vocab.eos_id)

    def indices(self, labels: Sequence[Any]) -> np.ndarray:
        """Class indices of ``labels``; a label the model was not trained on is an error."""
        index = {c: i for i, c in enumerate(self.classes)}
        unseen = list(dict.fromkeys(label for label in labels if label not in index))
        if unseen:
            known = ", ".join(map(repr, self.classes))
            raise RnnkitError(
                f"labels the model was not trained on: {', '.join(map(repr, unseen[:5]))} "
                f"(it knows {known})"
            )
        return np.array([index[label] for label in labels], dtype=np.int64)

    def unknown_share(self, encoded: Encoded) -> float:
        """The fraction of tokens read as ``<unk>`` (high: the vocabulary does not fit)."""
        unk, seqs = self._vocab().unk_id, encoded.seqs
        total = sum(len(x) for x in seqs)
        return round(sum(int((x == unk).sum()) for x in seqs) / max(total, 1), 4)

    def _vocab(self) -> WordVocab:
        if self.vocab is None:
            raise RnnkitError("this reader has no vocabulary yet")
        return self.vocab
