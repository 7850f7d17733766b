"""Karpathy's min-char-rnn.py, ported to Python 3 with a wall-clock budget and a validation score.

The training loop is the original's ("the original lessons' loop"), kept as is
so its speed and loss are a faithful baseline: a vanilla tanh RNN with hidden
size 100 fed one-hot column vectors, one sequence of 25 characters at a time
with the hidden state carried across sequences, per-parameter gradient
clipping to [-5, 5], and Adagrad with lr 0.1 (``mem += g*g; p -= lr * g /
sqrt(mem + 1e-8)``), weights ~ N(0, 0.01^2), biases 0.

What differs from the original, and why:

- trains on the first 90% of the text and, once ``--budget`` seconds are
  spent, reports the mean cross-entropy (nats/char) over the whole last 10%,
  read in order with a carried hidden state (starting from zeros);
- the vocabulary is ``sorted(set(text))`` over the full text (the original's
  ``list(set(...))`` order changes from run to run), and the RNG is seeded;
- progress is printed every ``--print-every`` iterations; the original's
  200-character sample every 100 iterations is taken once, after training,
  so it does not count against the measured training speed.

Standalone on purpose: NumPy and the standard library only.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

DATA = Path("/work/shared/data/tinyshakespeare.txt")
HIDDEN_SIZE = 100
SEQ_LENGTH = 25
LEARNING_RATE = 1e-1


@dataclass
class Params:
    """The five parameter arrays, column-vector convention as in the original."""

    Wxh: Array  # [H, V] input to hidden
    Whh: Array  # [H, H] hidden to hidden
    Why: Array  # [V, H] hidden to output
    bh: Array  # [H, 1]
    by: Array  # [V, 1]

    @classmethod
    def init(cls, vocab_size: int, hidden_size: int, rng: np.random.Generator) -> Params:
        return cls(
            Wxh=rng.standard_normal((hidden_size, vocab_size)) * 0.01,
            Whh=rng.standard_normal((hidden_size, hidden_size)) * 0.01,
            Why=rng.standard_normal((vocab_size, hidden_size)) * 0.01,
            bh=np.zeros((hidden_size, 1)),
            by=np.zeros((vocab_size, 1)),
        )

    def arrays(self) -> list[Array]:
        return [self.Wxh, self.Whh, self.Why, self.bh, self.by]

    def zeros_like(self) -> Params:
        return Params(*(np.zeros_like(a) for a in self.arrays()))


def loss_fun(
    p: Params, inputs: list[int], targets: list[int], hprev: Array
) -> tuple[float, Params, Array]:
    """The original lossFun: forward and backward over one sequence, clipped gradients.

    inputs, targets: lists of character indices; hprev [H, 1] the carried state.
    Returns the summed (not mean) loss, the gradients, and the last hidden state.
    """
    vocab_size = p.Wxh.shape[1]
    xs: dict[int, Array] = {}
    hs: dict[int, Array] = {-1: np.copy(hprev)}
    ps: dict[int, Array] = {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))  # one-hot [V, 1]
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(p.Wxh, xs[t]) + np.dot(p.Whh, hs[t - 1]) + p.bh)  # [H, 1]
        ys = np.dot(p.Why, hs[t]) + p.by  # unnormalised log probabilities [V, 1]
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))  # probabilities [V, 1]
        loss += -np.log(ps[t][targets[t], 0])
    d = p.zeros_like()
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # backprop into y
        d.Why += np.dot(dy, hs[t].T)
        d.by += dy
        dh = np.dot(p.Why.T, dy) + dhnext  # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh
        d.bh += dhraw
        d.Wxh += np.dot(dhraw, xs[t].T)
        d.Whh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(p.Whh.T, dhraw)
    for dparam in d.arrays():
        np.clip(dparam, -5, 5, out=dparam)  # mitigate exploding gradients
    return float(loss), d, hs[len(inputs) - 1]


def sample(p: Params, h: Array, seed_ix: int, n: int, rng: np.random.Generator) -> list[int]:
    """The original sample(): n indices drawn from the model, starting after seed_ix."""
    vocab_size = p.Wxh.shape[1]
    x = np.zeros((vocab_size, 1))
    x[seed_ix] = 1
    ixes = []
    for _ in range(n):
        h = np.tanh(np.dot(p.Wxh, x) + np.dot(p.Whh, h) + p.bh)
        y = np.dot(p.Why, h) + p.by
        prob = np.exp(y) / np.sum(np.exp(y))
        ix = int(rng.choice(vocab_size, p=prob.ravel()))
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        ixes.append(ix)
    return ixes


@dataclass
class TrainResult:
    params: Params
    iterations: int
    seconds: float
    smooth_loss: float
    history: list[tuple[int, float]] = field(default_factory=list)


def train(
    data: list[int], vocab_size: int, budget: float, seed: int, print_every: int
) -> TrainResult:
    """The original main loop, stopped after ``budget`` seconds instead of running forever."""
    rng = np.random.default_rng(seed)
    p = Params.init(vocab_size, HIDDEN_SIZE, rng)
    mem = p.zeros_like()  # Adagrad memory
    smooth_loss = -np.log(1.0 / vocab_size) * SEQ_LENGTH  # loss at iteration 0
    n, pos = 0, 0
    hprev = np.zeros((HIDDEN_SIZE, 1))
    history = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        if pos + SEQ_LENGTH + 1 >= len(data) or n == 0:
            hprev = np.zeros((HIDDEN_SIZE, 1))  # reset RNN memory
            pos = 0  # go from start of data
        inputs = data[pos : pos + SEQ_LENGTH]
        targets = data[pos + 1 : pos + SEQ_LENGTH + 1]
        loss, d, hprev = loss_fun(p, inputs, targets, hprev)
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        if print_every and n % print_every == 0:
            print(f"iter {n}, loss: {smooth_loss:f}", flush=True)
            history.append((n, smooth_loss))
        for param, dparam, m in zip(p.arrays(), d.arrays(), mem.arrays(), strict=True):
            m += dparam * dparam
            param += -LEARNING_RATE * dparam / np.sqrt(m + 1e-8)  # adagrad update
        pos += SEQ_LENGTH
        n += 1
    return TrainResult(p, n, time.perf_counter() - start, float(smooth_loss), history)


def evaluate(p: Params, data: list[int], chunk: int = 10_000) -> float:
    """Mean cross-entropy (nats/char) of predicting data[1:] from data[:-1], state carried.

    Same model as loss_fun, written for speed (the weights do not change): the
    one-hot product Wxh @ x is a column lookup, and the output layer and
    softmax run on a whole chunk of hidden states at once, stably via logsumexp.
    """
    h = np.zeros(p.Whh.shape[0])  # [H]
    total = 0.0
    for lo in range(0, len(data) - 1, chunk):
        inputs = np.array(data[lo : lo + chunk])
        targets = np.array(data[lo + 1 : lo + chunk + 1])
        inputs = inputs[: len(targets)]
        xproj = p.Wxh[:, inputs].T + p.bh[:, 0]  # [N, H]
        hs = np.empty_like(xproj)  # [N, H]
        for t in range(len(inputs)):
            h = np.tanh(xproj[t] + p.Whh @ h)
            hs[t] = h
        logits = hs @ p.Why.T + p.by[:, 0]  # [N, V]
        top = logits.max(axis=1, keepdims=True)  # [N, 1]
        lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))  # [N]
        total += float(np.sum(lse - logits[np.arange(len(targets)), targets]))
    return total / (len(data) - 1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="min-char-rnn with a time budget")
    ap.add_argument("--budget", type=float, default=300.0, help="training seconds")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--print-every", type=int, default=1000, help="0 to disable")
    ap.add_argument("--json-out", type=Path, default=None)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    text = args.data.read_text()
    chars = sorted(set(text))
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    split = int(0.9 * len(text))
    train_ix = [char_to_ix[ch] for ch in text[:split]]
    val_ix = [char_to_ix[ch] for ch in text[split:]]
    print(f"data has {len(text)} characters, {len(chars)} unique; train {split}, val {len(val_ix)}")

    result = train(train_ix, len(chars), args.budget, args.seed, args.print_every)
    eval_start = time.perf_counter()
    val_loss = evaluate(result.params, val_ix)
    eval_seconds = time.perf_counter() - eval_start
    rng = np.random.default_rng(args.seed)
    h0 = np.zeros((HIDDEN_SIZE, 1))
    text_sample = "".join(chars[i] for i in sample(result.params, h0, train_ix[0], 200, rng))
    print(f"----\n{text_sample}\n----")

    train_chars = result.iterations * SEQ_LENGTH
    report: dict[str, Any] = {
        "benchmark": "min_char_rnn",
        "budget_s": args.budget,
        "train_seconds": result.seconds,
        "iterations": result.iterations,
        "train_chars": train_chars,
        "train_chars_per_s": train_chars / result.seconds,
        "final_smooth_loss_per_seq": result.smooth_loss,
        "val_loss_nats_per_char": val_loss,
        "val_chars": len(val_ix) - 1,
        "eval_seconds": eval_seconds,
        "vocab_size": len(chars),
        "hidden_size": HIDDEN_SIZE,
        "seq_length": SEQ_LENGTH,
        "learning_rate": LEARNING_RATE,
        "seed": args.seed,
        "history": result.history,
        "sample": text_sample,
    }
    print(
        f"iterations {result.iterations} in {result.seconds:.1f}s: "
        f"{report['train_chars_per_s']:.0f} train chars/s; val loss {val_loss:.4f} nats/char"
    )
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
