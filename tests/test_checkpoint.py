"""Checkpoint folders: atomic replacement, recovery, and clear errors for damaged files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from conftest import TINY
from rnnkit import CharLM, RnnkitError
from rnnkit.core import checkpoint


@pytest.fixture
def saved(tmp_path: Path, sonnets: str) -> Path:
    out = tmp_path / "model"
    CharLM(**TINY).fit(sonnets, steps=4, out_dir=out, quiet=True)
    return out


def test_layout_is_json_and_safetensors_only(saved: Path) -> None:
    files = sorted(str(p.relative_to(saved)) for p in saved.rglob("*") if p.is_file())
    assert files == [
        "config.json",
        "metrics.csv",
        "model.safetensors",
        "training/state.json",
        "training/state.safetensors",
        "vocab.json",
    ]
    config = json.loads((saved / "config.json").read_text())
    assert config["format"] == "rnnkit-checkpoint" and config["format_version"] == 1
    assert config["kind"] == "char_lm" and config["corpus"]["sha256"]
    # The metrics log survives every checkpoint swap: header plus one row per validation.
    rows = (saved / "metrics.csv").read_text().splitlines()
    assert rows[0] == "step,elapsed_s,train_loss,val_loss,lr"
    assert len([r for r in rows[1:] if r.split(",")[3]]) == TINY["evals"]


def test_truncated_weights(saved: Path) -> None:
    weights = saved / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    with pytest.raises(RnnkitError, match=r"model\.safetensors is truncated or corrupt"):
        CharLM.load(saved)


def test_truncated_config_and_foreign_files(saved: Path, tmp_path: Path) -> None:
    config = saved / "config.json"
    text = config.read_text()
    config.write_text(text[: len(text) // 2])
    with pytest.raises(RnnkitError, match=r"config\.json is truncated or corrupt"):
        CharLM.load(saved)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"model_type": "gpt2"}')
    with pytest.raises(
        RnnkitError, match=r"an rnnkit checkpoint.* is not in the rnnkit-checkpoint format"
    ):
        CharLM.load(foreign)
    # A pickle renamed to look like weights is rejected, never unpickled.
    config.write_text(text)
    torch.save({"w": torch.ones(1)}, saved / "model.safetensors")
    with pytest.raises(RnnkitError, match="truncated or corrupt"):
        CharLM.load(saved)


def test_future_format_version_and_wrong_shapes(saved: Path) -> None:
    config = json.loads((saved / "config.json").read_text())
    (saved / "config.json").write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(RnnkitError, match="format version 99"):
        CharLM.load(saved)
    config["model"]["hidden_size"] = 48
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(RnnkitError, match="do not match"):
        CharLM.load(saved)


def test_crash_mid_swap_recovers_the_old_checkpoint(saved: Path) -> None:
    before = CharLM.load(saved).generate(n_chars=40, seed=1)
    # State after the first rename of a save that then crashed: only "<name>.old" exists.
    shutil.move(saved, saved.with_name(saved.name + ".old"))
    assert CharLM.load(saved).generate(n_chars=40, seed=1) == before


def test_resume_needs_training_state(saved: Path) -> None:
    shutil.rmtree(saved / "training")
    with pytest.raises(RnnkitError, match="no training state"):
        checkpoint.load(saved, with_training=True)
