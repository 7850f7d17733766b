"""Shared fixtures: small texts made from the bundled corpus, and tiny model settings."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import torch

from rnnkit.data.sources import read_corpus

#: A model small enough that a test trains it in a fraction of a second.
TINY: dict[str, Any] = {
    "cell": "lstm",
    "hidden_size": 32,
    "embed_size": 16,
    "seq_len": 16,
    "batch_size": 4,
    "lr": 1e-2,
    "warmup_steps": 2,
    "evals": 2,
}


@pytest.fixture(scope="session")
def sonnets() -> str:
    """About 6,000 characters of the bundled Shakespeare (the first sonnets)."""
    text = read_corpus("shakespeare").text
    start = text.index("From fairest creatures")
    return text[start : start + 6000]


@pytest.fixture
def sonnet_file(tmp_path: Path, sonnets: str) -> Path:
    path = tmp_path / "sonnets.txt"
    path.write_text(sonnets, encoding="utf-8")
    return path


def interrupt_at(monkeypatch: pytest.MonkeyPatch, learner: type, at_step: int) -> None:
    """Deliver a real SIGINT (Ctrl-C) while ``learner`` trains its step number ``at_step``."""
    original = learner.train_step
    calls = {"n": 0}

    def step(self: Any, batch: Any, lr: float) -> float:
        calls["n"] += 1
        if calls["n"] == at_step:
            signal.raise_signal(signal.SIGINT)
        return original(self, batch, lr)

    monkeypatch.setattr(learner, "train_step", step)


def assert_same_weights(a: Path, b: Path) -> None:
    """Both checkpoints hold bit-identical best and latest weights."""
    from rnnkit.core import checkpoint

    ca, cb = checkpoint.load(a, with_training=True), checkpoint.load(b, with_training=True)
    for x, y in ((ca.weights, cb.weights), (ca.train_tensors, cb.train_tensors)):
        assert x.keys() == y.keys()
        for name in x:
            assert torch.equal(x[name], y[name]), name
