"""Where a classifier's first weights come from: trained word vectors for the embedding, or a
language model for the embedding and the recurrent layers (ULMFiT): a word language model for
a word-level classifier, a character one for a character-level classifier.

A language model is read straight from its checkpoint folder (vocabulary, config, weights), so
the classifier depends on the shared layers only, not on the language-model package.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnkit.core import checkpoint
from rnnkit.data.tokenize import Tokenizer
from rnnkit.data.vocab import EOS, UNK, CharTokenVocab, CharVocab, WordVocab
from rnnkit.errors import RnnkitError
from rnnkit.models.classifier import ClassifierNet, lm_weights
from rnnkit.models.recurrent_lm import ModelConfig

#: The checkpoint kind of a word language model.
WORD_LM = "word_lm"
#: The checkpoint kind of a character language model.
CHAR_LM = "char_lm"
#: What a language model fixes in the classifier that starts from it.
FIXED_BY_LM = ("cell", "hidden_size", "embed_size", "num_layers")


class LanguageModelStart:
    """A language model's vocabulary, architecture and weights, to start a classifier.

    Example:
        >>> LanguageModelStart.load("no/such/folder", Tokenizer("text"))
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: no checkpoint folder at no/such/folder
    """

    def __init__(self, vocab: WordVocab, arch: dict[str, Any], weights: dict[str, Tensor]):
        self.vocab, self.arch, self.weights = vocab, arch, weights

    @classmethod
    def load(cls, path: str | Path, own: Tokenizer) -> LanguageModelStart:
        """Read the language-model checkpoint folder ``path``: a character language model
        when the classifier's ``own`` reading is by characters, else a word one. A word
        vocabulary saved before tokenizers were saved (rnnkit 0.1.0) is read the classifier's
        ``own`` way, as that release did."""
        ck = checkpoint.load(path)
        chars = own.name == "chars"
        if chars:
            checkpoint.expect_kind(ck.config, CHAR_LM, "character language model (level char)")
        else:
            checkpoint.expect_kind(ck.config, WORD_LM, "word language model")
        arch = asdict(ModelConfig(**ck.config["model"]))
        if chars:
            return cls._of_chars(CharVocab.from_json(ck.vocab), arch, ck.weights)
        return cls(WordVocab.from_json(ck.vocab, default=own), arch, ck.weights)

    @classmethod
    def _of_chars(
        cls, vocab: CharVocab, arch: dict[str, Any], weights: dict[str, Tensor]
    ) -> LanguageModelStart:
        """A character language model knows its corpus's characters and nothing else; the
        classifier also reads characters never seen (``<unk>``) and the end of a text
        (``<eos>``), so they come after the model's, with embedding rows at the mean of its
        rows (an average character, rather than noise at another scale)."""
        embed = weights["embed.weight"]
        extra = embed.mean(dim=0, keepdim=True).expand(2, -1)
        tokens = CharTokenVocab([*vocab.chars, UNK, EOS])
        return cls(tokens, arch, {**weights, "embed.weight": torch.cat([embed, extra])})

    def fixed(self, given: dict[str, Any]) -> dict[str, Any]:
        """The architecture the language model fixes (unidirectional, its sizes), checked
        against the options the user ``given``."""
        fixed = {k: self.arch[k] for k in FIXED_BY_LM} | {"bidirectional": False}
        clash = [k for k, v in fixed.items() if given.get(k, v) != v]
        if clash:
            raise RnnkitError(
                f"the language model fixes {', '.join(clash)}: "
                + ", ".join(f"{k}={fixed[k]}" for k in clash)
            )
        return fixed

    def apply(self, net: ClassifierNet) -> None:
        """Copy the embedding and recurrent weights into ``net``."""
        net.load_state_dict(lm_weights(self.weights, net.config.num_layers), strict=False)


def vectors_into(net: ClassifierNet, vectors_dir: str | Path, tokens: list[str], seed: int) -> int:
    """Initialise ``net``'s embedding from the word-vectors folder ``vectors_dir``, a row per
    vocabulary token (random rows at the vectors' scale for words without a vector); returns
    how many tokens had none."""
    aligned = word_vectors(vectors_dir).embedding_matrix(
        tokens, dim=net.config.embed_size, seed=seed
    )
    with torch.no_grad():
        net.embed.weight.copy_(torch.from_numpy(np.asarray(aligned.matrix)))
    return len(aligned.oov)


def word_vectors(path: str | Path) -> Any:
    """The :class:`~rnnkit.WordVectors` saved in ``path``."""
    from rnnkit.embed.vectors import WordVectors  # gensim is slow to import: only when asked

    return WordVectors.load(path)
