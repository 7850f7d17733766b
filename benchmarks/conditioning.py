"""Ask for a sonnet or a play scene: issue 16's targets for a character LM conditioned on the
genre of ``shakespeare-works``.

Two models get the same budget on the same text (the works' train blocks in the generation
view, documents in one seeded order): one conditioned on the genre, one not. The judges are
the char n-gram baseline (:class:`~rnnkit.classify.baseline.TfidfLogReg`, character 1- to
5-grams) trained on real train passages only, one by genre and one by form (sonnet / poem /
play); they read a sample as the clean view reads the works (speaker-name lines dropped), and
their accuracy on real test passages is the ceiling.

* samples per style, primed by the style alone, judged; the conditioned model's unconditioned
  samples (no style) are the floor;
* the label holds: the genre judged on characters 1,500-2,000 of long samples against the
  first 500;
* likelihood: test passages' bits/char, conditioned (true genre) against unconditioned, and how
  often the true genre scores best (``classify`` without and with the prior), beside the
  judge on the same passages;
* form: syllables per line of ``n_lines=14`` sonnet samples (a vowel-group count; the real
  sonnets' rate with the same counter), speaker prefixes, speaker turns in play samples;
* copying: samples that share an 80-character span with the training text;
* IMDB by sentiment: a char model conditioned on pos / neg, its samples judged by the word
  n-gram baseline trained on IMDB's train reviews (its test accuracy is the ceiling), and
  ``classify`` on held-out test reviews.

Every model has the same settings (:data:`SETTINGS`) and budget. Each can train in its own
process, so the two Shakespeare models can train at once on two cores, then one process
measures them all::

    python benchmarks/conditioning.py --train conditioned --minutes 20      # core 0
    python benchmarks/conditioning.py --train unconditioned --minutes 20    # core 1, meanwhile
    python benchmarks/conditioning.py --train imdb --minutes 20
    python benchmarks/conditioning.py --evaluate --samples 200

Without ``--train`` or ``--evaluate`` it trains whatever ``--models`` lacks, then measures.
Prints a table and writes JSON (default benchmarks/results/conditioning.json).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from rnnkit import CharLM
from rnnkit.classify.baseline import TfidfLogReg
from rnnkit.data import works
from rnnkit.data.labelled import read_labelled
from rnnkit.data.tokenize import EOS, Tokenizer
from rnnkit.lm import conditioning

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

DRAMA = ("comedy", "history", "tragedy", "romance")
#: A speaker's turn in the generation view: the name on its own line (``KING HENRY.``).
TURN = re.compile(r"^(?:\d\. ?)?[A-Z][A-Z'&. -]*\.$")
#: A speaker prefix anywhere: a turn line, or a name run into a line (``HAMLET. To be``).
PREFIX = re.compile(r"^(?:\d\. ?)?[A-Z][A-Z'&-]+(?: [A-Z][A-Z'&-]+)*\.(?:\s|$)")
VOWELS = re.compile(r"[aeiouy]+", re.IGNORECASE)
SPAN = 80
#: The judges' passages: as long as the samples they judge.
JUDGE_CHARS = 600
#: Validation characters of each training run (the held-out figures are measured apart).
VAL_CHARS = 50_000
WORKS = conditioning.WORKS
#: The models a run trains, each in its own process if asked (``--train NAME``).
MODELS = ("conditioned", "unconditioned", "imdb")
#: One setting for every model, so the conditioned and unconditioned ones differ only in the
#: label (chosen by the probes in docs/conditioning.md). Short validations: they do not count
#: against the budget, but they take wall time.
SETTINGS: dict[str, Any] = {
    "cell": "gru",
    "hidden_size": 512,
    "dropout": 0.1,
    "lr": 5e-3,
    "weight_decay": 0.1,
    "seq_len": 128,
    "batch_size": 32,
    "val_max_chars": VAL_CHARS,
    "evals": 5,
    "style_balance": 0.5,  # the conditioned run's documents, which the unconditioned reads too
}


def syllables(line: str) -> int:
    """A rough count: groups of vowels, less a silent final e ("love", not "the")."""
    words = re.findall(r"[A-Za-z']+", line)
    count = 0
    for word in words:
        groups = len(VOWELS.findall(word))
        silent = (
            word.lower().endswith("e") and not word.lower().endswith(("le", "ee")) and groups > 1
        )
        count += max(1, groups - silent)
    return count


def as_clean(text: str) -> str:
    """A sample as the judges read text: without its speaker-name lines."""
    return "\n".join(line for line in text.split("\n") if not TURN.match(line.strip()))


class Judging(NamedTuple):
    """How the judges are fitted: on every ``every``-th train passage, and with the classes
    weighted as balanced (each form or genre weighs as much in the loss, however rare)."""

    every: int
    balanced: bool


@functools.lru_cache(maxsize=8)
def judge(
    target: Callable[[str], str | None], how: Judging
) -> tuple[TfidfLogReg, float, dict[str, float]]:
    """A char n-gram judge on real train passages (labels: ``target`` of the genre; passages
    whose target is None left out), its accuracy on the real test passages (the ceiling) and
    its recall of each class there."""
    train = labelled(works.passages("train", JUDGE_CHARS, target="genre"), target, how.every)
    test = labelled(works.passages("test", JUDGE_CHARS, target="genre"), target, 1)
    weight: Any = "balanced" if how.balanced else None
    clf = TfidfLogReg(analyzer="char", class_weight=weight).fit(*train)
    found, truth = [str(x) for x in clf.predict(test[0])], test[1]
    recall = {
        c: share([f == c for f, t in zip(found, truth, strict=True) if t == c])
        for c in sorted(set(truth))
    }
    return clf, share([f == t for f, t in zip(found, truth, strict=True)]), recall


def labelled(
    passages: works.Passages, target: Callable[[str], str | None], every: int
) -> tuple[list[str], list[str]]:
    """Every ``every``-th passage whose genre has a ``target``, and that target."""
    pairs = [(t, target(g)) for t, g in zip(passages.texts, passages.labels, strict=True)]
    kept = [(t, y) for t, y in pairs[::every] if y is not None]
    return [t for t, _ in kept], [y for _, y in kept]


def form(genre: str) -> str:
    return works.FORMS.get(genre, "play")


def sonnet_or_play(genre: str) -> str | None:
    """The sonnet-vs-play target: the sonnets against the plays (the poems left out)."""
    return None if genre == "poem" else "sonnet" if genre == "sonnets" else "play"


def drama(genre: str) -> str | None:
    """The four dramatic genres alone."""
    return genre if genre in DRAMA else None


#: The judges, each a char n-gram baseline on the genre mapped to its target.
JUDGES: dict[str, Callable[[str], str | None]] = {
    "genre": str,
    "form": form,
    "sonnet_or_play": sonnet_or_play,
    "drama": drama,
}


def judged(clf: TfidfLogReg, texts: list[str]) -> list[str]:
    return [str(x) for x in clf.predict([as_clean(t) for t in texts])]


def share(flags: list[bool]) -> float:
    return sum(flags) / max(len(flags), 1)


class Copies:
    """Finds 80-character spans of a sample that occur in the training text: any such span
    holds one of the training text's 40-character pieces that start at a multiple of 40."""

    def __init__(self, text: str) -> None:
        self.text, self.step = text, SPAN // 2
        self.pieces: dict[str, list[int]] = {}
        for i in range(0, len(text) - self.step, self.step):
            self.pieces.setdefault(text[i : i + self.step], []).append(i)

    def copied(self, sample: str) -> bool:
        for i in range(len(sample) - self.step + 1):
            for at in self.pieces.get(sample[i : i + self.step], ()):
                start = at - i  # where the sample would start in the training text
                for a in range(max(0, -start), len(sample) - SPAN + 1):
                    b = start + a
                    if b >= 0 and self.text[b : b + SPAN] == sample[a : a + SPAN]:
                        return True
        return False


def train(name: str, budget: dict[str, Any], seed: int, models: Path) -> CharLM:
    """Train model ``name`` (see :data:`MODELS`) into ``models / name``, in this process."""
    settings: dict[str, Any] = {**SETTINGS, "seed": seed}
    out = models / name
    if name == "conditioned":
        return CharLM(**settings).fit(WORKS, condition="genre", out_dir=out, **budget)
    if name == "imdb":
        return CharLM(**settings).fit("imdb", condition="label", out_dir=out, **budget)
    train_text, val = works_text(seed)
    plain = CharLM(**settings, val_fraction=len(val) / (len(train_text) + len(val)))
    return plain.fit(text=train_text + val, out_dir=out, **budget)


def works_text(seed: int) -> tuple[str, str]:
    """The conditioned run's training and validation text (documents in its seeded order),
    which the unconditioned model trains on too."""
    docs = conditioning.read_documents(WORKS, "genre", 0.1, seed, balance=SETTINGS["style_balance"])
    return docs.text("train"), docs.text("validation")


def held_out(lm: CharLM, length: int, limit: int) -> tuple[list[str], list[str]]:
    """Test passages in the generation view (every n-th, at most ``limit``) and their genres."""
    docs = works.documents("test", "genre")
    texts, labels = [], []
    for block, genre in zip(docs.texts, docs.labels, strict=True):
        for text in works.cut(block, length):
            if not lm._require_vocab().unknown(text):
                texts.append(text)
                labels.append(genre)
    every = max(1, len(texts) // limit)
    return texts[::every][:limit], labels[::every][:limit]


def likelihood(
    cond: CharLM, plain: CharLM, length: int, limit: int, how: Judging
) -> dict[str, Any]:
    texts, labels = held_out(cond, length, limit)
    styles, start = cond.styles, cond._document_start()
    per_char: dict[str, list[float]] = {"conditioned": [], "unconditioned": [], "no_label": []}
    best, bayes = [], []
    for text, genre in zip(texts, labels, strict=True):
        ids = np.concatenate([start, cond._require_vocab().encode(text)])
        # Every style, and the last row "no label": the same model, unconditioned.
        rows = conditioning.text_nats(cond._require_model(), ids, torch.arange(len(styles) + 1))
        nats = rows[:-1]
        one = conditioning.text_nats(plain._require_model(), ids, None)
        per_char["conditioned"].append(nats[styles.index(genre)] / len(text))
        per_char["no_label"].append(float(rows[-1]) / len(text))
        per_char["unconditioned"].append(float(one[0]) / len(text))
        best.append(styles[int(np.argmin(nats))] == genre)
        bayes.append(conditioning.classify(nats, cond._require_conditioning()).label == genre)
    genre_judge, *_ = judge(str, how)
    log2 = np.log(2)
    return {
        "passages": len(texts),
        "passage_chars": length,
        "bpc_conditioned": float(np.mean(per_char["conditioned"]) / log2),
        "bpc_unconditioned": float(np.mean(per_char["unconditioned"]) / log2),
        "bpc_no_label": float(np.mean(per_char["no_label"]) / log2),
        "true_label_best": share(best),
        "classify_accuracy": share(bayes),
        "judge_accuracy": share(
            [j == g for j, g in zip(judged(genre_judge, texts), labels, strict=True)]
        ),
    }


def sampling(
    lm: CharLM, n: int, chars: int, long_chars: int, temperature: float, how: Judging
) -> dict[str, Any]:
    fitted = {name: judge(target, how) for name, target in JUDGES.items()}
    out: dict[str, Any] = {
        "ceiling": {name: ceiling for name, (_, ceiling, _) in fitted.items()},
        "ceiling_recall": {name: recall for name, (_, _, recall) in fitted.items()},
    }
    genre_judge, form_judge, binary_judge, drama_judge = (clf for clf, _, _ in fitted.values())
    samples = {
        style: lm.generate_batch(n, n_chars=chars, style=style, seed=1, temperature=temperature)
        for style in [*lm.styles, None]
    }
    rates: dict[str, Any] = {}
    for style, texts in samples.items():
        genres, forms = judged(genre_judge, texts), judged(form_judge, texts)
        binary, plays = judged(binary_judge, texts), judged(drama_judge, texts)
        rates[str(style)] = {
            "judged_sonnet_not_play": binary.count("sonnet") / n,
            "judged_drama": {g: plays.count(g) / n for g in sorted(set(plays))},
            "judged_genre": {g: genres.count(g) / n for g in sorted(set(genres))},
            "judged_sonnet": forms.count("sonnet") / n,
            "judged_play": forms.count("play") / n,
            "two_turns": share(
                [sum(bool(TURN.match(x)) for x in t.split("\n")) >= 2 for t in texts]
            ),
        }
    out["styles"] = rates
    floor = rates["None"]["judged_genre"]
    out["drama_accuracy"] = float(np.mean([rates[g]["judged_genre"].get(g, 0.0) for g in DRAMA]))
    out["drama_floor"] = float(np.mean([floor.get(g, 0.0) for g in DRAMA]))
    out["drama_accuracy_four"] = float(
        np.mean([rates[g]["judged_drama"].get(g, 0.0) for g in DRAMA])
    )
    out["play_judged_play"] = float(np.mean([rates[g]["judged_play"] for g in DRAMA]))
    out["play_judged_play_not_sonnet"] = 1 - float(
        np.mean([rates[g]["judged_sonnet_not_play"] for g in DRAMA])
    )
    out["play_two_turns"] = float(np.mean([rates[g]["two_turns"] for g in DRAMA]))
    out["holding"] = holding(lm, genre_judge, max(n // 2, 1), long_chars, temperature)
    out["form"] = sonnet_form(lm, n, temperature)
    out["samples"] = samples
    return out


def holding(lm: CharLM, clf: TfidfLogReg, n: int, length: int, temperature: float) -> dict:
    """Judged genre of the first 500 characters and of characters 1,500-2,000."""
    first, late = [], []
    for g in DRAMA:
        texts = lm.generate_batch(n, n_chars=length, style=g, seed=2, temperature=temperature)
        first += [j == g for j in judged(clf, [t[:500] for t in texts])]
        late += [j == g for j in judged(clf, [t[length - 500 :] for t in texts])]
    return {"first_500": share(first), "last_500": share(late), "samples_per_genre": n}


def sonnet_form(lm: CharLM, n: int, temperature: float) -> dict[str, Any]:
    texts = lm.generate_batch(n, n_lines=14, style="sonnets", seed=3, temperature=temperature)
    lines = [line for t in texts for line in t.split("\n")]
    real = next(w for w in works.works() if w.genre == "sonnets").clean.split("\n")
    return {
        "lines": len(lines),
        "ten_syllables": share([9 <= syllables(x) <= 11 for x in lines]),
        "real_sonnets_ten_syllables": share([9 <= syllables(x) <= 11 for x in real]),
        "no_speaker_prefix": share([not PREFIX.match(x.strip()) for x in lines]),
        "fourteen_lines": share([t.count("\n") == 13 for t in texts]),
    }


def imdb(lm: CharLM, n: int, chars: int, temperature: float, limit: int) -> dict[str, Any]:
    """IMDB by sentiment: samples of each style judged by the word n-gram baseline (trained on
    IMDB's train reviews; its test accuracy is the ceiling); held-out test reviews (their first
    ``JUDGE_CHARS``...1,000 characters) classified by Bayes' rule, and their bits/char under
    the true label, the wrong one and no label."""
    tokenizer = Tokenizer("text", lowercase=True)

    def words(texts: list[str]) -> list[str]:
        return [" ".join(t for t in tokenizer.split(x) if t != EOS) for x in texts]

    train, test = read_labelled("imdb"), read_labelled("imdb:test")
    clf = TfidfLogReg(C=8.0).fit(words(train.texts), train.labels)
    out: dict[str, Any] = {"ceiling": float(clf.score(words(test.texts), test.labels))}
    for style in lm.styles:
        texts = lm.generate_batch(n, n_chars=chars, style=style, seed=1, temperature=temperature)
        verdicts = [str(x) for x in clf.predict(words(texts))]
        out[f"{style}_judged_{style}"] = verdicts.count(style) / n
        out[f"{style}_example"] = texts[0]
    plain = lm.generate_batch(n, n_chars=chars, seed=1, temperature=temperature)
    out["unconditioned_judged_pos"] = [str(x) for x in clf.predict(words(plain))].count("pos") / n
    vocab, cond = lm._require_vocab(), lm._require_conditioning()
    every = max(1, len(test) // limit)
    rows = [
        (text[:1000], label)
        for text, label in zip(test.texts[::every], test.labels[::every], strict=True)
        if not vocab.unknown(text[:1000])
    ][:limit]
    bits: dict[str, list[float]] = {"true": [], "wrong": [], "none": []}
    right = []
    for text, label in rows:
        ids = np.concatenate([lm._document_start(), vocab.encode(text)])
        nats = conditioning.text_nats(lm._require_model(), ids, torch.arange(len(cond.styles) + 1))
        true = cond.styles.index(label)
        bits["true"].append(nats[true] / len(text) / np.log(2))
        bits["wrong"].append(nats[1 - true] / len(text) / np.log(2))
        bits["none"].append(nats[-1] / len(text) / np.log(2))
        right.append(conditioning.classify(nats[:-1], cond).label == label)
    out["held_out"] = {"reviews": len(rows), "classify_accuracy": share(right)} | {
        f"bpc_{k}_label": float(np.mean(v)) for k, v in bits.items()
    }
    return out


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Every measure, on the models saved in ``args.models`` (IMDB's if it is there)."""
    cond, plain = (CharLM.load(args.models / n) for n in ("conditioned", "unconditioned"))
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    report["training"] = {
        n: trained(lm) for n, lm in (("conditioned", cond), ("unconditioned", plain))
    }
    how = Judging(args.judge_every, args.balanced_judges)
    report["likelihood"] = likelihood(cond, plain, 500, args.passages, how)
    found = sampling(cond, args.samples, args.chars, args.long_chars, args.temperature, how)
    copies = Copies(works_text(args.seed)[0])
    samples = [t for texts in found["samples"].values() for t in texts]
    found["copied"] = share([copies.copied(t) for t in samples])
    found["examples"] = {style: texts[0] for style, texts in found.pop("samples").items()}
    report |= found
    if (args.models / "imdb").exists():
        lm = CharLM.load(args.models / "imdb")
        report["training"]["imdb"] = trained(lm)
        report["imdb"] = imdb(lm, args.samples, args.chars, args.temperature, args.passages)
    return report


def trained(lm: CharLM) -> dict[str, Any]:
    info = lm.info()
    stats = {k: info["stats"][k] for k in ("steps", "tokens_seen", "elapsed_s", "best_val_loss")}
    return stats | {"hidden_size": info["hidden_size"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="training, per model")
    parser.add_argument("--steps", type=int, help="a step budget instead (the same for each)")
    parser.add_argument(
        "--train", choices=MODELS, help="train this model alone into --models, then stop"
    )
    parser.add_argument(
        "--evaluate", action="store_true", help="measure the models in --models (no training)"
    )
    parser.add_argument("--samples", type=int, default=200, help="samples per style")
    parser.add_argument("--chars", type=int, default=600)
    parser.add_argument("--long-chars", type=int, default=2000)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--passages", type=int, default=300, help="held-out passages scored")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--judge-every", type=int, default=1, help="judges: every n-th passage")
    parser.add_argument(
        "--balanced-judges",
        action="store_true",
        help="weigh the judges' classes as balanced (the sonnets are 2 %% of the passages)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "conditioning.json")
    parser.add_argument(
        "--models",
        type=Path,
        default=HERE.parent / "runs" / "conditioning",
        help="where the models are saved by --train and read by --evaluate",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    budget: dict[str, Any] = {"steps": args.steps} if args.steps else {"minutes": args.minutes}
    start = time.perf_counter()
    if args.train or not args.evaluate:
        for name in [args.train] if args.train else MODELS:
            if args.train or not (args.models / name).exists():
                train(name, budget, args.seed, args.models)
        if args.train:
            return
    report = evaluate(args)
    report["seconds_total"] = round(time.perf_counter() - start, 1)
    report["machine"] = machine()
    show(report)
    write_report(report, args.out)


def pair(a: float, b: float) -> str:
    return f"{a:.3f} / {b:.3f}"


def show(r: dict[str, Any]) -> None:
    lk, fm, hd = r["likelihood"], r["form"], r["holding"]
    tr = r["training"]
    rows: list[tuple[str, Any, str]] = [
        (
            "steps: conditioned / unconditioned",
            f"{tr['conditioned']['steps']} / {tr['unconditioned']['steps']}",
            "same",
        ),
        ("sonnets samples judged sonnet", r["styles"]["sonnets"]["judged_sonnet"], ">= 0.90"),
        ("unconditioned samples judged sonnet", r["styles"]["None"]["judged_sonnet"], "(floor)"),
        (
            "sonnet vs play judge: sonnets / plays",
            pair(
                r["styles"]["sonnets"]["judged_sonnet_not_play"], r["play_judged_play_not_sonnet"]
            ),
            ">= 0.90 / 0.95",
        ),
        (
            "  same, unconditioned judged sonnet",
            r["styles"]["None"]["judged_sonnet_not_play"],
            "(floor)",
        ),
        ("four-genre judge: judged accuracy", r["drama_accuracy_four"], ">= 0.50"),
        ("play samples judged play", r["play_judged_play"], ">= 0.95"),
        ("four genres: judged accuracy", r["drama_accuracy"], ">= 0.50"),
        ("four genres: unconditioned rate", r["drama_floor"], "+0.20 above"),
        ("judge ceiling, genre / form", pair(r["ceiling"]["genre"], r["ceiling"]["form"]), ""),
        ("judge recall of real sonnets (form)", r["ceiling_recall"]["form"]["sonnet"], ""),
        (
            "ceiling, sonnet vs play / four genres",
            pair(r["ceiling"]["sonnet_or_play"], r["ceiling"]["drama"]),
            "",
        ),
        (
            "  sonnet vs play judge: real sonnets",
            r["ceiling_recall"]["sonnet_or_play"]["sonnet"],
            "",
        ),
        ("holding: first 500 / 1500-2000", pair(hd["first_500"], hd["last_500"]), ">= 0.9x"),
        ("bits/char conditioned", lk["bpc_conditioned"], "<= uncond."),
        ("bits/char unconditioned model", lk["bpc_unconditioned"], ""),
        ("bits/char same model, no label", lk["bpc_no_label"], ""),
        ("true genre scores best", lk["true_label_best"], ">= 0.90"),
        ("classify / judge accuracy", pair(lk["classify_accuracy"], lk["judge_accuracy"]), ""),
        ("sonnet lines of 9-11 syllables", fm["ten_syllables"], ">= 0.75"),
        ("real sonnets, same counter", fm["real_sonnets_ten_syllables"], ""),
        ("sonnet lines without speaker prefix", fm["no_speaker_prefix"], ">= 0.98"),
        ("play samples with >= 2 turns", r["play_two_turns"], ">= 0.90"),
        ("samples with an 80-char copy", r["copied"], "< 0.05"),
    ]
    if "imdb" in r:
        im, held = r["imdb"], r["imdb"]["held_out"]
        rows += [
            ("IMDB: pos samples judged pos", im["pos_judged_pos"], ">= 0.90"),
            ("IMDB: neg samples judged neg", im["neg_judged_neg"], ">= 0.90"),
            ("IMDB: unconditioned judged pos", im["unconditioned_judged_pos"], ""),
            ("IMDB: judge ceiling (test)", im["ceiling"], ""),
            ("IMDB: classify accuracy", held["classify_accuracy"], ""),
            (
                "IMDB: bits/char true / wrong",
                pair(held["bpc_true_label"], held["bpc_wrong_label"]),
                "",
            ),
        ]
    print(f"\n{'measure':<38} {'value':>15}  target")
    for name, value, target in rows:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:<38} {shown:>15}  {target}")


if __name__ == "__main__":
    main()
