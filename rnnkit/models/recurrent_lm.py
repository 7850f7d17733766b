"""The recurrent language model: embedding -> stacked RNN/LSTM/GRU -> dropout -> output head.

One module serves the character LM and the word LM. Parameter names (``embed``, ``rnn``,
``head``) are the checkpoint format: the NumPy backend uses the same names, so either backend's
weights load into the other.

The word LM adds the regularisers of AWD-LSTM (Merity et al., 2017) that matter, all off by
default: embedding dropout (whole words), variational ("locked") dropout whose mask is shared
across time steps, DropConnect on the hidden-to-hidden matrices (``weight_drop``), weight tying
(through a projection when the hidden size differs from the embedding size), and an adaptive
softmax head for large vocabularies (Grave et al., 2017), which makes a 33k-word softmax cheap
enough for a CPU; with tied weights, the adaptive head scores words against the embedding
(:class:`~rnnkit.models.adaptive.TiedAdaptiveSoftmax`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.errors import RnnkitError
from rnnkit.models.adaptive import TiedAdaptiveSoftmax

#: Hidden state: ``h`` for RNN/GRU, ``(h, c)`` for LSTM, each [layers, batch, hidden].
State = Tensor | tuple[Tensor, Tensor]

CELLS: dict[str, Callable[..., nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class ModelConfig:
    """Architecture of a :class:`RecurrentLM`; stored as JSON in the checkpoint.

    ``dropout`` applies to the embeddings (unless ``input_dropout`` is set), between layers and
    to the last layer's output; ``variational`` shares the input and output dropout masks
    across time steps (between layers it stays ``nn.LSTM``'s per-step dropout).
    ``adaptive_cutoffs`` (ids sorted by frequency) switches the head to an adaptive softmax
    (with ``tie_weights``, one whose word vectors are the embedding).

    ``num_labels`` > 0 conditions the model on a label (a style): a label embedding of
    ``label_size`` is fed beside the token embedding at every step, and in training a row's
    label is replaced by "no label" (id ``num_labels``) with probability ``label_dropout``, so
    the same model also generates unconditioned. With 0 (the default) none of this exists and
    the JSON is what it was before conditioning.
    """

    vocab_size: int
    cell: str = "lstm"
    embed_size: int = 64
    hidden_size: int = 512
    num_layers: int = 1
    dropout: float = 0.0
    tie_weights: bool = False
    input_dropout: float | None = None
    embed_dropout: float = 0.0
    weight_drop: float = 0.0
    variational: bool = False
    adaptive_cutoffs: list[int] = field(default_factory=list)
    num_labels: int = 0
    label_size: int = 16
    label_dropout: float = 0.0

    def __post_init__(self) -> None:
        check_stack(
            self, ("dropout", "input_dropout", "embed_dropout", "weight_drop", "label_dropout")
        )
        if self.num_labels < 0 or (self.num_labels and self.label_size < 1):
            raise RnnkitError("num_labels must be >= 0 and label_size at least 1")
        cuts = self.adaptive_cutoffs
        if cuts and (cuts != sorted(set(cuts)) or cuts[0] < 1 or cuts[-1] >= self.vocab_size):
            raise RnnkitError(
                f"adaptive_cutoffs must increase strictly within (0, {self.vocab_size}), got {cuts}"
            )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.num_labels:  # an unconditioned model's config.json stays as it always was
            for name in _LABEL_FIELDS:
                del data[name]
        return data


_LABEL_FIELDS = ("num_labels", "label_size", "label_dropout")


def check_stack(config: Any, rates: tuple[str, ...]) -> None:
    """Check the fields every recurrent stack's config has (cell, vocabulary, embedding and
    hidden sizes, layers) and the dropout ``rates`` it names (None: not set)."""
    if config.cell not in CELLS:
        raise RnnkitError(f"unknown cell {config.cell!r}; choose one of {', '.join(CELLS)}")
    for name in ("vocab_size", "embed_size", "hidden_size", "num_layers"):
        if getattr(config, name) < 1:
            raise RnnkitError(f"{name} must be at least 1, got {getattr(config, name)}")
    for name in rates:
        rate = getattr(config, name)
        if rate is not None and not 0.0 <= rate < 1.0:
            raise RnnkitError(f"{name} must be in [0, 1), got {rate}")


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence, shared by every time step (variational dropout).

    Example:
        >>> drop = LockedDropout(0.5).train()
        >>> y = drop(torch.ones(2, 6, 4))
        >>> bool((y[:, :1] == y).all())  # the same units are dropped at every step
        True
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:  # x [B, T, F]
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask  # mask [B, 1, F] broadcasts over time


def embed_words(embed: nn.Embedding, tokens: Tensor, p: float, training: bool) -> Tensor:
    """Embeddings of ``tokens``; in training, whole words (rows of the table) are dropped with
    probability ``p`` for this batch and the rest scaled up (embedding dropout)."""
    weight = embed.weight
    if training and p > 0:
        keep = weight.new_empty(weight.shape[0], 1).bernoulli_(1 - p) / (1 - p)
        weight = weight * keep
    return F.embedding(tokens, weight)


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
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_size)
        # One row per label and a last one for "no label"; None keeps old models' parameters.
        self.label_embed = nn.Embedding(c.num_labels + 1, c.label_size) if c.num_labels else None
        between = c.dropout if c.num_layers > 1 else 0.0
        width = c.embed_size + (c.label_size if c.num_labels else 0)
        self.rnn = CELLS[c.cell](
            width, c.hidden_size, c.num_layers, batch_first=True, dropout=between
        )
        drop = LockedDropout if c.variational else nn.Dropout
        in_rate = c.dropout if c.input_dropout is None else c.input_dropout
        self.drop_in, self.drop_out = drop(in_rate), drop(c.dropout)
        # Tying needs head rows of the embedding's width: project the hidden state down to it.
        self.proj = (
            nn.Linear(c.hidden_size, c.embed_size, bias=False)
            if c.tie_weights and c.hidden_size != c.embed_size
            else None
        )
        out_size = c.embed_size if self.proj is not None else c.hidden_size
        self.head: nn.Linear | nn.AdaptiveLogSoftmaxWithLoss | TiedAdaptiveSoftmax
        if c.adaptive_cutoffs and c.tie_weights:
            self.head = TiedAdaptiveSoftmax(out_size, c.vocab_size, c.adaptive_cutoffs)
        elif c.adaptive_cutoffs:
            if out_size < 4 ** len(c.adaptive_cutoffs):  # each tail is 4x narrower
                raise RnnkitError(
                    f"an adaptive softmax with {len(c.adaptive_cutoffs)} tail clusters needs "
                    f"at least {4 ** len(c.adaptive_cutoffs)} hidden units, got {out_size}"
                )
            self.head = nn.AdaptiveLogSoftmaxWithLoss(
                out_size, c.vocab_size, c.adaptive_cutoffs, div_value=4.0
            )
        else:
            self.head = nn.Linear(out_size, c.vocab_size)
            if c.tie_weights:
                self.head.weight = self.embed.weight

    def forward(
        self, tokens: Tensor, state: State | None = None, labels: Tensor | None = None
    ) -> tuple[Tensor, State]:
        """Logits [B, T, V] for tokens [B, T], and the hidden state after the last step.

        With an adaptive head the "logits" are log-probabilities (equally valid for softmax).
        """
        features, state = self.features(tokens, state, labels)
        return self.logits(features), state

    def features(
        self, tokens: Tensor, state: State | None = None, labels: Tensor | None = None
    ) -> tuple[Tensor, State]:
        """The top layer's output [B, T, H] for tokens [B, T], and the new hidden state.

        ``labels`` ([B], or [B, T] per token) condition a model with ``num_labels``; None
        means "no label".
        """
        x = self.drop_in(self._embed(tokens))  # [B, T, E]
        if self.label_embed is not None:
            x = torch.cat([x, self.label_embed(self._labels(tokens, labels))], dim=-1)
        elif labels is not None:
            raise RnnkitError("this model is not conditioned: it takes no labels")
        out, state = self._recur(x, state)  # [B, T, H]
        return self.drop_out(out), state

    def _labels(self, tokens: Tensor, labels: Tensor | None) -> Tensor:
        """Label ids [B, T] for tokens [B, T]: given, or "no label"; in training each row's
        label is dropped (to "no label") with probability ``label_dropout``."""
        none = self.config.num_labels
        if labels is None:
            return torch.full_like(tokens, none)
        labels = labels.unsqueeze(1) if labels.dim() == 1 else labels
        labels = labels.expand(tokens.shape)
        p = self.config.label_dropout
        if self.training and p > 0:
            dropped = torch.rand(tokens.shape[0], 1, device=tokens.device) < p  # [B, 1]
            labels = labels.masked_fill(dropped, none)
        return labels

    def logits(self, features: Tensor) -> Tensor:
        """Scores over the vocabulary [..., V] for top-layer outputs [..., H]."""
        if self.proj is not None:
            features = self.proj(features)  # [..., E]
        if isinstance(self.head, nn.Linear):
            return self.head(features)
        flat = features.reshape(-1, features.shape[-1])
        if isinstance(self.head, TiedAdaptiveSoftmax):
            logp = self.head.log_prob(flat, self.embed.weight)
        else:
            logp = self.head.log_prob(flat)
        return logp.view(*features.shape[:-1], -1)

    def nll(self, features: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
        """Negative log-likelihood (nats) of ``targets`` [B, T] given top outputs [B, T, H].

        The adaptive head scores only the targets' clusters: that is where it saves its time.
        """
        if self.proj is not None:
            features = self.proj(features)  # [B, T, E]
        flat, target = features.reshape(-1, features.shape[-1]), targets.reshape(-1)
        if isinstance(self.head, nn.Linear):
            return F.cross_entropy(self.head(flat), target, reduction=reduction)
        if isinstance(self.head, TiedAdaptiveSoftmax):
            total = -self.head.target_log_prob(flat, target, self.embed.weight).sum()
        else:
            total = -self.head(flat, target).output.sum()
        return total / target.numel() if reduction == "mean" else total

    def _embed(self, tokens: Tensor) -> Tensor:
        return embed_words(self.embed, tokens, self.config.embed_dropout, self.training)

    def _recur(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        p = self.config.weight_drop
        if not (self.training and p > 0):
            return self.rnn(x, state)
        # DropConnect: a fresh mask on every hidden-to-hidden matrix for this batch.
        dropped = {
            f"weight_hh_l{k}": F.dropout(getattr(self.rnn, f"weight_hh_l{k}"), p)
            for k in range(self.config.num_layers)
        }
        out: tuple[Tensor, State] = torch.func.functional_call(self.rnn, dropped, (x, state))
        return out

    def init_state(self, batch: int) -> State:
        """Zero hidden state for ``batch`` sequences."""
        c = self.config
        p = self.embed.weight
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
