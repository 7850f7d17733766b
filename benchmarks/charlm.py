"""Char-LM benchmark on Tiny Shakespeare (first 90 % train, last 10 % validation).

For each wall-clock training budget it trains rnnkit's default CharLM, then reports validation
loss (nats/char and bits/char over the whole validation split), parameters, training chars/s and
generation chars/s at batch 1. ``--overhead`` also times rnnkit's training loop against the bare
PyTorch loop of ``bare_loop.py`` on the same model for the same number of steps.
``--numpy`` runs issue 3's comparison: the NumPy backend (hidden 100) against the original
lessons' min-char-rnn loop for the same budget.

    python benchmarks/charlm.py --budgets 150 600 --overhead --numpy

Prints a table and writes JSON (default benchmarks/results/charlm.json).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

from rnnkit import CharLM
from rnnkit.data.sources import read_corpus

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "tinyshakespeare.txt"
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def split(text: str) -> tuple[str, str]:
    """The standard split: first 90 % for training, last 10 % for validation."""
    cut = int(len(text) * 0.9)
    return text[:cut], text[cut:]


def gen_speed(lm: CharLM, n: int = 5000) -> float:
    """Characters per second generated at batch 1 (one warm-up call first)."""
    lm.generate(n_chars=100, seed=0)
    start = time.perf_counter()
    lm.generate(n_chars=n, temperature=0.8, seed=1)
    return n / (time.perf_counter() - start)


def run_budget(text: str, seconds: float, settings: dict[str, Any]) -> dict[str, Any]:
    """Train the default model for ``seconds`` and measure it."""
    val = split(text)[1]
    lm = CharLM(**settings).fit(text, minutes=seconds / 60, quiet=True)
    stats = lm.info()["stats"]
    result = lm.evaluate(val)
    return {
        "run": f"rnnkit CharLM ({settings.get('backend', 'torch')})",
        "budget_s": seconds,
        "steps": stats["steps"],
        "params": lm.info()["parameters"],
        "train_chars_per_s": stats["tokens_seen"] / stats["elapsed_s"],
        "val_loss": result["loss"],
        "val_bpc": result["bpc"],
        "gen_chars_per_s": gen_speed(lm),
        "val_history": stats["history"],
        "config": {**lm.arch, **{k: v for k, v in vars(lm.settings).items()}},
        "sample": lm.generate(n_chars=300, prompt="ROMEO:", temperature=0.8, seed=1),
    }


def overhead(text: str, steps: int) -> dict[str, Any]:
    """rnnkit's loop vs the bare PyTorch loop: same model, same data, same steps."""
    import bare_loop

    lm = CharLM(evals=1, val_max_chars=2000)
    a, s = lm._resolved(None)  # the defaults of a step budget, as the rnnkit side uses
    bare = bare_loop.main(
        [
            "--data",
            str(DEFAULT_DATA),
            "--cell",
            a["cell"],
            "--hidden",
            str(a["hidden_size"]),
            "--embed",
            str(a["embed_size"]),
            "--layers",
            str(a["num_layers"]),
            "--seq-len",
            str(s.seq_len),
            "--batch",
            str(s.batch_size),
            "--lr",
            str(s.lr),
            "--weight-decay",
            str(s.weight_decay),
            "--max-steps",
            str(steps),
            "--threads",
            str(torch.get_num_threads()),
        ]
    )
    lm.fit(text, steps=steps, quiet=True)
    stats = lm.info()["stats"]
    ours = stats["tokens_seen"] / stats["elapsed_s"]
    return {
        "steps": steps,
        "bare_chars_per_s": bare["chars_per_s"],
        "rnnkit_chars_per_s": ours,
        "ratio": ours / bare["chars_per_s"],
    }


def numpy_vs_lessons(text: str, seconds: float) -> list[dict[str, Any]]:
    """Issue 3: the NumPy backend (hidden 100) against min-char-rnn for the same budget."""
    import min_char_rnn

    settings = {
        "backend": "numpy",
        "cell": "rnn",
        "hidden_size": 100,
        "embed_size": 32,
        "seq_len": 64,
        "batch_size": 32,
        "lr": 3e-3,
    }
    ours = run_budget(text, seconds, settings)
    ours["run"] = "rnnkit CharLM (numpy, rnn 100)"
    lesson = min_char_rnn.main(["--budget", str(seconds), "--print-every", "0"])
    theirs = {
        "run": "min-char-rnn (lessons' loop)",
        "budget_s": seconds,
        "train_chars_per_s": lesson["train_chars_per_s"],
        "val_loss": lesson["val_loss_nats_per_char"],
        "val_bpc": lesson["val_loss_nats_per_char"] / math.log(2),
    }
    return [ours, theirs]


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'run':<34}{'budget':>8}{'params':>10}{'train c/s':>11}{'val nats':>10}"
        f"{'val bpc':>9}{'gen c/s':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        gen = f"{r['gen_chars_per_s']:,.0f}" if r.get("gen_chars_per_s") else "-"
        params = f"{r['params']:,}" if r.get("params") else "-"
        print(
            f"{r['run']:<34}{r['budget_s']:>7.0f}s{params:>10}{r['train_chars_per_s']:>11,.0f}"
            f"{r['val_loss']:>10.4f}{r['val_bpc']:>9.4f}{gen:>9}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--budgets", type=float, nargs="*", default=[150.0, 600.0])
    ap.add_argument("--overhead", action="store_true", help="compare with the bare loop")
    ap.add_argument("--overhead-steps", type=int, default=150)
    ap.add_argument("--numpy", action="store_true", help="NumPy backend vs min-char-rnn")
    ap.add_argument("--numpy-budget", type=float, default=300.0)
    ap.add_argument(
        "--settings",
        type=json.loads,
        default={},
        help="CharLM settings for the budget runs, as JSON, e.g. '{\"hidden_size\": 384}'",
    )
    ap.add_argument("--json-out", type=Path, default=HERE / "results" / "charlm.json")
    args = ap.parse_args()
    text = read_corpus(args.data).text
    rows = [run_budget(text, b, args.settings) for b in args.budgets]
    report: dict[str, Any] = {"machine": machine(), "data": str(args.data), "runs": rows}
    if args.numpy:
        report["numpy_vs_lessons"] = numpy_vs_lessons(text, args.numpy_budget)
        rows = rows + report["numpy_vs_lessons"]
    print_table(rows)
    if args.overhead:
        report["overhead"] = o = overhead(text, args.overhead_steps)
        print(
            f"\nloop overhead over {o['steps']} steps: bare {o['bare_chars_per_s']:,.0f} chars/s,"
            f" rnnkit {o['rnnkit_chars_per_s']:,.0f} chars/s, ratio {o['ratio']:.3f}"
        )
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
