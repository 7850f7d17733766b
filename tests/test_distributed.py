"""Distributed training with real processes (gloo on 127.0.0.1): 2 ranks train what 1 process
trains, resume is exact, rank 0 alone writes, and a crashed rank stops the others."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from rnnkit import CharLM
from rnnkit.core.rng import seeded
from rnnkit.errors import RnnkitError
from rnnkit.lm.learner import OptimSettings, TorchLMLearner
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM
from rnnkit.training import distributed
from rnnkit.training.loop import LoopSettings, Trainer
from rnnkit.training.schedule import Budget
from rnnkit.training.shards import streams_for

TEXT = "to be or not to be, that is the question\nwhether tis nobler in the mind to suffer\n" * 40
SMALL = {"hidden_size": 16, "embed_size": 8, "seq_len": 12, "batch_size": 4, "evals": 2}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _join(rank: int, world: int, port: int) -> distributed.World:
    """What torchrun gives a worker: its place in the environment (this child's own)."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    return distributed.current(timeout=20)


def _spawn(target: Callable[..., None], world: int, *args: Any, limit: float = 90) -> list[int]:
    """Run ``target(rank, world, port, *args)`` in ``world`` processes; their exit codes (a
    process still running after ``limit`` seconds fails the test: a hang)."""
    ctx = mp.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=target, args=(r, world, port, *args)) for r in range(world)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + limit
    for p in procs:
        p.join(max(0.1, deadline - time.monotonic()))
    hung = [p for p in procs if p.is_alive()]
    for p in hung:
        p.kill()
    assert not hung, "a rank hung"
    return [p.exitcode or 0 for p in procs]


# ---------------------------------------------------------------------------------------------
# 2 ranks == 1 process, in float64, with clipping and AdamW weight decay


def _learner_run(world: distributed.World, grad_accum: int) -> tuple[RecurrentLM, Trainer]:
    ids = np.random.default_rng(0).integers(0, 11, 3000)
    with seeded(0):
        model = RecurrentLM(ModelConfig(vocab_size=11, hidden_size=12, embed_size=6)).double()
    opt = OptimSettings(weight_decay=0.1, clip=0.05, grad_accum=grad_accum)
    learner = TorchLMLearner(model, ids[-400:], opt, eval_seq_len=16, world=world)
    streams = streams_for(ids[:-400], 8, 12, seed=3, rank=world.rank, world=world.size)
    trainer = Trainer(learner, streams, LoopSettings(lr=0.02, warmup_steps=3, evals=2), None)
    trainer.agree = world.agree
    trainer.run(Budget(steps=20), quiet=True)
    return model, trainer


def _ddp_job(world: distributed.World, out: Path) -> None:
    model, trainer = _learner_run(world, grad_accum=2)  # no_sync on the first of two parts
    if world.is_main:
        save_file(model.state_dict(), str(out / "ddp.safetensors"))
        (out / "ddp.json").write_text(json.dumps(trainer.state.history))


@contextmanager
def _trouble(rank: int, world: int, stop_at: int | None, crash_at: int | None) -> Iterator[None]:
    """On the last rank: SIGTERM to itself after step ``stop_at``, or die at ``crash_at``."""
    original = TorchLMLearner.train_step
    if rank != world - 1 or not (stop_at or crash_at):
        yield
        return
    calls = [0]

    def step(self: TorchLMLearner, batch: Any, lr: float) -> float:
        calls[0] += 1
        if calls[0] == crash_at:
            os._exit(3)  # a crash: no goodbye to the other ranks
        loss = original(self, batch, lr)
        if calls[0] == stop_at:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss

    TorchLMLearner.train_step = step  # type: ignore[method-assign]
    try:
        yield
    finally:
        TorchLMLearner.train_step = original  # type: ignore[method-assign]


def _fit_job(rank: int, world: int, corpus: str, folder: Path, options: dict[str, Any]) -> None:
    options = dict(options)
    stop_at, crash_at = options.pop("term_at", None), options.pop("crash_at", None)
    with _trouble(rank, world, stop_at, crash_at):
        try:
            if options.pop("resume", False):
                CharLM.resume(folder, quiet=True)
            else:
                CharLM(**options).fit(corpus, steps=16, out_dir=folder, quiet=True)
                if stop_at and rank == 0:
                    shutil.copytree(folder, f"{folder}.stopped")
        except RnnkitError as err:
            Path(f"{folder}.rank{rank}.err").write_text(str(err))
            sys.exit(2)


def _worker(rank: int, world: int, port: int, corpus: str, out: str, jobs: list[Any]) -> None:
    """One rank of a torchrun-like launch, running ``jobs`` one after the other."""
    w = _join(rank, world, port)
    for name, options in jobs:
        if name == "ddp":
            _ddp_job(w, Path(out))
        else:
            _fit_job(rank, world, corpus, Path(out) / name, options)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_text(TEXT)
    return str(path)


DROPOUT = {**SMALL, "dropout": 0.2}


@pytest.fixture(scope="module")
def runs(corpus: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One launch of 2 ranks (starting processes is what takes the time here), running: the
    float64 learner run; a run with dropout; the same stopped by SIGTERM on rank 1 after step
    5 (its checkpoint copied aside), then resumed; one without dropout stopped after step 6;
    and last, a run in which rank 1 crashes at step 4 (so rank 0 exits with 2, rank 1 with 3)."""
    out = tmp_path_factory.mktemp("runs")
    jobs = [
        ("ddp", {}),
        ("whole", DROPOUT),
        ("half", {**DROPOUT, "term_at": 5}),
        ("half", {"resume": True}),
        ("plain", {**SMALL, "dropout": 0.0, "term_at": 6}),
        ("crash", {**SMALL, "crash_at": 4}),
    ]
    assert _spawn(_worker, 2, corpus, str(out), jobs) == [2, 3]
    return out


def test_two_ranks_equal_one_process_in_float64(runs: Path) -> None:
    model, trainer = _learner_run(distributed.SINGLE, grad_accum=1)
    ddp = load_file(str(runs / "ddp.safetensors"))
    for name, value in model.state_dict().items():
        torch.testing.assert_close(ddp[name], value, rtol=0, atol=1e-10)
    assert not torch.equal(ddp["embed.weight"], RecurrentLM(model.config).embed.weight.double())
    history = json.loads((runs / "ddp.json").read_text())
    np.testing.assert_allclose(
        [h["val_loss"] for h in history], [h["val_loss"] for h in trainer.state.history], 1e-12
    )


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "training" / "state.safetensors"))


def test_sigterm_on_one_rank_then_resume_is_bit_identical(runs: Path) -> None:
    stopped = json.loads((runs / "half.stopped" / "config.json").read_text())["stats"]
    assert stopped["interrupted"] and stopped["steps"] == 5  # both ranks stopped after step 5
    rows = (runs / "half" / "metrics.csv").read_text().splitlines()
    assert len(rows) == len(set(rows)), "a rank other than 0 wrote the log"
    assert json.loads((runs / "half" / "config.json").read_text())["stats"]["steps"] == 16
    a, b = _weights(runs / "whole"), _weights(runs / "half")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(RnnkitError, match=r"trained on 2 process.*with dropout"):
        CharLM.resume(runs / "half", quiet=True)  # one process: the dropout masks would differ


def test_another_world_size_without_dropout_is_exact(corpus: str, runs: Path) -> None:
    resumed = CharLM.resume(runs / "plain", quiet=True)  # on 1 process
    alone = CharLM(**SMALL, dropout=0.0).fit(corpus, steps=16, quiet=True)
    assert resumed.info()["stats"]["steps"] == 16
    want, got = alone.model_.state_dict(), resumed.model_.state_dict()  # type: ignore[union-attr]
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, rtol=1e-4, atol=1e-6)


def test_a_crashed_rank_makes_the_others_exit_clearly(runs: Path) -> None:
    message = (runs / "crash.rank0.err").read_text()
    assert "another rank failed or stopped answering" in message


# ---------------------------------------------------------------------------------------------
# The command line under torchrun


def test_rnnkit_train_nproc_starts_torchrun(corpus: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "rnnkit", "train", corpus, "--nproc", "2", "--steps", "6",
         "--out", str(tmp_path / "run"), "--quiet", "--hidden-size", "16", "--embed-size", "8",
         "--seq-len", "12", "--batch-size", "4", "--evals", "1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.count("done: 6 steps") == 1  # printed by rank 0 alone
    meta = json.loads((tmp_path / "run" / "training" / "state.json").read_text())
    assert meta["world_size"] == 2
