"""Which work of Shakespeare is a passage from? The protocols of issue 15.

``work`` (a) work identification: for each passage length a :class:`~rnnkit.TextClassifier` is
trained on the ``train`` passages of ``shakespeare-works`` (validated on its own ``validation``
split) with a character n-gram TF-IDF + logistic-regression baseline beside it, and scored once
on the ``test`` passages: accuracy, macro-F1 and top-5 accuracy of the recurrent network alone,
of the baseline alone, and of what the classifier predicts (the blend, when its validation chose
one). Every work that has passages at a length takes part (the shortest poems have none at the
longer lengths). The same test passages re-typeset as another edition would print them
(lowercase, ASCII punctuation, lines rejoined and broken again, all three; speaker names are
gone already) are scored beside them.

``genre`` (b) genre with whole works held out: the 38 plays dealt into ``--folds`` folds
(:func:`~rnnkit.data.works.folds`); for each fold the baseline learns the 4 dramatic genres
from the other folds' train passages (C chosen on their validation passages) and labels every
passage of the held-out works; the predictions of all folds are scored together. Verse vs drama
the same way, over all 44 works, by logistic regression on each passage's line structure
(:mod:`rnnkit.classify.lines`: rhyme, line lengths), which n-grams within words do not see.
Both weigh every class the same in the loss (a genre of 5 works beside one of 12; 6 works of
verse beside 38 plays).

``leak`` the baseline trained and tested on the raw view (speaker prefixes, stage directions,
headings) against the clean view, same blocks, each tested on both; and the clean one on the
test passages re-typeset (the edition check without a network), beside one that reads the
clean view folded (lowercase, ASCII punctuation, whitespace as single spaces), as
``TextClassifier(fold_editions=True)`` reads text.

    python benchmarks/works.py --protocols work genre leak --lengths 200 500 2000 --minutes 20

or protocol (a) one length per process (one core each, so two lengths can run at once; long
passages read as chunks of 250 characters side by side):

    python benchmarks/works.py --protocols work --lengths 200 --minutes 20 \
        --json-out benchmarks/results/works_200_20min.json
    python benchmarks/works.py --protocols work --lengths 2000 --minutes 20 \
        --settings '{"chunk_tokens": 250, "batch_size": 16}' \
        --json-out benchmarks/results/works_2000_20min.json

Prints a table per protocol, writes JSON (default benchmarks/results/works.json) and a
confusion-matrix PNG per protocol and length beside it. The training budget counts the
network's training; the baseline's fit and the validations come on top (the seconds_total
column has everything).
"""

from __future__ import annotations

import argparse
import json
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from rnnkit import TextClassifier
from rnnkit.classify.baseline import DEFAULT_CS, TfidfLogReg
from rnnkit.classify.lines import LineLogReg
from rnnkit.classify.reports import classification_report, plot_confusion
from rnnkit.data.works import (
    DRAMA,
    EDITIONS,
    SPLITS,
    folded,
    folds,
    form,
    passages,
    records,
    retypeset,
)

HERE = Path(__file__).resolve().parent
PROTOCOLS = ("work", "genre", "leak")
PARTS = ("network", "baseline", "classifier")
GENRE_TASKS = ("genre", "verse vs drama")
#: The leak protocol's views of the passages: clean, raw (speaker names and all), folded.
VIEWS = ("clean", "raw", "folded")
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


def run_work(length: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Protocol (a) at one length, and the same test passages re-typeset."""
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
        logps = parts(clf, texts)
        found = {name: scores(logp, truth, clf.classes_) for name, logp in logps.items()}
        editions = {
            edition: {
                name: scores(logp, truth, clf.classes_)
                for name, logp in parts(clf, [retypeset(t, edition) for t in texts]).items()
            }
            for edition in EDITIONS
        }
    predicted = [clf.classes_[int(i)] for i in logps["classifier"].argmax(dim=1)]
    figure = confusion(args, "work", length, truth, predicted, clf.classes_)
    stats = clf.info()["stats"]
    row = {
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
        "editions": editions,
        "confusion_png": figure,
    }
    return [row]


def confusion(
    args: argparse.Namespace,
    task: str,
    length: int,
    truth: list[Any],
    predicted: list[Any],
    classes: list[Any],
) -> str:
    """Draw the confusion matrix beside the JSON; returns the PNG's file name."""
    path = args.json_out.with_name(f"{args.json_out.stem}_{task.replace(' ', '_')}_{length}.png")
    matrix = np.array(classification_report(truth, predicted, classes)["confusion"])
    # Full titles would crowd the axes; string.capwords, unlike str.title, keeps "Lover's".
    names = [string.capwords(str(c).lower())[:28] for c in classes]
    plot_confusion(matrix, names, path, f"{task}, {length} chars: {len(truth)} passages")
    return path.name


def fit_baseline(
    train: list[dict[str, Any]],
    val: list[dict[str, Any]],
    key: Any,
    cs: list[float],
    balanced: Literal["balanced"] | None = None,
) -> TfidfLogReg:
    """The char n-gram baseline on records labelled by ``key(record)``, C chosen on ``val``
    (``balanced``: every class weighs the same in the loss, however few its passages)."""
    base = TfidfLogReg(analyzer="char_wb", Cs=cs, class_weight=balanced)
    return base.fit(
        [r["text"] for r in train],
        [key(r) for r in train],
        [r["text"] for r in val],
        [key(r) for r in val],
    )


def fit_lines(train: list[dict[str, Any]], val: list[dict[str, Any]], key: Any) -> LineLogReg:
    """Logistic regression on the passages' line structure (rhyme, line lengths; classes
    balanced), C chosen on ``val``: verse vs drama, which character n-grams read poorly."""
    return LineLogReg().fit(
        [r["text"] for r in train],
        [key(r) for r in train],
        [r["text"] for r in val],
        [key(r) for r in val],
    )


def baseline_scores(base: TfidfLogReg, rows: list[dict[str, Any]], key: Any) -> dict[str, float]:
    """Accuracy, macro-F1 and top-5 of the baseline on ``rows`` of classes it knows."""
    classes = list(base.classes_ if base.classes_ is not None else [])
    rows = [r for r in rows if key(r) in classes]
    logp = torch.from_numpy(base.decision_function([r["text"] for r in rows]))
    return {**scores(logp, [key(r) for r in rows], classes), "passages": len(rows)}


def run_genre(length: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Protocol (b) at one length: genre of the plays, and verse vs drama, works held out."""
    everything = {split: records(split, length) for split in SPLITS}
    tasks = (
        ("genre", DRAMA, lambda r: r["genre"]),
        ("verse vs drama", None, lambda r: form(r["genre"])),
    )
    models: dict[str, Callable[..., TfidfLogReg | LineLogReg]] = {
        "genre": lambda train, val, key: fit_baseline(train, val, key, args.cs, "balanced"),
        "verse vs drama": fit_lines,
    }
    rows = []
    for task, genres, key in (t for t in tasks if t[0] in args.genre_tasks):
        started = time.perf_counter()
        truth: list[str] = []
        predicted: list[str] = []
        for held in folds(args.folds, genres):
            inside = {w for fold in folds(args.folds, genres) for w in fold} - set(held)
            train, val = ([r for r in everything[s] if r["title"] in inside] for s in SPLITS[:2])
            tested = [r for s in SPLITS for r in everything[s] if r["title"] in held]
            base = models[task](train, val, key)
            truth += [key(r) for r in tested]
            predicted += base.predict([r["text"] for r in tested]).tolist()
        classes = sorted(set(truth) | set(predicted))
        report = classification_report(truth, predicted, classes)
        majority = max(truth.count(c) for c in classes) / len(truth)
        rows.append(
            {
                "task": task,
                "passage_chars": length,
                "works": len({t for fold in folds(args.folds, genres) for t in fold}),
                "folds": args.folds,
                "passages": len(truth),
                "accuracy": report["accuracy"],
                "macro_f1": report["macro_f1"],
                "majority_class": majority,
                "per_class_f1": {c: v["f1"] for c, v in report["per_class"].items()},
                "seconds_total": round(time.perf_counter() - started, 1),
                "confusion_png": confusion(args, task, length, truth, predicted, classes),
            }
        )
    return rows


def run_leak(length: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The baseline on the raw view (speaker prefixes and all) against the clean view, each
    tested on both; those that read clean text (the clean view, and the clean view folded as
    ``fold_editions`` reads it) also on the test passages re-typeset."""
    started = time.perf_counter()
    views = {
        view: {split: _view(records(split, length, view != "raw"), view) for split in SPLITS}
        for view in args.views
    }
    clean_test = records("test", length)
    row: dict[str, Any] = {"passage_chars": length, "views": list(views)}
    for trained in views:
        base = fit_baseline(views[trained]["train"], views[trained]["validation"], _title, args.cs)
        for tested in views:
            found = baseline_scores(base, views[tested]["test"], _title)
            row |= {f"{trained}_on_{tested}_{k}": v for k, v in found.items()}
        if trained == "raw":
            continue
        for edition in EDITIONS:  # the edition check: the same test passages, re-typeset
            retyped = [r | {"text": retypeset(r["text"], edition)} for r in clean_test]
            found = baseline_scores(base, _view(retyped, trained), _title)
            row |= {f"{trained}_on_{edition}_{k}": v for k, v in found.items()}
    row["seconds_total"] = round(time.perf_counter() - started, 1)
    return [row]


def _view(rows: list[dict[str, Any]], view: str) -> list[dict[str, Any]]:
    """Records as a view reads them: ``folded`` ones as ``fold_editions`` does."""
    return [r | {"text": folded(r["text"])} for r in rows] if view == "folded" else rows


def _title(record: dict[str, Any]) -> str:
    return str(record["title"])


def work_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'chars':>6} {'works':>5} {'test':>6} {'min':>5} | " + " | ".join(
        f"{name:^23}" for name in PARTS
    )
    sub = f"{'':>6} {'':>5} {'':>6} {'':>5} | " + " | ".join(
        f"{'acc':>7}{'F1':>7}{'top5':>8} " for _ in PARTS
    )
    lines = [head, sub, "-" * len(head)]
    for r in rows:
        minutes = r["seconds_total"] / 60
        lines.append(
            f"{r['passage_chars']:>6} {r['works']:>5} {r['test_passages']:>6} {minutes:>5.1f} | "
            + _cells(
                {n: {k: r.get(f"{n}_{k}") for k in ("accuracy", "macro_f1", "top5")} for n in PARTS}
            )
        )
    return "\n".join(lines)


def edition_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'chars':>6} {'edition':>11} | " + " | ".join(f"{name:^23}" for name in PARTS)
    lines = [head, "-" * len(head)]
    for r in rows:
        clean = {n: {k: r.get(f"{n}_{k}") for k in ("accuracy", "macro_f1", "top5")} for n in PARTS}
        for edition, found in {"clean": clean, **r["editions"]}.items():
            lines.append(f"{r['passage_chars']:>6} {edition:>11} | " + _cells(found))
    return "\n".join(lines)


def _cells(found: dict[str, dict[str, Any]]) -> str:
    """Accuracy, macro-F1 and top-5 of each part, blank where a part is missing."""
    nan = float("nan")
    return " | ".join(
        "".join(
            f"{(found.get(n) or {}).get(k) or nan:>{w}.3f}"
            for k, w in (("accuracy", 7), ("macro_f1", 7), ("top5", 8))
        )
        + " "
        for n in PARTS
    )


def genre_table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'task':>15} {'chars':>6} {'works':>5} {'passages':>8} {'acc':>7} {'F1':>7} {'major':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['task']:>15} {r['passage_chars']:>6} {r['works']:>5} {r['passages']:>8} "
            f"{r['accuracy']:>7.3f} {r['macro_f1']:>7.3f} {r['majority_class']:>7.3f}"
        )
    return "\n".join(lines)


def baseline_edition_table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'chars':>6} {'trained on':>10} {'test passages':>13} | {'acc':>7} {'F1':>7} {'top5':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        for trained in (v for v in r["views"] if v != "raw"):
            for tested in (trained, *EDITIONS):
                cells = " ".join(
                    f"{r[f'{trained}_on_{tested}_{k}']:>7.3f}"
                    for k in ("accuracy", "macro_f1", "top5")
                )
                lines.append(f"{r['passage_chars']:>6} {trained:>10} {tested:>13} | {cells}")
    return "\n".join(lines)


def leak_table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        views = r["views"]
        head = f"{'chars':>6} {'trained on':>10} | " + " | ".join(
            f"{f'{v} test acc / F1':>20}" for v in views
        )
        lines += [head, "-" * len(head)]
        for trained in views:
            cells = " | ".join(
                f"{r[f'{trained}_on_{t}_accuracy']:>10.3f} / {r[f'{trained}_on_{t}_macro_f1']:.3f}"
                for t in views
            )
            lines.append(f"{r['passage_chars']:>6} {trained:>10} | {cells}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocols", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS))
    parser.add_argument("--lengths", type=int, nargs="+", default=[200, 500, 2000])
    parser.add_argument("--minutes", type=float, default=20.0, help="Network training budget.")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--settings", default="{}", help="More TextClassifier settings (JSON).")
    parser.add_argument("--folds", type=int, default=5, help="Folds of works, protocol (b).")
    parser.add_argument(
        "--genre-tasks",
        nargs="+",
        choices=GENRE_TASKS,
        default=list(GENRE_TASKS),
        help="Protocol (b)'s tasks: genre (char n-grams), verse vs drama (line structure).",
    )
    parser.add_argument(
        "--cs",
        type=float,
        nargs="+",
        default=list(DEFAULT_CS),
        help="The baseline's C values tried on validation (genre and leak protocols).",
    )
    parser.add_argument(
        "--views",
        nargs="+",
        choices=VIEWS,
        default=list(VIEWS),
        help="The views the leak protocol trains and tests the baseline on.",
    )
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "works.json")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine()}
    runs: dict[str, Callable[[int, argparse.Namespace], list[dict[str, Any]]]] = {
        "work": run_work,
        "genre": run_genre,
        "leak": run_leak,
    }
    tables = {"work": work_table, "genre": genre_table, "leak": leak_table}
    for protocol in args.protocols:
        rows = [row for length in args.lengths for row in runs[protocol](length, args)]
        report[protocol] = rows
        print(f"\n{protocol}\n" + tables[protocol](rows))
        if protocol == "work":
            print("\nedition (the same test passages re-typeset)\n" + edition_table(rows))
        if protocol == "leak":
            print("\nedition, the baselines that read clean text\n" + baseline_edition_table(rows))
    report["chance_note"] = "work: chance = 1 / works present at that length"
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
