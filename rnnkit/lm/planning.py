"""Defaults that follow the budget: measured rows by training time, and by the epochs it buys.

A language model's width and learning rate follow its time budget (``auto`` rows: up to N
seconds, these values). Its regularisation must follow epochs instead: the same 30 minutes
underfit a large corpus and overfit a small one, so for a timed run the passes over the
training text are planned from the measured speed of the model on this device (a throwaway
copy, one warm-up step and :data:`PROBE_STEPS` timed ones), and the ``by_epochs`` row for that
many passes is chosen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rnnkit.training.schedule import Budget

#: Timed training steps of the speed probe that plans a timed run's epochs.
PROBE_STEPS = 3
#: (limit, values) rows: the first row whose limit is at least the budget's measure applies.
Rows = tuple[tuple[float, dict[str, Any]], ...]
#: Seconds per training step of a model with this architecture and these settings.
Probe = Callable[[dict[str, Any], Any], float]


@dataclass(frozen=True)
class Defaults:
    """A kind's measured defaults: ``auto`` rows by seconds, ``by_epochs`` rows by passes.

    Example:
        >>> d = Defaults(auto=((300.0, {"hidden_size": 256, "lr": 8e-3, "weight_decay": 0.0}),
        ...                    (float("inf"), {"hidden_size": 512, "lr": 5e-3,
        ...                                    "weight_decay": 0.1})))
        >>> d.values(600.0, None)["hidden_size"], d.values(None, None)["hidden_size"]
        (512, 256)
    """

    auto: Rows
    by_epochs: Rows = ()

    def values(self, seconds: float | None, passes: float | None) -> dict[str, Any]:
        """The defaults for a budget of ``seconds`` (None: not timed, the first row) making
        ``passes`` over the training text (None: the first ``by_epochs`` row)."""
        auto = next(v for limit, v in self.auto if seconds is None or seconds <= limit)
        if self.by_epochs:
            rows = self.by_epochs
            auto = {**auto, **next(v for limit, v in rows if passes is None or passes <= limit)}
        return auto

    def resolve(
        self, arch: dict[str, Any], settings: Any, seconds: float | None, passes: float | None
    ) -> tuple[dict[str, Any], Any]:
        """``arch`` and ``settings`` with every "auto" (None) value filled in."""
        auto = self.values(seconds, passes)
        filled = {k: auto.get(k) if v is None else v for k, v in arch.items()}
        tuned = {k: auto[k] for k in ("lr", "weight_decay") if getattr(settings, k) is None}
        return filled, replace(settings, **tuned)

    @property
    def planned(self) -> tuple[str, ...]:
        """The architecture options chosen by epochs."""
        return tuple(self.by_epochs[0][1]) if self.by_epochs else ()


def plan(
    defaults: Defaults,
    arch: dict[str, Any],
    settings: Any,
    budget: Budget,
    steps_per_epoch: int,
    probe: Probe,
) -> tuple[dict[str, Any], Any, float | None]:
    """The run's architecture and settings, and the epochs planned to choose them (None where
    the defaults follow time alone, or every option chosen by epochs is set by the user)."""
    chosen, tuned = defaults.resolve(arch, settings, budget.seconds, None)
    if not defaults.planned or all(arch[k] is not None for k in defaults.planned):
        return chosen, tuned, None
    passes = planned_epochs(budget, steps_per_epoch, lambda: probe(chosen, tuned))
    first = chosen
    chosen, tuned = defaults.resolve(arch, settings, budget.seconds, passes)
    if budget.seconds is not None and chosen != first:
        # Regularisers slow a step (weight drop most): plan again at the chosen model's speed.
        passes = planned_epochs(budget, steps_per_epoch, lambda: probe(chosen, tuned))
        chosen, tuned = defaults.resolve(arch, settings, budget.seconds, passes)
    return chosen, tuned, passes


def planned_epochs(
    budget: Budget, steps_per_epoch: int, seconds_per_step: Callable[[], float]
) -> float:
    """How many passes over the training text the budget buys (the first limit reached).

    Exact for a step budget (epochs count in steps); a time budget is turned into steps at the
    measured speed (validation time is not part of a budget, nor is the measurement).

    Example:
        >>> planned_epochs(Budget(steps=50), 10, lambda: 1.0)
        5.0
        >>> planned_epochs(Budget(steps=50, seconds=20.0), 10, lambda: 1.0)
        2.0
    """
    steps = [] if budget.steps is None else [float(budget.steps)]
    if budget.seconds is not None:
        steps.append(budget.seconds / seconds_per_step())
    return min(steps) / steps_per_epoch


def time_steps(step: Callable[[int], object]) -> float:
    """Seconds per call of ``step(i)``: one warm-up call (allocations, kernel choices), then
    the mean of :data:`PROBE_STEPS` timed ones."""
    step(0)
    start = time.perf_counter()
    for i in range(1, PROBE_STEPS + 1):
        step(i)
    return (time.perf_counter() - start) / PROBE_STEPS
