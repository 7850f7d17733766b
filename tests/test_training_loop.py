"""The loop keeps the weights its learner ranks best, and reads states saved before ranks."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnkit.training.loop import LoopSettings, LoopState, Trainer
from rnnkit.training.schedule import Budget


class Scripted:
    """A learner whose weight is its step count and whose validations follow a script."""

    def __init__(self, losses: list[float], errors: list[float] | None) -> None:
        self.losses, self.errors, self.evals, self.w = losses, errors, 0, torch.zeros(1)

    def train_step(self, batch: Any, lr: float) -> float:
        self.w += 1
        return 1.0

    def validate(self) -> float:
        self.evals += 1
        return self.losses[self.evals - 1]

    def rank(self, val_loss: float) -> float:
        return val_loss if self.errors is None else self.errors[self.evals - 1]

    def sample(self) -> str:
        return ""

    def weights(self) -> dict[str, Tensor]:
        return {"w": self.w.clone()}

    def load_weights(self, weights: dict[str, Tensor]) -> None:
        self.w = weights["w"].clone()

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        return {}, {}

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        pass


class Steps:
    steps_per_epoch = 100

    def batch(self, step: int) -> int:
        return step


def _run(losses: list[float], errors: list[float] | None) -> tuple[Trainer, LoopState]:
    trainer = Trainer(Scripted(losses, errors), Steps(), LoopSettings(evals=3), log_dir=None)
    return trainer, trainer.run(Budget(steps=6), quiet=True)


def test_best_weights_follow_the_learners_rank_not_the_loss() -> None:
    by_loss, state = _run([1.0, 0.5, 0.8], None)
    assert (state.best_step, state.best_val, by_loss.best_weights["w"].item()) == (4, 0.5, 4)
    by_error, state = _run([1.0, 0.5, 0.8], [0.4, 0.3, 0.2])
    assert (state.best_step, state.best_rank, by_error.best_weights["w"].item()) == (6, 0.2, 6)
    assert state.best_val == 0.8  # the loss of the weights kept, not the lowest seen


def test_states_saved_before_ranks_rank_by_their_loss() -> None:
    old = {"step": 4, "elapsed": 1.0, "evals_done": 2, "best_val": 0.5, "best_step": 4}
    state = LoopState.from_json({**old, "history": []})
    assert state.best_rank == 0.5
    fresh = LoopState.from_json(LoopState().to_json())
    assert fresh.best_val == fresh.best_rank == float("inf")
