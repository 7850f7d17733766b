"""Sampling from any recurrent LM: one module for every model kind that generates tokens.

Generation carries the hidden state, so each new token costs one recurrent step (O(1) work per
token); the prompt is read once. Temperature 0 means greedy decoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import RecurrentLM, State


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick the next token from the model's logits.

    Example:
        >>> SamplingConfig(temperature=0.8, top_k=40).temperature
        0.8
    """

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise RnnkitError(f"temperature must be a number >= 0, got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise RnnkitError(f"top_k must be at least 1, got {self.top_k}")
        if self.top_p is not None and not 0.0 < self.top_p <= 1.0:
            raise RnnkitError(f"top_p must be in (0, 1], got {self.top_p}")


def next_tokens(logits: Tensor, cfg: SamplingConfig, generator: torch.Generator) -> Tensor:
    """Pick one token per row of ``logits`` [B, V] -> [B]."""
    if cfg.temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / cfg.temperature
    if cfg.top_k is not None and cfg.top_k < logits.shape[-1]:
        kth = torch.topk(logits, cfg.top_k, dim=-1).values[:, -1:]  # [B, 1]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if cfg.top_p is not None and cfg.top_p < 1.0:
        logits = _nucleus(logits, cfg.top_p)
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _nucleus(logits: Tensor, top_p: float) -> Tensor:
    """Keep the smallest set of tokens whose probability mass reaches ``top_p``."""
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    # Drop a token when the mass before it already reaches top_p (the top token always stays).
    drop_sorted = (cumulative - torch.softmax(sorted_logits, dim=-1)) >= top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, -math.inf)


@torch.inference_mode()
def prime(model: RecurrentLM, prompt_ids: Tensor, batch: int) -> tuple[Tensor, State]:
    """Read the prompt [P] once for ``batch`` copies; returns last logits [B, V] and the state.

    An empty prompt starts from the zero state and uniform logits (any first token).
    """
    state = model.init_state(batch)
    if prompt_ids.numel() == 0:
        return torch.zeros(batch, model.config.vocab_size), state
    tokens = prompt_ids.unsqueeze(0).expand(batch, -1)  # [B, P]
    logits, state = model(tokens, state)
    return logits[:, -1], state


@torch.inference_mode()
def token_stream(
    model: RecurrentLM,
    prompt_ids: Tensor,
    batch: int,
    cfg: SamplingConfig,
    seed: int | None,
) -> Iterator[Tensor]:
    """Endless stream of sampled token batches [B], one recurrent step each."""
    generator = torch.Generator()
    generator.manual_seed(seed if seed is not None else torch.seed())
    logits, state = prime(model, prompt_ids, batch)
    while True:
        tokens = next_tokens(logits, cfg, generator)  # [B]
        yield tokens
        step_logits, state = model(tokens.unsqueeze(1), state)  # [B, 1, V]
        logits = step_logits[:, 0]


class Counter:
    """Stops a sample after ``n`` pieces that satisfy ``counts`` (e.g. n characters, n lines).

    Example:
        >>> lines = Counter(2, lambda piece: piece.count("\\n"))
        >>> [lines.add(p) for p in ["a", "\\n", "b\\n"]]
        [False, False, True]
    """

    #: Characters allowed between two counted pieces before we give up (a model that never
    #: writes a newline would otherwise sample forever when asked for lines).
    patience = 10_000

    def __init__(self, n: int, counts: Callable[[str], int]) -> None:
        self.remaining, self._counts, self._since = n, counts, 0

    def add(self, piece: str) -> bool:
        """Count a new piece; True once the target is reached."""
        counted = self._counts(piece)
        self._since = 0 if counted else self._since + len(piece)
        if self._since > self.patience:
            raise RnnkitError(
                f"gave up after {self.patience:,} characters without reaching the next unit "
                "(the model may never write one at these settings: raise the temperature or "
                "drop top-k / top-p)"
            )
        self.remaining -= counted
        return self.remaining <= 0


class _Sample:
    """One sample's text as it grows, with its own counter and stop strings."""

    def __init__(self, counter: Counter, stops: tuple[str, ...]) -> None:
        self.pieces: list[str] = []
        self.tail = ""  # the last characters, enough to spot a stop string that just completed
        self.counter, self.stops, self.done = counter, stops, False
        self._keep = max((len(x) for x in stops), default=0)

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.done = self.counter.add(piece)
        if self.stops:
            self.tail = (self.tail + piece)[-(self._keep + len(piece)) :]
            for stop in self.stops:
                if stop in self.tail:
                    self._cut(stop)
                    return

    def _cut(self, stop: str) -> None:
        text = "".join(self.pieces)
        self.pieces, self.done = [text[: text.rindex(stop)]], True

    def text(self) -> str:
        return "".join(self.pieces)


def generate_texts(
    stream: Iterator[Tensor],
    decode: Callable[[int], str],
    counters: list[Counter],
    stops: tuple[str, ...] = (),
) -> list[str]:
    """Pull token batches from ``stream`` until every sample's counter is satisfied.

    A stop string ends its sample early and is cut off, together with nothing else: the text
    before it is returned.
    """
    samples = [_Sample(counter, stops) for counter in counters]
    for tokens in stream:
        for sample, token in zip(samples, tokens.tolist(), strict=True):
            if not sample.done:
                sample.add(decode(token))
        if all(s.done for s in samples):
            break
    return [s.text() for s in samples]
