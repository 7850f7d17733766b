"""Conditioned language models: the style changes what is written (a toy corpus of two labels
with disjoint alphabets), unconditioned generation still works, Bayes classification, save and
load, resume identity, the fast stepper against the model, and the one-line errors."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conftest import TINY, assert_same_weights, interrupt_at
from rnnkit import CharLM, RnnkitError, Text, WordLM
from rnnkit.cli import cli
from rnnkit.data.tokenstore import prepare
from rnnkit.decoding.sampling import Stepper
from rnnkit.lm.conditioning import read_documents, text_nats
from rnnkit.lm.learner import TorchLMLearner
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM

ALPHABETS = {"low": "abcd", "up": "WXYZ"}
SETTINGS = {**TINY, "cell": "gru", "seq_len": 32, "batch_size": 8, "label_size": 8, "lr": 2e-2}


def _rows(seed: int, per_label: int = 40) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(per_label):
        for label, letters in ALPHABETS.items():
            words = ["".join(rng.choices(letters, k=rng.randint(2, 5))) for _ in range(12)]
            rows.append((" ".join(words), label))
    return rows


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_csv(tmp_path_factory.mktemp("toy") / "toy.csv", _rows(0))


@pytest.fixture(scope="module")
def trained(toy: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[CharLM, Path]:
    out = tmp_path_factory.mktemp("run") / "model"
    lm = CharLM(**SETTINGS).fit(str(toy), condition="label", steps=100, out_dir=out, quiet=True)
    return lm, out


def _own_share(text: str, style: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c in ALPHABETS[style] for c in letters) / max(len(letters), 1)


def test_the_style_decides_the_alphabet(trained: tuple[CharLM, Path]) -> None:
    lm, _ = trained
    assert lm.styles == ["low", "up"]
    for style in ALPHABETS:
        samples = lm.generate_batch(4, n_chars=200, style=style, seed=1)
        assert all(len(s) == 200 for s in samples)
        assert min(_own_share(s, style) for s in samples) > 0.95, samples


def test_unconditioned_generation_still_works(trained: tuple[CharLM, Path]) -> None:
    lm, _ = trained
    text = lm.generate(n_chars=300, seed=2)
    assert len(text) == 300
    letters = {c for c in text if c.isalpha()}
    assert letters <= set("abcdWXYZ") and letters & set("abcd") and letters & set("WXYZ")
    assert lm.generate(n_lines=3, style="up", seed=2).count("\n") == 2


def test_stream_and_stop_strings_follow_the_style(trained: tuple[CharLM, Path]) -> None:
    lm, _ = trained
    whole = lm.generate(n_chars=120, style="up", seed=4)
    assert "".join(lm.stream(n_chars=120, style="up", seed=4)) == whole
    stop = whole[40:42]
    cut = lm.generate(n_chars=120, style="up", seed=4, stop=stop)
    assert cut == whole[: whole.index(stop)]


def test_classify_is_bayes_and_exact_on_the_toy_corpus(trained: tuple[CharLM, Path]) -> None:
    lm, _ = trained
    for text, label in _rows(seed=7, per_label=5):
        found = lm.classify(text)
        assert found.label == label
        assert sum(found.probabilities.values()) == pytest.approx(1.0)
        # Bayes with the prior of the training documents (half each here).
        other = next(s for s in lm.styles if s != label)
        odds = np.exp(found.nats[other] - found.nats[label])
        ratio = found.probabilities[label] / found.probabilities[other]
        assert ratio == pytest.approx(odds, rel=1e-6)


def test_evaluate_given_a_style_scores_the_text_under_that_label(
    trained: tuple[CharLM, Path],
) -> None:
    lm, _ = trained
    # Shorter than two windows: read as one stream, as text_nats reads it.
    text = next(t for t, y in _rows(seed=8) if y == "low")[: 2 * SETTINGS["seq_len"] - 1]
    own, other = (lm.evaluate(Text(text), style=s) for s in ("low", "up"))
    unlabelled = lm.evaluate(Text(text))
    assert own["bpc"] < unlabelled["bpc"] < other["bpc"]
    # The same sums as reading the text once per label in one batch (text_nats).
    ids = lm._require_vocab().encode(text)
    nats = text_nats(lm._require_model(), ids, torch.tensor([0, 1, 2]))
    for result, want in zip((own, other, unlabelled), nats, strict=True):
        assert result["loss"] * (len(ids) - 1) == pytest.approx(want, rel=1e-4)
    with pytest.raises(RnnkitError, match="unknown style 'mid'"):
        lm.evaluate(Text(text), style="mid")


def test_save_load_gives_the_same_samples_and_styles(
    trained: tuple[CharLM, Path], tmp_path: Path
) -> None:
    lm, _ = trained
    lm.save(tmp_path / "copy")
    again = CharLM.load(tmp_path / "copy")
    assert again.styles == lm.styles
    for style in (None, "low", "up"):
        want = lm.generate_batch(2, n_chars=80, style=style, seed=3)
        assert again.generate_batch(2, n_chars=80, style=style, seed=3) == want
    assert again.classify("abca dd") == lm.classify("abca dd")
    info = again.info()
    assert info["condition"] == "label" and info["styles"] == ["low", "up"]


def test_resume_with_conditioning_equals_uninterrupted(
    toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {**SETTINGS, "evals": 3, "label_dropout": 0.5}

    def fit(out: Path) -> CharLM:
        lm = CharLM(**settings)
        return lm.fit(str(toy), condition="label", steps=24, out_dir=out, quiet=True)

    fit(tmp_path / "whole")
    with monkeypatch.context() as m:
        interrupt_at(m, TorchLMLearner, at_step=12)
        half = fit(tmp_path / "half")
    assert half.info()["stats"]["steps"] == 12
    resumed = CharLM.resume(tmp_path / "half", quiet=True)
    assert resumed.info()["stats"]["steps"] == 24 and resumed.styles == ["low", "up"]
    assert_same_weights(tmp_path / "half", tmp_path / "whole")


def test_a_word_model_is_conditioned_the_same_way(toy: Path) -> None:
    lm = WordLM(hidden_size=32, embed_size=16, seq_len=16, batch_size=4, label_size=4)
    lm.fit(str(toy), condition="label", steps=60, quiet=True)
    assert lm.styles == ["low", "up"]
    assert len(lm.generate(n_words=15, style="low", seed=1).split()) == 15
    assert lm.classify("abc dab").label in lm.styles


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_fast_stepper_reproduces_the_conditioned_model(cell: str) -> None:
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=7, cell=cell, hidden_size=12, embed_size=5, num_layers=2, num_labels=3
    )
    model = RecurrentLM(config).eval()
    tokens, labels = torch.randint(0, 7, (3, 6)), torch.tensor([0, 2, 3])  # 3: no label
    want, _ = model(tokens, None, labels)
    stepper = Stepper(model, labels)
    state = stepper.init_state(3)
    for t in range(tokens.shape[1]):
        got, state = stepper.step(tokens[:, t], state)
        torch.testing.assert_close(got, want[:, t], rtol=1e-5, atol=1e-5)


def test_no_label_is_the_label_dropped_and_unconditioned_configs_are_as_before() -> None:
    config = ModelConfig(vocab_size=5, hidden_size=8, num_labels=2, label_dropout=0.3)
    model = RecurrentLM(config).eval()
    tokens = torch.zeros(1, 4, dtype=torch.long)
    plain, _ = model(tokens)
    assert torch.equal(plain, model(tokens, None, torch.tensor([2]))[0])
    assert not torch.equal(plain, model(tokens, None, torch.tensor([0]))[0])
    assert "num_labels" not in ModelConfig(vocab_size=5).to_json()
    with pytest.raises(RnnkitError, match="not conditioned"):
        RecurrentLM(ModelConfig(vocab_size=5, hidden_size=8))(tokens, None, torch.tensor([0]))


def test_style_errors_are_one_line(trained: tuple[CharLM, Path], sonnets: str) -> None:
    lm, _ = trained
    with pytest.raises(RnnkitError, match=r"unknown style 'mid'; this model knows: low, up"):
        lm.generate(n_chars=5, style="mid")
    with pytest.raises(RnnkitError, match="unknown style"):
        lm.stream(n_chars=5, style="mid")
    plain = CharLM(**TINY).fit(sonnets, steps=2, quiet=True)
    assert plain.styles == []
    for call in (
        lambda: plain.generate(n_chars=5, style="low"),
        lambda: plain.classify("some text"),
        lambda: plain.evaluate(Text("some text"), style="low"),
    ):
        with pytest.raises(RnnkitError, match="trained without a condition"):
            call()


def test_data_errors_are_one_line(tmp_path: Path) -> None:
    one = _write_csv(tmp_path / "one.csv", [(t, "low") for t, y in _rows(1) if y == "low"])
    with pytest.raises(RnnkitError, match=r"has one label value \('low'\)"):
        CharLM(**SETTINGS).fit(str(one), condition="label", steps=2, quiet=True)
    with pytest.raises(RnnkitError, match="no column 'genre'"):
        CharLM(**SETTINGS).fit(str(tmp_path / "one.csv"), condition="genre", steps=2, quiet=True)
    with pytest.raises(RnnkitError, match="conditioning needs the torch backend"):
        lm = CharLM(**{**SETTINGS, "backend": "numpy"})
        lm.fit(str(one), condition="label", steps=2, quiet=True)
    with pytest.raises(RnnkitError, match="conditioned on genre, work, form, not 'era'"):
        CharLM(**SETTINGS).fit("shakespeare-works", condition="era", steps=2, quiet=True)


def test_a_token_store_holds_no_labels(tmp_path: Path) -> None:
    text = tmp_path / "plain.txt"
    text.write_text("a plain text with no labels at all.\n" * 40, encoding="utf-8")
    store = prepare(text, tmp_path / "tokens")
    with pytest.raises(RnnkitError, match="a token store holds no labels"):
        CharLM(**SETTINGS).fit(str(store.path), condition="label", steps=2, quiet=True)


def test_cli_trains_generates_and_lists_styles(toy: Path, tmp_path: Path) -> None:
    runner, out = CliRunner(), tmp_path / "styles"
    args = ["train", str(toy), "--condition", "label", "--steps", "20", "--hidden-size", "32"]
    trained = runner.invoke(cli, [*args, "--seq-len", "16", "--out", str(out), "--quiet"])
    assert trained.exit_code == 0, trained.output
    info = runner.invoke(cli, ["info", str(out), "--json"])
    assert json.loads(info.stdout)["styles"] == ["low", "up"]
    made = runner.invoke(cli, ["generate", str(out), "--style", "up", "--lines", "2"])
    assert made.exit_code == 0 and made.stdout.count("\n") == 2, made.output
    bad = runner.invoke(cli, ["generate", str(out), "--style", "mid", "--chars", "5"])
    assert bad.exit_code == 2 and "unknown style 'mid'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    upper = tmp_path / "up.txt"
    upper.write_text("WXY ZZW XYZ\n" * 5, encoding="utf-8")
    bits = {}
    for style in ("up", "low"):
        scored = runner.invoke(cli, ["evaluate", str(out), str(upper), "--style", style, "--json"])
        assert scored.exit_code == 0, scored.output
        bits[style] = json.loads(scored.stdout)["bpc"]
    assert bits["up"] < bits["low"]


def test_the_generation_view_is_the_clean_view_with_speaker_turns() -> None:
    from rnnkit.data import works

    for work in works.works():
        lines = [line for _, line in work.generation_lines()]
        # Turn j opens before clean line k: in the generation view it is line k + j.
        at = {k + j: name for j, (k, name) in enumerate(work.turns)}
        assert [lines[i] for i in at] == list(at.values())
        assert [x for i, x in enumerate(lines) if i not in at] == work.clean.split("\n")
        if work.form == "play":
            assert len(work.turns) > 100
            # "HAMLET.", "2. QUEEN.", "HORATIO and MARCELLUS.": a capital name, then a stop.
            assert all(re.fullmatch(r"(\d\. ?)?[A-Z]{2}.*\.", name) for name in at.values())
        else:
            assert work.turns == ()
    forms = works.documents("test", "form")
    assert sorted(set(forms.labels)) == ["play", "poem", "sonnet"]
    sonnet = forms.texts[forms.labels.index("sonnet")]
    assert not any(line.endswith(".") and line.isupper() for line in sonnet.split("\n"))


def test_style_balance_repeats_rare_documents_and_keeps_the_real_prior(tmp_path: Path) -> None:
    rows = _rows(2, per_label=20)
    rare = [(t, y) for t, y in rows if y == "low"][:5] + [(t, y) for t, y in rows if y == "up"]
    path = _write_csv(tmp_path / "rare.csv", rare)
    plain = read_documents(str(path), "label", 0.2, seed=0, balance=0.0)
    even = read_documents(str(path), "label", 0.2, seed=0, balance=1.0)
    low, up = plain.train[1].count("low"), plain.train[1].count("up")
    times = round(up / low)
    assert times >= 3
    assert sorted(even.train[0]) == sorted(
        [t for t, y in zip(*plain.train, strict=True) if y == "up"]
        + times * [t for t, y in zip(*plain.train, strict=True) if y == "low"]
    )
    assert even.validation == plain.validation  # held-out text is as read
    assert even.conditioning("label").prior == plain.conditioning("label").prior
    assert plain.conditioning("label").prior == (low / (low + up), up / (low + up))
    with pytest.raises(RnnkitError, match="style balance must be 0 or more"):
        read_documents(str(path), "label", 0.2, seed=0, balance=-1.0)
