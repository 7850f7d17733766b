"""What ``TextClassifier().fit(data)`` does when it is given no budget: a run planned from the
data, its measured default.

A word language model plans its passes over the text from a speed probe because its
regularisation follows the epochs a time budget buys (:mod:`rnnkit.lm.planning`). A classifier
needs less: its measured recipes are a number of passes (IMDB: 4 epochs, 91.0 % with the blend
in 23.6 minutes), so a planned run is that many epochs, at least :data:`MIN_STEPS` optimizer
steps on small data (a few hundred texts make only a few steps per epoch), with a cap on the
network's training time so that a large data set cannot run for hours; whichever limit comes
first ends the run (:class:`~rnnkit.training.schedule.Budget`). On data large enough to
validate it (:data:`BLEND_TEXTS` training texts), a planned run also trains the baseline and
blends it in with the weight chosen on validation, which is never worse there than either
part alone: that helped on IMDB (validation 92.32 % against the network's 90.84 %) and on the
works (where the character n-gram baseline is the stronger part).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.training.schedule import Budget, budget_for

#: Passes over the training data of a planned run, by level. At character level the works'
#: probes were still gaining at every length when they stopped (issue 15, docs/benchmarks.md),
#: so its passes are set past what the time cap allows there: the 20 minutes end the run.
EPOCHS = {"word": 4.0, "char": 20.0}
#: The cap on a planned run's network training, in minutes, by level.
MINUTES = {"word": 30.0, "char": 20.0}
#: The fewest optimizer steps of a planned run (before the time cap).
MIN_STEPS = 300
#: A planned run on at least this many training texts blends in the baseline.
BLEND_TEXTS = 1000


@dataclass(frozen=True)
class Plan:
    """A planned run: its passes, its time cap and whether it blends in the baseline.

    Example:
        >>> p = plan("word", steps_per_epoch=352, train_texts=22_500)
        >>> p.epochs, p.minutes, p.blend, p.budget(352)
        (4.0, 30.0, True, Budget(steps=1408, seconds=1800.0))
        >>> plan("word", steps_per_epoch=1, train_texts=40).epochs  # small data: more passes
        300.0
    """

    epochs: float
    minutes: float
    blend: bool

    def budget(self, steps_per_epoch: int) -> Budget:
        """The epochs in steps, and the time cap: the first reached ends the run."""
        return budget_for(self.minutes, None, self.epochs, steps_per_epoch)

    def to_json(self) -> dict[str, float | bool]:
        return {"epochs": self.epochs, "minutes": self.minutes, "blend": self.blend}


def plan(level: str, steps_per_epoch: int, train_texts: int) -> Plan:
    """The planned run of a ``level`` classifier on ``train_texts`` texts in batches that make
    ``steps_per_epoch`` steps a pass."""
    epochs = max(EPOCHS[level], MIN_STEPS / max(steps_per_epoch, 1))
    return Plan(epochs, MINUTES[level], train_texts >= BLEND_TEXTS)
