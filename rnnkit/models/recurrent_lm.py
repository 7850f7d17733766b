"""The recurrent language model: embedding -> stacked RNN/LSTM/GRU -> dropout -> linear head.

One module serves the character LM (and later the word LM). Parameter names (``embed``, ``rnn``,
``head``) are the checkpoint format: the NumPy backend uses the same names, so either backend's
weights load into the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.errors import RnnkitError

#: Hidden state: ``h`` for RNN/GRU, ``(h, c)`` for LSTM, each [layers, batch, hidden].
State = Tensor | tuple[Tensor, Tensor]

CELLS: dict[str, Callable[..., nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class ModelConfig:
    """Architecture of a :class:`RecurrentLM`; stored as JSON in the checkpoint."""

    vocab_size: int
    cell: str = "lstm"
    embed_size: int = 64
    hidden_size: int = 512
    num_layers: int = 1
    dropout: float = 0.0
    tie_weights: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise RnnkitError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        for name in ("vocab_size", "embed_size", "hidden_size", "num_layers"):
            if getattr(self, name) < 1:
                raise RnnkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise RnnkitError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.tie_weights and self.embed_size != self.hidden_size:
            raise RnnkitError("tie_weights needs embed_size == hidden_size")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RecurrentLM(nn.Module):
    """Next-token model over integer ids with a carried hidden state.

    Example:
        >>> m = RecurrentLM(ModelConfig(vocab_size=10, hidden_size=16, embed_size=8))
        >>> logits, state = m(torch.zeros(2, 5, dtype=torch.long))
        >>> tuple(logits.shape)
        (2, 5, 10)
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_size)
        rnn_dropout = c.dropout if c.num_layers > 1 else 0.0
        self.rnn = CELLS[c.cell](
            c.embed_size, c.hidden_size, c.num_layers, batch_first=True, dropout=rnn_dropout
        )
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)
        if c.tie_weights:
            self.head.weight = self.embed.weight

    def forward(self, tokens: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Logits [B, T, V] for tokens [B, T], and the hidden state after the last step."""
        x = self.drop(self.embed(tokens))  # [B, T, E]
        out, state = self.rnn(x, state)  # [B, T, H]
        return self.head(self.drop(out)), state

    def init_state(self, batch: int) -> State:
        """Zero hidden state for ``batch`` sequences."""
        c = self.config
        p = self.head.weight
        h = torch.zeros(c.num_layers, batch, c.hidden_size, dtype=p.dtype, device=p.device)
        return (h, h.clone()) if c.cell == "lstm" else h


def detach_state(state: State) -> State:
    """Cut the graph at a chunk boundary (truncated BPTT) while keeping the values."""
    if isinstance(state, tuple):
        return (state[0].detach(), state[1].detach())
    return state.detach()


def state_tensors(state: State) -> dict[str, Tensor]:
    """Name the tensors of a hidden state, for saving with safetensors."""
    if isinstance(state, tuple):
        return {"h": state[0], "c": state[1]}
    return {"h": state}


def state_from_tensors(tensors: dict[str, Tensor]) -> State:
    """Inverse of :func:`state_tensors`."""
    return (tensors["h"], tensors["c"]) if "c" in tensors else tensors["h"]
