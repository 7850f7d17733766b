"""No hidden global state: fitting and generating leave the caller's RNG alone, threads that
sample at once get the texts they get one after the other, plots leave matplotlib's backend
alone, library code prints nothing, and every kind's evaluate() has the same core fields."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from rnnkit import CharLM, TextClassifier, WordLM

TEXT = "to be or not to be, that is the question\nwhether tis nobler in the mind to suffer\n" * 10
SMALL = {"hidden_size": 16, "embed_size": 8, "seq_len": 16, "batch_size": 4, "evals": 1}
TEXTS = ["good fun", "great film", "bad plot", "awful acting"] * 6
LABELS = ["pos", "pos", "neg", "neg"] * 6
CORE = {"loss", "perplexity", "bits_per_token", "tokens", "unit"}


@pytest.fixture(scope="module")
def char_lm() -> CharLM:
    return CharLM(**SMALL, dropout=0.2).fit(TEXT, steps=4, quiet=True)


def test_fit_and_generate_leave_the_global_rng_unchanged(char_lm: CharLM) -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    CharLM(**SMALL, dropout=0.2).fit(TEXT, steps=3, quiet=True)  # dropout draws while training
    WordLM(**{**SMALL, "seq_len": 8}).fit(TEXT, minutes=0.01, quiet=True)  # the speed probe too
    TextClassifier(hidden_size=8, embed_size=8, min_count=1).fit(TEXTS, LABELS, steps=3, quiet=True)
    char_lm.generate(n_chars=20)  # no seed: drawn from the OS, not from torch's RNG
    char_lm.generate(n_chars=20, seed=5)
    assert torch.equal(before, torch.get_rng_state())


def test_fit_is_repeatable_whatever_the_global_rng(char_lm: CharLM) -> None:
    torch.manual_seed(1)
    a = CharLM(**SMALL, dropout=0.2).fit(TEXT, steps=3, quiet=True).generate(n_chars=30, seed=0)
    torch.manual_seed(2)
    b = CharLM(**SMALL, dropout=0.2).fit(TEXT, steps=3, quiet=True).generate(n_chars=30, seed=0)
    assert a == b


def test_threads_sampling_at_once_get_their_own_texts(char_lm: CharLM) -> None:
    seeds = list(range(6))
    alone = {s: char_lm.generate(n_chars=300, seed=s, temperature=1.2) for s in seeds}
    together: dict[int, str] = {}
    start = threading.Barrier(len(seeds))

    def work(seed: int) -> None:
        start.wait()
        together[seed] = char_lm.generate(n_chars=300, seed=seed, temperature=1.2)

    threads = [threading.Thread(target=work, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone
    assert len(set(alone.values())) == len(seeds)  # the seeds do differ


def test_library_code_prints_nothing(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with caplog.at_level(logging.INFO, logger="rnnkit"):
        lm = WordLM(**{**SMALL, "seq_len": 8}).fit(TEXT, minutes=0.01, quiet=True)
        lm.generate(n_words=5, seed=0)
        lm.evaluate(TEXT)
        lm.save(tmp_path / "lm")
        TextClassifier(hidden_size=8, embed_size=8, min_count=1, baseline=True).fit(
            TEXTS, LABELS, steps=3, quiet=True
        )
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    with caplog.at_level(logging.INFO, logger="rnnkit"):
        WordLM(**{**SMALL, "seq_len": 8}).fit(TEXT, epochs=1, quiet=False)
    assert any("planned 1.0 epochs" in r.getMessage() for r in caplog.records)


def test_plots_leave_matplotlib_alone(tmp_path: Path) -> None:
    # In a fresh interpreter: pick a backend as a notebook would, then draw every kind of plot.
    script = f"""
import sys, matplotlib
matplotlib.use("svg")
import numpy as np
from pathlib import Path
from rnnkit.classify.reports import plot_confusion
from rnnkit.training.plots import plot_training
out = Path({str(tmp_path)!r})
(out / "metrics.csv").write_text("step,elapsed_s,train_loss,val_loss,lr\\n5,1.0,3.1,,0.01\\n")
plot_training(out)
plot_confusion(np.array([[3, 1], [0, 4]]), ["a", "b"], out / "c.png")
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert "matplotlib.pyplot" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "training.png").read_bytes()[:4] == b"\x89PNG"


def test_every_kind_evaluates_with_the_same_core_fields(char_lm: CharLM) -> None:
    word = WordLM(**{**SMALL, "seq_len": 8}).fit(TEXT, steps=2, quiet=True)
    clf = TextClassifier(hidden_size=8, embed_size=8, min_count=1).fit(
        TEXTS, LABELS, steps=2, quiet=True
    )
    results = [char_lm.evaluate(TEXT), word.evaluate(TEXT), clf.evaluate(TEXTS, LABELS)]
    for result in results:
        assert set(result) >= CORE
        assert result["perplexity"] == pytest.approx(2.718281828459045 ** result["loss"])
        assert result["bits_per_token"] == pytest.approx(result["loss"] / 0.6931471805599453)
    assert [r["unit"] for r in results] == ["chars", "words", "texts"]
    assert results[0]["bpc"] == results[0]["bits_per_token"]  # kind-specific aliases stay
    assert results[1]["words"] == results[1]["tokens"] and results[2]["tokens"] == len(TEXTS)
