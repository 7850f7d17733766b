"""TBPTT streams: windows continue each stream, targets are shifted inputs, offsets are seeded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.errors import RnnkitError
from rnnkit.training.schedule import Budget, learning_rate
from rnnkit.training.streams import TokenStreams


def test_windows_continue_each_stream() -> None:
    streams = TokenStreams(np.arange(1000), batch_size=5, seq_len=8, seed=3)
    first, second = streams.batch(0), streams.batch(1)
    assert first.reset and not second.reset
    torch.testing.assert_close(first.targets, first.inputs + 1)
    torch.testing.assert_close(second.inputs[:, 0], first.inputs[:, -1] + 1)


def test_epochs_wrap_with_seeded_offsets() -> None:
    streams = TokenStreams(np.arange(1000), batch_size=5, seq_len=8, seed=3)
    n = streams.steps_per_epoch
    assert streams.batch(n).reset
    assert streams.batch(n).inputs[0, 0].item() == streams.offset(1)
    again = TokenStreams(np.arange(1000), batch_size=5, seq_len=8, seed=3)
    assert torch.equal(again.batch(n + 2).inputs, streams.batch(n + 2).inputs)


def test_batch_shrinks_to_fit_and_short_text_fails() -> None:
    assert TokenStreams(np.arange(100), batch_size=64, seq_len=10, seed=0).batch_size == 9
    with pytest.raises(RnnkitError, match="too short for seq_len 10"):
        TokenStreams(np.arange(15), batch_size=4, seq_len=10, seed=0)


def test_budget_and_schedule() -> None:
    assert Budget(steps=10, seconds=100).progress(step=5, elapsed=80) == 0.8
    with pytest.raises(RnnkitError):
        Budget()
    with pytest.raises(RnnkitError):
        Budget(steps=0)
    assert learning_rate(1.0, step=0, progress=0.0, warmup_steps=4, min_ratio=0.1) == 0.25
    assert learning_rate(1.0, step=10, progress=0.0, warmup_steps=4, min_ratio=0.1) == 1.0
    assert learning_rate(1.0, step=10, progress=1.0, warmup_steps=4, min_ratio=0.1) == 0.1
    assert learning_rate(1.0, step=10, progress=0.5, warmup_steps=4, min_ratio=0.0) == (
        pytest.approx(0.5)
    )
