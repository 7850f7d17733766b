"""Short probes of the character-level network on ``shakespeare-works`` (issue 15).

Trains a :class:`~rnnkit.models.classifier.ClassifierNet` directly (no baseline, no
checkpoints) on the train passages of one length for a few minutes of wall time, with AdamW,
a linear warmup and a cosine decay over the *time* budget, and prints the validation accuracy,
macro-F1 and loss four times and at the end. It is the quick loop behind the probes in
docs/benchmarks.md; the benchmark itself is benchmarks/works.py (the estimator, test split).

    python benchmarks/works_probe.py --length 200 --minutes 4 --ngrams 4 --embed 64 \\
        --dropout 0.2 --embed-dropout 0 --embed-lr-scale 10 --buckets 32768

(the character level's defaults; ``--train-fraction 0.25`` for a short run that overfits as a
long one would). The probes and what they showed are in docs/works.md.

Run it pinned to one core with one thread (as every figure in the docs was).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rnnkit.classify.learner import make_batch
from rnnkit.classify.reports import classification_report
from rnnkit.core.rng import seeded
from rnnkit.data.works import passages
from rnnkit.models.classifier import ClassifierConfig, ClassifierNet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts)


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--length", type=int, default=200, help="Passage length in characters.")
    p.add_argument("--minutes", type=float, default=3.0, help="Wall-time budget of training.")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--embed", type=int, default=32)
    p.add_argument("--cell", default="lstm")
    p.add_argument("--pooling", default="max+mean")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--unidirectional", action="store_true")
    p.add_argument("--dropout", type=float, default=0.4)
    p.add_argument("--embed-dropout", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--ngrams", type=int, default=1)
    p.add_argument("--buckets", type=int, default=1 << 17)
    p.add_argument("--chunk-tokens", type=int, default=None)
    p.add_argument("--embed-lr-scale", type=float, default=1.0)
    p.add_argument("--ngram-dropout", type=float, default=0.0)
    p.add_argument("--ngram-weight-decay", type=float, default=0.0)
    p.add_argument(
        "--train-fraction",
        type=float,
        default=1.0,
        help="Train on this share of the train passages (drawn with seed 0): a short probe on "
        "a quarter sees as many epochs as a run four times as long, so overfitting shows.",
    )
    p.add_argument("--json-out", type=Path, default=None)
    return p.parse_args()


def encoded(split: str, length: int, classes: list[str], index: dict[str, int]) -> Any:
    """Character ids (0: padding, 1: unseen) and class indices of a split's passages."""
    found = passages(split, length)
    seqs = [np.array([index.get(c, 1) for c in t], dtype=np.int64) for t in found.texts]
    return seqs, np.array([classes.index(label) for label in found.labels])


def evaluate(net: ClassifierNet, seqs: list[np.ndarray], labels: np.ndarray) -> dict[str, float]:
    """Validation accuracy, macro-F1 and cross-entropy (in eval mode, batches of 128)."""
    net.eval()
    order = np.argsort([len(s) for s in seqs])
    logp = torch.empty(len(seqs), net.config.num_classes)
    with torch.inference_mode():
        for start in range(0, len(seqs), 128):
            rows = order[start : start + 128]
            b = make_batch([seqs[r] for r in rows], np.zeros(len(rows), dtype=np.int64))
            logp[torch.from_numpy(rows)] = F.log_softmax(net(b.ids, b.lengths), 1)
    net.train()
    predicted = logp.argmax(1).tolist()
    report = classification_report(labels.tolist(), predicted, list(range(logp.shape[1])))
    loss = F.nll_loss(logp, torch.from_numpy(labels)).item()
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "val_loss": loss}


def main() -> None:
    a = arguments()
    with seeded(0):  # the weights' first values and the dropout masks, seed 0
        rows = probe(a)
    if a.json_out is not None:
        settings = vars(a) | {"json_out": str(a.json_out)}
        write_report({"machine": machine(), "settings": settings, "rows": rows}, a.json_out)
    print(json.dumps(rows[-1]))


def probe(a: argparse.Namespace) -> list[dict[str, Any]]:
    """Train for the budget; one row at each quarter and at the end."""
    train_texts = passages("train", a.length)
    classes = sorted(set(train_texts.labels))
    chars = sorted({c for t in train_texts.texts for c in t})
    index = {c: i + 2 for i, c in enumerate(chars)}
    train, train_labels = encoded("train", a.length, classes, index)
    if a.train_fraction < 1.0:
        kept = np.random.default_rng(0).permutation(len(train))[
            : round(a.train_fraction * len(train))
        ]
        train, train_labels = [train[i] for i in sorted(kept)], train_labels[sorted(kept)]
    val, val_labels = encoded("validation", a.length, classes, index)
    print(f"{len(classes)} works, {len(train)} train, {len(val)} validation passages", flush=True)
    config = ClassifierConfig(
        vocab_size=len(chars) + 2,
        num_classes=len(classes),
        cell=a.cell,
        embed_size=a.embed,
        hidden_size=a.hidden,
        bidirectional=not a.unidirectional,
        pooling=a.pooling,
        dropout=a.dropout,
        embed_dropout=a.embed_dropout,
        ngrams=a.ngrams,
        ngram_buckets=a.buckets,
        chunk_tokens=a.chunk_tokens,
        ngram_dropout=a.ngram_dropout,
    )
    net = ClassifierNet(config)
    named = list(net.named_parameters())
    groups = [
        {
            "params": [p for n, p in named if n.startswith("embed")],
            "scale": a.embed_lr_scale,
            "weight_decay": 0.0,
        },
        {
            "params": [p for n, p in named if n.startswith("ngram_embed")],
            "scale": a.embed_lr_scale,
            "weight_decay": a.ngram_weight_decay,
        },
        {"params": [p for n, p in named if "embed" not in n], "scale": 1.0},
    ]
    opt = torch.optim.AdamW(groups, lr=a.lr, weight_decay=a.weight_decay)
    rng = np.random.default_rng(0)
    budget, step, losses, rows = a.minutes * 60, 0, [], []
    order, pos, next_eval = rng.permutation(len(train)), 0, budget / 4
    start = time.time()
    while (elapsed := time.time() - start) < budget:
        cosine = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * elapsed / budget))
        for group in opt.param_groups:
            group["lr"] = a.lr * min(1, (step + 1) / a.warmup) * cosine * group["scale"]
        if pos + a.batch > len(order):
            order, pos = rng.permutation(len(train)), 0
        chosen = order[pos : pos + a.batch]
        pos += a.batch
        b = make_batch([train[r] for r in chosen], train_labels[chosen])
        loss = F.cross_entropy(net(b.ids, b.lengths), b.labels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        step += 1
        if elapsed >= next_eval:
            rows.append(report(net, val, val_labels, step, elapsed, losses))
            next_eval += budget / 4
    rows.append(report(net, val, val_labels, step, budget, losses))
    return rows


def report(
    net: ClassifierNet,
    val: list[np.ndarray],
    val_labels: np.ndarray,
    step: int,
    elapsed: float,
    losses: list[float],
) -> dict[str, Any]:
    """One line of the probe: where it stands on validation."""
    row = {"seconds": round(elapsed), "steps": step, "train_loss": float(np.mean(losses[-50:]))}
    row |= evaluate(net, val, val_labels)
    print(
        f"  {row['seconds']:>5} s  step {step:>5}  train {row['train_loss']:.3f}  "
        f"val loss {row['val_loss']:.3f}  acc {row['accuracy']:.3f}  F1 {row['macro_f1']:.3f}",
        flush=True,
    )
    return row


if __name__ == "__main__":
    main()
