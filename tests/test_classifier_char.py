"""Character-level classifiers, the character n-gram baseline, the shakespeare-works targets,
and predict's top 5 (issue 15, part 2)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from rnnkit import CharLM, RnnkitError, Text, TextClassifier, WordLM
from rnnkit.classify.baseline import TfidfLogReg
from rnnkit.classify.learner import ClassifierLearner
from rnnkit.classify.warmstart import LanguageModelStart
from rnnkit.cli import cli
from rnnkit.data.tokenize import CHARS
from rnnkit.data.works import EDITIONS, passages, retypeset
from rnnkit.models.classifier import ClassifierConfig, ClassifierNet

#: Three made-up authors, told apart by their characters only (the words are shared).
WORDS = ["the", "king", "love", "night", "sword", "crown", "sweet", "death"]
HABITS = {"exclaims": "!", "ponders": ";", "trails": "..."}


def _authors(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)  # a local generator: no global seeding
    texts, labels = [], []
    for i in range(n):
        label = list(HABITS)[i % 3]
        words = [
            rng.choice(WORDS) + (HABITS[label] if rng.random() < 0.5 else "") for _ in range(8)
        ]
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def char_clf() -> TextClassifier:
    texts, labels = _authors(90, seed=0)
    clf = TextClassifier(
        level="char", hidden_size=16, embed_size=16, min_count=1, batch_size=16, blend=True
    )
    return clf.fit(texts, labels, steps=60, quiet=True)


def test_a_char_level_classifier_tells_authors_by_their_characters(char_clf) -> None:
    texts, labels = _authors(30, seed=1)
    assert char_clf.evaluate(texts, labels)["components"]["network"] > 0.6  # chance: 1/3
    assert char_clf.vocab_ is not None and char_clf.vocab_.tokenizer.name == "chars"
    assert char_clf.model_ is not None and char_clf.model_.config.ngrams == 4  # the default
    assert char_clf.model_.ngram_embed is not None and char_clf.settings.dropout == 0.2
    assert char_clf.baseline_ is not None and char_clf.baseline_.analyzer == "char_wb"


def test_char_level_save_load_gives_identical_probabilities(char_clf, tmp_path: Path) -> None:
    char_clf.save(tmp_path / "c")
    vocab = json.loads((tmp_path / "c" / "vocab.json").read_text())
    assert vocab["type"] == "char-tokens" and vocab["baseline"]["version"] == 2
    again = TextClassifier.load(tmp_path / "c")
    probe = ["the king! sweet!", "death; night;", "crown... love... §"]  # § never seen
    np.testing.assert_array_equal(again.predict_proba(probe), char_clf.predict_proba(probe))


def test_char_level_refuses_word_starts(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="cannot start from word vectors"):
        TextClassifier(level="char", embeddings="vectors/x")
    texts, labels = _authors(12, seed=0)
    WordLM(hidden_size=8, embed_size=4, seq_len=4, batch_size=2).fit(
        Text("\n".join(texts)), steps=1, quiet=True
    ).save(tmp_path / "words")
    with pytest.raises(RnnkitError, match="not a character language model"):
        TextClassifier(level="char", lm=str(tmp_path / "words")).fit(texts, labels, steps=1)
    with pytest.raises(RnnkitError, match="level must be one of"):
        TextClassifier(level="byte")


def test_a_char_level_classifier_starts_from_a_char_language_model(tmp_path: Path) -> None:
    texts, labels = _authors(90, seed=0)
    lm = CharLM(cell="gru", hidden_size=16, embed_size=8, seq_len=16, batch_size=4)
    lm.fit(Text("\n".join(texts)), steps=20, quiet=True).save(tmp_path / "lm")
    assert lm.vocab_ is not None and lm.model_ is not None
    # The model's characters in its order, then the two a classifier reads besides.
    start = LanguageModelStart.load(tmp_path / "lm", CHARS)
    assert start.vocab.tokens == [*lm.vocab_.chars, "<unk>", "<eos>"]
    net = ClassifierNet(
        ClassifierConfig(len(start.vocab), 3, **start.fixed({}), pooling="max+mean")
    )
    start.apply(net)
    lm_state = lm.model_.state_dict()
    rows = len(lm.vocab_.chars)
    torch.testing.assert_close(net.embed.weight[:rows], lm_state["embed.weight"])
    torch.testing.assert_close(net.fwd[0].weight_hh_l0, lm_state["rnn.weight_hh_l0"])
    # Through the classifier: ULMFiT's fine-tuning, and saved -> loaded, the same outputs.
    clf = TextClassifier(level="char", lm=str(tmp_path / "lm"), min_count=1, batch_size=16)
    clf.fit(texts, labels, steps=2, quiet=True, out_dir=tmp_path / "c")
    assert clf.model_ is not None and clf.model_.config.embed_size == 8
    learner = clf._trainer.learner if clf._trainer else None
    assert isinstance(learner, ClassifierLearner) and learner.tuning.lr_decay == 2.6
    again = TextClassifier.load(tmp_path / "c")
    np.testing.assert_array_equal(again.predict_proba(texts[:3]), clf.predict_proba(texts[:3]))


def test_the_char_ngram_baseline_and_its_saved_versions() -> None:
    texts, labels = _authors(60, seed=2)
    chars = TfidfLogReg(analyzer="char_wb", min_df=1).fit(texts, labels)
    assert chars.ngram_range == (1, 5) and chars.score(*_authors(30, seed=3)) > 0.9
    meta, tensors = chars.to_state()
    assert meta["version"] == 2 and meta["settings"]["analyzer"] == "char_wb"
    back = TfidfLogReg.from_state(meta, tensors)
    np.testing.assert_array_equal(back.predict_proba(texts), chars.predict_proba(texts))
    # Word n-grams are saved as version 1 was: no analyzer, readable by earlier releases.
    words_meta, _ = TfidfLogReg(min_df=1).fit(texts, labels).to_state()
    assert words_meta["version"] == 1 and "analyzer" not in words_meta["settings"]
    with pytest.raises(RnnkitError, match="format version 3"):
        TfidfLogReg.from_state(meta | {"version": 3}, tensors)
    with pytest.raises(RnnkitError, match="unknown analyzer"):
        TfidfLogReg(analyzer="bytes")


def test_balanced_class_weights_lift_a_rare_class_and_are_saved() -> None:
    texts, labels = _authors(300, seed=4)
    # Keep 1 in 10 of the "ponders" texts: a class 5 times rarer than each of the others.
    kept = [i for i, label in enumerate(labels) if label != "ponders" or i % 30 == 1]
    docs, truth = [texts[i] for i in kept], [labels[i] for i in kept]
    plain = TfidfLogReg(analyzer="char_wb", C=0.05).fit(docs, truth)
    fair = TfidfLogReg(analyzer="char_wb", C=0.05, class_weight="balanced").fit(docs, truth)
    test, test_labels = _authors(60, seed=5)
    rare = [t for t, label in zip(test, test_labels, strict=True) if label == "ponders"]
    assert (fair.predict(rare) == "ponders").mean() > (plain.predict(rare) == "ponders").mean()
    meta, tensors = fair.to_state()
    assert meta["settings"]["class_weight"] == "balanced"
    assert "class_weight" not in plain.to_state()[0]["settings"]  # as saved before it existed
    back = TfidfLogReg.from_state(meta, tensors)
    np.testing.assert_array_equal(back.predict_proba(test), fair.predict_proba(test))
    with pytest.raises(RnnkitError, match="class_weight must be"):
        TfidfLogReg(class_weight="even")  # type: ignore[arg-type]


def test_a_classifier_that_folds_editions_reads_every_retypesetting_alike(tmp_path: Path) -> None:
    texts, labels = _authors(60, seed=6)
    clf = TextClassifier(level="char", hidden_size=8, min_count=1, fold_editions=True, blend=True)
    clf.fit(texts, labels, steps=5, quiet=True, out_dir=tmp_path / "f")
    passage = passages("test", 500).texts[3]
    variants = [passage] + [retypeset(passage, e) for e in EDITIONS]
    proba = clf.predict_proba(variants)
    np.testing.assert_array_equal(proba, np.repeat(proba[:1], len(variants), axis=0))
    assert clf.vocab_ is not None and "T" not in clf.vocab_.tokens  # it read lowercase text
    again = TextClassifier.load(tmp_path / "f")
    np.testing.assert_array_equal(again.predict_proba(variants), proba)


def test_fit_on_the_works_by_genre_uses_their_own_validation_split() -> None:
    clf = TextClassifier(level="char", hidden_size=8, batch_size=16, evals=1)
    clf.fit("shakespeare-works", target="genre", passage_chars=200, steps=2, quiet=True)
    data = clf.info()["data"]
    assert data["target"] == "genre" and data["passage_chars"] == 200 and "genres" not in data
    assert data["validation"] == len(passages("validation", 200, "genre").texts)
    assert clf.classes_ == ["comedy", "history", "poem", "romance", "sonnets", "tragedy"]
    with pytest.raises(RnnkitError, match="options of the shakespeare-works data set"):
        TextClassifier().fit(["a b", "c d"], ["x", "y"], target="genre")
    with pytest.raises(RnnkitError, match="target"):
        TextClassifier().fit("shakespeare-works", target="author", steps=1)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_command_line_works_model_predicts_its_top_5_with_genres(tmp_path: Path) -> None:
    out = str(tmp_path / "works")
    train = ["train", "classifier", "shakespeare-works", "--target", "work"]
    flags = ["--passage-chars", "2000", "--steps", "1", "--hidden-size", "8", "--evals", "1"]
    code, _, err = _run(*train, *flags, "--embed-size", "8", "--quiet", "--out", out)
    assert code == 0, err
    code, text, err = _run("predict", out, "To be, or not to be, that is the question")
    lines = text.splitlines()
    assert code == 0 and err == "" and len(lines) == 6
    assert all(line.startswith("  0.") and line.endswith(")") for line in lines[1:])
    code, text, _ = _run("predict", out, "Alas", "--json")
    record = json.loads(text)
    assert record["top"][0]["label"] == record["label"] and "genre" in record["top"][0]
    assert len(record["top"]) == 5 and len(record["probabilities"]) > 40
    code, _, err = _run("predict", out, "Alas, poor Yorick")
    assert code == 0 and err.startswith("warning: ") and "weak" in err and err.count("\n") == 1
    code, text, err = _run("predict", out, "  ")
    assert code == 2 and text == "" and err == "error: text 1 is empty: there is nothing to label\n"
