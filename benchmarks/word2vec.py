"""word2vec benchmark: rnnkit's WordVectors.train against calling gensim directly.

Each corpus (the text8 head; WikiText-2's train split from the dataset registry) is first written
once, lowercased, in gensim's LineSentence format. gensim then trains on that file directly
(``Word2Vec(corpus_file=...)``) and rnnkit trains on the same file (``WordVectors.train(file)``)
with the same settings and workers. rnnkit's time is its whole call, including its own pass over
the file (read, normalise, rewrite), so the ratio is the wrapper's whole overhead. The two run
alternately ``--repeats`` times and the best time of each is compared (the least disturbed by
other load on the machine). Both vector sets are then scored: analogy accuracy on gensim's
questions-words.txt (top 30,000 words) and Spearman correlation on WordSim-353.

    python benchmarks/word2vec.py                      # text8 head + WikiText-2, full
    python benchmarks/word2vec.py --max-words 300000 --workers 1 --repeats 1   # a quick check

Prints a table and writes JSON (default benchmarks/results/word2vec.json).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gensim
from gensim.models import Word2Vec
from gensim.models.word2vec_inner import FAST_VERSION

from rnnkit.embed.sentences import write_sentences
from rnnkit.embed.settings import Settings
from rnnkit.embed.vectors import WordVectors

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def time_gensim(path: Path, settings: Settings) -> tuple[float, Any]:
    """Wall seconds of gensim's own vocabulary scan + training on ``path``, and its vectors."""
    start = time.perf_counter()
    model = Word2Vec(corpus_file=str(path), **settings.gensim_kwargs())
    return time.perf_counter() - start, model.wv


def time_rnnkit(path: Path, settings: Settings) -> tuple[float, WordVectors]:
    """Wall seconds of the whole ``WordVectors.train`` call on ``path``, and its vectors."""
    start = time.perf_counter()
    wv = WordVectors.train(path, settings, quiet=True)
    return time.perf_counter() - start, wv


def scores(wv: WordVectors) -> dict[str, Any]:
    """Analogy accuracy (overall, semantic, syntactic, coverage) and WordSim-353 Spearman."""
    result = wv.evaluate()
    a, p = result["analogies"], result["word_pairs"]
    return {
        "analogy_accuracy": a["accuracy"],
        "analogy_semantic": a["semantic"]["accuracy"],
        "analogy_syntactic": a["syntactic"]["accuracy"],
        "analogy_answered": a["answered"],
        "analogy_questions": a["questions"],
        "wordsim_spearman": p["spearman"],
        "wordsim_oov_percent": p["oov_percent"],
        "sections": a["sections"],
    }


def run_corpus(
    name: str, source: str, settings: Settings, args: argparse.Namespace
) -> dict[str, Any]:
    """Prepare ``source`` once, then time and score gensim and rnnkit on the same file."""
    with tempfile.TemporaryDirectory(prefix="w2v-bench-") as tmp:
        path = Path(tmp) / f"{name}.txt"
        stats = write_sentences(
            source, path, lowercase=True, max_words=args.max_words, data_dir=args.data_dir
        )
        times: dict[str, list[float]] = {"gensim": [], "rnnkit": []}
        for i in range(args.repeats):
            print(f"  {name}: run {i + 1}/{args.repeats}", file=sys.stderr, flush=True)
            seconds, kv = time_gensim(path, settings)
            times["gensim"].append(seconds)
            seconds, wv = time_rnnkit(path, settings)
            times["rnnkit"].append(seconds)
    words = stats.words * settings.epochs
    best = {k: min(v) for k, v in times.items()}
    return {
        "corpus": name,
        "source": source,
        "words": stats.words,
        "vocab": len(wv),
        "seconds": times,
        "gensim_words_per_s": words / best["gensim"],
        "rnnkit_words_per_s": words / best["rnnkit"],
        "overhead": best["rnnkit"] / best["gensim"] - 1,
        "overhead_median": _median_ratio(times) - 1,
        # One worker and the same seed: the wrapper must give gensim's vectors bit for bit.
        "identical_vectors": bool((wv.keyed_vectors.vectors == kv.vectors).all())
        if settings.workers == 1
        else None,
        "rnnkit_phases_s": {k: wv.card[f"{k}_seconds"] for k in ("prepare", "vocab", "training")},
        "rnnkit_scores": None if args.no_eval else scores(wv),
        "gensim_scores": None if args.no_eval else scores(WordVectors(kv)),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'corpus':<10}{'words':>11}{'vocab':>8}{'gensim w/s':>12}{'rnnkit w/s':>12}"
        f"{'overhead':>10}{'analogy':>9}{'sem':>7}{'syn':>7}{'ws353':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        s = r["rnnkit_scores"] or {}
        print(
            f"{r['corpus']:<10}{r['words']:>11,}{r['vocab']:>8,}{r['gensim_words_per_s']:>12,.0f}"
            f"{r['rnnkit_words_per_s']:>12,.0f}{r['overhead']:>+10.1%}"
            f"{_pct(s.get('analogy_accuracy')):>9}{_pct(s.get('analogy_semantic')):>7}"
            f"{_pct(s.get('analogy_syntactic')):>7}{_num(s.get('wordsim_spearman')):>7}"
        )
    for r in rows:
        if r["gensim_scores"] is not None:  # a check that the wrapper changes nothing
            g = r["gensim_scores"]
            print(
                f"{r['corpus']:<10} gensim's own vectors: analogy {_pct(g['analogy_accuracy'])},"
                f" WordSim-353 Spearman {_num(g['wordsim_spearman'])}"
            )


def _median_ratio(times: dict[str, list[float]]) -> float:
    return statistics.median(times["rnnkit"]) / statistics.median(times["gensim"])


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text8", type=Path, default=SHARED / "text8" / "text8_head.txt.gz")
    ap.add_argument("--no-text8", action="store_true", help="skip the text8 corpus")
    ap.add_argument("--no-wikitext2", action="store_true", help="skip WikiText-2")
    ap.add_argument(
        "--data-dir", type=Path, help="dataset mirror for wikitext2 [RNNKIT_DATA, else shared/data]"
    )
    ap.add_argument("--max-words", type=int, help="only the first N words of each corpus")
    ap.add_argument("--no-eval", action="store_true", help="timing only: skip the scores")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each (best counts)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--arch", choices=("skipgram", "cbow"), default="skipgram")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json-out", type=Path, default=HERE / "results" / "word2vec.json")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    args.data_dir = args.data_dir or os.environ.get("RNNKIT_DATA") or SHARED
    settings = Settings(
        architecture=args.arch,
        dim=args.dim,
        window=args.window,
        min_count=args.min_count,
        epochs=args.epochs,
        workers=args.workers,
        seed=args.seed,
    )
    corpora = [] if args.no_text8 else [("text8", str(args.text8))]
    corpora += [] if args.no_wikitext2 else [("wikitext2", "wikitext2")]
    rows = [run_corpus(name, source, settings, args) for name, source in corpora]
    report = {
        "machine": {**machine(), "gensim": gensim.__version__, "gensim_fast": FAST_VERSION},
        "settings": asdict(settings),
        "max_words": args.max_words,
        "repeats": args.repeats,
        "corpora": rows,
    }
    print_table(rows)
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
