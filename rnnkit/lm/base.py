"""The language-model estimator shared by :class:`~rnnkit.CharLM` and :class:`~rnnkit.WordLM`.

Everything between a corpus and generated text lives here once: reading the splits, building
the vocabulary, the model, the one training loop, checkpoints, evaluation and sampling. A model
kind only says how text becomes tokens (its vocabulary type), how sizes are counted when it
generates, and its measured defaults.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import torch

from rnnkit import __version__
from rnnkit.core import checkpoint
from rnnkit.core.device import device_for
from rnnkit.data.sources import Corpus, read_corpus, read_splits
from rnnkit.data.vocab import CharVocab, WordVocab
from rnnkit.errors import RnnkitError
from rnnkit.lm.learner import OptimSettings, TorchLMLearner, stream_loss
from rnnkit.lm.numpy_learner import NumpyLMLearner
from rnnkit.lm.sampling import Counter, SamplingConfig, generate_texts, token_stream
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM
from rnnkit.training.loop import (
    LoopSettings,
    Trainer,
    run_keeping_best,
)
from rnnkit.training.schedule import Budget, budget_for
from rnnkit.training.streams import TokenStreams

#: Training backends: both train the same RecurrentLM weights (same names, same checkpoint).
LEARNERS: dict[str, type[TorchLMLearner] | type[NumpyLMLearner]] = {
    "torch": TorchLMLearner,
    "numpy": NumpyLMLearner,
}

#: Timed training steps of the speed probe that plans a timed run's epochs.
PROBE_STEPS = 3
V = TypeVar("V", CharVocab, WordVocab)
Self = TypeVar("Self", bound="LanguageModel[Any]")
#: Architecture options shared by every kind (the rest of ModelConfig is per kind).
ARCH = ("cell", "hidden_size", "embed_size", "num_layers", "dropout", "tie_weights")


@dataclass
class TrainSettings:
    """Data and optimisation settings of a run (saved in the checkpoint's config)."""

    seq_len: int = 128
    batch_size: int = 32
    lr: float | None = None  # None: chosen with the model size from the budget (see auto)
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    weight_decay: float | None = None  # None: from the budget too
    clip: float = 1.0
    val_fraction: float = 0.1
    val_max_chars: int | None = 200_000  # tokens, for a word LM
    seed: int = 0
    evals: int = 10
    backend: str = "torch"
    device: str = "cpu"  # "cuda", "cuda:1", "mps" or "auto" (a GPU when there is one)


@dataclass(frozen=True)
class Splits:
    """The training and validation text of a run, and what identifies the data."""

    train: str
    validation: str
    source: str
    sha256: str
    chars: int


class LanguageModel(Generic[V]):
    """Base of the recurrent language models; see :class:`~rnnkit.CharLM` for the API."""

    kind: ClassVar[str]
    unit: ClassVar[str]  # what a token is, for messages and progress: "chars" or "words"
    vocab_type: ClassVar[type[CharVocab] | type[WordVocab]]
    #: Measured defaults by training time budget in seconds: (limit, values) rows.
    auto: ClassVar[tuple[tuple[float, dict[str, Any]], ...]]
    #: Defaults by the passes over the training text the budget buys: (limit, values) rows,
    #: for the regularisation, which must follow epochs, not time: a budget that is short on
    #: a large corpus underfits, the same budget on a small one overfits. Empty: ``auto`` only.
    by_epochs: ClassVar[tuple[tuple[float, dict[str, Any]], ...]] = ()
    #: ModelConfig fields this kind exposes beyond ARCH, with their defaults.
    extra_arch: ClassVar[dict[str, Any]] = {}
    settings_type: ClassVar[type[TrainSettings]] = TrainSettings
    bits_key: ClassVar[str]  # the name of bits per token in evaluate(): "bpc", "bpw"
    sample_size: ClassVar[dict[str, int]]  # the sample printed at each validation

    def __init__(
        self,
        cell: str = "gru",
        hidden_size: int | None = None,
        embed_size: int | None = None,
        num_layers: int = 1,
        dropout: float | None = None,
        tie_weights: bool | None = None,
        **options: Any,
    ) -> None:
        self.arch: dict[str, Any] = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "dropout": dropout,
            "tie_weights": tie_weights,
        }
        self.arch.update({k: options.pop(k, v) for k, v in self.extra_arch.items()})
        known = {f.name for f in fields(self.settings_type)}
        unknown = set(options) - known
        if unknown:
            name = type(self).__name__
            raise RnnkitError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
        self.settings = self.settings_type(**options)
        if self.settings.backend not in LEARNERS:
            backends = ", ".join(LEARNERS)
            raise RnnkitError(
                f"unknown backend {self.settings.backend!r}; choose one of {backends}"
            )
        self._model_config(2, self._resolved(None)[0])  # validate the architecture early
        self.settings_ = self.settings  # the settings of the last fit, with "auto" resolved
        self.model_: RecurrentLM | None = None
        self.vocab_: V | None = None
        self.info_: dict[str, Any] = {}
        self._trainer: Trainer | None = None  # the last run's, for inspection
        self._snapshot: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None

    # ----------------------------------------------------------------------- per kind
    def _build_vocab(self, data: Splits) -> V:
        raise NotImplementedError

    def _counter(self, sizes: dict[str, int | None]) -> Callable[[], Counter]:
        raise NotImplementedError

    def _piece(self, vocab: V) -> Callable[[int], str]:
        """How one generated token reads as text."""
        raise NotImplementedError

    def _finish(self, text: str, sizes: dict[str, int | None]) -> str:
        """Tidy one generated sample (e.g. drop the newline that ended the last line)."""
        return text.removesuffix("\n") if sizes.get("n_lines") is not None else text

    def _model_config(self, vocab_size: int, arch: dict[str, Any]) -> ModelConfig:
        return ModelConfig(vocab_size=vocab_size, **arch)

    def _init_weights(self, model: RecurrentLM, vocab: V) -> None:
        """Set initial weights beyond PyTorch's defaults before training (none by default)."""

    def _freeze(self, model: RecurrentLM) -> None:
        """Mark the weights that training must leave alone (none by default); called for every
        run, resumed ones included."""

    # ----------------------------------------------------------------------------- training
    def fit(
        self: Self,
        corpus: str | Path = "shakespeare",
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Train on ``corpus`` for a budget (5 minutes if none is given); returns ``self``.

        A registry dataset with a validation split (e.g. ``"wikitext2"``) trains on its train
        split and validates on its validation split; any other text is split, first
        ``1 - val_fraction`` for training. With ``out_dir`` the best checkpoint and the training
        state are written there at each validation, so the run can be resumed with
        :meth:`resume`.
        """
        budget_for(minutes, steps, epochs, 1)  # a bad budget fails before any work
        data = self._splits(corpus, encoding, data_dir)
        vocab = self._build_vocab(data)
        train_ids, val_ids = self._encode(data, vocab)
        streams = self._streams(train_ids)
        budget = budget_for(minutes, steps, epochs, streams.steps_per_epoch)
        arch, settings, planned = self._plan(len(vocab), streams, val_ids, budget)
        if planned is not None and not quiet:
            chosen = ", ".join(f"{k} {arch[k]}" for k in self.by_epochs[0][1])
            print(f"planned {planned:.1f} epochs for this budget: {chosen}", file=sys.stderr)
        # Only now that nothing can fail on the data is this object's old model replaced.
        self.vocab_, self.settings_ = vocab, settings
        self.info_ = {} if planned is None else {"planned_epochs": round(planned, 2)}
        torch.manual_seed(self.settings.seed)
        self.model_ = RecurrentLM(self._model_config(len(self.vocab_), arch))
        self._init_weights(self.model_, self.vocab_)
        trainer = self._make_trainer(streams, val_ids, out_dir)
        return self._run(trainer, data, budget, out_dir, quiet)

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        corpus: str | Path | None = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Continue the run saved in ``path`` exactly where it stopped.

        Without a new budget it runs to the budget it was started with; a new budget replaces
        it (as a total, counted from the start of the run).
        """
        ck = checkpoint.load(path, with_training=True)
        lm = cls._from_checkpoint(ck)
        data = lm._splits(corpus or ck.config["corpus"]["source"], encoding, data_dir)
        if data.sha256 != ck.config["corpus"]["sha256"]:
            raise RnnkitError(f"{data.source} is not the text this run was trained on")
        train_ids, val_ids = lm._encode(data, lm._require_vocab())
        streams = lm._streams(train_ids)
        trainer = lm._make_trainer(streams, val_ids, path)
        trainer.restore(ck.train_tensors, ck.train_state or {}, ck.weights)
        saved = ck.config["training"]["budget"]
        budget = budget_for(minutes, steps, epochs, streams.steps_per_epoch, saved)
        return lm._run(trainer, data, budget, path, quiet)

    def _splits(self, corpus: str | Path, encoding: str, data_dir: str | Path | None) -> Splits:
        parts = read_splits(corpus, data_dir)
        if parts is not None and "validation" in parts:
            train, val = parts["train"].text, parts["validation"].text
            source = str(corpus)
        else:
            whole = read_corpus(corpus, encoding, data_dir)
            train, val = _split_text(whole.text, self.settings.val_fraction, self.unit)
            source = whole.source
        text = Corpus(train + val, source)
        return Splits(train, val, source, text.sha256, len(text.text))

    def _resolved(
        self, seconds: float | None, passes: float | None = None
    ) -> tuple[dict[str, Any], TrainSettings]:
        """Architecture and settings with every "auto" (None) value filled in for a budget of
        ``seconds`` (None: not timed) that makes ``passes`` over the training text (None: the
        first ``by_epochs`` row, as for validating the architecture)."""
        auto = next(values for limit, values in self.auto if seconds is None or seconds <= limit)
        if self.by_epochs:
            rows = self.by_epochs
            auto = {**auto, **next(v for limit, v in rows if passes is None or passes <= limit)}
        arch = {k: auto.get(k) if v is None else v for k, v in self.arch.items()}
        tuned = {k: auto[k] for k in ("lr", "weight_decay") if getattr(self.settings, k) is None}
        return arch, replace(self.settings, **tuned)

    def _encode(self, data: Splits, vocab: V) -> tuple[np.ndarray, np.ndarray]:
        """The training and validation token ids (validation cut to ``val_max_chars``)."""
        s = self.settings
        train_ids = vocab.encode(data.train, what="the training text")
        val_ids = vocab.encode(data.validation, what="the validation text")
        val_ids = val_ids[: s.val_max_chars]  # periodic validation must not eat the budget
        if len(train_ids) < s.seq_len + 1 or len(val_ids) < 2:
            raise RnnkitError(
                f"the corpus is too short: {len(train_ids)} training {self.unit} for windows of "
                f"{s.seq_len} (lower seq_len, or give more text)"
            )
        return train_ids, val_ids

    def _learner(
        self, model: RecurrentLM, val_ids: np.ndarray, s: TrainSettings
    ) -> TorchLMLearner | NumpyLMLearner:
        model.to(device_for(s.device, s.backend))
        assert s.weight_decay is not None
        opt = OptimSettings(s.weight_decay, clip=s.clip)
        return LEARNERS[s.backend](model, val_ids, opt, s.seq_len, self._training_sample)

    def _streams(self, train_ids: np.ndarray) -> TokenStreams:
        s = self.settings
        return TokenStreams(train_ids, s.batch_size, s.seq_len, s.seed)

    def _plan(
        self, vocab_size: int, streams: TokenStreams, val_ids: np.ndarray, budget: Budget
    ) -> tuple[dict[str, Any], TrainSettings, float | None]:
        """The run's architecture and settings, and the epochs planned to choose them (None
        where the defaults follow time alone, or every regulariser is set by the user)."""
        arch, settings = self._resolved(budget.seconds)
        if not self.by_epochs or all(self.arch[k] is not None for k in self.by_epochs[0][1]):
            return arch, settings, None
        passes = self._planned_epochs(vocab_size, arch, settings, streams, val_ids, budget)
        chosen, settings = self._resolved(budget.seconds, passes)
        if budget.seconds is not None and chosen != arch:
            # Regularisers slow a step (weight drop most): plan again at the chosen model's speed.
            passes = self._planned_epochs(vocab_size, chosen, settings, streams, val_ids, budget)
            chosen, settings = self._resolved(budget.seconds, passes)
        return chosen, settings, passes

    def _planned_epochs(
        self,
        vocab_size: int,
        arch: dict[str, Any],
        s: TrainSettings,
        streams: TokenStreams,
        val_ids: np.ndarray,
        budget: Budget,
    ) -> float:
        """How many passes over the training text the budget buys (the first limit reached).

        Exact for a step budget (epochs count in steps). A time budget is turned into steps at
        the speed of this model on this device, measured on a throwaway copy: one warm-up
        step, then ``PROBE_STEPS`` timed ones (validation time is not part of a budget, nor
        is this).
        """
        steps = [] if budget.steps is None else [float(budget.steps)]
        if budget.seconds is not None:
            steps.append(
                budget.seconds / self._seconds_per_step(vocab_size, arch, s, val_ids, streams)
            )
        return min(steps) / streams.steps_per_epoch

    def _seconds_per_step(
        self,
        vocab_size: int,
        arch: dict[str, Any],
        s: TrainSettings,
        val_ids: np.ndarray,
        streams: TokenStreams,
    ) -> float:
        assert s.lr is not None
        model = RecurrentLM(self._model_config(vocab_size, arch))
        self._freeze(model)
        learner = self._learner(model, val_ids, s)
        learner.train_step(streams.batch(0), s.lr)  # warm-up: allocations, kernel choices
        start = time.perf_counter()
        for step in range(1, PROBE_STEPS + 1):
            learner.train_step(streams.batch(step), s.lr)
        return (time.perf_counter() - start) / PROBE_STEPS

    def _make_trainer(
        self, streams: TokenStreams, val_ids: np.ndarray, out_dir: str | Path | None
    ) -> Trainer:
        model, s = self._require_model(), self.settings_
        self._freeze(model)
        assert s.lr is not None
        learner = self._learner(model, val_ids, s)
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            tokens_per_step=streams.batch_size * s.seq_len,
            token_name=self.unit,
        )
        log_dir = Path(out_dir) if out_dir is not None else None
        self._trainer = Trainer(learner, streams, loop, log_dir)
        return self._trainer

    def _run(
        self: Self,
        trainer: Trainer,
        data: Splits,
        budget: Budget,
        out_dir: str | Path | None,
        quiet: bool,
    ) -> Self:
        self.info_.update(
            corpus={"source": data.source, "chars": data.chars, "sha256": data.sha256},
            budget={"steps": budget.steps, "seconds": budget.seconds},
        )
        save = None
        if out_dir is not None:

            def save(best: dict, tensors: dict, meta: dict) -> None:
                self.info_["stats"] = _stats(trainer)
                self._write(out_dir, best, tensors, meta)

        # Generation and evaluation run on the CPU (see sampling.token_stream).
        self._snapshot = run_keeping_best(trainer, budget, self._require_model(), save, quiet)
        self.info_["stats"] = _stats(trainer)
        return self

    def _training_sample(self) -> str:
        return self._sample_text(1, dict(self.sample_size), "", SamplingConfig(0.8), 0, ())[0]

    # ----------------------------------------------------------------------------- using
    def _sample_text(
        self,
        num_samples: int,
        sizes: dict[str, int | None],
        prompt: str,
        cfg: SamplingConfig,
        seed: int | None,
        stops: tuple[str, ...],
    ) -> list[str]:
        if num_samples < 1:
            raise RnnkitError(f"num_samples must be at least 1, got {num_samples}")
        counter = self._counter(sizes)
        stream = self._token_stream(prompt, num_samples, cfg, seed)
        counters = [counter() for _ in range(num_samples)]
        texts = generate_texts(stream, self._piece(self._require_vocab()), counters, stops)
        return [self._finish(t, sizes) for t in texts]

    def _stream_pieces(
        self, sizes: dict[str, int | None], prompt: str, cfg: SamplingConfig, seed: int | None
    ) -> Iterator[str]:
        """Yield generated text piece by piece; with a size, they join to the generated text."""
        piece = self._piece(self._require_vocab())
        counter = self._counter(sizes)() if any(v is not None for v in sizes.values()) else None
        for tokens in self._token_stream(prompt, 1, cfg, seed):
            text = piece(int(tokens[0]))
            done = counter is not None and counter.add(text)
            if done and sizes.get("n_lines") is not None:
                return
            yield text
            if done:
                return

    def _token_stream(
        self, prompt: str, batch: int, cfg: SamplingConfig, seed: int | None
    ) -> Iterator[torch.Tensor]:
        ids, unknown = self._require_vocab().encode_prompt(prompt)
        if unknown:
            warnings.warn(
                f"prompt words the model never saw (read as <unk>): {', '.join(unknown)}",
                stacklevel=3,
            )
        return token_stream(self._require_model(), torch.from_numpy(ids), batch, cfg, seed)

    def evaluate(
        self, corpus: str | Path, encoding: str = "utf-8", data_dir: str | Path | None = None
    ) -> dict[str, float]:
        """Loss on a text (a file, a string, or a registry split such as ``"wikitext2:test"``):
        nats per token, bits per token and perplexity, over every token after the first, read
        with the hidden state carried."""
        data = read_corpus(corpus, encoding, data_dir)
        ids = self._require_vocab().encode(data.text, what=data.source)
        if len(ids) < 2:
            raise RnnkitError(f"{data.source} needs at least 2 {self.unit} to be scored")
        loss = stream_loss(self._require_model(), ids, self.settings.seq_len)
        return {
            "loss": loss,
            self.bits_key: loss / math.log(2),
            "perplexity": math.exp(loss),
            self.unit: len(ids),
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
            "kind": self.kind,
            "backend": self.settings_.backend,
            "rnnkit_version": __version__,
            "model": model.config.to_json(),
            "training": {
                **asdict(self.settings_),
                "budget": self.info_.get("budget"),
                **{k: v for k, v in self.info_.items() if k == "planned_epochs"},
            },
            "corpus": self.info_.get("corpus"),
            "stats": self.info_.get("stats", {}),
        }
        checkpoint.save(
            checkpoint.Checkpoint(config, vocab.to_json(), weights, meta, tensors), path
        )

    @classmethod
    def load(cls: type[Self], path: str | Path) -> Self:
        """Load a checkpoint folder written by :meth:`save`, ``fit`` or ``rnnkit train``."""
        return cls._from_checkpoint(checkpoint.load(path))

    @classmethod
    def _from_checkpoint(cls: type[Self], ck: checkpoint.Checkpoint) -> Self:
        checkpoint.expect_kind(ck.config, cls.kind)
        cfg = ModelConfig(**ck.config["model"])
        training = ck.config.get("training", {})
        known = {f.name for f in fields(cls.settings_type)}
        arch = {k: v for k, v in asdict(cfg).items() if k in ARCH or k in cls.extra_arch}
        lm = cls(**arch, **{k: v for k, v in training.items() if k in known})
        lm.vocab_ = cls.vocab_type.from_json(ck.vocab)
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
        if training.get("planned_epochs") is not None:
            lm.info_["planned_epochs"] = training["planned_epochs"]
        return lm

    def info(self) -> dict[str, Any]:
        """Kind, architecture, sizes, vocabulary, corpus and training statistics."""
        model, vocab = self._require_model(), self._require_vocab()
        return {
            "kind": self.kind,
            **asdict(model.config),
            "parameters": sum(p.numel() for p in model.parameters()),
            "vocab": vocab.summary(),
            **{k: v for k, v in self.info_.items() if k != "budget"},
        }

    def _require_model(self) -> RecurrentLM:
        if self.model_ is None:
            name = type(self).__name__
            raise RnnkitError(f"this {name} is not trained yet: call fit() or {name}.load()")
        return self.model_

    def _require_vocab(self) -> V:
        self._require_model()
        assert self.vocab_ is not None
        return self.vocab_


def _split_text(text: str, val_fraction: float, unit: str) -> tuple[str, str]:
    """First ``1 - val_fraction`` of the text for training, the rest for validation (no
    shuffling: text). Word models cut at the next line start, so no word is split in two."""
    if not 0.0 < val_fraction < 1.0:
        raise RnnkitError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(len(text) * (1.0 - val_fraction))
    if unit == "words":
        line_start = text.find("\n", cut) + 1
        cut = line_start if line_start > 0 else len(text)
    if len(text) - cut < 2:
        raise RnnkitError(
            f"the corpus ({len(text)} chars) is too short to hold out validation text"
        )
    return text[:cut], text[cut:]


def _stats(trainer: Trainer) -> dict[str, Any]:
    tokens = trainer.state.step * trainer.settings.tokens_per_step
    return {**trainer.summary(), "tokens_seen": tokens}


def one_size(sizes: dict[str, int | None]) -> tuple[str, int]:
    """The one size given (e.g. ``n_chars``) and its value; errors for none, several, or <= 0."""
    given = [(k, v) for k, v in sizes.items() if v is not None]
    if len(given) != 1:
        raise RnnkitError(f"give exactly one size: {' or '.join(sizes)}")
    name, n = given[0]
    if n <= 0:
        raise RnnkitError(f"the size must be a positive number, got {n}")
    return name, n


def stops(stop: str | list[str] | None) -> tuple[str, ...]:
    """Stop strings as a tuple; an empty one is an error."""
    result = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if any(s == "" for s in result):
        raise RnnkitError("a stop string cannot be empty")
    return result
