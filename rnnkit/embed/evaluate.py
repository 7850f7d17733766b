"""Word-vector evaluation: analogy accuracy per section, and correlation with human judgements.

The defaults are the files gensim ships: Mikolov's ``questions-words.txt`` (19,544 analogies in
semantic and ``gram*`` syntactic sections) and WordSim-353. As in word2vec's compute-accuracy,
questions and pairs with a word outside the ``restrict_vocab`` most frequent words are skipped;
``coverage`` says how many were answered and ``accuracy_all`` counts the skipped ones as wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError


def evaluate(
    keyed_vectors: Any,
    analogies: str | Path | None = None,
    pairs: str | Path | None = None,
    restrict_vocab: int = 30_000,
) -> dict[str, Any]:
    """Analogy accuracy (``"analogies"``) and Spearman / Pearson correlation with the word-pair
    similarity judgements (``"word_pairs"``) of gensim ``KeyedVectors``. Case is ignored.

    Example:
        >>> from gensim.models import KeyedVectors
        >>> kv = KeyedVectors(2)
        >>> kv.add_vectors(["man", "king", "woman", "queen"], [[1, 0], [1, 1], [0, 0.1], [0, 1]])
        >>> evaluate(kv)["analogies"]["answered"]  # "man king woman queen" and its reverse
        2
    """
    from gensim.test.utils import datapath

    analogies = Path(analogies or datapath("questions-words.txt"))
    pairs = Path(pairs or datapath("wordsim353.tsv"))
    for path in (analogies, pairs):
        if not path.is_file():
            raise RnnkitError(f"evaluation file {path} not found")
    return {
        "analogies": _analogies(keyed_vectors, analogies, restrict_vocab),
        "word_pairs": _word_pairs(keyed_vectors, pairs, restrict_vocab),
    }


def _analogies(keyed_vectors: Any, path: Path, restrict_vocab: int) -> dict[str, Any]:
    questions = _count_questions(path)
    if questions == 0:
        raise RnnkitError(f"{path} holds no analogy questions (lines 'a b c d' under ': name')")
    _, sections = keyed_vectors.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
    *parts, total = (
        _score(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
        for s in sections
    )
    semantic = [s for s in parts if not s["section"].startswith("gram")]
    syntactic = [s for s in parts if s["section"].startswith("gram")]
    return {
        "file": str(path),
        "restrict_vocab": restrict_vocab,
        "questions": questions,
        "answered": total["total"],
        "coverage": total["total"] / questions,
        "accuracy": total["accuracy"],
        "accuracy_all": total["correct"] / questions,
        "semantic": _pooled("semantic", semantic),
        "syntactic": _pooled("syntactic", syntactic),
        "sections": parts,
    }


def _word_pairs(keyed_vectors: Any, path: Path, restrict_vocab: int) -> dict[str, Any]:
    try:
        pearson, spearman, oov_percent = keyed_vectors.evaluate_word_pairs(
            str(path), restrict_vocab=restrict_vocab
        )
    except ValueError:  # gensim: no pair had both words in the vocabulary
        return {"file": str(path), "spearman": None, "pearson": None, "oov_percent": 100.0}
    return {
        "file": str(path),
        "spearman": float(spearman[0]),
        "pearson": float(pearson[0]),
        "oov_percent": float(oov_percent),
    }


def _count_questions(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if len(line.split()) == 4 and not line.startswith(":"))


def _score(section: str, correct: int, total: int) -> dict[str, Any]:
    accuracy = correct / total if total else None
    return {"section": section, "correct": correct, "total": total, "accuracy": accuracy}


def _pooled(name: str, sections: list[dict[str, Any]]) -> dict[str, Any]:
    return _score(name, sum(s["correct"] for s in sections), sum(s["total"] for s in sections))
