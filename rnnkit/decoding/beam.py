"""Greedy and beam-search decoding of an encoder-decoder, beside :mod:`rnnkit.decoding.sampling`.

Both drive a *step function*: ``step(tokens [B], state) -> (log-probabilities [B, V], state,
attention [B, S] or None)``, where the state is a tuple of tensors with the batch first (so a
beam keeps, drops and copies hypotheses with one ``index_select`` per tensor). A hypothesis
ends when it emits ``eos`` or reaches ``max_length`` tokens (then it is marked unfinished).

Scores are length-normalised log-probabilities, ``log p(y) / len(y) ** alpha`` (``len``
counts the end token; ``alpha=0`` is the raw log-probability, which favours short outputs;
``alpha=1`` the mean per token). Greedy decoding picks each token with the sampling module's
own :func:`~rnnkit.decoding.sampling.next_tokens` at temperature 0, so beam 1 and greedy agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.core.rng import generator
from rnnkit.decoding.sampling import SamplingConfig, next_tokens
from rnnkit.errors import RnnkitError

DecodeState = tuple[Tensor, ...]
StepFn = Callable[[Tensor, DecodeState], tuple[Tensor, DecodeState, Tensor | None]]
_GREEDY = SamplingConfig(temperature=0.0)


@dataclass(frozen=True)
class Hypothesis:
    """One decoded output: its token ids (without the end token), its length-normalised score
    and raw log-probability, the attention of each step ([steps, S], the end token's step
    included; None without attention), and whether it ended with the end token.

    Example:
        >>> h = Hypothesis([4, 5], score=-0.3, log_prob=-0.9, attention=None, finished=True)
        >>> h.tokens, h.finished
        ([4, 5], True)
    """

    tokens: list[int]
    score: float
    log_prob: float
    attention: Tensor | None
    finished: bool


def normalised(log_prob: float, length: int, alpha: float) -> float:
    """``log_prob / length ** alpha``: the score that ranks hypotheses of different lengths.

    Example:
        >>> normalised(-6.0, 3, 1.0), normalised(-6.0, 3, 0.0)
        (-2.0, -6.0)
    """
    return log_prob / max(1, length) ** alpha


def _reorder(state: DecodeState, rows: Tensor) -> DecodeState:
    return tuple(t.index_select(0, rows) for t in state)


@torch.inference_mode()
def greedy(
    step: StepFn, state: DecodeState, bos: int, eos: int, max_length: int, alpha: float = 1.0
) -> list[Hypothesis]:
    """The most likely token at every step, for a batch of sources at once (one hypothesis
    per row of ``state``).

    Example:
        >>> def step(tokens, state):  # a toy model: always 3, then the end token (2)
        ...     logp = torch.full((len(tokens), 4), -9.0)
        ...     logp[:, 3] = torch.where(state[0] < 1, 0.0, -9.0)
        ...     logp[:, 2] = torch.where(state[0] < 1, -9.0, 0.0)
        ...     return logp, (state[0] + 1,), None
        >>> [h.tokens for h in greedy(step, (torch.zeros(2),), bos=1, eos=2, max_length=5)]
        [[3], [3]]
    """
    _check(max_length)
    batch = state[0].shape[0]
    tokens = torch.full((batch,), bos, dtype=torch.long)
    picked: list[Tensor] = []
    attention: list[Tensor] = []
    log_prob = torch.zeros(batch)
    done = torch.zeros(batch, dtype=torch.bool)
    lengths = torch.zeros(batch, dtype=torch.long)
    unused = generator(0)  # temperature 0 draws nothing
    for _ in range(max_length):
        logp, state, weights = step(tokens, state)
        tokens = next_tokens(logp, _GREEDY, unused)
        log_prob += torch.where(done, 0.0, logp.gather(1, tokens[:, None])[:, 0].float())
        lengths += (~done).long()
        picked.append(tokens)
        if weights is not None:
            attention.append(weights)
        done |= tokens == eos
        if bool(done.all()):
            break
    ids = torch.stack(picked, dim=1)
    maps = torch.stack(attention, dim=1) if attention else None
    out = []
    for row in range(batch):
        n = int(lengths[row])
        finished = bool(done[row])
        kept = ids[row, : n - 1] if finished else ids[row, :n]
        score = normalised(float(log_prob[row]), n, alpha)
        att = maps[row, :n] if maps is not None else None
        out.append(Hypothesis(kept.tolist(), score, float(log_prob[row]), att, finished))
    return out


@torch.inference_mode()
def beam_search(
    step: StepFn,
    state: DecodeState,
    bos: int,
    eos: int,
    beam: int,
    max_length: int,
    alpha: float = 1.0,
) -> list[Hypothesis]:
    """The ``beam`` best hypotheses for one source (``state`` of one row), best first.

    At each step every live hypothesis is extended by every token; of the ``2 * beam`` best
    extensions, those of the first ``beam`` that end in ``eos`` are finished and the best
    ``beam`` others live on (so a beam of 1 is greedy decoding).
    The search stops once ``beam`` hypotheses are finished or ``max_length`` is reached (the
    live ones then join, unfinished); all are ranked by :func:`normalised` score.

    Example:
        >>> def step(tokens, state):  # the same next-token odds whatever came before
        ...     return torch.log(torch.tensor([[0.0, 0.0, 0.5, 0.3, 0.2]])).expand(
        ...         len(tokens), 5), state, None
        >>> hyps = beam_search(step, (torch.zeros(1),), bos=1, eos=2, beam=2, max_length=4)
        >>> [h.tokens for h in hyps], hyps[0].score >= hyps[1].score
        ([[], [3]], True)
    """
    _check(max_length)
    if beam < 1:
        raise RnnkitError(f"beam must be at least 1, got {beam}")
    if state[0].shape[0] != 1:
        raise RnnkitError("beam_search decodes one source at a time")
    tokens = torch.tensor([bos])
    history = torch.zeros(1, 0, dtype=torch.long)  # live hypotheses' tokens [k, t]
    maps: Tensor | None = None  # their attention [k, t, S]
    live = torch.zeros(1)  # their log-probabilities [k]
    finished: list[Hypothesis] = []
    for t in range(max_length):
        logp, state, weights = step(tokens, state)
        total = live[:, None] + logp.float()  # [k, V]
        vocab = total.shape[1]
        top = total.view(-1).topk(min(2 * beam, total.numel()))
        rows: list[int] = []
        keep: list[tuple[int, float]] = []
        pairs = zip(top.values.tolist(), top.indices.tolist(), strict=True)
        for rank, (value, index) in enumerate(pairs):
            row, token = divmod(index, vocab)
            if token == eos and rank < beam:
                att = _extended(maps, weights, row)
                finished.append(
                    Hypothesis(
                        history[row].tolist(), normalised(value, t + 1, alpha), value, att, True
                    )
                )
            elif token != eos and len(rows) < beam:
                rows.append(row)
                keep.append((token, value))
        if len(finished) >= beam or not rows:
            break
        index = torch.tensor(rows)
        tokens = torch.tensor([token for token, _ in keep])
        live = torch.tensor([value for _, value in keep])
        history = torch.cat([history[index], tokens[:, None]], dim=1)
        if weights is not None:
            now = weights[index].unsqueeze(1)
            maps = now if maps is None else torch.cat([maps[index], now], dim=1)
        state = _reorder(state, index)
    else:
        for row in range(len(live)):
            value = float(live[row])
            att = maps[row] if maps is not None else None
            finished.append(
                Hypothesis(
                    history[row].tolist(), normalised(value, max_length, alpha), value, att, False
                )
            )
    return sorted(finished, key=lambda h: -h.score)[:beam]


def _extended(maps: Tensor | None, weights: Tensor | None, row: int) -> Tensor | None:
    """The attention of hypothesis ``row`` with this step's (the end token's) appended."""
    if weights is None:
        return None
    now = weights[row].unsqueeze(0)
    return now if maps is None else torch.cat([maps[row], now], dim=0)


def _check(max_length: int) -> None:
    if max_length < 1:
        raise RnnkitError(f"max_length must be at least 1, got {max_length}")
