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
