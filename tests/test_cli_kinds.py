"""The verbs that work on any saved folder: ``info`` describes every kind; ``evaluate`` and
``predict`` hand a model to its kind's function, or say which kinds they take."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rnnkit import CharLM, Forecaster, TextClassifier, WordLM, WordVectors
from rnnkit.cli import cli

TEXT = "the cat sat on the mat\nthe dog sat on the log\n" * 30
REVIEWS = (
    ["good fun", "great film", "bad plot", "awful acting"] * 10,
    ["pos", "pos", "neg", "neg"] * 10,
)


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small saved folder of every kind."""
    root = tmp_path_factory.mktemp("kinds")
    tiny = {"hidden_size": 16, "embed_size": 8, "seq_len": 8, "batch_size": 4}
    CharLM(**tiny).fit(TEXT, steps=2, quiet=True, out_dir=root / "char_lm")
    WordLM(**tiny).fit(TEXT, steps=2, quiet=True, out_dir=root / "word_lm")
    clf = TextClassifier(hidden_size=8, embed_size=8, min_count=1, val_fraction=0.2)
    clf.fit(*REVIEWS, steps=20, quiet=True, out_dir=root / "classifier")
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    series = pd.Series(np.arange(24.0), index=months, name="sales")
    Forecaster("naive", horizon=3).fit(series).save(root / "forecaster")
    sentences = [line.split() for line in TEXT.splitlines()]
    vectors = WordVectors.train(sentences, dim=8, min_count=1, workers=1, epochs=1, quiet=True)
    vectors.save(root / "word_vectors")
    return {folder.name: folder for folder in root.iterdir()}


@pytest.mark.parametrize("kind", ["char_lm", "word_lm", "classifier", "forecaster", "word_vectors"])
def test_info_describes_every_kind(saved: dict[str, Path], kind: str) -> None:
    code, out, err = _run("info", saved[kind], "--json")
    assert code == 0, err
    details = json.loads(out)
    assert details["kind"] == kind
    code, out, _ = _run("info", saved[kind])
    assert code == 0 and out.splitlines()[0].split() == ["kind:", kind]


def test_info_on_a_folder_that_is_no_model(tmp_path: Path) -> None:
    code, _, err = _run("info", tmp_path)
    assert code == 2 and err.startswith("error: ") and "config.json missing" in err
    code, _, err = _run("info", tmp_path / "nope")
    assert code == 2 and "no saved model folder at" in err


def test_evaluate_a_classifier_writes_its_confusion_matrix_into_out(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    data = tmp_path / "test.jsonl"
    rows = zip(*REVIEWS, strict=True)
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in rows))
    code, out, err = _run("evaluate", saved["classifier"], data, "--out", tmp_path / "report")
    assert code == 0, err
    assert (tmp_path / "report" / "confusion.png").stat().st_size > 1000
    assert "macro" in out.lower() and "confusion matrix:" in out


def test_evaluate_and_predict_say_which_kinds_they_take(saved: dict[str, Path]) -> None:
    code, _, err = _run("evaluate", saved["forecaster"], "x.csv")
    assert code == 2 and "evaluate works on char_lm, word_lm, classifier" in err
    code, _, err = _run("predict", saved["word_vectors"], "a text")
    assert (
        code == 2
        and err
        == "error: rnnkit predict works on classifier, tabular; this folder holds a word_vectors\n"
    )
    code, out, _ = _run("predict", saved["classifier"], "good fun", "--json")
    assert code == 0 and json.loads(out)["label"] in ("pos", "neg")
    code, _, err = _run("evaluate", saved["char_lm"], "x.txt", "--out", "somewhere")
    assert code == 2 and "for classifiers" in err


def test_embed_plot_draws_into_the_out_folder(saved: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = _run(
        "embed", "plot", saved["word_vectors"], "cat", "dog", "mat", "--out", tmp_path
    )
    assert code == 0, err
    assert out.strip() == str(tmp_path / "pca.png") and (tmp_path / "pca.png").is_file()
