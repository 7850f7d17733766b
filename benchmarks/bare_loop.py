"""Minimal bare-PyTorch character-level LM trainer with a wall-clock budget.

Standalone reference loop (torch/numpy/stdlib only, no rnnkit) used to find good
default hyperparameters for a fixed training time on CPU.

Training uses truncated BPTT over ``batch`` contiguous streams of the training split,
AdamW, linear warmup then a *time-based* cosine decay (progress = elapsed training
seconds / budget), and gradient-norm clipping. After the budget is spent the whole
validation split (last 10% of the text) is evaluated with carried hidden state and
the mean cross-entropy is reported in nats/char.

Example::

    python benchmarks/bare_loop.py --cell gru --hidden 256 --lr 8e-3 --budget 150
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"

Hidden = Tensor | tuple[Tensor, Tensor]


class CharRNN(nn.Module):
    """Embedding -> recurrent stack -> dropout -> linear head."""

    def __init__(
        self,
        vocab_size: int,
        cell: str = "lstm",
        embed: int = 64,
        hidden: int = 512,
        layers: int = 1,
        dropout: float = 0.0,
        tie: bool = False,
    ) -> None:
        super().__init__()
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}.get(cell)
        if rnn_cls is None:
            raise ValueError(f"unknown cell {cell!r}; choose from gru, lstm, rnn")
        self.embed = nn.Embedding(vocab_size, embed)
        inter_dropout = dropout if layers > 1 else 0.0
        self.rnn: nn.RNNBase = rnn_cls(
            embed, hidden, num_layers=layers, dropout=inter_dropout, batch_first=True
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)
        if tie:
            if embed != hidden:
                raise ValueError("weight tying requires --embed == --hidden")
            self.head.weight = self.embed.weight

    def forward(self, x: Tensor, h: Hidden | None = None) -> tuple[Tensor, Hidden]:
        out, h = self.rnn(self.embed(x), h)
        return self.head(self.drop(out)), h


def detach(h: Hidden) -> Hidden:
    if isinstance(h, tuple):
        return (h[0].detach(), h[1].detach())
    return h.detach()


def batchify(data: Tensor, streams: int) -> Tensor:
    """Cut a 1-D token tensor into ``streams`` contiguous rows: shape [B, N // B]."""
    n = data.numel() // streams
    return data[: n * streams].view(streams, n).contiguous()


def load_data(path: Path) -> tuple[Tensor, Tensor, list[str]]:
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.from_numpy(np.array([stoi[c] for c in text], dtype=np.int64))
    split = int(0.9 * len(ids))
    return ids[:split], ids[split:], chars


def lr_at(step: int, progress: float, args: argparse.Namespace) -> float:
    """Linear warmup over ``args.warmup`` steps, then cosine on time progress."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = min(max(progress, 0.0), 1.0)
    floor = args.lr * args.min_lr_ratio
    return floor + 0.5 * (args.lr - floor) * (1.0 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(model: CharRNN, data: Tensor, streams: int, seq_len: int) -> float:
    """Mean cross-entropy (nats/char) over all of ``data`` with carried hidden state."""
    was_training = model.training
    model.eval()
    rows = batchify(data, streams)
    total, count = 0.0, 0
    h: Hidden | None = None
    for i in range(0, rows.size(1) - 1, seq_len):
        t = min(seq_len, rows.size(1) - 1 - i)
        x, y = rows[:, i : i + t], rows[:, i + 1 : i + 1 + t]
        logits, h = model(x, h)
        total += F.cross_entropy(
            logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"
        ).item()
        count += y.numel()
    model.train(was_training)
    return total / count


def train(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.set_flags(not args.no_mkldnn)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    train_ids, val_ids, chars = load_data(Path(args.data))
    vocab = len(chars)
    model = CharRNN(vocab, args.cell, args.embed, args.hidden, args.layers, args.dropout, args.tie)
    n_params = sum(p.numel() for p in model.parameters())

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embed" in n]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": args.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=args.lr,
        betas=(args.beta1, args.beta2),
    )

    rows = batchify(train_ids, args.batch)
    T = args.seq_len
    n_chunks = (rows.size(1) - 1) // T
    h: Hidden | None = None
    pos = 0
    step = 0
    epochs = 0
    train_time = 0.0
    loss_ema: float | None = None
    history: list[dict[str, float]] = []
    model.train()
    start = time.perf_counter()
    while (step < args.max_steps) if args.max_steps > 0 else (train_time < args.budget):
        if pos >= n_chunks:  # wrap around: new epoch, fresh hidden state
            pos, h, epochs = 0, None, epochs + 1
        i = pos * T
        x, y = rows[:, i : i + T], rows[:, i + 1 : i + 1 + T]
        progress = step / args.max_steps if args.max_steps > 0 else train_time / args.budget
        lr = lr_at(step, progress, args)
        for group in opt.param_groups:
            group["lr"] = lr
        logits, h = model(x, h)
        h = detach(h)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        step += 1
        pos += 1
        lv = loss.item()
        loss_ema = lv if loss_ema is None else 0.98 * loss_ema + 0.02 * lv
        train_time = time.perf_counter() - start
        if args.eval_every and step % args.eval_every == 0:
            t0 = time.perf_counter()
            vl = evaluate(model, val_ids, args.eval_batch, args.eval_seq_len)
            history.append({"step": step, "train_s": train_time, "val": vl})
            print(f"step {step} t={train_time:.0f}s train~{loss_ema:.3f} val {vl:.4f}")
            start += time.perf_counter() - t0  # periodic eval is not charged to the budget
        elif args.log_every and step % args.log_every == 0:
            print(f"step {step} t={train_time:.0f}s lr={lr:.2e} train~{loss_ema:.3f}")

    t0 = time.perf_counter()
    val = evaluate(model, val_ids, args.eval_batch, args.eval_seq_len)
    eval_s = time.perf_counter() - t0
    result: dict[str, Any] = {
        "config": {k: v for k, v in vars(args).items() if k != "json_out"},
        "vocab": vocab,
        "params": n_params,
        "steps": step,
        "epochs": epochs + pos / max(n_chunks, 1),
        "train_seconds": round(train_time, 2),
        "chars_per_s": round(args.batch * T * step / train_time, 1),
        "train_loss_ema": loss_ema,
        "val_loss": val,
        "val_bpc": val / math.log(2),
        "eval_seconds": round(eval_s, 2),
        "history": history,
    }
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="gru")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.99)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--tie", action="store_true")
    p.add_argument("--budget", type=float, default=150.0, help="training seconds")
    p.add_argument(
        "--max-steps",
        type=int,
        default=0,
        help="if > 0: train exactly this many steps (schedule on step count, budget ignored)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN backend")
    p.add_argument("--eval-every", type=int, default=0, help="0 = only final eval")
    p.add_argument("--eval-batch", type=int, default=16)
    p.add_argument("--eval-seq-len", type=int, default=256)
    p.add_argument("--log-every", type=int, default=0)
    p.add_argument("--json-out", default=None, help="append result JSON line to this file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = train(args)
    line = json.dumps(result)
    print(line)
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as f:
            f.write(line + "\n")
    return result


if __name__ == "__main__":
    main()
