"""The recurrent text classifier: embedding -> (bi)LSTM / GRU layers -> pooling -> linear head.

Sequences of different lengths share a batch padded at the end. PyTorch's packed sequences give
the exact variable-length result but run about six times slower than padded batches on a CPU
(measured here: 3,387 vs 21,432 tokens/s for a bidirectional LSTM 128), so the classifier gets
the same result another way:

* the forward direction reads the padded batch: padding only comes after a sequence's last
  token, so it never reaches an output that is used;
* the backward direction reads every sequence reversed *within its own length*
  (:func:`reverse_within`), so its padding also comes last; its outputs are put back in order
  with the same permutation;
* pooling ignores padded positions (masks), and "last" reads each sequence's own last step.

``tests/test_classifier.py`` checks the outputs against ``pack_padded_sequence``. Batches are
bucketed by length (see :mod:`rnnkit.classify.learner`), so little work is padding.

Two options for character-level input (issue 15): ``ngrams`` adds, at each step, hashed
embeddings of the 2- to N-grams of tokens ending there (:func:`ngram_ids`; the network then
reads word pieces from the first step instead of building them out of characters), and
``chunk_tokens`` reads a long text as chunks side by side whose pooled features are averaged
(:func:`chunked`).

Layers are single-layer modules (``fwd.K`` and ``bwd.K``) because in a bidirectional stack
each layer reads both directions of the layer below. A unidirectional classifier can start from
a trained rnnkit language model (ULMFiT): :func:`lm_weights` renames its embedding and layers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import CELLS, LockedDropout, check_stack, embed_words

POOLINGS = ("last", "max", "mean", "attention")


@dataclass
class ClassifierConfig:
    """Architecture of a :class:`ClassifierNet`; stored as JSON in the checkpoint.

    ``pooling`` is one of :data:`POOLINGS` or several joined by ``+`` (their features are
    concatenated), e.g. ``"max+mean"``. ``dropout`` applies to the embeddings (one mask per
    sequence), between layers and to the pooled features; ``embed_dropout`` drops whole words;
    ``ngram_dropout`` is dropout on the hashed n-gram embeddings alone (with ``ngrams`` > 1).

    Example:
        >>> ClassifierConfig(vocab_size=100, num_classes=2, pooling="max+attention").poolings
        ['max', 'attention']
    """

    vocab_size: int
    num_classes: int
    cell: str = "lstm"
    embed_size: int = 100
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    pooling: str = "max+mean"
    dropout: float = 0.4
    embed_dropout: float = 0.1
    ngrams: int = 1
    ngram_buckets: int = 1 << 17
    chunk_tokens: int | None = None
    ngram_dropout: float = 0.0

    def __post_init__(self) -> None:
        check_stack(self, ("dropout", "embed_dropout", "ngram_dropout"))
        if self.num_classes < 2:
            raise RnnkitError(f"a classifier needs at least 2 classes, got {self.num_classes}")
        if self.chunk_tokens is not None and self.chunk_tokens < 1:
            raise RnnkitError(f"chunk_tokens must be positive, got {self.chunk_tokens}")
        if self.ngrams < 1 or self.ngram_buckets < 1:
            raise RnnkitError(
                f"ngrams and ngram_buckets must be positive: {self.ngrams}, {self.ngram_buckets}"
            )
        unknown = [p for p in self.poolings if p not in POOLINGS]
        if unknown or not self.poolings or len(set(self.poolings)) != len(self.poolings):
            raise RnnkitError(
                f"pooling {self.pooling!r}: use one or more of {', '.join(POOLINGS)} joined by +"
            )

    @property
    def poolings(self) -> list[str]:
        return self.pooling.split("+")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def reverse_within(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of ``x`` [B, T, F] within its length; padding stays at the end.

    Applying it twice gives ``x`` back.

    Example:
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 0]]).unsqueeze(-1)
        >>> reverse_within(x, torch.tensor([3, 2])).squeeze(-1).tolist()
        [[3, 2, 1], [5, 4, 0]]
    """
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # [1, T]
    last = lengths.to(x.device).unsqueeze(1) - 1  # [B, 1]
    index = torch.where(steps <= last, last - steps, steps)  # [B, T]
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


class ClassifierNet(nn.Module):
    """Labels from token ids: embedding, (bi)directional recurrent layers, pooling, linear head.

    Example:
        >>> cfg = ClassifierConfig(vocab_size=20, num_classes=3, hidden_size=8, embed_size=4)
        >>> net = ClassifierNet(cfg)
        >>> ids, lengths = torch.randint(20, (2, 7)), torch.tensor([7, 4])
        >>> net(ids, lengths).shape
        torch.Size([2, 3])
    """

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_size)
        # Hashed n-grams of 2..ngrams tokens ending at each step, one table for all lengths.
        self.ngram_embed = nn.Embedding(c.ngram_buckets, c.embed_size) if c.ngrams > 1 else None
        if self.ngram_embed is not None:
            # Zero at first: a row moves only when its n-gram is read, so random rows would
            # stay noise for most of a run; zero rows start as the plain token model.
            nn.init.zeros_(self.ngram_embed.weight)
        directions = 2 if c.bidirectional else 1
        sizes = [c.embed_size] + [c.hidden_size * directions] * (c.num_layers - 1)
        cell = CELLS[c.cell]
        self.fwd = nn.ModuleList(cell(n, c.hidden_size, batch_first=True) for n in sizes)
        self.bwd = (
            nn.ModuleList(cell(n, c.hidden_size, batch_first=True) for n in sizes)
            if c.bidirectional
            else None
        )
        width = c.hidden_size * directions
        self.drop_in = LockedDropout(c.dropout)
        self.drop = nn.Dropout(c.dropout)
        if "attention" in c.poolings:  # additive attention with one learned query
            self.attn = nn.Linear(width, width)
            self.attn_query = nn.Linear(width, 1, bias=False)
        self.head = nn.Linear(width * len(c.poolings), c.num_classes)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """Class logits [B, C] for padded ids [B, T] and their lengths [B] (each >= 1)."""
        return self.classify(ids, lengths)[0]

    def classify(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor | None]:
        """Logits [B, C] and, with attention pooling, the attention weights [B, T].

        With ``chunk_tokens``, a longer text is read as chunks of about equal length (none
        longer than ``chunk_tokens``), each pooled on its own; the text's features are the mean
        of its chunks' (so its logits are the mean of theirs, the head being linear). The
        chunks of a batch are read side by side as rows of one batch; each chunk's attention
        weights sum to 1 / its text's chunks.
        """
        chunk = self.config.chunk_tokens
        if chunk is None or ids.shape[1] <= chunk:
            features, weights = self._read(ids, lengths)
            return self.head(self.drop(features)), weights
        pieces = chunked(lengths, chunk, ids.shape[1])
        piece_ids = ids.reshape(-1)[pieces.index.to(ids.device)]  # [P, chunk]
        features, piece_weights = self._read(piece_ids, pieces.lengths)  # [P, F], [P, chunk]
        owner = pieces.owner.to(features.device)
        share = 1.0 / pieces.count.to(features.device, features.dtype)  # [B]
        text_features = features.new_zeros(len(lengths), features.shape[1])
        text_features.index_add_(0, owner, features * share[owner].unsqueeze(1))
        weights = None
        if piece_weights is not None:
            weights = piece_weights.new_zeros(ids.numel())
            valid = _mask(pieces.lengths, piece_ids.shape[1], piece_weights.device)
            spread = piece_weights * share[owner].unsqueeze(1)
            weights[pieces.index.to(weights.device)[valid]] = spread[valid]
            weights = weights.view(ids.shape)
        return self.head(self.drop(text_features)), weights

    def _read(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor | None]:
        """Pooled features [B, F] of whole sequences, and attention weights [B, T] if any."""
        out = self.encode(ids, lengths)  # [B, T, W]
        mask = _mask(lengths, ids.shape[1], out.device)  # [B, T]
        return self._pool(out, lengths, mask)

    def encode(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """Top-layer outputs [B, T, W] (W = hidden size x directions); padded steps hold junk."""
        c = self.config
        x = embed_words(self.embed, ids, c.embed_dropout, self.training)
        if self.ngram_embed is not None:
            for grams in ngram_ids(ids, c.ngrams, c.ngram_buckets, c.vocab_size):
                found = embed_words(self.ngram_embed, grams, c.embed_dropout, self.training)
                x = x + F.dropout(found, c.ngram_dropout, self.training)
        x = self.drop_in(x)
        for k, fwd in enumerate(self.fwd):
            if k > 0:
                x = F.dropout(x, c.dropout, self.training)
            out, _ = fwd(x)  # [B, T, H]
            if self.bwd is not None:
                back, _ = self.bwd[k](reverse_within(x, lengths))
                out = torch.cat([out, reverse_within(back, lengths)], dim=2)
            x = out
        return x

    def _pool(self, out: Tensor, lengths: Tensor, mask: Tensor) -> tuple[Tensor, Tensor | None]:
        pooled: list[Tensor] = []
        weights = None
        valid = mask.unsqueeze(-1)  # [B, T, 1]
        for kind in self.config.poolings:
            if kind == "max":
                pooled.append(out.masked_fill(~valid, float("-inf")).amax(dim=1))
            elif kind == "mean":
                total = out.masked_fill(~valid, 0.0).sum(dim=1)
                pooled.append(total / lengths.to(out.device, out.dtype).unsqueeze(1))
            elif kind == "last":
                pooled.append(self._last(out, lengths))
            else:
                scores = self.attn_query(torch.tanh(self.attn(out))).squeeze(-1)  # [B, T]
                weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=1)
                pooled.append(torch.bmm(weights.unsqueeze(1), out).squeeze(1))
        return torch.cat(pooled, dim=1), weights

    def _last(self, out: Tensor, lengths: Tensor) -> Tensor:
        """The forward direction at each sequence's last token; the backward one at its first
        (where the backward direction has read the whole sequence)."""
        h = self.config.hidden_size
        at = (lengths.to(out.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
        last = out.gather(1, at).squeeze(1)  # [B, W]
        if self.bwd is None:
            return last
        return torch.cat([last[:, :h], out[:, 0, h:]], dim=1)

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """Parameters from the bottom up: the embeddings (tokens and n-grams), each recurrent
        layer, pooling and head (the groups of gradual unfreezing and discriminative rates)."""
        tables = [self.embed] if self.ngram_embed is None else [self.embed, self.ngram_embed]
        groups: list[list[nn.Parameter]] = [[p for t in tables for p in t.parameters()]]
        for k, fwd in enumerate(self.fwd):
            back = [] if self.bwd is None else list(self.bwd[k].parameters())
            groups.append([*fwd.parameters(), *back])
        low = {id(p) for g in groups for p in g}
        groups.append([p for p in self.parameters() if id(p) not in low])
        return groups


@dataclass
class Chunks:
    """Where the chunks of a padded batch lie: ``index`` [P, chunk] into the flattened
    [B * T] ids (padding points at a chunk's own first token), ``lengths`` [P], the text each
    chunk belongs to (``owner`` [P]) and each text's number of chunks (``count`` [B])."""

    index: Tensor
    lengths: Tensor
    owner: Tensor
    count: Tensor


def chunked(lengths: Tensor, chunk: int, width: int) -> Chunks:
    """Cut texts of ``lengths`` (padded to ``width``) into chunks of about equal length, at
    most ``chunk`` tokens each.

    Example:
        >>> c = chunked(torch.tensor([5, 2]), 3, width=5)  # 5 tokens: chunks of 2 and 3
        >>> c.lengths.tolist(), c.owner.tolist(), c.count.tolist()
        ([2, 3, 2], [0, 0, 1], [2, 1])
        >>> c.index.tolist()  # T = 5: the second text starts at 5
        [[0, 1, 0], [2, 3, 4], [5, 6, 5]]
    """
    count = (lengths + chunk - 1) // chunk  # [B]
    owner = torch.repeat_interleave(torch.arange(len(lengths)), count)  # [P]
    first = torch.cumsum(count, 0) - count  # each text's first chunk
    j = torch.arange(len(owner)) - first[owner]  # the chunk's place in its text
    n, size = count[owner], lengths[owner]
    start, end = j * size // n, (j + 1) * size // n
    steps = torch.arange(chunk).unsqueeze(0)  # [1, chunk]
    inside = steps < (end - start).unsqueeze(1)
    index = owner.unsqueeze(1) * width + torch.where(
        inside, start.unsqueeze(1) + steps, start.unsqueeze(1)
    )
    return Chunks(index, end - start, owner, count)


#: The multiplier of the n-gram hash (a prime; products stay far below 2**63).
_HASH = 1_000_003


def ngram_ids(ids: Tensor, n: int, buckets: int, outside: int) -> list[Tensor]:
    """Hashed ids [B, T] of the 2- to ``n``-grams of ``ids`` [B, T] ending at each step; steps
    before a sequence's start read as ``outside`` (an id no token has).

    Example:
        >>> ids = torch.tensor([[3, 1, 4, 1, 5, 9]])
        >>> bigrams, trigrams = ngram_ids(ids, 3, 1000, outside=10)
        >>> bool(bigrams[0, 1] == ngram_ids(torch.tensor([[7, 3, 1]]), 2, 1000, 10)[0][0, 2])
        True
        >>> bool(bigrams[0, 1] == bigrams[0, 3]), int(trigrams.max()) < 1000  # "3 1", "4 1"
        (False, True)
    """
    out, h, steps = [], ids % buckets, ids.shape[1]
    for k in range(1, n):
        before = F.pad(ids, (k, 0), value=outside)[:, :steps]  # the token k steps back
        h = (h * _HASH + before + k) % buckets
        out.append(h)
    return out


def _mask(lengths: Tensor, steps: int, device: torch.device) -> Tensor:
    """True at the real (not padded) positions: [B, T]."""
    return torch.arange(steps, device=device).unsqueeze(0) < lengths.to(device).unsqueeze(1)


def lm_weights(lm_state: dict[str, Tensor], num_layers: int) -> dict[str, Tensor]:
    """A language model's embedding and recurrent weights under the classifier's names
    (``rnn.weight_ih_l1`` -> ``fwd.1.weight_ih_l0``), for a unidirectional classifier."""
    out = {"embed.weight": lm_state["embed.weight"]}
    for k in range(num_layers):
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            out[f"fwd.{k}.{kind}_l0"] = lm_state[f"rnn.{kind}_l{k}"]
    return out
