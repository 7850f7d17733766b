"""The NumPy backend through the same front door: same loop, same checkpoint, same logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conftest import TINY, assert_same_weights, interrupt_at
from rnnkit import CharLM, RnnkitError
from rnnkit.cli import cli
from rnnkit.lm.numpy_learner import NumpyLMLearner

NUMPY = {**TINY, "backend": "numpy"}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_numpy_checkpoint_loads_in_torch_with_the_same_logits(
    cell: str, sonnets: str, tmp_path: Path
) -> None:
    lm = CharLM(**{**NUMPY, "cell": cell}).fit(sonnets, steps=15, out_dir=tmp_path, quiet=True)
    assert lm.info()["stats"]["best_val_loss"] < np.log(len(lm.vocab_ or []))
    learner = lm._trainer.learner if lm._trainer else None
    loaded = CharLM.load(tmp_path)
    assert loaded.model_ is not None and learner is not None
    tokens = np.random.default_rng(0).integers(0, len(loaded.vocab_ or []), (2, 40))
    learner.load_weights(loaded.model_.state_dict())  # the best weights, as saved
    numpy_logits, _ = learner.model.forward(tokens)  # type: ignore[attr-defined]
    with torch.no_grad():
        torch_logits, _ = loaded.model_.eval()(torch.from_numpy(tokens))
    np.testing.assert_allclose(torch_logits.numpy(), numpy_logits, rtol=0, atol=2e-5)
    assert len(loaded.generate(n_chars=60, seed=1)) == 60


def test_numpy_and_torch_backends_train_alike(sonnets: str) -> None:
    """Same initial weights, same batches, Adam == AdamW without decay: the runs stay close."""
    losses = {}
    for backend in ("torch", "numpy"):
        lm = CharLM(**{**TINY, "backend": backend}).fit(sonnets, steps=20, quiet=True)
        losses[backend] = lm.info()["stats"]["best_val_loss"]
    assert losses["numpy"] == pytest.approx(losses["torch"], abs=2e-3)


def test_numpy_resume_equals_uninterrupted(
    sonnets: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {**NUMPY, "evals": 3}
    CharLM(**settings).fit(sonnets, steps=16, out_dir=tmp_path / "whole", quiet=True)
    with monkeypatch.context() as m:
        interrupt_at(m, NumpyLMLearner, at_step=8)
        CharLM(**settings).fit(sonnets, steps=16, out_dir=tmp_path / "half", quiet=True)
    assert CharLM.resume(tmp_path / "half", sonnets, quiet=True).info()["stats"]["steps"] == 16
    assert_same_weights(tmp_path / "half", tmp_path / "whole")


def test_cli_backend_and_gradcheck(sonnet_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "np"
    args = [
        "train",
        str(sonnet_file),
        "--backend",
        "numpy",
        "--steps",
        "5",
        "--out",
        str(out),
        "--hidden-size",
        "16",
        "--embed-size",
        "8",
        "--seq-len",
        "16",
        "--quiet",
    ]
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, ["generate", str(out), "--chars", "25", "--seed", "0"])
    assert result.exit_code == 0 and len(result.stdout) == 26
    result = runner.invoke(cli, ["gradcheck", "--cell", "lstm"])
    assert result.exit_code == 0 and "weight_hh" in result.stdout and "FAIL" not in result.stdout


def test_numpy_backend_rejects_what_it_cannot_do(sonnets: str) -> None:
    with pytest.raises(RnnkitError, match="plain model only"):
        CharLM(**{**NUMPY, "dropout": 0.2}).fit(sonnets, steps=1, quiet=True)
    with pytest.raises(RnnkitError, match="unknown backend"):
        CharLM(backend="jax")
