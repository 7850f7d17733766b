"""Language-model learner: next-token cross-entropy with the hidden state carried across chunks.

This is the model-kind-specific half of the training loop for every recurrent LM (char or word):
one optimizer update per TBPTT window, and validation over contiguous streams.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import (
    RecurrentLM,
    State,
    detach_state,
    state_from_tensors,
    state_tensors,
)
from rnnkit.training.distributed import SINGLE, World
from rnnkit.training.learner import TorchLearner
from rnnkit.training.streams import Batch


@dataclass
class OptimSettings:
    """AdamW settings (the learning rate itself comes from the schedule each step)."""

    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.99
    clip: float = 1.0
    grad_accum: int = 1  # parts each window's streams go through (the same update, less memory)


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
        world: World = SINGLE,
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
        self.world = world
        # With several ranks the update goes through DDP, which averages the gradients.
        self._step: torch.nn.Module = _Step(model) if not world.distributed else ddp(model, world)

    def train_step(self, batch: Batch, lr: float) -> float:
        """One AdamW update on a TBPTT window; the hidden state carries over to the next.

        With ``opt.grad_accum`` > 1 the window's streams go through in that many parts, whose
        gradients add up to the whole window's (DDP synchronises on the last part only)."""
        if batch.reset or self.state is None:
            self.state = self.model.init_state(batch.inputs.shape[0])
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        device = self.model.embed.weight.device
        inputs, targets = batch.inputs.to(device), batch.targets.to(device)
        labels = None if batch.labels is None else batch.labels.to(device)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._backward(inputs, targets, labels)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.opt.clip)
        self.optimizer.step()
        return self.world.mean(loss)

    def _backward(self, inputs: Tensor, targets: Tensor, labels: Tensor | None) -> float:
        """Gradients of the window's mean loss, in ``grad_accum`` parts of its streams."""
        b, states, total = inputs.shape[0], [], 0.0
        assert self.state is not None
        parts = _parts(b, self.opt.grad_accum)
        for i, rows in enumerate(parts):
            last = i == len(parts) - 1
            sync = contextlib.nullcontext() if last else _no_sync(self._step)
            with sync:
                part = None if labels is None else labels[rows]
                loss, state = self._step(inputs[rows], targets[rows], _rows(self.state, rows), part)
                share = (rows.stop - rows.start) / b
                (loss * share if len(parts) > 1 else loss).backward()
            total += loss.item() * share
            states.append(state)
        self.state = _joined(states)
        return total

    def validate(self) -> float:
        if not self.world.distributed:
            return stream_loss(self.model, self.val_ids, self.eval_seq_len, labels=self.val_labels)
        nll = stream_nll(
            self.model, self.val_ids, self.eval_seq_len, world=self.world, labels=self.val_labels
        )
        return self.world.sum(nll) / (len(self.val_ids) - 1)

    def sample(self) -> str:
        return self.sampler() if self.sampler is not None else ""

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """The optimizer and RNG state, and the hidden state carried into the next window (of
        every stream: with several ranks, their slices put together, and each rank's RNG)."""
        tensors, meta = super().train_state()
        if self.state is not None:
            hidden = state_tensors(self.state)
            tensors.update({f"hidden.{k}": self.world.gather_rows(v) for k, v in hidden.items()})
        if self.world.distributed:
            for rank, rng in enumerate(self.world.gather(tensors["rng.torch"])):
                tensors[f"rank{rank}.rng.torch"] = rng
        return tensors, {**meta, "world_size": self.world.size}

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        saved = int(meta.get("world_size", 1))
        if saved != self.world.size and _random(self.model):
            raise RnnkitError(
                f"this run was trained on {saved} process(es) with dropout, whose random masks "
                f"depend on how the streams are split over processes, so it resumes exactly "
                f"only on {saved} (rnnkit train --resume DIR --nproc {saved}); it cannot go "
                f"on with {self.world.size}"
            )
        own = f"rank{self.world.rank}.rng.torch"
        if saved == self.world.size and own in tensors:
            tensors = {**tensors, "rng.torch": tensors[own]}
        super().load_train_state(tensors, meta)
        hidden = {
            k.removeprefix("hidden."): v.to(self.device)
            for k, v in tensors.items()
            if k[:7] == "hidden."
        }
        self.state = state_from_tensors(hidden) if hidden else None
        if self.state is not None and self.world.distributed:
            rows = self.world.rows(_streams(self.state))
            self.state = _rows(self.state, slice(rows.start, rows.stop))


def _param_groups(model: RecurrentLM, weight_decay: float) -> list[dict[str, Any]]:
    """Decay matrices only: biases and the embedding table are left alone, as is usual."""
    decay: list[torch.nn.Parameter] = []
    keep: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        table = name.startswith(("embed.", "label_embed."))
        (decay if p.dim() >= 2 and not table else keep).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]


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
    n = len(ids) - 1
    return stream_nll(model, ids, seq_len, streams, labels=labels) / n if n >= 1 else math.nan


@torch.inference_mode()
def stream_nll(
    model: RecurrentLM,
    ids: np.ndarray,
    seq_len: int,
    streams: int = 32,
    world: World = SINGLE,
    labels: np.ndarray | None = None,
) -> float:
    """The summed loss of :func:`stream_loss` over ``world``'s block of the streams (rank 0
    scores the left-over tail too): the ranks' sums add up to the whole."""
    model.eval()
    n = len(ids) - 1
    b = max(1, min(streams, n // max(seq_len, 1)))
    per = n // b
    data = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64))
    data = data.to(model.embed.weight.device)
    rows = world.rows(b)
    lab = None if labels is None else torch.from_numpy(labels.astype(np.int64)).to(data.device)
    x = data[: b * per].view(b, per)[rows.start : rows.stop]
    y = data[1 : b * per + 1].view(b, per)[rows.start : rows.stop]
    xl = None if lab is None else lab[: b * per].view(b, per)[rows.start : rows.stop]
    total = _chunked_sum(model, x, y, seq_len, xl) if len(rows) else 0.0
    if b * per < n and world.is_main:
        tail = data[b * per :]
        tl = None if lab is None else lab[b * per : -1].unsqueeze(0)
        total += _chunked_sum(model, tail[:-1].unsqueeze(0), tail[1:].unsqueeze(0), seq_len, tl)
    return total


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


class _Step(torch.nn.Module):
    """One window's forward pass as a module (what DDP wraps): mean loss and next state."""

    def __init__(self, model: RecurrentLM) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, inputs: Tensor, targets: Tensor, state: State, labels: Tensor | None = None
    ) -> tuple[Tensor, State]:
        features, state = self.model.features(inputs, state, labels)  # [B, T, H]
        return self.model.nll(features, targets), detach_state(state)


def ddp(model: RecurrentLM, world: World) -> torch.nn.Module:
    """The model's step wrapped in DDP (an adaptive head may leave a cluster unused)."""
    device = model.embed.weight.device
    return DistributedDataParallel(
        _Step(model),
        device_ids=[device.index] if device.type == "cuda" else None,
        broadcast_buffers=False,
        find_unused_parameters=bool(model.config.adaptive_cutoffs),
    )


def _no_sync(step: torch.nn.Module) -> contextlib.AbstractContextManager[None]:
    if isinstance(step, DistributedDataParallel):
        return step.no_sync()
    return contextlib.nullcontext()


def _parts(streams: int, n: int) -> list[slice]:
    """``streams`` rows in ``n`` contiguous parts (as even as can be)."""
    if n < 1:
        raise RnnkitError(f"grad_accum must be at least 1, got {n}")
    bounds = np.linspace(0, streams, min(n, streams) + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def _rows(state: State, rows: slice) -> State:
    if isinstance(state, tuple):
        return (state[0][:, rows], state[1][:, rows])
    return state[:, rows]


def _joined(states: list[State]) -> State:
    if len(states) == 1:
        return states[0]
    if isinstance(states[0], tuple):
        pairs = [s for s in states if isinstance(s, tuple)]
        return (torch.cat([h for h, _ in pairs], 1), torch.cat([c for _, c in pairs], 1))
    return torch.cat([s for s in states if isinstance(s, Tensor)], 1)


def _streams(state: State) -> int:
    return (state[0] if isinstance(state, tuple) else state).shape[1]


def _random(model: RecurrentLM) -> bool:
    """Whether training draws random numbers (any dropout), which a rank split changes."""
    c = model.config
    rates = (c.dropout, c.input_dropout, c.embed_dropout, c.weight_drop)
    return any((r or 0.0) > 0.0 for r in rates)
