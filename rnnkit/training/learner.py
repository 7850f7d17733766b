"""What every PyTorch learner shares with the loop: its module's weights, and the training state
that exact resume needs (optimizer moments and the RNG that drives dropout), as named tensors
plus JSON. A kind's learner adds its update rule and any state of its own."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.core.checkpoint import (
    optimizer_from_tensors,
    optimizer_to_tensors,
    restore_rng,
    rng_tensors,
)


class TorchLearner:
    """A module and its optimizer, saved and restored for the loop.

    Example:
        >>> net = nn.Linear(2, 1)
        >>> learner = TorchLearner(net, torch.optim.AdamW(net.parameters()))
        >>> tensors, meta = learner.train_state()
        >>> "rng.torch" in tensors, list(meta)
        (True, ['optimizer'])
    """

    def __init__(self, module: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.module, self.optimizer = module, optimizer

    @property
    def device(self) -> torch.device:
        """Where the module's weights are."""
        return next(self.module.parameters()).device

    def weights(self) -> dict[str, Tensor]:
        return self.module.state_dict()

    def rank(self, val_loss: float) -> float:
        """The best weights are those of the lowest validation loss."""
        return val_loss

    def load_weights(self, weights: dict[str, Tensor]) -> None:
        self.module.load_state_dict(weights)

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Optimizer moments and RNG states as tensors, the optimizer's settings as JSON."""
        tensors, meta = optimizer_to_tensors(self.optimizer.state_dict())
        return {**tensors, **rng_tensors(self.device)}, {"optimizer": meta}

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(optimizer_from_tensors(tensors, meta["optimizer"]))
        restore_rng(tensors, self.device)
