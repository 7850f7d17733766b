"""Sequence to sequence with attention, measured (issue 19): dates, reversal, G2P on CMUdict.

* ``dates``: a :class:`~rnnkit.Seq2Seq` with attention trained on the generated ``dates`` set;
  exact match on its fixed test set (target: >= 99.5 % within 5 minutes of CPU training).
* ``reverse``: the same-size model with and without attention on ``reverse`` (strings of 5-40
  letters -> reversed); exact match by source length, plotted, and how often the argmax of the
  attention at output step i is source position L-1-i (targets at lengths 31-40: attention
  >= 98 %, none <= 50 %; the diagonal >= 95 % of steps).
* ``g2p``: with and without attention on ``cmudict`` (held-out words); word error rate and
  phoneme error rate, greedy and beam 5 (targets: WER <= 25 %, PER <= 6 % within 20 minutes).

The issue's budgets (5 / 15 / 20 minutes per model) are for a quiet machine; ``--scale`` shrinks
them all (0.25: a quarter). The models are ``Seq2Seq()``'s defaults unless ``--hidden`` /
``--embed`` say otherwise. ``--models`` picks which of reverse's and g2p's two models run, so
each can run as its own process (on its own core); ``--combine`` then joins their JSON files
into one table and one plot without training. Attention heatmaps go to ``--figures``.

    python benchmarks/seq2seq.py --tasks dates reverse g2p --threads 1
    python benchmarks/seq2seq.py --tasks g2p --models none --threads 1 --out g2p-none.json
    python benchmarks/seq2seq.py --combine g2p-bahdanau.json g2p-none.json --figures docs

Prints a table and writes JSON (default benchmarks/results/seq2seq.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit import Seq2Seq
from rnnkit.core.figures import new_figure, save_png
from rnnkit.data import catalog
from rnnkit.data.pairs import Pair

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

#: The issue's budgets (minutes of training per model) on a quiet machine.
MINUTES = {"dates": 5.0, "reverse": 15.0, "g2p": 20.0}
LENGTH_BINS = ((5, 10), (11, 20), (21, 30), (31, 40))
#: The two models of reverse and g2p: with the default attention, and the same without.
MODELS = ("bahdanau", "none")


def train(task: str, attention: str | None, args: argparse.Namespace) -> Seq2Seq:
    """A model of the benchmark's size trained on ``task`` for its budget: the issue's minutes
    times ``--scale``, or ``--steps`` optimizer steps (a budget a busy machine cannot shrink)."""
    budget = {"steps": args.steps} if args.steps else {"minutes": MINUTES[task] * args.scale}
    size = {"hidden_size": args.hidden, "embed_size": args.embed}
    given = {k: v for k, v in size.items() if v is not None} | dict(args.set or [])
    model = Seq2Seq(attention=attention, **given)
    data = {"dates": "dates", "reverse": "reverse", "g2p": "cmudict"}[task]
    started = time.perf_counter()
    model.fit(data, quiet=True, data_dir=args.data_dir, **budget)
    stats = model.info()["stats"]
    print(
        f"  {task} attention={attention}: {stats['steps']} steps, {stats['elapsed_s']:.0f} s "
        f"training ({time.perf_counter() - started:.0f} s in all), "
        f"best val loss {stats['best_val_loss']:.4f}",
        flush=True,
    )
    return model


def used(model: Seq2Seq) -> dict[str, Any]:
    """What a model's run used: steps and training seconds."""
    stats = model.info()["stats"]
    return {"steps": stats["steps"], "train_seconds": stats["elapsed_s"]}


def run_dates(args: argparse.Namespace) -> dict[str, Any]:
    model = train("dates", "bahdanau", args)
    result = dict(model.evaluate("dates:test"))
    if args.figures:
        model.plot_attention("25th of June, 2009", args.figures / "seq2seq-attention-date.png")
    return {**used(model), **result}


def by_length(model: Seq2Seq, test: list[Pair]) -> dict[str, Any]:
    """Exact match per length bin, and the share of output steps whose attention argmax is the
    mirrored source position (for a model with attention)."""
    found = model.translate([p.source for p in test], return_attention=True)
    bins: dict[str, list[bool]] = {f"{lo}-{hi}": [] for lo, hi in LENGTH_BINS}
    diagonal, steps = 0, 0
    for pair, t in zip(test, found, strict=True):
        n = len(pair.source)
        label = next(f"{lo}-{hi}" for lo, hi in LENGTH_BINS if lo <= n <= hi)
        bins[label].append(t.text == pair.targets[0])
        if t.attention is not None:
            rows = min(n, len(t.attention))  # the end symbol's step is not part of the check
            argmax = t.attention[:rows].argmax(axis=1)
            diagonal += int((argmax == n - 1 - np.arange(rows)).sum())
            steps += n
    return {
        "exact_match": {k: sum(v) / len(v) for k, v in bins.items()},
        "pairs": {k: len(v) for k, v in bins.items()},
        "overall": float(
            np.mean([t.text == p.targets[0] for p, t in zip(test, found, strict=True)])
        ),
        "diagonal": diagonal / steps if steps else None,
    }


def run_reverse(args: argparse.Namespace) -> dict[str, Any]:
    test = catalog.load("reverse", "test")
    out = {}
    for name in args.models:
        model = train("reverse", _attention(name), args)
        out[name] = {**used(model), **by_length(model, test)}
    if args.figures:
        plot_by_length(out, args.figures / "seq2seq-reverse.png")
    return {"models": out}


def plot_by_length(models: dict[str, Any], path: Path) -> None:
    fig = new_figure(5, 3.2)
    ax = fig.subplots()
    labels = [f"{lo}-{hi}" for lo, hi in LENGTH_BINS]
    for name, result in models.items():
        shown = f"attention ({name})" if name not in ("none", "None") else "no attention"
        ax.plot(labels, [100 * result["exact_match"][k] for k in labels], marker="o", label=shown)
    ax.set_xlabel("source length")
    ax.set_ylabel("exact match (%)")
    ax.set_ylim(0, 101)
    ax.set_title("Reversing a string: what attention buys", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, path)


def run_g2p(args: argparse.Namespace) -> dict[str, Any]:
    test = catalog.load("cmudict", "test", data_dir=args.data_dir)
    every = max(1, len(test) // args.g2p_test)
    subset = test[::every][: args.g2p_test]  # a fixed, spread-out subset: beam search is slow
    out = {}
    for name in args.models:
        attention = _attention(name)
        model = train("g2p", attention, args)
        rows = {}
        for beam in (1, 5):
            started = time.perf_counter()
            found = dict(model.evaluate(subset, beam=beam))
            found["seconds"] = round(time.perf_counter() - started, 1)
            rows[f"beam{beam}"] = found
        out[name] = {**used(model), **rows}
        if args.figures and attention is not None:
            model.plot_attention("recurrent", args.figures / "seq2seq-attention-word.png")
            out[name]["recurrent"] = model.translate("recurrent", beam=5)
    return {"test_words": len(subset), "models": out}


def _attention(name: str) -> str | None:
    return None if name == "none" else name


def combined(paths: list[Path]) -> dict[str, Any]:
    """One report from the reports of separate runs (one model each): their tasks' models side
    by side, the first report's other fields kept."""
    reports = [json.loads(path.read_text()) for path in paths]
    out: dict[str, Any] = {"machine": reports[0]["machine"], "combined": [str(p) for p in paths]}
    for report in reports:
        for task in (t for t in MINUTES if t in report):
            part = report[task]
            if "models" not in part:  # dates: a single model, taken as it is
                out[task] = part
                continue
            mine = out.setdefault(task, {**part, "models": {}})
            mine["models"].update(part["models"])
    return out


def table(report: dict[str, Any]) -> None:
    if "dates" in report:
        d = report["dates"]
        print(
            f"\ndates ({d['steps']} steps, {d['train_seconds']:.0f} s): exact match "
            f"{d['exact_match']:.4f} on {d['pairs']} test pairs"
        )
    if "reverse" in report:
        labels = [f"{lo}-{hi}" for lo, hi in LENGTH_BINS]
        print("\nreverse: exact match by source length")
        print(
            f"{'model':<10}{'steps':>7}{'s':>6}" + "".join(f"{k:>8}" for k in labels) + "  diagonal"
        )
        for name, m in report["reverse"]["models"].items():
            diag = f"{m['diagonal']:.4f}" if m["diagonal"] is not None else "-"
            cells = "".join(f"{m['exact_match'][k]:>8.4f}" for k in labels)
            print(f"{name:<10}{m['steps']:>7}{m['train_seconds']:>6.0f}{cells}  {diag}")
    if "g2p" in report:
        g = report["g2p"]
        print(f"\nG2P on cmudict ({g['test_words']} test words)")
        print(f"{'model':<10}{'steps':>7}{'s':>6}{'beam':>5}{'WER':>9}{'PER':>9}{'seconds':>9}")
        for name, m in g["models"].items():
            for beam in (1, 5):
                row = m[f"beam{beam}"]
                print(
                    f"{name:<10}{m['steps']:>7}{m['train_seconds']:>6.0f}{beam:>5}"
                    f"{row['word_error_rate']:>9.4f}{row['token_error_rate']:>9.4f}"
                    f"{row['seconds']:>9.1f}"
                )


def join(args: argparse.Namespace) -> None:
    """``--combine``: one table, one JSON and the reversal's plot from separate runs."""
    report = combined(args.combine)
    if args.figures and "reverse" in report:
        args.figures.mkdir(parents=True, exist_ok=True)
        plot_by_length(report["reverse"]["models"], args.figures / "seq2seq-reverse.png")
    write_report(report, args.out)
    table(report)


def _setting(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=JSON, got {text!r}")
    return name, json.loads(value)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--tasks", nargs="+", choices=sorted(MINUTES), default=["dates", "reverse", "g2p"]
    )
    p.add_argument("--scale", type=float, default=1.0, help="Fraction of the issue's budgets.")
    p.add_argument("--steps", type=int, default=None, help="Steps per model instead of minutes.")
    p.add_argument(
        "--models", nargs="+", choices=("bahdanau", "luong", "none"), default=list(MODELS)
    )
    p.add_argument("--hidden", type=int, default=None, help="Default: Seq2Seq()'s.")
    p.add_argument("--embed", type=int, default=None, help="Default: Seq2Seq()'s.")
    p.add_argument(
        "--set",
        action="append",
        type=_setting,
        metavar="NAME=JSON",
        help="A Seq2Seq argument for every model, e.g. dropout=0.3 or input_feeding=false.",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's).")
    p.add_argument("--g2p-test", type=int, default=2000, help="Test words scored (a fixed subset).")
    p.add_argument("--data-dir", type=Path, default=None, help="Mirror holding cmudict/.")
    p.add_argument("--figures", type=Path, default=None, help="Folder for the PNGs (e.g. docs).")
    p.add_argument("--out", type=Path, default=HERE / "results" / "seq2seq.json")
    p.add_argument(
        "--combine", nargs="+", type=Path, default=None, help="Join these runs' JSON, no training."
    )
    p.add_argument(
        "--note", default="", help="Recorded beside the figures (e.g. a shared machine)."
    )
    args = p.parse_args(argv)
    if args.combine:
        join(args)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "note": args.note,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    runs = {"dates": run_dates, "reverse": run_reverse, "g2p": run_g2p}
    for task in args.tasks:
        print(f"{task} ...", flush=True)
        report[task] = runs[task](args)
        write_report(report, args.out)  # after each task, so a long run keeps what it measured
    table(report)


if __name__ == "__main__":
    main()
