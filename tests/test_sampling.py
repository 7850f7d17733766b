"""Logit processing and size counting, checked on hand-made distributions."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.decoding.sampling import Counter, SamplingConfig, generate_texts, next_tokens
from rnnkit.errors import RnnkitError

LOGITS = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))


def _draws(cfg: SamplingConfig, n: int = 4000) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return torch.stack([next_tokens(LOGITS, cfg, gen) for _ in range(n)]).flatten()


def test_greedy() -> None:
    assert next_tokens(LOGITS, SamplingConfig(temperature=0), torch.Generator()).item() == 0


def test_top_k_and_top_p_restrict_the_support() -> None:
    assert set(_draws(SamplingConfig(top_k=2)).tolist()) == {0, 1}
    # mass 0.5 + 0.3 = 0.8 reaches top_p=0.8 exactly: tokens 2 and 3 are dropped
    assert set(_draws(SamplingConfig(top_p=0.8)).tolist()) == {0, 1}
    assert set(_draws(SamplingConfig(top_p=0.81)).tolist()) == {0, 1, 2}
    assert set(_draws(SamplingConfig(top_p=0.1)).tolist()) == {0}


def test_temperature_one_matches_the_distribution() -> None:
    freq = torch.bincount(_draws(SamplingConfig(), 20000), minlength=4).double() / 20000
    torch.testing.assert_close(freq, LOGITS.exp()[0].double(), atol=0.015, rtol=0)


@pytest.mark.parametrize(
    "bad",
    [
        {"temperature": -0.1},
        {"temperature": math.nan},
        {"top_k": 0},
        {"top_p": 0.0},
        {"top_p": 1.5},
    ],
)
def test_bad_sampling_settings(bad: dict) -> None:
    with pytest.raises(RnnkitError):
        SamplingConfig(**bad)


def test_counters_and_stop_strings() -> None:
    pieces = iter(torch.tensor([i]) for i in [0, 1, 2, 0, 1, 2, 0, 1, 2])
    decode = "ab\n".__getitem__
    lines = generate_texts(pieces, decode, [Counter(2, lambda p: p.count("\n"))])
    assert lines == ["ab\nab\n"]
    pieces = iter(torch.tensor([i]) for i in [0, 1, 2, 0, 1, 2])
    assert generate_texts(pieces, decode, [Counter(99, len)], stops=("\na",)) == ["ab"]


def test_a_model_that_never_ends_a_line_gives_up() -> None:
    endless = iter(torch.tensor([0]) for _ in range(20_000))
    with pytest.raises(RnnkitError, match="gave up after 10,000 characters"):
        generate_texts(endless, "ab\n".__getitem__, [Counter(1, lambda p: p.count("\n"))])
