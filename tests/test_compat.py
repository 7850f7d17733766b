"""Checkpoints written by rnnkit 0.1.0 (before the package layout changed) still load and give
the same outputs. The folders and their recorded outputs were made by
tests/fixtures/checkpoints_v0.1.0/make.py running on that release."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnkit import CharLM, Forecaster, TextClassifier, WordLM

OLD = Path(__file__).parent / "fixtures" / "checkpoints_v0.1.0"
EXPECTED = json.loads((OLD / "expected.json").read_text())
TEXT = "to be or not to be, that is the question\nwhether tis nobler in the mind to suffer\n" * 8


@pytest.mark.parametrize(
    ("cls", "name", "size"),
    [(CharLM, "char_lm", {"n_chars": 40}), (WordLM, "word_lm", {"n_words": 12})],
)
def test_old_language_models_generate_and_score_the_same(cls, name, size) -> None:
    lm = cls.load(OLD / name)
    want = EXPECTED[name]
    temperature = 0.8 if name == "char_lm" else 1.0
    assert lm.generate(**size, seed=3, temperature=temperature) == want["generate"]
    got = lm.evaluate(TEXT)
    for key, value in want["evaluate"].items():
        assert got[key] == pytest.approx(value, rel=1e-9), key


def test_old_classifier_predicts_the_same() -> None:
    clf = TextClassifier.load(OLD / "classifier")
    want = EXPECTED["classifier"]
    np.testing.assert_allclose(clf.predict_proba(want["probe"]), want["proba"], rtol=1e-6)


def test_old_forecaster_forecasts_the_same() -> None:
    fc = Forecaster.load(OLD / "forecaster")
    np.testing.assert_allclose(fc.predict().to_numpy(), EXPECTED["forecaster"]["mean"], rtol=1e-9)


def test_an_old_word_lm_starts_a_classifier_that_reads_text_as_0_1_0_did() -> None:
    # 0.1.0 saved no tokenizer: its classifiers read every text their own way, whatever the LM.
    from rnnkit.data.tokenize import Tokenizer

    texts, labels = ["to be or not", "whether tis nobler"] * 6, ["a", "b"] * 6
    clf = TextClassifier(lm=str(OLD / "word_lm"), min_count=1, val_fraction=0.25)
    clf.fit(texts, labels, steps=2, quiet=True)
    assert clf.vocab_ is not None and clf.vocab_.tokenizer == Tokenizer("text", lowercase=True)
    assert clf.info()["unknown_share"] == 0.0  # words the old LM read; "." split off and known
