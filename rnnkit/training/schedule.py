"""Training budgets and the learning-rate schedule (linear warmup, then cosine decay).

The schedule is a pure function of the step and of the fraction of the budget used, so it needs
no state of its own to resume, and it is applied by writing ``lr`` into every optimizer group
each step (it cannot silently fail to reach the optimizer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rnnkit.errors import RnnkitError


@dataclass(frozen=True)
class Budget:
    """How long to train: a number of steps, a number of seconds, or both (first reached wins).

    Example:
        >>> Budget(steps=100).progress(step=25, elapsed=0.0)
        0.25
    """

    steps: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.steps is None and self.seconds is None:
            raise RnnkitError("give a training budget: minutes, steps or epochs")
        if self.seconds is not None and not math.isfinite(self.seconds):
            raise RnnkitError(f"the time budget must be a finite number, got {self.seconds}")
        if (self.steps is not None and self.steps <= 0) or (
            self.seconds is not None and self.seconds <= 0
        ):
            raise RnnkitError("the training budget must be positive")

    def progress(self, step: int, elapsed: float) -> float:
        """Fraction of the budget used, in [0, 1]."""
        fractions = [0.0]
        if self.steps is not None:
            fractions.append(step / self.steps)
        if self.seconds is not None:
            fractions.append(elapsed / self.seconds)
        return min(1.0, max(fractions))

    def describe(self) -> str:
        parts = []
        if self.steps is not None:
            parts.append(f"{self.steps} steps")
        if self.seconds is not None:
            parts.append(f"{self.seconds / 60:g} min")
        return " or ".join(parts)


def budget_for(
    minutes: float | None,
    steps: int | None,
    epochs: float | None,
    steps_per_epoch: int,
    saved: dict[str, Any] | None = None,
) -> Budget:
    """The budget of ``minutes``, ``steps`` and/or ``epochs``; epochs count in steps of
    ``steps_per_epoch`` and the first limit reached wins. With none given: the ``saved``
    budget of a resumed run, else 5 minutes."""
    if minutes is None and steps is None and epochs is None:
        if saved is not None:
            return Budget(**saved)
        minutes = 5.0
    if epochs is not None:
        if not math.isfinite(epochs) or epochs <= 0:
            raise RnnkitError(f"epochs must be positive, got {epochs}")
        from_epochs = max(1, round(epochs * steps_per_epoch))
        steps = from_epochs if steps is None else min(steps, from_epochs)
    return Budget(steps=steps, seconds=None if minutes is None else minutes * 60.0)


def learning_rate(
    base: float, step: int, progress: float, warmup_steps: int, min_ratio: float
) -> float:
    """``base`` scaled by a linear warmup over ``warmup_steps`` and a cosine over ``progress``."""
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return base * warm * (min_ratio + (1.0 - min_ratio) * cosine)
