"""Word-LM benchmark: test perplexity on WikiText-2 and Penn Treebank after fixed budgets.

For each dataset and training budget it trains rnnkit's default ``WordLM`` and, for the same
training time on the same machine, the pytorch/examples word_language_model recipe
(``pt_word_lm.py``), then scores both on the official test split with the standard
tokenization (so the figures compare with published ones).

    RNNKIT_DATA=../shared/data python benchmarks/wordlm.py --datasets wikitext2 ptb --budgets 600

Prints a table and writes JSON (default benchmarks/results/wordlm.json).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from rnnkit import WordLM
from rnnkit.data.sources import read_corpus, read_splits
from rnnkit.data.tokenize import WORDS
from rnnkit.data.vocab import WordVocab

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def run_rnnkit(name: str, seconds: float, settings: dict[str, Any]) -> dict[str, Any]:
    """Train rnnkit's WordLM on ``name`` for ``seconds`` and score it on the test split."""
    lm = WordLM(**settings).fit(name, minutes=seconds / 60, quiet=True)
    info = lm.info()
    stats = info["stats"]
    start = time.perf_counter()
    test = lm.evaluate(f"{name}:test")
    train_words = len(WORDS.split(read_corpus(f"{name}:train").text))
    return {
        "dataset": name,
        "run": "rnnkit WordLM",
        "budget_s": seconds,
        "params": info["parameters"],
        "vocab": len(lm.vocab_ or []),
        "epochs": stats["tokens_seen"] / train_words,
        "train_words_per_s": stats["tokens_seen"] / stats["elapsed_s"],
        "val_ppl": math.exp(stats["best_val_loss"]),
        "test_ppl": test["perplexity"],
        "test_words": test["words"],
        "eval_s": time.perf_counter() - start,
        "config": {
            **{k: v for k, v in info.items() if k not in ("stats", "vocab", "corpus")},
            **asdict(lm.settings_),
        },
    }


def run_example(name: str, seconds: float, device: str, tie: bool) -> dict[str, Any]:
    """The pytorch/examples recipe on the same data, vocabulary and budget."""
    from pt_word_lm import batchify, evaluate, train

    splits = read_splits(name)
    assert splits is not None
    vocab = WordVocab.from_text(splits["train"].text)  # WordLM's default vocabulary
    ids = {k: vocab.encode(v.text) for k, v in splits.items()}
    dev = torch.device(device)
    model, stats = train(ids["train"], ids["validation"], len(vocab), seconds, dev, tie=tie)
    test_loss = evaluate(model, batchify(ids["test"], 10, dev))
    return {
        "dataset": name,
        "run": "pytorch/examples" + (" --tied" if tie else ""),
        "budget_s": seconds,
        "params": sum(p.numel() for p in model.parameters()),
        "vocab": len(vocab),
        "epochs": stats["tokens"] / len(ids["train"]),
        "train_words_per_s": stats["tokens"] / stats["elapsed_s"],
        "val_ppl": math.exp(stats["val_loss"]),
        "test_ppl": math.exp(test_loss),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'dataset':<11}{'run':<28}{'budget':>8}{'params':>12}{'words/s':>9}{'epochs':>8}"
        f"{'val ppl':>9}{'test ppl':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['dataset']:<11}{r['run']:<28}{r['budget_s']:>7.0f}s{r['params']:>12,}"
            f"{r['train_words_per_s']:>9,.0f}{r['epochs']:>8.2f}{r['val_ppl']:>9.1f}"
            f"{r['test_ppl']:>10.1f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="*", default=["wikitext2", "ptb"])
    ap.add_argument("--budgets", type=float, nargs="*", default=[600.0, 1800.0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-example", action="store_true", help="skip the pytorch/examples runs")
    ap.add_argument("--no-rnnkit", action="store_true", help="skip rnnkit's runs")
    ap.add_argument("--settings", type=json.loads, default={}, help="WordLM settings, as JSON")
    ap.add_argument("--json-out", type=Path, default=HERE / "results" / "wordlm.json")
    args = ap.parse_args()
    rows = []
    for name in args.datasets:
        for budget in args.budgets:
            if not args.no_rnnkit:
                rows.append(run_rnnkit(name, budget, {"device": args.device, **args.settings}))
                print_table(rows[-1:])
            if not args.no_example:
                rows.append(run_example(name, budget, args.device, tie=False))
                print_table(rows[-1:])
    print()
    print_table(rows)
    report: dict[str, Any] = {"machine": machine(), "runs": rows}
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
