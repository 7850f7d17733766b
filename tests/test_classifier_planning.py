"""What ``TextClassifier().fit(data)`` does with no budget: a run planned from the data
(issue 15, part 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnkit import TextClassifier
from rnnkit.classify import planning
from rnnkit.training.schedule import Budget


def _toy(n: int) -> tuple[list[str], list[str]]:
    texts = ["good fun", "great film", "bad plot", "awful acting"] * (n // 4)
    return texts, ["pos", "pos", "neg", "neg"] * (n // 4)


@pytest.mark.parametrize("level", ["word", "char"])
def test_the_plan_is_epochs_at_least_the_fewest_steps_and_a_time_cap(level: str) -> None:
    large = planning.plan(level, steps_per_epoch=400, train_texts=25_000)
    assert large.epochs == planning.EPOCHS[level] and large.blend
    assert large.budget(400) == Budget(
        steps=round(400 * planning.EPOCHS[level]), seconds=60 * planning.MINUTES[level]
    )
    small = planning.plan(level, steps_per_epoch=3, train_texts=150)
    assert small.budget(3).steps == planning.MIN_STEPS and not small.blend


def test_fit_without_a_budget_runs_its_plan_and_resume_keeps_it(tmp_path: Path) -> None:
    texts, labels = _toy(40)
    clf = TextClassifier(hidden_size=4, embed_size=4, min_count=1, batch_size=64)
    clf.fit(texts, labels, quiet=True, out_dir=tmp_path / "r")
    assert clf.info()["stats"]["steps"] == planning.MIN_STEPS  # 1 step an epoch, 300 epochs
    assert clf.info_["plan"] == {"epochs": 300.0, "minutes": 30.0, "blend": False}
    assert clf.blend_ is None and clf.predict(["good fun"]) == ["pos"]
    again = TextClassifier.load(tmp_path / "r")
    assert again.info_["plan"] == clf.info_["plan"]


def test_a_planned_run_on_enough_texts_blends_in_the_baseline() -> None:
    texts, labels = _toy(1200)  # 1,080 of them train, 120 validate
    clf = TextClassifier(hidden_size=4, embed_size=4, min_count=1, batch_size=500, evals=1)
    clf.fit(texts, labels, quiet=True)
    assert clf.info_["plan"]["blend"] and clf.blend_weight_ is not None
    # A budget given, or blend=False, leaves the baseline out, as before.
    given = TextClassifier(hidden_size=4, embed_size=4, min_count=1, batch_size=500, evals=1)
    assert given.fit(texts, labels, steps=2, quiet=True).blend_ is None
    off = TextClassifier(hidden_size=4, embed_size=4, min_count=1, batch_size=500, blend=False)
    assert off.fit(texts, labels, quiet=True).blend_ is None
