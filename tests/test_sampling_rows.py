"""Sampling rows that belong to different requests (the server's batch): each row as if alone,
stop strings held back while streaming, and the lengths a language model counts in."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit import CharLM, WordLM
from rnnkit.core import rng
from rnnkit.decoding.sampling import (
    Counter,
    Sample,
    SamplingConfig,
    next_tokens,
    next_tokens_per_row,
    sampling_probs,
)

TEXT = "to be or not to be, that is the question\nwhether tis nobler in the mind\n" * 10
SETTINGS = [
    SamplingConfig(1.0),
    SamplingConfig(0.0),
    SamplingConfig(0.7, top_k=5),
    SamplingConfig(1.3, top_p=0.6),
    SamplingConfig(0.9, top_k=10, top_p=0.9),
]


def test_each_row_is_sampled_as_if_it_were_alone() -> None:
    logits = torch.randn(40, 30, generator=torch.Generator().manual_seed(0))
    cfgs = [SETTINGS[i % len(SETTINGS)] for i in range(40)]
    for step in range(5):  # the generators go on from where they were
        gens = [rng.generator(1000 + i) for i in range(40)]
        for _ in range(step):
            next_tokens_per_row(logits, cfgs, gens)
        batched = next_tokens_per_row(logits, cfgs, gens)
        alone = []
        for i, cfg in enumerate(cfgs):
            gen = rng.generator(1000 + i)
            for _ in range(step + 1):
                token = next_tokens(logits[i : i + 1], cfg, gen)
            alone.append(int(token))
        assert batched.tolist() == alone


def test_a_rows_distribution_does_not_depend_on_its_neighbours() -> None:
    logits = torch.randn(16, 50, generator=torch.Generator().manual_seed(1))
    cfg = SamplingConfig(0.8, top_k=7, top_p=0.8)
    together = sampling_probs(logits, cfg)
    for i in range(16):
        assert torch.equal(together[i], sampling_probs(logits[i : i + 1], cfg)[0])


def test_top_p_too_small_for_float32_keeps_the_top_token() -> None:
    logits = torch.zeros(2, 5)  # a tie: any one of them, never none
    probs = sampling_probs(logits, SamplingConfig(1.0, top_p=5e-324))
    assert torch.isfinite(probs).all() and (probs.sum(dim=-1) == 1).all()
    assert ((probs > 0).sum(dim=-1) == 1).all()


def test_settled_text_holds_back_what_a_stop_string_may_still_cut() -> None:
    sample = Sample(Counter(100, len), stops=("the end",))
    settled = []
    for piece in "so it was, the e":
        sample.add(piece)
        settled.append(sample.settled())
    # The last len("the end") - 1 characters wait: "the e" may become "the end".
    assert settled[-1] == "so it was,"
    assert all(b.startswith(a) for a, b in itertools.pairwise(settled))
    for piece in "nd":
        sample.add(piece)
    assert sample.done and sample.stopped and sample.settled() == "so it was, "
    plain = Sample(Counter(3, len), stops=())
    for piece in "abc":
        plain.add(piece)
    assert plain.done and not plain.stopped and plain.settled() == "abc"


@pytest.mark.parametrize(
    ("cls", "unit", "size"), [(CharLM, "chars", "n_chars"), (WordLM, "words", "n_words")]
)
def test_writing_counts_and_tidies_as_generate_does(cls: type, unit: str, size: str) -> None:
    lm = cls(hidden_size=16, embed_size=8, seq_len=8, batch_size=4).fit(TEXT, steps=2, quiet=True)
    for counted, sizes in ((unit, {size: 12}), ("lines", {"n_lines": 2})):
        writing = lm.writing(counted)
        stream = lm._token_stream("", 1, SamplingConfig(1.0), 5, None)
        sample = Sample(Counter(next(iter(sizes.values())), writing.counts), ())
        for tokens in stream:
            sample.add(writing.piece(int(tokens[0])))
            if sample.done:
                break
        assert writing.finish(sample.text()) == lm.generate(seed=5, **sizes)
    with pytest.raises(Exception, match="counts"):
        lm.writing("bytes")
