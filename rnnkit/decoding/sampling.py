"""Sampling from any recurrent LM: one module for every model kind that generates tokens.

Generation carries the hidden state, so each new token costs one recurrent step (O(1) work per
token); the prompt is read once. Temperature 0 means greedy decoding.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from rnnkit.core import rng
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
    probs = sampling_probs(logits, cfg)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def sampling_probs(logits: Tensor, cfg: SamplingConfig) -> Tensor:
    """The distribution [B, V] that ``cfg`` (temperature > 0) samples from, row by row: every
    operation here works along the last dimension, so a row's result never depends on the
    other rows."""
    logits = logits / cfg.temperature
    if cfg.top_k is not None and cfg.top_k < logits.shape[-1]:
        kth = torch.topk(logits, cfg.top_k, dim=-1).values[:, -1:]  # [B, 1]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if cfg.top_p is not None and cfg.top_p < 1.0:
        logits = _nucleus(logits, cfg.top_p)
    return torch.softmax(logits, dim=-1)


def next_tokens_per_row(
    logits: Tensor, cfgs: Sequence[SamplingConfig], generators: Sequence[torch.Generator]
) -> Tensor:
    """One token per row of ``logits`` [B, V], each row with its own settings and generator
    (the server's batch of unrelated requests): row i gets the token that
    ``next_tokens(logits[i:i+1], cfgs[i], generators[i])`` picks, whatever the other rows hold.

    Rows that share settings are filtered together (row-wise operations); each draws its noise
    from its own generator, as ``multinomial`` on a batch of one would.

    Example:
        >>> logits = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
        >>> cfgs = [SamplingConfig(0.0), SamplingConfig(1.0), SamplingConfig(1.0, top_k=2)]
        >>> gens = [rng.generator(s) for s in (1, 2, 3)]
        >>> alone = [next_tokens(logits[i : i + 1], cfgs[i], rng.generator(s)) for i, s in
        ...          enumerate((1, 2, 3))]
        >>> next_tokens_per_row(logits, cfgs, gens).tolist() == torch.cat(alone).tolist()
        True
    """
    tokens = logits.argmax(dim=-1)  # what rows at temperature 0 keep
    groups: dict[SamplingConfig, list[int]] = {}
    for row, cfg in enumerate(cfgs):
        if cfg.temperature != 0:
            groups.setdefault(cfg, []).append(row)
    for cfg, rows in groups.items():
        probs = sampling_probs(logits[rows], cfg)
        # torch.multinomial draws one sample as argmax(p / q) with q ~ Exp(1) from its generator
        # (the exponential form of the Gumbel-max trick): q drawn row by row from each row's own
        # generator gives each row the token multinomial gives it alone, with one division and
        # one argmax for all rows (tests/test_sampling_rows.py checks it against multinomial).
        V = probs.shape[-1]
        noise = torch.stack([torch.empty(V).exponential_(1, generator=generators[r]) for r in rows])
        tokens[rows] = (probs / noise).argmax(dim=-1)
    return tokens


def _nucleus(logits: Tensor, top_p: float) -> Tensor:
    """Keep the smallest set of tokens whose probability mass reaches ``top_p``."""
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    # Drop a token when the mass before it already reaches top_p (the top token always stays,
    # even for a top_p so small that it is 0 in float32).
    drop_sorted = (cumulative - torch.softmax(sorted_logits, dim=-1)) >= top_p
    drop_sorted[..., 0] = False
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, -math.inf)


class Stepper:
    """One recurrent step per call with the fewest tensor ops, for fast token-by-token sampling.

    ``nn.LSTM`` pays a fixed per-call cost that dominates when it runs one time step at a time.
    Here layer 0's input projection is folded into a lookup table ``embed @ W_ih.T + b``
    ([V, G*H]), so each step costs one ``addmm`` per layer plus the gate arithmetic (PyTorch's
    gate order: LSTM i, f, g, o; GRU r, z, n). It reproduces ``RecurrentLM`` in eval mode.

    A conditioned model's label enters layer 0 beside the token: its share of the input
    projection (``label_embed @ W_ih[label part].T``) is folded into a second table, whose rows
    for ``labels`` ([B]; None: "no label") are added to every step's token row.

    Example:
        >>> from rnnkit.models.recurrent_lm import ModelConfig
        >>> m = RecurrentLM(ModelConfig(vocab_size=6, hidden_size=8, embed_size=4)).eval()
        >>> stepper = Stepper(m)
        >>> logits, state = stepper.step(torch.tensor([1, 2]), stepper.init_state(2))
        >>> tuple(logits.shape)
        (2, 6)
    """

    def __init__(self, model: RecurrentLM, labels: Tensor | None = None) -> None:
        c = model.config
        self.cell, self.hidden = c.cell, c.hidden_size
        w = {k: v.detach() for k, v in model.state_dict().items()}
        # GRU keeps b_hh apart (r gates W_hn h + b_hn); RNN/LSTM can fold both biases in.
        fold = c.cell != "gru"
        self.w_hh = [w[f"rnn.weight_hh_l{i}"].t().contiguous() for i in range(c.num_layers)]
        self.b_hh = [w[f"rnn.bias_hh_l{i}"] for i in range(c.num_layers)]
        self.w_ih = [w[f"rnn.weight_ih_l{i}"].t().contiguous() for i in range(c.num_layers)]
        self.b_ih = [
            w[f"rnn.bias_ih_l{i}"] + (self.b_hh[i] if fold else 0) for i in range(c.num_layers)
        ]
        w_token, w_label = self.w_ih[0][: c.embed_size], self.w_ih[0][c.embed_size :]
        self.table = w["embed.weight"] @ w_token + self.b_ih[0]  # [V, G*H]
        self.label_rows: Tensor | None = None  # [B, G*H]: each row's label, projected
        if c.num_labels:
            label_table = w["label_embed.weight"] @ w_label  # [L + 1, G*H]
            self.label_rows = label_table[c.num_labels if labels is None else labels]
        elif labels is not None:
            raise RnnkitError("this model is not conditioned: it takes no labels")
        self.logits = _head(model)

    def init_state(self, batch: int) -> list[Tensor]:
        """Per-layer state: h [B, H] (LSTM: h and c concatenated, [B, 2H])."""
        width = 2 * self.hidden if self.cell == "lstm" else self.hidden
        return [torch.zeros(batch, width) for _ in self.w_hh]

    def from_model_state(self, state: State) -> list[Tensor]:
        """Convert an ``nn.RNNBase`` state ([L, B, H], or (h, c)) to the per-layer form."""
        if isinstance(state, tuple):
            return [torch.cat([h, c], dim=-1) for h, c in zip(state[0], state[1], strict=True)]
        return list(state)

    def step(self, tokens: Tensor, state: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """tokens [B] -> logits [B, V] and the new state."""
        x = self.table[tokens]  # [B, G*H]: layer 0's input projection, biases included
        if self.label_rows is not None:
            x = x + self.label_rows
        new_state = []
        for layer, s in enumerate(state):
            if layer > 0:
                x = torch.addmm(self.b_ih[layer], x, self.w_ih[layer])
            h_out, s = self._cell(layer, x, s)
            new_state.append(s)
            x = h_out
        return self.logits(x), new_state

    def _cell(self, layer: int, gi: Tensor, s: Tensor) -> tuple[Tensor, Tensor]:
        H = self.hidden
        if self.cell == "lstm":
            h, c = s[:, :H], s[:, H:]
            gates = torch.addmm(gi, h, self.w_hh[layer])  # [B, 4H]: i, f, g, o
            sig = torch.sigmoid(gates)
            c = sig[:, H : 2 * H] * c + sig[:, :H] * torch.tanh(gates[:, 2 * H : 3 * H])
            h = sig[:, 3 * H :] * torch.tanh(c)
            return h, torch.cat([h, c], dim=-1)
        if self.cell == "gru":
            gh = torch.addmm(self.b_hh[layer], s, self.w_hh[layer])  # [B, 3H]: r, z, n
            rz = torch.sigmoid(gi[:, : 2 * H] + gh[:, : 2 * H])
            n = torch.tanh(gi[:, 2 * H :] + rz[:, :H] * gh[:, 2 * H :])
            h = n + rz[:, H:] * (s - n)  # == (1 - z) * n + z * h
            return h, h
        h = torch.tanh(torch.addmm(gi, s, self.w_hh[layer]))
        return h, h


def _head(model: RecurrentLM) -> Callable[[Tensor], Tensor]:
    """The model's head as a function of the top layer's output [B, H] -> [B, V]: a bare
    ``addmm`` for a plain linear head, else the model's own (projection, adaptive softmax)."""
    if model.proj is None and isinstance(model.head, nn.Linear):
        w, b = model.head.weight.detach().t().contiguous(), model.head.bias.detach()
        return lambda x: torch.addmm(b, x, w)
    return model.logits


@torch.inference_mode()
def prime(
    model: RecurrentLM, prompt_ids: Tensor, batch: int, labels: Tensor | None = None
) -> tuple[Tensor, State]:
    """Read the prompt [P] once for ``batch`` copies (under ``labels`` [B], for a conditioned
    model); returns last logits [B, V] and the state.

    An empty prompt starts from the zero state and uniform logits (any first token).
    """
    state = model.init_state(batch)
    if prompt_ids.numel() == 0:
        return torch.zeros(batch, model.config.vocab_size), state
    tokens = prompt_ids.unsqueeze(0).expand(batch, -1)  # [B, P]
    logits, state = model(tokens, state, labels)
    return logits[:, -1], state


@torch.inference_mode()
def token_stream(
    model: RecurrentLM,
    prompt_ids: Tensor,
    batch: int,
    cfg: SamplingConfig,
    seed: int | None,
    labels: Tensor | None = None,
) -> Iterator[Tensor]:
    """Endless stream of sampled token batches [B], one recurrent step each; a conditioned
    model writes each row in the style of its label (``labels`` [B]; None: unconditioned)."""
    generator = rng.generator(seed)  # never the global RNG: many threads may sample at once
    if model.embed.weight.device.type != "cpu":
        # One token at a time, a GPU would spend its time launching kernels: sample on the CPU.
        model = copy.deepcopy(model).cpu()
    model.eval()
    logits, model_state = prime(model, prompt_ids, batch, labels)
    stepper = Stepper(model, labels)
    state = stepper.from_model_state(model_state)
    while True:
        tokens = next_tokens(logits, cfg, generator)  # [B]
        yield tokens
        logits, state = stepper.step(tokens, state)


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


class Sample:
    """One sample's text as it grows, with its own counter and stop strings.

    Example:
        >>> s = Sample(Counter(10, len), stops=("END",))
        >>> for piece in "abcEN":
        ...     s.add(piece)
        >>> s.settled(), s.done  # "EN" may still become "END": held back
        ('abc', False)
        >>> s.add("D")
        >>> s.text(), s.settled(), s.done
        ('abc', 'abc', True)
    """

    def __init__(self, counter: Counter, stops: tuple[str, ...]) -> None:
        self._text = ""  # one string, not a list joined at every step: the server asks each step
        self.tail = ""  # the last characters, enough to spot a stop string that just completed
        self.counter, self.stops, self.done = counter, stops, False
        self.stopped = False  # ended by a stop string (not by its counter)
        self._keep = max((len(x) for x in stops), default=0)

    def add(self, piece: str) -> None:
        self._text += piece
        self.done = self.counter.add(piece)
        if self.stops:
            self.tail = (self.tail + piece)[-(self._keep + len(piece)) :]
            for stop in self.stops:
                if stop in self.tail:
                    self._cut(stop)
                    return

    def _cut(self, stop: str) -> None:
        text = self._text
        self._text, self.done, self.stopped = text[: text.rindex(stop)], True, True

    def text(self) -> str:
        return self._text

    def settled(self) -> str:
        """The text that no stop string can cut any more, for streaming: all of it once done,
        else all but the last characters, in which a stop string could still begin."""
        text = self.text()
        hold = 0 if self.done else max(self._keep - 1, 0)
        return text[: max(len(text) - hold, 0)]


@dataclass(frozen=True)
class Writing:
    """How a language model's tokens become text, for a decoder outside the model (the
    server's batched decoding): each token's piece, how many units (characters, words, lines)
    a piece counts for, and the tidying of a finished or partial sample."""

    piece: Callable[[int], str]
    counts: Callable[[str], int]
    finish: Callable[[str], str]


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
    samples = [Sample(counter, stops) for counter in counters]
    for tokens in stream:
        for sample, token in zip(samples, tokens.tolist(), strict=True):
            if not sample.done:
                sample.add(decode(token))
        if all(s.done for s in samples):
            break
    return [s.text() for s in samples]
