"""CharLM end to end: learning, exact sizes, reproducibility, save/load and resume identity."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import TINY, assert_same_weights, interrupt_at
from rnnkit import CharLM, RnnkitError
from rnnkit.data.sources import Text
from rnnkit.lm.learner import TorchLMLearner


def _fit(text: str, steps: int = 30, out: Path | None = None, **kw: object) -> CharLM:
    return CharLM(**{**TINY, **kw}).fit(text, steps=steps, out_dir=out, quiet=True)


def test_overfits_a_tiny_text() -> None:
    text = Text("the cat sat on the mat. " * 60)  # one line: the text itself, not a name
    lm = _fit(text, steps=150, hidden_size=64, val_fraction=0.2)
    assert lm.evaluate(text)["loss"] < 0.1
    # Greedy continuation reproduces the memorised pattern.
    assert lm.generate(n_chars=48, prompt="the cat ", temperature=0) == text[8:56]


def test_exact_sizes(sonnets: str) -> None:
    lm = _fit(sonnets)
    for n in (1, 7, 300):
        assert len(lm.generate(n_chars=n, seed=n)) == n
    for n in (1, 3, 14):
        text = lm.generate(n_lines=n, prompt="Thy", seed=n)
        assert len(text.split("\n")) == n and not text.endswith("\n")
    batch = lm.generate_batch(5, n_lines=4, seed=2)
    assert len(batch) == 5 and all(len(t.split("\n")) == 4 for t in batch)
    assert len(set(batch)) > 1  # independent samples


def test_seeded_sampling_and_stream(sonnets: str) -> None:
    lm = _fit(sonnets)
    a = lm.generate(n_chars=200, prompt="Thou", temperature=0.9, top_k=10, top_p=0.95, seed=7)
    b = lm.generate(n_chars=200, prompt="Thou", temperature=0.9, top_k=10, top_p=0.95, seed=7)
    assert a == b
    assert (
        "".join(
            lm.stream(n_chars=200, prompt="Thou", temperature=0.9, top_k=10, top_p=0.95, seed=7)
        )
        == a
    )
    lines = lm.generate(n_lines=3, seed=3)
    assert "".join(lm.stream(n_lines=3, seed=3)) == lines
    assert lm.generate_batch(1, n_chars=50, seed=4) == [lm.generate(n_chars=50, seed=4)]


def test_stop_strings(sonnets: str) -> None:
    lm = _fit(sonnets)
    text = lm.generate(n_chars=2000, seed=1, stop="e")
    assert "e" not in text and len(text) < 2000


def test_training_is_deterministic(sonnets: str) -> None:
    a, b = (
        _fit(sonnets, steps=12, dropout=0.1, num_layers=2),
        _fit(sonnets, steps=12, dropout=0.1, num_layers=2),
    )
    assert a.model_ is not None and b.model_ is not None
    for (name, p), q in zip(
        a.model_.state_dict().items(), b.model_.state_dict().values(), strict=True
    ):
        assert torch.equal(p, q), name


def test_save_load_identity(sonnets: str, tmp_path: Path) -> None:
    lm = _fit(sonnets, out=tmp_path / "run")
    lm.save(tmp_path / "copy")
    assert_same_weights(tmp_path / "run", tmp_path / "copy")  # training state too
    for path in (tmp_path / "run", tmp_path / "copy"):
        again = CharLM.load(path)
        tokens = torch.randint(0, len(again.vocab_ or []), (2, 33))
        assert lm.model_ is not None and again.model_ is not None
        lm.model_.eval(), again.model_.eval()
        torch.testing.assert_close(again.model_(tokens)[0], lm.model_(tokens)[0], rtol=0, atol=0)
        assert again.generate(n_chars=100, seed=5) == lm.generate(n_chars=100, seed=5)
        assert again.info()["stats"]["steps"] == 30


def test_ctrl_c_then_resume_equals_uninterrupted(
    sonnets: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"dropout": 0.1, "num_layers": 2, "evals": 3}
    _fit(sonnets, steps=24, out=tmp_path / "whole", **settings)
    with monkeypatch.context() as m:
        interrupt_at(m, TorchLMLearner, at_step=12)
        half = _fit(sonnets, steps=24, out=tmp_path / "half", **settings)
    assert half.info()["stats"]["interrupted"] and half.info()["stats"]["steps"] == 12
    resumed = CharLM.resume(tmp_path / "half", sonnets, quiet=True)
    assert resumed.info()["stats"]["steps"] == 24
    assert_same_weights(tmp_path / "half", tmp_path / "whole")


def test_save_after_fit_keeps_the_latest_weights_for_resume(
    sonnets: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validation that gets worse after the first check makes the best weights differ from the
    # latest; save() must still store the latest ones beside the latest optimizer state.
    losses = iter([1.0, 2.0, 3.0])
    monkeypatch.setattr(TorchLMLearner, "validate", lambda self: next(losses))
    lm = _fit(sonnets, steps=12, out=tmp_path / "run", evals=3)
    lm.save(tmp_path / "copy")
    assert_same_weights(tmp_path / "run", tmp_path / "copy")


def test_resume_with_a_new_budget_and_checks_the_corpus(sonnets: str, tmp_path: Path) -> None:
    _fit(sonnets, steps=10, out=tmp_path / "run")
    more = CharLM.resume(tmp_path / "run", sonnets, steps=15, quiet=True)
    assert more.info()["stats"]["steps"] == 15
    with pytest.raises(RnnkitError, match="not the text this run was trained on"):
        CharLM.resume(tmp_path / "run", sonnets + "changed\n", quiet=True)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(
    sonnets: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = TorchLMLearner.train_step
    calls = {"n": 0}

    def step(self: TorchLMLearner, batch: object, lr: float) -> float:
        calls["n"] += 1
        loss = original(self, batch, lr)  # type: ignore[arg-type]
        return float("nan") if calls["n"] == 25 else loss

    monkeypatch.setattr(TorchLMLearner, "train_step", step)
    with pytest.raises(RnnkitError, match="loss became nan at step 25; the last good checkpoint"):
        _fit(sonnets, steps=40, out=tmp_path / "run", evals=8)
    kept = CharLM.load(tmp_path / "run")
    assert kept.info()["stats"]["steps"] == 20  # the last validation before the failure
    assert len(kept.generate(n_chars=10, seed=0)) == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_chars": 0}, "positive"),
        ({"n_lines": -2}, "positive"),
        ({}, "exactly one size"),
        ({"n_chars": 5, "n_lines": 5}, "exactly one size"),
        ({"n_chars": 5, "temperature": -1.0}, "temperature"),
        ({"n_chars": 5, "top_p": 1.5}, "top_p"),
        ({"n_chars": 5, "top_k": 0}, "top_k"),
        ({"n_chars": 5, "prompt": "the¤"}, "never saw: '¤'"),
        ({"n_chars": 5, "stop": ""}, "stop string"),
    ],
)
def test_bad_generation_requests(sonnets: str, kwargs: dict, message: str) -> None:
    lm = _fit(sonnets, steps=2)
    with pytest.raises(RnnkitError, match=message):
        lm.generate(**kwargs)


def test_bad_training_requests(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="too short for seq_len 16"):
        _fit("abc def\n" * 3)
    with pytest.raises(RnnkitError, match="unknown CharLM setting"):
        CharLM(hidden=3)
    with pytest.raises(RnnkitError, match="not trained yet"):
        CharLM().generate(n_chars=3)
    with pytest.raises(RnnkitError, match="budget must be positive"):
        _fit("abc def\n" * 30, steps=-1)


def test_auto_defaults_follow_the_budget() -> None:
    short_arch, short = CharLM()._resolved(150.0)
    long_arch, long = CharLM()._resolved(600.0)
    assert (short_arch["hidden_size"], short_arch["dropout"], short.lr) == (256, 0.0, 8e-3)
    assert (long_arch["hidden_size"], long_arch["dropout"], long.lr) == (512, 0.1, 5e-3)
    assert (short.weight_decay, long.weight_decay) == (0.01, 0.1)
    assert CharLM()._resolved(None)[0]["hidden_size"] == 256  # a step budget
    mine_arch, mine = CharLM(hidden_size=64, dropout=0.3, lr=1e-3)._resolved(600.0)
    assert (mine_arch["hidden_size"], mine_arch["dropout"], mine.lr) == (64, 0.3, 1e-3)


def test_fit_records_the_resolved_settings(sonnets: str, tmp_path: Path) -> None:
    CharLM(seq_len=16, batch_size=4).fit(sonnets, steps=2, out_dir=tmp_path, quiet=True)
    loaded = CharLM.load(tmp_path)
    assert loaded.info()["hidden_size"] == 256 and loaded.settings.lr == 8e-3


def test_an_empty_prompt_starts_after_a_newline(sonnets: str) -> None:
    lm = _fit(sonnets)
    for seed in range(3):
        assert lm.generate(n_chars=40, seed=seed) == lm.generate(n_chars=40, prompt="\n", seed=seed)
