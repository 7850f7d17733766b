"""The TF-IDF + logistic-regression baseline, its pickle-free state, and the report and plot."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from safetensors.torch import load_file, save_file

from rnnkit.classify.baseline import TfidfLogReg
from rnnkit.classify.reports import classification_report, format_report, plot_confusion
from rnnkit.errors import RnnkitError

NOISE = ["the", "a", "film", "movie", "it", "was", "and", "of", "to", "is", "this", "that"]
TOPICS = {
    "sport": ["goal", "match", "team", "coach", "league", "score"],
    "food": ["recipe", "taste", "sauce", "dinner", "spicy", "bake"],
    "tech": ["laptop", "code", "chip", "software", "cloud", "server"],
}
SENTIMENT = {1: ["great", "superb", "loved", "wonderful"], 0: ["awful", "boring", "hated", "dull"]}


def corpus(words: dict[Any, list[str]], counts: dict[Any, int], seed: int) -> tuple[list, list]:
    """Documents of shared filler words plus two words of their class, shuffled."""
    rng = random.Random(seed)
    docs, labels = [], []
    for label, n in counts.items():
        for _ in range(n):
            tokens = rng.sample(NOISE, 5) + rng.sample(words[label], 2)
            rng.shuffle(tokens)
            docs.append(" ".join(tokens))
            labels.append(label)
    order = rng.sample(range(len(docs)), len(docs))
    return [docs[i] for i in order], [labels[i] for i in order]


@pytest.fixture(scope="module")
def binary() -> TfidfLogReg:
    docs, labels = corpus(SENTIMENT, {0: 20, 1: 20}, seed=1)
    val_docs, val_labels = corpus(SENTIMENT, {0: 10, 1: 10}, seed=2)
    return TfidfLogReg().fit(docs, labels, val_docs, val_labels)


@pytest.fixture(scope="module")
def three() -> TfidfLogReg:
    docs, labels = corpus(TOPICS, {"sport": 15, "food": 15, "tech": 15}, seed=3)
    val_docs, val_labels = corpus(TOPICS, {"sport": 5, "food": 5, "tech": 5}, seed=4)
    return TfidfLogReg(Cs=(1.0, 4.0)).fit(docs, labels, val_docs, val_labels)


def test_learns_a_separable_binary_problem(binary: TfidfLogReg) -> None:
    test_docs, test_labels = corpus(SENTIMENT, {0: 10, 1: 10}, seed=5)
    assert binary.score(test_docs, test_labels) == 1.0
    assert binary.val_accuracy_ == 1.0
    assert binary.classes_ is not None and binary.classes_.tolist() == [0, 1]
    assert binary.fit_seconds_ is not None and binary.fit_seconds_ > 0
    assert binary.vocabulary_size > len(NOISE)  # bigrams too


def test_learns_three_classes_with_string_labels(three: TfidfLogReg) -> None:
    test_docs, test_labels = corpus(TOPICS, {"sport": 5, "food": 5, "tech": 5}, seed=6)
    assert three.classes_ is not None and three.classes_.tolist() == ["food", "sport", "tech"]
    assert three.predict(test_docs).tolist() == test_labels
    proba = three.predict_proba(test_docs)
    assert proba.shape == (15, 3) and proba.dtype == np.float64
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("model", ["binary", "three"])
def test_decision_function_is_log_probabilities(model: str, request: Any) -> None:
    clf: TfidfLogReg = request.getfixturevalue(model)
    docs = ["great match", "awful laptop code", "the film"]
    log_p = clf.decision_function(docs)
    assert log_p.shape == (3, len(clf.classes_))  # type: ignore[arg-type]
    assert_allclose(np.exp(log_p), clf.predict_proba(docs), rtol=1e-12, atol=1e-15)
    assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_c_is_chosen_on_validation() -> None:
    # 9 to 2 imbalance: a tiny C leaves only the bias, which calls everything the majority
    # class and scores 0.5 on a balanced validation set; a large C learns the words.
    docs, labels = corpus(SENTIMENT, {0: 36, 1: 8}, seed=7)
    val_docs, val_labels = corpus(SENTIMENT, {0: 10, 1: 10}, seed=8)
    clf = TfidfLogReg(Cs=(0.01, 100.0)).fit(docs, labels, val_docs, val_labels)
    assert clf.val_scores_ == {0.01: 0.5, 100.0: 1.0}
    assert clf.C_ == 100.0 and clf.val_accuracy_ == 1.0
    assert clf.model_.C == 100.0
    plain = TfidfLogReg(C=3.0).fit(docs, labels)
    assert plain.C_ == 3.0 and plain.val_accuracy_ is None and plain.val_scores_ == {}


@pytest.mark.parametrize("model", ["binary", "three"])
def test_state_round_trip_is_exact(model: str, request: Any, tmp_path: Path) -> None:
    clf: TfidfLogReg = request.getfixturevalue(model)
    meta, tensors = clf.to_state()
    assert all(t.dtype == torch.float64 for t in tensors.values())
    assert isinstance(meta["vocabulary"], list) and len(meta["vocabulary"]) == clf.vocabulary_size
    # The way a checkpoint stores it: JSON text and a safetensors file.
    save_file(tensors, str(tmp_path / "baseline.safetensors"))
    meta2 = json.loads(json.dumps(meta))
    back = TfidfLogReg.from_state(meta2, load_file(str(tmp_path / "baseline.safetensors")))
    docs = ["great match tonight", "awful sauce", "code the server", "unseen words only", ""]
    assert_array_equal(back.predict_proba(docs), clf.predict_proba(docs))
    assert_array_equal(back.decision_function(docs), clf.decision_function(docs))
    assert_array_equal(back.predict(docs), clf.predict(docs))
    assert (back.C_, back.val_accuracy_, back.val_scores_) == (
        clf.C_,
        clf.val_accuracy_,
        clf.val_scores_,
    )
    assert back.settings() == clf.settings()
    assert back.to_state()[0] == meta2


def _damage(meta: dict[str, Any], tensors: dict[str, torch.Tensor], how: str) -> None:
    if how == "kind":
        meta["kind"] = "charlm"
    elif how == "version":
        meta["version"] = 99
    elif how == "no vocabulary":
        del meta["vocabulary"]
    elif how == "no settings":
        del meta["settings"]
    elif how == "unknown setting":
        meta["settings"]["colour"] = "red"
    elif how == "repeated term":
        meta["vocabulary"][1] = meta["vocabulary"][0]
    elif how == "one class":
        meta["classes"] = meta["classes"][:1]
    elif how == "three classes, binary weights":
        meta["classes"] = [*meta["classes"], "extra"]
    elif how == "no idf":
        del tensors["idf"]
    elif how == "short idf":
        tensors["idf"] = tensors["idf"][:-1]
    elif how == "coef transposed":
        tensors["coef"] = tensors["coef"].T.contiguous()
    elif how == "intercept size":
        tensors["intercept"] = torch.zeros(3, dtype=torch.float64)


@pytest.mark.parametrize(
    "how",
    [
        "kind",
        "version",
        "no vocabulary",
        "no settings",
        "unknown setting",
        "repeated term",
        "one class",
        "three classes, binary weights",
        "no idf",
        "short idf",
        "coef transposed",
        "intercept size",
    ],
)
def test_damaged_state_is_a_one_line_error(binary: TfidfLogReg, how: str) -> None:
    meta, tensors = binary.to_state()
    meta = json.loads(json.dumps(meta))  # a deep copy: the fixture is shared
    _damage(meta, tensors, how)
    with pytest.raises(RnnkitError) as err:
        TfidfLogReg.from_state(meta, tensors)
    assert "\n" not in str(err.value)


def test_user_errors() -> None:
    docs, labels = corpus(SENTIMENT, {0: 4, 1: 4}, seed=9)
    with pytest.raises(RnnkitError, match="not fitted"):
        TfidfLogReg().predict(docs)
    with pytest.raises(RnnkitError, match="labels"):
        TfidfLogReg().fit(docs, labels[:-1])
    with pytest.raises(RnnkitError, match="single class"):
        TfidfLogReg().fit(docs, [1] * len(docs))
    with pytest.raises(RnnkitError, match="both"):
        TfidfLogReg().fit(docs, labels, val_docs=docs)
    with pytest.raises(RnnkitError, match="all str or all int"):
        TfidfLogReg().fit(docs, [0.5, 1.5] * 4)
    with pytest.raises(RnnkitError, match="vocabulary"):
        TfidfLogReg(min_df=100).fit(docs, labels)
    with pytest.raises(RnnkitError, match="positive"):
        TfidfLogReg(Cs=(0.0, 1.0))
    clf = TfidfLogReg().fit(docs, labels)
    with pytest.raises(RnnkitError, match="not one string"):
        clf.predict("great film")  # type: ignore[arg-type]


def test_classification_report_by_hand() -> None:
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    report = classification_report(y_true, y_pred, ["a", "b", "c", "d"])
    # Rows are true classes, columns predictions: a->a twice, a->b once, b->b, b->c, c->c.
    assert report["confusion"] == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert report["accuracy"] == pytest.approx(4 / 6)
    # precision = right / predicted as the class, recall = right / truly the class.
    expected = {
        "a": (2 / 2, 2 / 3, 3),
        "b": (1 / 2, 1 / 2, 2),
        "c": (1 / 2, 1 / 1, 1),
        "d": (0.0, 0.0, 0),  # never seen nor predicted: 0 by convention, not a warning
    }
    f1s = []
    for name, (p, r, support) in expected.items():
        got = report["per_class"][name]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        f1s.append(f1)
        assert got == pytest.approx({"precision": p, "recall": r, "f1": f1, "support": support})
    assert f1s[:3] == pytest.approx([0.8, 0.5, 2 / 3])
    assert report["macro_f1"] == pytest.approx(sum(f1s) / 4)
    assert report["classes"] == ["a", "b", "c", "d"]
    assert json.loads(json.dumps(report)) == report
    text = format_report(report)
    assert "accuracy  0.6667  (6 examples)" in text
    assert text.splitlines()[-1].split() == ["d", "0.0000", "0.0000", "0.0000", "0"]


def test_classification_report_with_numpy_labels_is_json_ready() -> None:
    y = np.array([0, 1, 1, 2])
    report = classification_report(list(y), list(np.array([0, 1, 2, 2])), list(np.unique(y)))
    assert json.loads(json.dumps(report))["per_class"]["2"]["support"] == 1
    with pytest.raises(RnnkitError, match="not one of the classes"):
        classification_report([0, 5], [0, 0], [0, 1])


@pytest.mark.parametrize("n", [2, 20])
def test_plot_confusion_writes_a_png_atomically(tmp_path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 50, size=(n, n)) + np.eye(n, dtype=np.int64) * 500
    matrix[-1] = 0  # a class with no examples must not divide by zero
    out = plot_confusion(matrix, [f"class {i}" for i in range(n)], tmp_path / "cm.png", "test")
    assert out == tmp_path / "cm.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]  # no temp file left behind


def test_plot_confusion_rejects_a_wrong_matrix(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="2 x 2"):
        plot_confusion(np.zeros((3, 3)), ["a", "b"], tmp_path / "cm.png")
    with pytest.raises(RnnkitError, match="counts"):
        plot_confusion(np.array([[1, -1], [0, 2]]), ["a", "b"], tmp_path / "cm.png")
    assert not list(tmp_path.iterdir())
