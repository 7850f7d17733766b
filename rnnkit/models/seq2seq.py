"""Encoder-decoder networks with attention, for :class:`~rnnkit.Seq2Seq`.

source ids [B, S] -> embedding -> (bi)directional GRU/LSTM encoder -> memory [B, S, M] (M = H or
2H), and the decoder's first state (a tanh bridge of the encoder's last states) -> target ids
[B, T] -> embedding -> GRU/LSTM decoder -> outputs [B, T, H] -> attention over the memory (each
output is a query; padding positions get weight 0) -> ``tanh(W [output; context])`` -> logits.

The attention is Luong et al.'s (2015) global attention, computed after the decoder step, with
one of two score functions: ``"bahdanau"``, the additive score ``v . tanh(W q + U m)`` of
Bahdanau et al. (2015), or ``"luong"``, the multiplicative "general" score ``q . W m``; ``None``
is the plain encoder-decoder, whose only view of the source is the bridged state.

With ``input_feeding`` (Luong et al.'s section 3.3) each step's attentional output
``tanh(W [output; context])`` is also the next step's input, beside the target embedding, so the
decoder knows which source positions it has already read: on CMUdict this is what a monotonic
alignment needs. It makes teacher-forced training a loop over the target's steps; without it
the decoder runs over the whole target in one recurrent call and the attention of all steps is
one batched product. Either way the one-step calls of greedy and beam search
(:mod:`rnnkit.decoding.beam`) give the same numbers.

Every decoding state is a tuple of tensors with the batch first (hidden state, memory, keys,
mask, and with input feeding the last attentional output), so a beam reorders it with one
``index_select`` per tensor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import RnnkitError

#: The padding id of both sides, and the ids that start and end a target.
PAD, BOS, EOS = 0, 1, 2
CELLS = ("gru", "lstm")
ATTENTIONS = ("bahdanau", "luong")
#: The decoding state: hidden [B, layers, H] (LSTM: h and c side by side, [B, layers, 2H]),
#: memory [B, S, M], attention keys [B, S, K], the mask of real source positions [B, S] and,
#: with input feeding, the last attentional output [B, H].
State = tuple[Tensor, ...]


@dataclass
class Seq2SeqConfig:
    """The architecture of a :class:`Seq2SeqNet` (saved as config.json's "model").

    Example:
        >>> Seq2SeqConfig(10, 12, attention="luong").memory_size
        512
        >>> Seq2SeqConfig(10, 12, attention="dot")
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: attention must be None, bahdanau or luong, got 'dot'
    """

    source_vocab: int
    target_vocab: int
    cell: str = "gru"
    hidden_size: int = 256
    embed_size: int = 64
    num_layers: int = 1
    bidirectional: bool = True
    attention: str | None = "bahdanau"
    dropout: float = 0.1
    #: False in checkpoints written before it existed (their config.json lacks the key).
    input_feeding: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise RnnkitError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.attention is not None and self.attention not in ATTENTIONS:
            raise RnnkitError(
                f"attention must be None, {' or '.join(ATTENTIONS)}, got {self.attention!r}"
            )
        for name in ("source_vocab", "target_vocab", "hidden_size", "embed_size", "num_layers"):
            if getattr(self, name) < 1:
                raise RnnkitError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise RnnkitError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.input_feeding and self.attention is None:
            raise RnnkitError("input_feeding feeds the attention back: it needs an attention")

    @property
    def memory_size(self) -> int:
        """Width of the encoder's outputs (both directions side by side)."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Attention(nn.Module):
    """Weights over the source positions for each query, padding masked out.

    Example:
        >>> att = Attention("bahdanau", query_size=4, memory_size=6)
        >>> memory, mask = torch.randn(1, 3, 6), torch.tensor([[True, True, False]])
        >>> w = att(torch.randn(1, 2, 4), att.keys(memory), mask)
        >>> w.shape, bool(w[0, :, 2].eq(0).all()), w.sum(-1).allclose(torch.ones(1, 2))
        (torch.Size([1, 2, 3]), True, True)
    """

    def __init__(self, kind: str, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.kind = kind
        self.key = nn.Linear(memory_size, query_size, bias=False)  # U (additive) or W (general)
        if kind == "bahdanau":
            self.query = nn.Linear(query_size, query_size)
            self.v = nn.Linear(query_size, 1, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        """The memory's half of the score, computed once per source: [B, S, M] -> [B, S, Q]."""
        return self.key(memory)

    def forward(self, queries: Tensor, keys: Tensor, mask: Tensor) -> Tensor:
        """queries [B, T, Q], keys [B, S, Q], mask [B, S] -> weights [B, T, S], rows summing
        to 1 over the real positions."""
        if self.kind == "bahdanau":
            hidden = torch.tanh(self.query(queries).unsqueeze(2) + keys.unsqueeze(1))
            scores = self.v(hidden).squeeze(-1)  # [B, T, S]
        else:
            scores = queries @ keys.transpose(1, 2)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        return torch.softmax(scores, dim=-1)


class Seq2SeqNet(nn.Module):
    """Encoder, decoder and attention (see the module docstring).

    Example:
        >>> net = Seq2SeqNet(Seq2SeqConfig(7, 9, hidden_size=8, embed_size=4)).eval()
        >>> src, lengths = torch.tensor([[3, 4, 5], [6, 3, 0]]), torch.tensor([3, 2])
        >>> net(src, lengths, torch.tensor([[1, 4], [1, 5]])).shape
        torch.Size([2, 2, 9])
    """

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        c = self.config = config
        rnn = nn.GRU if c.cell == "gru" else nn.LSTM
        between = c.dropout if c.num_layers > 1 else 0.0
        self.gates = 2 if c.cell == "lstm" else 1  # LSTM state: h and c
        self.source_embed = nn.Embedding(c.source_vocab, c.embed_size, padding_idx=PAD)
        self.encoder = rnn(
            c.embed_size,
            c.hidden_size,
            c.num_layers,
            batch_first=True,
            bidirectional=c.bidirectional,
            dropout=between,
        )
        # The encoder's last states (both directions) -> the decoder's first state, per layer.
        self.bridge = nn.Linear(c.memory_size, self.gates * c.hidden_size)
        self.target_embed = nn.Embedding(c.target_vocab, c.embed_size, padding_idx=PAD)
        fed = c.hidden_size if c.input_feeding else 0
        self.decoder = rnn(
            c.embed_size + fed, c.hidden_size, c.num_layers, batch_first=True, dropout=between
        )
        self.attention = (
            Attention(c.attention, c.hidden_size, c.memory_size) if c.attention else None
        )
        self.combine = (
            nn.Linear(c.hidden_size + c.memory_size, c.hidden_size) if c.attention else None
        )
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.hidden_size, c.target_vocab)

    def forward(self, source: Tensor, lengths: Tensor, target_in: Tensor) -> Tensor:
        """Teacher-forced logits [B, T, V] of ``target_in`` (BOS, then the target but its
        last id) given padded ``source`` [B, S] of ``lengths`` [B]."""
        return self.decode(target_in, self.encode(source, lengths))[0]

    def encode(self, source: Tensor, lengths: Tensor) -> State:
        """Read padded sources [B, S]: the decoding state before the first target step."""
        c = self.config
        x = self.drop(self.source_embed(source))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, last = self.encoder(packed)
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=source.shape[1])
        h = last[0] if isinstance(last, tuple) else last  # [layers * dirs, B, H]
        dirs = 2 if c.bidirectional else 1
        h = h.view(c.num_layers, dirs, -1, c.hidden_size).permute(2, 0, 1, 3)  # [B, L, dirs, H]
        hidden = torch.tanh(self.bridge(h.reshape(h.shape[0], c.num_layers, c.memory_size)))
        mask = (
            torch.arange(source.shape[1], device=source.device) < lengths.to(source.device)[:, None]
        )
        keys = self.attention.keys(memory) if self.attention is not None else memory[:, :, :0]
        if c.input_feeding:  # nothing attended yet
            return hidden, memory, keys, mask, memory.new_zeros(len(memory), c.hidden_size)
        return hidden, memory, keys, mask

    def decode(self, target_in: Tensor, state: State) -> tuple[Tensor, State, Tensor | None]:
        """Run the decoder over ``target_in`` [B, T] from ``state``: logits [B, T, V], the state
        after the last step, and the attention weights [B, T, S] (None without attention)."""
        x = self.drop(self.target_embed(target_in))
        if self.config.input_feeding:
            return self._decode_fed(x, state)
        hidden, memory, keys, mask = state
        outputs, last = self.decoder(x, self._rnn_state(hidden))
        weights = None
        if self.attention is not None and self.combine is not None:
            weights = self.attention(outputs, keys, mask)
            context = weights @ memory  # [B, T, M]
            outputs = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))
        logits = self.out(self.drop(outputs))
        return logits, (self._batch_first(last), memory, keys, mask), weights

    def _decode_fed(self, x: Tensor, state: State) -> tuple[Tensor, State, Tensor | None]:
        """:meth:`decode` with input feeding: one decoder step at a time, each reading its
        target embedding beside the previous step's attentional output."""
        assert self.attention is not None and self.combine is not None
        hidden, memory, keys, mask, fed = state
        rnn_state = self._rnn_state(hidden)
        outputs, weights = [], []
        for t in range(x.shape[1]):
            output, rnn_state = self.decoder(torch.cat([x[:, t], fed], -1)[:, None], rnn_state)
            w = self.attention(output, keys, mask)  # [B, 1, S]
            combined = torch.tanh(self.combine(torch.cat([output, w @ memory], dim=-1)))
            fed = self.drop(combined[:, 0])  # what the output layer and the next step read
            outputs.append(fed)
            weights.append(w)
        logits = self.out(torch.stack(outputs, dim=1))
        state = (self._batch_first(rnn_state), memory, keys, mask, fed)
        return logits, state, torch.cat(weights, dim=1)

    def step(self, tokens: Tensor, state: State) -> tuple[Tensor, State, Tensor | None]:
        """One decoding step: tokens [B] -> log-probabilities [B, V], the new state, and the
        attention [B, S] (None without attention); the step function of
        :mod:`rnnkit.decoding.beam`."""
        logits, state, weights = self.decode(tokens.unsqueeze(1), state)
        attention = weights[:, 0] if weights is not None else None
        return torch.log_softmax(logits[:, 0], dim=-1), state, attention

    def _rnn_state(self, hidden: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """[B, L, G*H] -> what nn.GRU / nn.LSTM take: [L, B, H], or (h, c)."""
        layers_first = hidden.transpose(0, 1).contiguous()
        if self.gates == 1:
            return layers_first
        h, c = layers_first.chunk(2, dim=-1)
        return h.contiguous(), c.contiguous()

    def _batch_first(self, last: Tensor | tuple[Tensor, Tensor]) -> Tensor:
        joined = torch.cat(last, dim=-1) if isinstance(last, tuple) else last
        return joined.transpose(0, 1)
