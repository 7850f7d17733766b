"""``CharLM``: train a character-level recurrent language model and generate text with it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit import __version__, checkpoint
from rnnkit.corpus import Corpus, read_corpus
from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM
from rnnkit.sampling import Counter, SamplingConfig, generate_texts, token_stream
from rnnkit.training.lm_learner import OptimSettings, TorchLMLearner, stream_loss
from rnnkit.training.loop import LoopSettings, LoopState, Trainer, unprefixed
from rnnkit.training.numpy_learner import NumpyLMLearner
from rnnkit.training.schedule import Budget
from rnnkit.training.streams import TokenStreams
from rnnkit.vocab import CharVocab

KIND = "char_lm"
#: Training backends: both train the same RecurrentLM weights (same names, same checkpoint).
LEARNERS: dict[str, type[TorchLMLearner] | type[NumpyLMLearner]] = {
    "torch": TorchLMLearner,
    "numpy": NumpyLMLearner,
}


#: Defaults measured best on a 2-core CPU (benchmarks/charlm.py, Tiny Shakespeare) for a time
#: budget: up to 5 minutes, a GRU of 256 units; longer, a GRU of 512 with dropout 0.1. Step and
#: epoch budgets use the first row. Anything set explicitly is kept.
AUTO: tuple[tuple[float, dict[str, Any]], ...] = (
    (300.0, {"hidden_size": 256, "dropout": 0.0, "lr": 8e-3}),
    (math.inf, {"hidden_size": 512, "dropout": 0.1, "lr": 5e-3}),
)


def auto_settings(seconds: float | None) -> dict[str, Any]:
    """The measured defaults for a training time budget in seconds (None: a step budget)."""
    return next(values for limit, values in AUTO if seconds is None or seconds <= limit)


@dataclass
class TrainSettings:
    """Data and optimisation settings of a run (saved in the checkpoint's config)."""

    seq_len: int = 128
    batch_size: int = 32
    lr: float | None = None  # None: chosen with the model size from the budget (see AUTO)
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.01
    clip: float = 1.0
    val_fraction: float = 0.1
    val_max_chars: int | None = 200_000
    seed: int = 0
    evals: int = 10
    backend: str = "torch"


class CharLM:
    """A character-level RNN / LSTM / GRU language model.

    ``fit`` trains on a bundled corpus name (``"shakespeare"``), a text file, a folder of text
    files, or a string; ``generate`` writes text of an exact size.

    Example:
        >>> lm = CharLM(cell="gru", hidden_size=32, embed_size=16, seq_len=16, batch_size=4)
        >>> lm = lm.fit("to be or not to be, that is the question\\n" * 20, steps=5, quiet=True)
        >>> len(lm.generate(n_chars=50, seed=1))
        50
    """

    def __init__(
        self,
        cell: str = "gru",
        hidden_size: int | None = None,
        embed_size: int = 64,
        num_layers: int = 1,
        dropout: float | None = None,
        tie_weights: bool = False,
        **train_settings: Any,
    ) -> None:
        self.arch: dict[str, Any] = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "dropout": dropout,
            "tie_weights": tie_weights,
        }
        unknown = set(train_settings) - set(TrainSettings.__dataclass_fields__)
        if unknown:
            raise RnnkitError(f"unknown CharLM setting(s): {', '.join(sorted(unknown))}")
        self.settings = TrainSettings(**train_settings)
        if self.settings.backend not in LEARNERS:
            backends = ", ".join(LEARNERS)
            raise RnnkitError(
                f"unknown backend {self.settings.backend!r}; choose one of {backends}"
            )
        ModelConfig(vocab_size=1, **self._resolved(None)[0])  # validate the architecture early
        self.settings_ = self.settings  # the settings of the last fit, with "auto" resolved
        self.model_: RecurrentLM | None = None
        self.vocab_: CharVocab | None = None
        self.info_: dict[str, Any] = {}
        self._trainer: Trainer | None = None
        self._snapshot: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None

    # ----------------------------------------------------------------------------- training
    def fit(
        self,
        corpus: str | Path = "shakespeare",
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
    ) -> CharLM:
        """Train on ``corpus`` for a budget (5 minutes if none is given); returns ``self``.

        With ``out_dir`` the best checkpoint and the training state are written there at each
        validation, so the run can be resumed with :meth:`resume`.
        """
        data = read_corpus(corpus, encoding)
        self.vocab_ = CharVocab.from_text(data.text)
        timed = minutes is not None or (steps is None and epochs is None)
        arch, self.settings_ = self._resolved(60.0 * (minutes or 5.0) if timed else None)
        torch.manual_seed(self.settings.seed)
        self.model_ = RecurrentLM(ModelConfig(vocab_size=len(self.vocab_), **arch))
        trainer, streams = self._make_trainer(data, out_dir)
        budget = _budget(minutes, steps, epochs, streams.steps_per_epoch)
        return self._run(trainer, data, budget, out_dir, quiet)

    @classmethod
    def resume(
        cls,
        path: str | Path,
        corpus: str | Path | None = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
    ) -> CharLM:
        """Continue the run saved in ``path`` exactly where it stopped.

        Without a new budget it runs to the budget it was started with; a new budget replaces
        it (as a total, counted from the start of the run).
        """
        ck = checkpoint.load(path, with_training=True)
        lm = cls._from_checkpoint(ck)
        data = read_corpus(corpus or ck.config["corpus"]["source"], encoding)
        if data.sha256 != ck.config["corpus"]["sha256"]:
            raise RnnkitError(f"{data.source} is not the text this run was trained on")
        trainer, streams = lm._make_trainer(data, path)
        trainer.learner.load_weights(unprefixed(ck.train_tensors))
        trainer.learner.load_train_state(ck.train_tensors, ck.train_state or {})
        loop = dict((ck.train_state or {})["loop"])
        trainer.resume(LoopState.from_json(loop))
        trainer.best_weights = ck.weights
        if minutes is None and steps is None and epochs is None:
            budget = Budget(**ck.config["training"]["budget"])
        else:
            budget = _budget(minutes, steps, epochs, streams.steps_per_epoch)
        return lm._run(trainer, data, budget, path, quiet)

    def _resolved(self, seconds: float | None) -> tuple[dict[str, Any], TrainSettings]:
        """Architecture and settings with every "auto" (None) value filled in for the budget."""
        auto = auto_settings(seconds)
        arch = {k: auto[k] if v is None else v for k, v in self.arch.items()}
        lr = auto["lr"] if self.settings.lr is None else self.settings.lr
        return arch, replace(self.settings, lr=lr)

    def _make_trainer(
        self, data: Corpus, out_dir: str | Path | None
    ) -> tuple[Trainer, TokenStreams]:
        assert self.model_ is not None and self.vocab_ is not None
        s = self.settings_
        assert s.lr is not None
        train_ids, val_ids = _split(self.vocab_.encode(data.text), s.val_fraction)
        val_ids = val_ids[: s.val_max_chars]  # periodic validation must not eat the budget
        streams = TokenStreams(train_ids, s.batch_size, s.seq_len, s.seed)
        opt = OptimSettings(s.weight_decay, clip=s.clip)
        learner = LEARNERS[s.backend](self.model_, val_ids, opt, s.seq_len, self._training_sample)
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            tokens_per_step=streams.batch_size * s.seq_len,
            token_name="chars",
        )
        log_dir = Path(out_dir) if out_dir is not None else None
        self._trainer = Trainer(learner, streams, loop, log_dir)
        return self._trainer, streams

    def _run(
        self,
        trainer: Trainer,
        data: Corpus,
        budget: Budget,
        out_dir: str | Path | None,
        quiet: bool,
    ) -> CharLM:
        self.info_ = {
            "corpus": {"source": data.source, "chars": len(data.text), "sha256": data.sha256},
            "budget": {"steps": budget.steps, "seconds": budget.seconds},
        }
        save = None
        if out_dir is not None:

            def save(best: dict, tensors: dict, meta: dict) -> None:
                self.info_["stats"] = _stats(trainer.state, trainer)
                self._write(out_dir, best, tensors, meta)

        state = trainer.run(budget, save=save, quiet=quiet)
        self.info_["stats"] = _stats(state, trainer)
        # Taken before the best weights go into the model the learner trains, so that save()
        # pairs the latest weights with the latest optimizer state.
        self._snapshot = trainer.snapshot()
        if trainer.best_weights is not None:
            assert self.model_ is not None
            self.model_.load_state_dict(trainer.best_weights)
        return self

    def _training_sample(self) -> str:
        return self.generate(n_chars=200, prompt="", temperature=0.8, seed=0)

    # ----------------------------------------------------------------------------- using
    def generate(
        self,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
    ) -> str:
        """Generate exactly ``n_chars`` characters or exactly ``n_lines`` lines.

        The prompt primes the model and is *not* part of the result (and not counted); with no
        prompt the model is primed with a newline when its vocabulary has one. With
        ``n_lines`` the result holds ``n_lines`` lines (blank lines count) and no trailing
        newline. A stop string ends the text early and is removed; temperature 0 is greedy.
        """
        return self.generate_batch(
            1, n_chars, n_lines, prompt, temperature, top_k, top_p, seed, stop
        )[0]

    def generate_batch(
        self,
        num_samples: int,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
    ) -> list[str]:
        """Like :meth:`generate`, for ``num_samples`` independent samples computed as a batch."""
        if num_samples < 1:
            raise RnnkitError(f"num_samples must be at least 1, got {num_samples}")
        counter = _counter_factory(n_chars, n_lines)
        stream = self._stream(prompt, num_samples, temperature, top_k, top_p, seed)
        vocab = self._require_vocab()
        texts = generate_texts(
            stream,
            vocab.chars.__getitem__,
            [counter() for _ in range(num_samples)],
            _stops(stop),
        )
        return [t.removesuffix("\n") if n_lines is not None else t for t in texts]

    def stream(
        self,
        n_chars: int | None = None,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Yield generated characters one recurrent step at a time.

        With a size, the characters joined equal ``generate(...)`` with the same arguments
        (``n_lines`` stops before the last newline); with no size, the stream never ends.
        """
        chars = self._require_vocab().chars
        sized = n_chars is not None or n_lines is not None
        counter = _counter_factory(n_chars, n_lines)() if sized else None
        for tokens in self._stream(prompt, 1, temperature, top_k, top_p, seed):
            ch = chars[int(tokens[0])]
            done = counter is not None and counter.add(ch)
            if done and n_lines is not None:
                return
            yield ch
            if done:
                return

    def _stream(
        self,
        prompt: str,
        batch: int,
        temperature: float,
        top_k: int | None,
        top_p: float | None,
        seed: int | None,
    ) -> Iterator[torch.Tensor]:
        cfg = SamplingConfig(temperature, top_k, top_p)
        vocab = self._require_vocab()
        if not prompt and "\n" in vocab.chars:
            prompt = "\n"  # start as text starts, after a line break, not from a uniform guess
        ids = torch.from_numpy(vocab.encode(prompt, what="the prompt"))
        return token_stream(self._require_model(), ids, batch, cfg, seed)

    def evaluate(self, corpus: str | Path, encoding: str = "utf-8") -> dict[str, float]:
        """Loss on a text: nats/char, bits/char and perplexity, over every character after the
        first, read with the hidden state carried."""
        data = read_corpus(corpus, encoding)
        ids = self._require_vocab().encode(data.text, what=data.source)
        if len(ids) < 2:
            raise RnnkitError(f"{data.source} needs at least 2 characters to be scored")
        loss = stream_loss(self._require_model(), ids, self.settings.seq_len)
        return {
            "loss": loss,
            "bpc": loss / math.log(2),
            "perplexity": math.exp(loss),
            "chars": len(ids),
        }

    # ----------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        """Write the model as a checkpoint folder (with the training state after ``fit``)."""
        model = self._require_model()
        tensors, meta = self._snapshot if self._snapshot is not None else ({}, None)
        self._write(path, model.state_dict(), tensors, meta)

    def _write(
        self, path: str | Path, weights: dict, tensors: dict, meta: dict[str, Any] | None
    ) -> None:
        model, vocab = self._require_model(), self._require_vocab()
        config = {
            "kind": KIND,
            "backend": self.settings_.backend,
            "rnnkit_version": __version__,
            "model": model.config.to_json(),
            "training": {**asdict(self.settings_), "budget": self.info_.get("budget")},
            "corpus": self.info_.get("corpus"),
            "stats": self.info_.get("stats", {}),
        }
        checkpoint.save(
            checkpoint.Checkpoint(config, vocab.to_json(), weights, meta, tensors), path
        )

    @classmethod
    def load(cls, path: str | Path) -> CharLM:
        """Load a checkpoint folder written by :meth:`save`, ``fit`` or ``rnnkit train``."""
        return cls._from_checkpoint(checkpoint.load(path))

    @classmethod
    def _from_checkpoint(cls, ck: checkpoint.Checkpoint) -> CharLM:
        if ck.config.get("kind") != KIND:
            raise RnnkitError(
                f"this checkpoint holds a {ck.config.get('kind')!r} model, not a character LM"
            )
        cfg = ModelConfig(**ck.config["model"])
        training = ck.config.get("training", {})
        known = TrainSettings.__dataclass_fields__
        lm = cls(
            **{k: v for k, v in asdict(cfg).items() if k != "vocab_size"},
            **{k: v for k, v in training.items() if k in known},
        )
        lm.vocab_ = CharVocab.from_json(ck.vocab)
        lm.model_ = RecurrentLM(cfg)
        try:
            lm.model_.load_state_dict(ck.weights)
        except RuntimeError:
            raise RnnkitError(
                "the weights do not match the model described in config.json"
            ) from None
        lm.info_ = {
            "corpus": ck.config.get("corpus"),
            "budget": training.get("budget"),
            "stats": ck.config.get("stats", {}),
        }
        return lm

    def info(self) -> dict[str, Any]:
        """Kind, architecture, sizes, vocabulary, corpus and training statistics."""
        model, vocab = self._require_model(), self._require_vocab()
        return {
            "kind": KIND,
            **asdict(model.config),
            "parameters": sum(p.numel() for p in model.parameters()),
            "vocab": "".join(vocab.chars),
            **{k: v for k, v in self.info_.items() if k != "budget"},
        }

    def _require_model(self) -> RecurrentLM:
        if self.model_ is None:
            raise RnnkitError("this CharLM is not trained yet: call fit() or CharLM.load()")
        return self.model_

    def _require_vocab(self) -> CharVocab:
        self._require_model()
        assert self.vocab_ is not None
        return self.vocab_


def _budget(
    minutes: float | None, steps: int | None, epochs: float | None, steps_per_epoch: int
) -> Budget:
    if minutes is None and steps is None and epochs is None:
        minutes = 5.0
    if epochs is not None:
        if epochs <= 0:
            raise RnnkitError(f"epochs must be positive, got {epochs}")
        from_epochs = max(1, round(epochs * steps_per_epoch))
        steps = from_epochs if steps is None else min(steps, from_epochs)
    return Budget(steps=steps, seconds=None if minutes is None else minutes * 60.0)


def _split(ids: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """First ``1 - val_fraction`` for training, the rest for validation (no shuffling: text)."""
    if not 0.0 < val_fraction < 1.0:
        raise RnnkitError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(len(ids) * (1.0 - val_fraction))
    if len(ids) - cut < 2:
        raise RnnkitError(f"the corpus ({len(ids)} chars) is too short to hold out validation text")
    return ids[:cut], ids[cut:]


def _stats(state: LoopState, trainer: Trainer) -> dict[str, Any]:
    tokens = state.step * trainer.settings.tokens_per_step
    return {
        "steps": state.step,
        "elapsed_s": round(state.elapsed, 2),
        "tokens_seen": tokens,
        "best_val_loss": None if math.isinf(state.best_val) else state.best_val,
        "best_step": state.best_step,
        "interrupted": trainer.interrupted,
        "history": state.history,
    }


def _counter_factory(n_chars: int | None, n_lines: int | None) -> Callable[[], Counter]:
    if (n_chars is None) == (n_lines is None):
        raise RnnkitError("give exactly one size: n_chars or n_lines")
    n = n_chars if n_chars is not None else n_lines
    assert n is not None
    if n <= 0:
        raise RnnkitError(f"the size must be a positive number, got {n}")
    if n_chars is not None:
        return lambda: Counter(n, len)
    return lambda: Counter(n, lambda piece: piece.count("\n"))


def _stops(stop: str | list[str] | None) -> tuple[str, ...]:
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if any(s == "" for s in stops):
        raise RnnkitError("a stop string cannot be empty")
    return stops
