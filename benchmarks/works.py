"""Which work of Shakespeare is a passage from? Protocol (a) of issue 15, work identification.

For each passage length, a :class:`~rnnkit.TextClassifier` is trained on the ``train`` passages
of ``shakespeare-works`` (validated on its own ``validation`` split) with a character n-gram
TF-IDF + logistic-regression baseline beside it, and scored once on the ``test`` passages:
accuracy, macro-F1 and top-5 accuracy of the recurrent network alone, of the baseline alone, and
of what the classifier predicts (the blend, when its validation chose one). Every work that has
passages at a length takes part (the shortest poems have none at the longer lengths).

    python benchmarks/works.py --lengths 200 500 2000 --minutes 20 --level char

Prints a table and writes JSON (default benchmarks/results/works.json). The training budget
counts the network's training; the baseline's fit and the validations come on top (the
seconds_total column has everything).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from rnnkit import TextClassifier
from rnnkit.classify.reports import classification_report
from rnnkit.data.works import passages

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def scores(logp: Tensor, truth: list[Any], classes: list[Any]) -> dict[str, float]:
    """Accuracy, macro-F1 and top-5 accuracy of log-probabilities [N, C] (columns: classes)."""
    predicted = [classes[int(i)] for i in logp.argmax(dim=1)]
    report = classification_report(truth, predicted, classes)
    index = {c: i for i, c in enumerate(classes)}
    top5 = logp.topk(min(5, len(classes)), dim=1).indices
    hits = [index[t] in row.tolist() for t, row in zip(truth, top5, strict=True)]
    return {
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "top5": sum(hits) / len(hits),
    }


def parts(clf: TextClassifier, texts: list[str]) -> dict[str, Tensor]:
    """Log-probabilities of the network alone, the baseline alone, and the classifier."""
    encoded = clf._reader().encode(texts)
    net = clf._net_log_proba(encoded.seqs)
    out = {"network": net, "classifier": clf._combined(net, encoded)}
    if clf.blend_ is not None:
        out["baseline"] = clf.blend_.log_proba(encoded.docs, len(clf.classes_))
    return out


def run_length(length: int, args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = {"level": args.level, "blend": True, **json.loads(args.settings)}
    started = time.perf_counter()
    clf = TextClassifier(**settings).fit(
        "shakespeare-works", target="work", passage_chars=length, minutes=args.minutes
    )
    seconds = time.perf_counter() - started
    test = passages("test", length, target="work")
    known = [i for i, label in enumerate(test.labels) if label in clf.classes_]
    texts = [test.texts[i] for i in known]
    truth = [test.labels[i] for i in known]
    with torch.inference_mode():
        found = {
            name: scores(logp, truth, clf.classes_) for name, logp in parts(clf, texts).items()
        }
    stats = clf.info()["stats"]
    return {
        "passage_chars": length,
        "works": len(clf.classes_),
        "train_passages": clf.info()["data"]["train"],
        "test_passages": len(texts),
        "chance": 1 / len(clf.classes_),
        "steps": stats["steps"],
        "train_seconds": stats["elapsed_s"],
        "seconds_total": round(seconds, 1),
        "blend_weight": clf.blend_weight_,
        "settings": settings,
        **{f"{name}_{k}": v for name, part in found.items() for k, v in part.items()},
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = f"{'chars':>6} {'works':>5} {'test':>6} {'min':>5} | " + " | ".join(
        f"{name:^23}" for name in ("network", "baseline", "classifier")
    )
    sub = f"{'':>6} {'':>5} {'':>6} {'':>5} | " + " | ".join(
        f"{'acc':>7}{'F1':>7}{'top5':>8} " for _ in range(3)
    )
    lines = [head, sub, "-" * len(head)]
    nan = float("nan")
    for r in rows:
        cells = " | ".join(
            "".join(
                f"{r.get(f'{n}_{k}', nan):>{w}.3f}"
                for k, w in (("accuracy", 7), ("macro_f1", 7), ("top5", 8))
            )
            + " "
            for n in ("network", "baseline", "classifier")
        )
        minutes = r["seconds_total"] / 60
        lines.append(
            f"{r['passage_chars']:>6} {r['works']:>5} {r['test_passages']:>6} {minutes:>5.1f} | "
            + cells
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[200, 500, 2000])
    parser.add_argument("--minutes", type=float, default=20.0, help="Network training budget.")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--settings", default="{}", help="More TextClassifier settings (JSON).")
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "works.json")
    args = parser.parse_args()
    rows = [run_length(length, args) for length in args.lengths]
    print(table(rows))
    report = {"protocol": "work identification (issue 15 a)", "rows": rows, "machine": machine()}
    report["chance_note"] = "chance = 1 / works present at that length"
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
