"""The one training loop, shared by every model kind and backend.

The loop owns what every training run needs: the budget, the learning-rate schedule, the progress
bar, periodic validation with a sample, keeping the best weights, checkpoints for exact resume,
NaN/inf detection, clean Ctrl-C, and the CSV / TensorBoard log. What differs between model kinds
(how a batch becomes a loss, how to validate, what a sample looks like) lives in a
:class:`Learner`; where batches come from lives in a :class:`Batches`.
"""

from __future__ import annotations

import csv
import math
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from torch import Tensor
from torch.nn import Module
from tqdm.auto import tqdm

from rnnkit.errors import RnnkitError
from rnnkit.training.schedule import Budget, learning_rate


class Batches(Protocol):
    """Batches addressed by step number, so that the data position is the step."""

    steps_per_epoch: int

    def batch(self, step: int) -> Any: ...


class Learner(Protocol):
    """A model plus its optimizer on one backend, as the loop drives it."""

    def train_step(self, batch: Any, lr: float) -> float:
        """One optimizer update; returns the batch loss (may be nan: the loop checks)."""
        ...

    def validate(self) -> float:
        """Mean validation loss (nats per token)."""
        ...

    def rank(self, val_loss: float) -> float:
        """What the best weights are chosen by, lower is better, from the validation just
        run: the loss itself, or a score of the learner's own (a classifier's error rate)."""
        ...

    def sample(self) -> str:
        """A short generated sample to show during training ("" if not applicable)."""
        ...

    def weights(self) -> dict[str, Tensor]: ...

    def load_weights(self, weights: dict[str, Tensor]) -> None: ...

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Optimizer, RNG and carried state: tensors, plus a JSON-ready dict."""
        ...

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None: ...


@dataclass
class LoopSettings:
    """Schedule and bookkeeping settings of a run (stored in the checkpoint's config)."""

    lr: float = 3e-3
    warmup_steps: int = 50
    min_lr_ratio: float = 0.05
    evals: int = 10
    log_every: int = 50
    tokens_per_step: int = 1
    token_name: str = "tok"


#: The LoopState fields that are infinite until the first validation (None in JSON).
_BESTS = ("best_val", "best_rank")


@dataclass
class LoopState:
    """Where a run stands; saved as ``training/state.json`` for exact resume."""

    step: int = 0
    elapsed: float = 0.0
    evals_done: int = 0
    best_val: float = math.inf
    #: The learner's rank of the best weights (their validation loss unless it ranks otherwise).
    best_rank: float = math.inf
    best_step: int = 0
    history: list[dict[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        finite = {k: None if math.isinf(getattr(self, k)) else getattr(self, k) for k in _BESTS}
        return {**self.__dict__, **finite}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoopState:
        data = {"best_rank": data.get("best_val"), **data}  # states saved before ranks: the loss
        return cls(**{**data, **{k: math.inf if data[k] is None else data[k] for k in _BESTS}})


#: Called with (best weights, training tensors, training JSON) to write a checkpoint.
SaveFn = Callable[[dict[str, Tensor], dict[str, Tensor], dict[str, Any]], None]


class Trainer:
    """Runs a :class:`Learner` over :class:`Batches` within a :class:`Budget`.

    A time budget counts training time: the clock pauses while validating and saving.

    Example:
        >>> import numpy as np, torch
        >>> from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM
        >>> from rnnkit.lm.learner import OptimSettings, TorchLMLearner
        >>> from rnnkit.training.streams import TokenStreams
        >>> ids = np.arange(400) % 7
        >>> _ = torch.manual_seed(0)
        >>> model = RecurrentLM(ModelConfig(vocab_size=7, hidden_size=16, embed_size=8))
        >>> learner = TorchLMLearner(model, ids[-50:], OptimSettings(), eval_seq_len=16)
        >>> settings = LoopSettings(lr=0.02, warmup_steps=2)
        >>> trainer = Trainer(learner, TokenStreams(ids, 4, 8, seed=0), settings, log_dir=None)
        >>> state = trainer.run(Budget(steps=20), quiet=True)
        >>> state.step, state.best_val < 1.0  # ln(7) = 1.95 before training
        (20, True)
    """

    def __init__(
        self, learner: Learner, batches: Batches, settings: LoopSettings, log_dir: Path | None
    ) -> None:
        self.learner, self.batches, self.settings = learner, batches, settings
        self.state = LoopState()
        self.best_weights: dict[str, Tensor] | None = None
        self._log = _MetricsLog(log_dir) if log_dir is not None else None
        self._stop = False
        self.interrupted = False
        self._rate_from = (0, 0.0)
        #: How the ranks of a distributed run agree on (stop, elapsed) after each step, so they
        #: take the same decisions (rnnkit.training.distributed.World.agree); alone, as they are.
        self.agree: Callable[[bool, float], tuple[bool, float]] = lambda stop, t: (stop, t)

    def restore(
        self, tensors: dict[str, Tensor], state: dict[str, Any], best: dict[str, Tensor]
    ) -> None:
        """Continue a saved run: the learner's latest weights and training state, the loop's
        position, and the best weights so far (a checkpoint's training tensors, training state
        and weights)."""
        self.learner.load_weights(unprefixed(tensors))
        self.learner.load_train_state(tensors, state)
        self.state = LoopState.from_json(dict(state["loop"]))
        self.best_weights = best

    def run(self, budget: Budget, save: SaveFn | None = None, quiet: bool = False) -> LoopState:
        """Train until the budget is used, Ctrl-C, or a non-finite loss (a one-line error)."""
        st = self.state
        bar = _progress(budget, st, quiet)
        self._rate_from = (st.step, st.elapsed)
        window: list[float] = []
        with _deferred_sigint(self._request_stop):
            t0 = time.perf_counter() - st.elapsed
            while budget.progress(st.step, st.elapsed) < 1.0 and not self._stop:
                loss, lr = self._train_step(budget, bar, save is not None)
                stop, st.elapsed = self.agree(self._stop, time.perf_counter() - t0)
                self._stop = self._stop or stop  # (a signal may have come in meanwhile)
                window.append(loss)
                if st.step % self.settings.log_every == 0:
                    self._log_train(window, lr)
                    window = []
                if self._eval_due(budget) or budget.progress(st.step, st.elapsed) >= 1.0:
                    paused = time.perf_counter()
                    self._evaluate(bar, save)
                    t0 += time.perf_counter() - paused  # validation does not use the budget
                self._show(bar, budget, loss)
        self.interrupted = self._stop
        if self._stop and save is not None:
            # Ctrl-C: save where we are, without a validation, which would count as one of the
            # run's and shift the schedule a resumed run must replay to match an unbroken one.
            best = self.best_weights if self.best_weights is not None else self._latest()
            save(best, *self.snapshot())
        bar.close()
        if self._log is not None:
            self._log.close()
        return st

    def _train_step(self, budget: Budget, bar: tqdm, saving: bool) -> tuple[float, float]:
        s, st = self.settings, self.state
        progress = budget.progress(st.step, st.elapsed)
        lr = learning_rate(s.lr, st.step, progress, s.warmup_steps, s.min_lr_ratio)
        loss = self.learner.train_step(self.batches.batch(st.step), lr)
        if not math.isfinite(loss):
            bar.close()
            self._fail(st.step, loss, saving)
        st.step += 1
        return loss, lr

    def _show(self, bar: tqdm, budget: Budget, loss: float) -> None:
        st = self.state
        if st.step % 10 == 0:
            step0, elapsed0 = self._rate_from
            rate = (st.step - step0) * self.settings.tokens_per_step / (st.elapsed - elapsed0)
            bar.set_description(f"loss {loss:.4f}, {rate:,.0f} {self.settings.token_name}/s", False)
        target = st.step if budget.steps is not None else min(st.elapsed, budget.seconds or 0.0)
        bar.update(target - bar.n)

    def _request_stop(self) -> None:
        self._stop = True

    def _eval_due(self, budget: Budget) -> bool:
        target = (self.state.evals_done + 1) / max(1, self.settings.evals)
        return budget.progress(self.state.step, self.state.elapsed) >= target

    def _evaluate(self, bar: tqdm, save: SaveFn | None) -> None:
        st = self.state
        val = self.learner.validate()
        st.evals_done += 1
        st.history.append({"step": st.step, "elapsed": round(st.elapsed, 3), "val_loss": val})
        rank = self.learner.rank(val)
        if rank < st.best_rank or self.best_weights is None:
            st.best_val, st.best_rank, st.best_step = val, rank, st.step
            self.best_weights = self._latest()
        bar.set_postfix_str(f"val {val:.4f}, best {st.best_val:.4f}", refresh=False)
        sample = "" if bar.disable else self.learner.sample()
        if sample:
            bar.write(f"--- step {st.step}, val loss {val:.4f} ---\n{sample}\n---")
        if self._log is not None:
            self._log.write(st, val_loss=val)
        if save is not None:
            save(self.best_weights, *self.snapshot())

    def summary(self) -> dict[str, Any]:
        """Where the run stands, for a checkpoint's config: steps, training time, the best
        validation loss and its step, whether Ctrl-C stopped it, and the validation curve."""
        st = self.state
        return {
            "steps": st.step,
            "elapsed_s": round(st.elapsed, 2),
            "best_val_loss": None if math.isinf(st.best_val) else st.best_val,
            "best_step": st.best_step,
            "interrupted": self.interrupted,
            "history": st.history,
        }

    def snapshot(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Everything needed to resume exactly: the learner's state, its latest weights (copied,
        under ``last.``) and the loop position; the tensors and JSON of ``training/state.*``."""
        tensors, meta = self.learner.train_state()
        latest = {f"last.{k}": v for k, v in self._latest().items()}
        return {**tensors, **latest}, {**meta, "loop": self.state.to_json()}

    def _latest(self) -> dict[str, Tensor]:
        return {k: v.detach().clone() for k, v in self.learner.weights().items()}

    def _log_train(self, window: list[float], lr: float) -> None:
        if self._log is not None and window:
            self._log.write(self.state, train_loss=sum(window) / len(window), lr=lr)

    def _fail(self, step: int, loss: float, saved: bool) -> None:
        if self.best_weights is not None:
            self.learner.load_weights(self.best_weights)
        where = (
            f"the last good checkpoint (step {self.state.best_step}) is kept"
            if saved and self.state.evals_done
            else "nothing was saved"
        )
        raise RnnkitError(
            f"training stopped: the loss became {loss} at step {step + 1}; {where}. "
            "Try a lower --lr or a smaller --clip"
        )


def run_keeping_best(
    trainer: Trainer, budget: Budget, model: Module, save: SaveFn | None, quiet: bool
) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Run ``trainer``, then put its best weights into ``model`` and move it to the CPU (where
    estimators predict and sample). Returns the snapshot of the latest training state, taken
    before the best weights go in, so that a later save pairs the latest weights with the
    latest optimizer state."""
    trainer.run(budget, save=save, quiet=quiet)
    snapshot = trainer.snapshot()
    if trainer.best_weights is not None:
        model.load_state_dict(trainer.best_weights)
    model.cpu()
    return snapshot


def unprefixed(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    """The latest weights stored in a training state (inverse of the ``last.`` prefix)."""
    return {k.removeprefix("last."): v for k, v in tensors.items() if k.startswith("last.")}


def _progress(budget: Budget, st: LoopState, quiet: bool) -> tqdm:
    by_steps = budget.steps is not None
    total = budget.steps if by_steps else budget.seconds
    unit = "step" if by_steps else "s"
    fmt = "{l_bar}{bar}| {n:.0f}/{total:.0f}" + unit + " [{elapsed}<{remaining}{postfix}]"
    initial = st.step if by_steps else st.elapsed
    return tqdm(total=total, initial=initial, bar_format=fmt, disable=quiet, dynamic_ncols=True)


class _MetricsLog:
    """Appends metrics to ``metrics.csv`` (and TensorBoard when it is installed)."""

    FIELDS = ("step", "elapsed_s", "train_loss", "val_loss", "lr")

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "metrics.csv"
        new = not path.exists()
        self._fh = path.open("a", newline="", encoding="utf-8")
        self._csv = csv.DictWriter(self._fh, fieldnames=self.FIELDS)
        if new:
            self._csv.writeheader()
        self._tb = _tensorboard(folder)

    def write(self, st: LoopState, **values: float) -> None:
        self._csv.writerow({"step": st.step, "elapsed_s": f"{st.elapsed:.3f}", **values})
        self._fh.flush()
        if self._tb is not None:
            for name, value in values.items():
                self._tb.add_scalar(name, value, st.step)

    def close(self) -> None:
        self._fh.close()
        if self._tb is not None:
            self._tb.close()


def _tensorboard(folder: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # TensorBoard is optional
        return None
    return SummaryWriter(str(folder / "tensorboard"))


@contextmanager
def _deferred_sigint(on_interrupt: Callable[[], None]) -> Iterator[None]:
    """Turn the first Ctrl-C (or SIGTERM, which torchrun and schedulers send) into a stop
    request, honoured after the current step, so weights, optimizer and data position stay
    consistent; a second one interrupts at once."""
    defaults: dict[signal.Signals, Any] = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
    }

    def handler(signum: int, frame: FrameType | None) -> None:
        on_interrupt()
        signal.signal(signum, defaults[signal.Signals(signum)])

    try:
        previous = {sig: signal.signal(sig, handler) for sig in defaults}
    except ValueError:  # not the main thread: no signal handling there
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
