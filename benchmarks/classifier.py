"""IMDB sentiment benchmark: rnnkit's TextClassifier on the official 25k / 25k split.

Everything that learns is timed and counted in the budget: word2vec pretraining on the training
reviews (``--vectors``; with ``--unsup`` also on the 50,000 unlabelled ones), language-model
pretraining (``--lm-minutes``, ULMFiT), the classifier's training and validations, and the
TF-IDF + logistic-regression baseline (``--baseline`` / ``blend`` in ``--settings``). A tenth of
the training reviews is held out for validation (best weights, the baseline's C, the blend
weight); the test split is read once, at the end. Test accuracy is reported for the network
alone, the baseline alone, and what the classifier predicts (the blend, when chosen).

    RNNKIT_DATA=../shared/data python benchmarks/classifier.py --minutes 20 --vectors --unsup \\
        --settings '{"blend": true}'
    ... --epochs 4 ...     # a budget in passes over the training reviews instead
    ... --planned          # no budget: what TextClassifier().fit(data) plans by itself

Prints a table and writes JSON (default benchmarks/results/classifier.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit import TextClassifier, WordLM, WordVectors
from rnnkit.data import catalog
from rnnkit.data.labelled import read_labelled, write_lm_corpus
from rnnkit.data.tokenize import EOS, Tokenizer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def unlabelled_texts(train_texts: list[str], unsup: bool) -> list[str]:
    """The reviews pretraining may read: the training split, plus the unlabelled reviews."""
    extra = [row["text"] for row in catalog.load("imdb-unsup", "unsup")] if unsup else []
    return list(train_texts) + extra


def pretrain_vectors(texts: list[str], dim: int, epochs: int, folder: Path) -> dict[str, Any]:
    """word2vec (skip-gram) on the reviews, read as the classifier reads them; saved for the
    classifier's embedding."""
    reading = Tokenizer("text", lowercase=True)
    tokens = [[t for t in reading.split(text) if t != EOS] for text in texts]
    wv = WordVectors.train(tokens, dim=dim, epochs=epochs, min_count=2, lowercase=False)
    wv.save(folder)
    return {"words": wv.card.get("corpus", {}).get("words"), "vocabulary": len(wv), "dim": dim}


def pretrain_lm(texts: list[str], minutes: float, settings: dict, folder: Path) -> dict:
    """A word LM on the reviews, one review per line, read as the classifier reads them."""
    corpus = write_lm_corpus(texts, folder.with_suffix(".txt"))
    lm = WordLM(**{"tokenizer": "text", "lowercase": True, **settings})
    lm.fit(corpus, minutes=minutes, quiet=False)
    lm.save(folder)
    stats = lm.info()["stats"]
    return {"steps": stats["steps"], "best_val_loss": stats["best_val_loss"], "settings": settings}


def _budget(args: argparse.Namespace) -> dict[str, Any]:
    """fit's budget: epochs, minutes, or none (``--planned``: what fit plans by itself)."""
    if args.planned:
        return {}
    return {"epochs": args.epochs} if args.epochs else {"minutes": args.minutes}


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(args.settings)
    train = read_labelled("imdb")
    if args.train_limit:
        rows = np.random.default_rng(0).permutation(len(train))[: args.train_limit]
        train = type(train)([train.texts[i] for i in rows], [train.labels[i] for i in rows], "imdb")
    stages: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnnkit-imdb-") as tmp:
        if args.vectors or args.lm_minutes:
            t = time.perf_counter()
            texts = unlabelled_texts(train.texts, args.unsup)
            if args.vectors:
                stages["vectors"] = pretrain_vectors(
                    texts, settings.get("embed_size", 100), args.vectors_epochs, Path(tmp, "wv")
                )
                settings["embeddings"] = str(Path(tmp, "wv"))
            if args.lm_minutes:
                lm_settings = json.loads(args.lm_settings)
                stages["lm"] = pretrain_lm(texts, args.lm_minutes, lm_settings, Path(tmp, "lm"))
                settings["lm"] = str(Path(tmp, "lm"))
            stages["pretraining_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        budget = _budget(args)
        clf = TextClassifier(**settings).fit(train.texts, train.labels, **budget)
        stages["classifier_s"] = round(time.perf_counter() - t, 1)
        total = time.perf_counter() - started
        test = read_labelled("imdb:test")
        if args.test_limit:  # a random sample: the split is ordered by label
            rows = np.random.default_rng(1).permutation(len(test))[: args.test_limit]
            test = type(test)([test.texts[i] for i in rows], [test.labels[i] for i in rows], "t")
        t = time.perf_counter()
        report = clf.evaluate(test.texts, test.labels)
        predict_s = time.perf_counter() - t
    info = clf.info()
    return {
        "name": args.name,
        "settings": settings | {"embeddings": bool(args.vectors), "lm": bool(args.lm_minutes)},
        "budget": budget or {"planned": info["plan"]},
        "train_reviews": len(train),
        "training_wall_s": round(total, 1),
        "stages": stages,
        "parameters": info["parameters"],
        "steps": info["stats"]["steps"],
        "validation_accuracy": info.get("validation_accuracy")
        or {"network": info["stats"]["last_val_accuracy"]},
        "blend_weight": info["blend_weight"],
        "test_accuracy": report["accuracy"],
        "test_macro_f1": report["macro_f1"],
        "test_components": report.get("components", {}),
        "test_reviews": report["texts"],
        "predict_reviews_per_s": round(report["texts"] / predict_s, 1),
        "history": info["stats"]["history"],
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=20.0, help="The classifier's training budget.")
    p.add_argument("--epochs", type=float, help="Budget in epochs instead (the schedule fits it).")
    p.add_argument(
        "--planned", action="store_true", help="No budget: the run fit(data) plans by itself."
    )
    p.add_argument("--settings", default="{}", help="TextClassifier settings, as JSON.")
    p.add_argument("--vectors", action="store_true", help="Pretrain word2vec embeddings.")
    p.add_argument("--vectors-epochs", type=int, default=5)
    p.add_argument("--unsup", action="store_true", help="Pretrain on the unlabelled reviews too.")
    p.add_argument("--lm-minutes", type=float, default=0.0, help="Pretrain a word LM (ULMFiT).")
    p.add_argument(
        "--lm-settings", default='{"cell": "lstm", "hidden_size": 256, "embed_size": 100}'
    )
    p.add_argument("--train-limit", type=int, help="Train on N reviews only (a quick check).")
    p.add_argument("--test-limit", type=int, help="Score N test reviews only (a quick check).")
    p.add_argument("--name", default="rnnkit")
    p.add_argument("--json-out", type=Path, default=HERE / "results" / "classifier.json")
    args = p.parse_args(argv)
    result = run(args)
    print(
        f"\n{'run':<24} {'wall s':>7} {'steps':>6} {'val acc':>8} {'test acc':>9} "
        f"{'network':>8} {'baseline':>9} {'macro-F1':>9}"
    )
    parts = result["test_components"]
    print(
        f"{result['name']:<24} {result['training_wall_s']:>7.0f} {result['steps']:>6} "
        f"{max(result['validation_accuracy'].values()):>8.4f} {result['test_accuracy']:>9.4f} "
        f"{parts.get('network', result['test_accuracy']):>8.4f} "
        f"{parts.get('baseline', float('nan')):>9.4f} {result['test_macro_f1']:>9.4f}"
    )
    write_report({"machine": machine(), "runs": [result]}, args.json_out)


if __name__ == "__main__":
    main()
