"""Language-model learner: next-token cross-entropy with the hidden state carried across chunks.

This is the model-kind-specific half of the training loop for every recurrent LM (char or word):
one optimizer update per TBPTT window, and validation over contiguous streams.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnkit.models.recurrent_lm import (
    RecurrentLM,
    State,
    detach_state,
    state_from_tensors,
    state_tensors,
)
from rnnkit.training.learner import TorchLearner
from rnnkit.training.streams import Batch


@dataclass
class OptimSettings:
    """AdamW settings (the learning rate itself comes from the schedule each step)."""

    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.99
    clip: float = 1.0


class TorchLMLearner(TorchLearner):
    """Trains a :class:`RecurrentLM` with AdamW, carrying the hidden state between windows.

    Example:
        >>> from rnnkit.models.recurrent_lm import ModelConfig
        >>> from rnnkit.training.streams import TokenStreams
        >>> m = RecurrentLM(ModelConfig(vocab_size=5, hidden_size=8, embed_size=4))
        >>> ids = np.arange(200) % 5
        >>> learner = TorchLMLearner(m, ids, OptimSettings(), eval_seq_len=16)
        >>> loss = learner.train_step(TokenStreams(ids, 4, 8, 0).batch(0), lr=1e-2)
        >>> 1.0 < loss < 2.5
        True
    """

    def __init__(
        self,
        model: RecurrentLM,
        val_ids: np.ndarray,
        opt: OptimSettings,
        eval_seq_len: int,
        sampler: Callable[[], str] | None = None,
        val_labels: np.ndarray | None = None,
    ) -> None:
        optimizer = torch.optim.AdamW(
            _param_groups(model, opt.weight_decay), lr=0.0, betas=(opt.beta1, opt.beta2)
        )
        super().__init__(model, optimizer)
        self.model, self.val_ids, self.opt = model, val_ids, opt
        self.eval_seq_len = eval_seq_len
        self.sampler, self.val_labels = sampler, val_labels
        self.state: State | None = None

    def train_step(self, batch: Batch, lr: float) -> float:
        """One AdamW update on a TBPTT window; the hidden state carries over to the next."""
        if batch.reset or self.state is None:
            self.state = self.model.init_state(batch.inputs.shape[0])
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        device = self.model.embed.weight.device
        inputs, targets = batch.inputs.to(device), batch.targets.to(device)
        labels = None if batch.labels is None else batch.labels.to(device)
        features, state = self.model.features(inputs, self.state, labels)  # [B, T, H]
        self.state = detach_state(state)
        loss = self.model.nll(features, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.opt.clip)
        self.optimizer.step()
        return loss.item()

    def validate(self) -> float:
        return stream_loss(self.model, self.val_ids, self.eval_seq_len, labels=self.val_labels)

    def sample(self) -> str:
        return self.sampler() if self.sampler is not None else ""

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """The optimizer and RNG state, and the hidden state carried into the next window."""
        tensors, meta = super().train_state()
        if self.state is not None:
            tensors.update({f"hidden.{k}": v for k, v in state_tensors(self.state).items()})
        return tensors, meta

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        super().load_train_state(tensors, meta)
        hidden = {
            k.removeprefix("hidden."): v.to(self.device)
            for k, v in tensors.items()
            if k[:7] == "hidden."
        }
        self.state = state_from_tensors(hidden) if hidden else None


def _param_groups(model: RecurrentLM, weight_decay: float) -> list[dict[str, Any]]:
    """Decay matrices only: biases and the embedding table are left alone, as is usual."""
    decay: list[torch.nn.Parameter] = []
    keep: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        table = name.startswith(("embed.", "label_embed."))
        (decay if p.dim() >= 2 and not table else keep).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]


@torch.inference_mode()
def stream_loss(
    model: RecurrentLM,
    ids: np.ndarray,
    seq_len: int,
    streams: int = 32,
    labels: np.ndarray | None = None,
) -> float:
    """Mean next-token cross-entropy (nats) over every position of ``ids`` after the first.

    The text is read as ``streams`` contiguous streams with the hidden state carried, as in
    training; the few positions left over after an even split are scored in a last, single
    stream, so every one of the ``len(ids) - 1`` predictions counts exactly once. A
    conditioned model reads ``labels`` (one per id) beside the ids.
    """
    model.eval()
    n = len(ids) - 1
    if n < 1:
        return math.nan
    b = max(1, min(streams, n // max(seq_len, 1)))
    per = n // b
    data = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64))
    data = data.to(model.embed.weight.device)
    lab = None if labels is None else torch.from_numpy(labels.astype(np.int64)).to(data.device)
    x = data[: b * per].view(b, per)
    y = data[1 : b * per + 1].view(b, per)
    xl = None if lab is None else lab[: b * per].view(b, per)
    total = _chunked_sum(model, x, y, seq_len, xl)
    if b * per < n:
        tail = data[b * per :]
        tl = None if lab is None else lab[b * per : -1].unsqueeze(0)
        total += _chunked_sum(model, tail[:-1].unsqueeze(0), tail[1:].unsqueeze(0), seq_len, tl)
    return total / n


def _chunked_sum(
    model: RecurrentLM, x: Tensor, y: Tensor, seq_len: int, labels: Tensor | None = None
) -> float:
    state: State | None = None
    total = 0.0
    for start in range(0, x.shape[1], seq_len):
        window = slice(start, start + seq_len)
        chunk_labels = None if labels is None else labels[:, window]
        features, state = model.features(x[:, window], state, chunk_labels)
        total += model.nll(features, y[:, window], reduction="sum").item()
    return total
