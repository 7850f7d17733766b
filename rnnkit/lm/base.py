"""The language-model estimator shared by :class:`~rnnkit.CharLM` and :class:`~rnnkit.WordLM`.

Everything between a corpus and generated text lives here once: reading the splits, building
the vocabulary, the model, the training run (on the shared estimator lifecycle), evaluation and
sampling. A model kind only says how text becomes tokens (its vocabulary type), how sizes are
counted when it generates, and its measured defaults (:mod:`rnnkit.lm.planning`).
"""

from __future__ import annotations

import logging
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

import numpy as np
import torch

from rnnkit.core import checkpoint
from rnnkit.core.results import LMEvaluation, scores
from rnnkit.core.rng import seeded
from rnnkit.data.sources import Corpus, Text, read_corpus, read_splits, resolve
from rnnkit.data.sources import Source as SourceInfo
from rnnkit.data.tokenstore import (
    PrepareSettings,
    ProgressBars,
    TokenSpan,
    TokenStore,
    prepare,
)
from rnnkit.data.vocab import CharVocab, WordVocab
from rnnkit.decoding.sampling import (
    Counter,
    SamplingConfig,
    Writing,
    generate_texts,
    token_stream,
)
from rnnkit.errors import RnnkitError
from rnnkit.lm import conditioning, planning
from rnnkit.lm.conditioning import Classified, Conditioning, Documents
from rnnkit.lm.learner import OptimSettings, TorchLMLearner, stream_loss
from rnnkit.lm.numpy_learner import NumpyLMLearner
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM
from rnnkit.training.distributed import DEFAULT_TIMEOUT, fork_rank_rng
from rnnkit.training.estimator import Estimator
from rnnkit.training.loop import LoopSettings, Trainer
from rnnkit.training.schedule import Budget, budget_for
from rnnkit.training.shards import streams_for
from rnnkit.training.streams import TokenStreams

logger = logging.getLogger(__name__)

#: Training backends: both train the same RecurrentLM weights (same names, same checkpoint).
LEARNERS: dict[str, type[TorchLMLearner] | type[NumpyLMLearner]] = {
    "torch": TorchLMLearner,
    "numpy": NumpyLMLearner,
}
V = TypeVar("V", CharVocab, WordVocab)
Self = TypeVar("Self", bound="LanguageModel[Any]")
#: Architecture options shared by every kind (the rest of ModelConfig is per kind).
ARCH = ("cell", "hidden_size", "embed_size", "num_layers", "dropout", "tie_weights")
#: A source of text: a registry or bundled name, a path, or the text itself (see
#: :mod:`rnnkit.data.sources` for the rule).
Source = str | Path
#: What ``fit()`` trains on when given nothing: the bundled complete works of Shakespeare.
DEFAULT_CORPUS = "shakespeare"
#: A text file of this many bytes, trained with an out_dir, is made a token store first.
STORE_FROM = 256 << 20


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
    grad_accum: int = 1  # a window's streams in this many parts (same update, less memory)
    dist_timeout: float = DEFAULT_TIMEOUT  # seconds a rank waits for the others (torchrun)
    backend: str = "torch"
    device: str = "cpu"  # "cuda", "cuda:1", "mps" or "auto" (a GPU when there is one)
    condition: str | None = None  # condition on a style (see rnnkit.lm.conditioning)
    label_size: int = 16  # the style embedding's width, for a conditioned model
    label_dropout: float = 0.1  # share of training windows read without their style
    style_balance: float = 0.5  # rare styles' documents repeated (see conditioning.balanced)


@dataclass(frozen=True)
class Splits:
    """The training and validation text of a run, and what identifies the data."""

    train: str
    validation: str
    source: str
    sha256: str
    chars: int
    documents: Documents | None = None  # a conditioned run's labelled documents


@dataclass(frozen=True)
class _Data(Generic[V]):
    """What a run reads: the vocabulary, the training ids (a token store's by window) and the
    validation ids, what describes the data, and a conditioned run's styles and token labels."""

    vocab: V
    train: np.ndarray | TokenSpan
    validation: np.ndarray
    described: dict[str, Any]
    condition: Conditioning | None = None
    train_labels: np.ndarray | None = None
    val_labels: np.ndarray | None = None


class LanguageModel(Estimator, Generic[V]):
    """Base of the recurrent language models; see :class:`~rnnkit.CharLM` for the API."""

    net_type = RecurrentLM
    config_type = ModelConfig
    settings_type: ClassVar[type[TrainSettings]] = TrainSettings
    unit: ClassVar[str]  # what a token is, for messages and progress: "chars" or "words"
    size_name: ClassVar[str]  # the generate() size counted in tokens: "n_chars", "n_words"
    vocab_type: ClassVar[type[CharVocab] | type[WordVocab]]
    #: Measured defaults by time budget and by the epochs it buys (see rnnkit.lm.planning).
    defaults: ClassVar[planning.Defaults]
    #: ModelConfig fields this kind exposes beyond ARCH, with their defaults.
    extra_arch: ClassVar[dict[str, Any]] = {}
    bits_key: ClassVar[str]  # the kind's name of bits per token in evaluate(): "bpc", "bpw"
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
        arch: dict[str, Any] = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "dropout": dropout,
            "tie_weights": tie_weights,
        }
        arch.update({k: options.pop(k, v) for k, v in self.extra_arch.items()})
        super().__init__(arch, options)
        if self.settings.backend not in LEARNERS:
            backends = ", ".join(LEARNERS)
            raise RnnkitError(
                f"unknown backend {self.settings.backend!r}; choose one of {backends}"
            )
        self._model_config(2, self._resolved(None)[0])  # validate the architecture early
        self.settings_ = self.settings  # the settings of the last fit, with "auto" resolved
        self.model_: RecurrentLM | None = None
        self.vocab_: V | None = None
        self.conditioning_: Conditioning | None = None

    # ----------------------------------------------------------------------- per kind
    def _build_vocab(self, data: Splits) -> V:
        raise NotImplementedError

    def _counts(self, size_name: str) -> Callable[[str], int]:
        """How many units of ``size_name`` (a token size or ``n_lines``) a piece holds."""
        raise NotImplementedError

    def _piece(self, vocab: V) -> Callable[[int], str]:
        """How one generated token reads as text."""
        raise NotImplementedError

    def _finish(self, text: str, sizes: dict[str, int | None]) -> str:
        """Tidy one generated sample (e.g. drop the newline that ended the last line)."""
        return text.removesuffix("\n") if sizes.get("n_lines") is not None else text

    def _tidy_stream(self, pieces: Iterator[str]) -> Iterator[str]:
        """Streamed pieces as :meth:`_finish` would leave them (unchanged by default)."""
        return pieces

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
        corpus: Source | None = None,
        *,
        text: str | None = None,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
        data_dir: str | Path | None = None,
        condition: str | None = None,
    ) -> Self:
        """Train on ``corpus`` (the bundled Shakespeare when neither it nor ``text`` is given)
        or on ``text``, the text itself, for a budget (5 minutes if none is given); returns
        ``self``.

        ``condition`` (or the ``condition`` setting) trains a model conditioned on a style:
        ``"genre"``, ``"work"`` or ``"form"`` of ``"shakespeare-works"``, or ``"label"`` of a
        labelled corpus (a CSV / JSONL file or a class folder); see
        :mod:`rnnkit.lm.conditioning`, :attr:`styles` and ``generate(style=...)``.

        A registry dataset with a validation split (e.g. ``"wikitext2"``) trains on its train
        split and validates on its validation split; any other text is split, first
        ``1 - val_fraction`` for training. With ``out_dir`` the best checkpoint and the training
        state are written there at each validation, so the run can be resumed with
        :meth:`resume`. ``data_dir`` is a local mirror of the data sets (default: the
        ``RNNKIT_DATA`` environment variable).
        """
        budget_for(minutes, steps, epochs, 1)  # a bad budget fails before any work
        if corpus is not None and text is not None:
            raise RnnkitError("give a corpus or text=, not both")
        if condition is not None:
            self.settings = replace(self.settings, condition=condition)
        source = Text(text) if text is not None else corpus or DEFAULT_CORPUS
        quiet = quiet or not self._world().is_main  # rank 0 alone reports
        if self.settings.condition is None:  # labelled documents are read in memory
            source = self._stored(source, out_dir, quiet)
        data = self._read(source, encoding, data_dir)
        vocab, train_ids, val_ids, cond = data.vocab, data.train, data.validation, data.condition
        streams = self._streams(train_ids, data.train_labels)
        budget = budget_for(minutes, steps, epochs, streams.steps_per_epoch)
        label_arch = self._label_arch(cond)
        arch, settings, planned = self._plan(len(vocab), streams, val_ids, budget, label_arch)
        arch = {**arch, **label_arch}
        if planned is not None and not quiet:
            chosen = ", ".join(f"{k} {arch[k]}" for k in self.defaults.planned)
            logger.info("planned %.1f epochs for this budget: %s", planned, chosen)
        # Only now that nothing can fail on the data is this object's old model replaced.
        self.vocab_, self.settings_, self.conditioning_ = vocab, settings, cond
        self.info_ = {"corpus": data.described}
        if planned is not None:
            self.info_["planned_epochs"] = round(planned, 2)

        def start() -> tuple[Trainer, Budget]:
            self.model_ = RecurrentLM(self._model_config(len(vocab), arch))
            self._init_weights(self.model_, vocab)
            fork_rank_rng(self.settings.seed, self._world())
            return self._make_trainer(streams, val_ids, out_dir, data.val_labels), budget

        self._train(start, out_dir, quiet)
        return self

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        corpus: Source | None = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Continue the run saved in ``path`` exactly where it stopped, on the text it was
        trained on (read again from where it came, or ``corpus``; checked by its sha256).

        Without a new budget it runs to the budget it was started with; a new budget replaces
        it (as a total, counted from the start of the run).
        """

        def prepare(lm: Self, config: dict[str, Any]) -> Trainer:
            source = corpus or config["corpus"]["source"]
            vocab = lm._require_vocab()
            data = lm._read(source, encoding, data_dir, vocab, lm.conditioning_)
            if data.described["sha256"] != config["corpus"]["sha256"]:
                raise RnnkitError(
                    f"{data.described['source']} is not the text this run was trained on"
                )
            streams = lm._streams(data.train, data.train_labels)
            return lm._make_trainer(streams, data.validation, path, data.val_labels)

        return cls._resume(path, prepare, minutes, steps, epochs, quiet)

    def _read(
        self,
        source: Source,
        encoding: str,
        data_dir: str | Path | None,
        vocab: V | None = None,
        cond: Conditioning | None = None,
    ) -> _Data[V]:
        """The vocabulary (``vocab``, or built from the training text), the training and
        validation ids, what describes the data and, for a conditioned run, the style of every
        token (by ``cond``, or found in the documents); a token store is read from disk (its
        training ids by window, as the run goes)."""
        if not isinstance(source, Text) and resolve(source).kind == "tokens":
            if self.settings.condition is not None:
                raise RnnkitError(
                    "a token store holds no labels: condition on a labelled corpus (a CSV / "
                    "JSONL file, a class folder or shakespeare-works)"
                )
            return _Data(*self._read_store(Path(source), vocab))
        data = self._splits(source, encoding, data_dir)
        vocab = vocab if vocab is not None else self._build_vocab(data)
        train_ids, val_ids = self._encode(data, vocab)
        condition, docs = self.settings.condition, data.documents
        if cond is None and docs is not None and condition is not None:
            cond = docs.conditioning(condition)
        labels = self._token_labels(data, vocab, cond, len(val_ids))
        return _Data(vocab, train_ids, val_ids, _described(data), cond, *labels)

    def _stored(self, source: Source, out_dir: str | Path | None, quiet: bool) -> Source:
        """A text file of :data:`STORE_FROM` bytes or more trained with an ``out_dir`` becomes
        a token store in ``OUT/tokens`` first (with a progress bar), so that it is never
        loaded whole; the same store is used again when it was made from this file with the
        same settings. Any other source is read as it is."""
        settings = self._store_settings()
        if out_dir is None or settings is None or isinstance(source, Text):
            return source
        src = resolve(source)
        if src.kind != "file" or src.path is None or src.path.stat().st_size < STORE_FROM:
            return source
        folder, world = Path(out_dir) / "tokens", self._world()
        if world.is_main:  # the other ranks wait for it (within --dist-timeout)
            _make_store(src, folder, settings, quiet)
        world.barrier()
        return str(folder)

    def _store_settings(self) -> PrepareSettings | None:
        """How :meth:`_stored` tokenizes a large file (None: this kind reads it in memory)."""
        return PrepareSettings(self.unit.removesuffix("s"), self.settings.val_fraction)

    def _read_store(
        self, path: Path, vocab: V | None
    ) -> tuple[V, TokenSpan, np.ndarray, dict[str, Any]]:
        """A token store's vocabulary, its training span and validation ids. A resumed run
        (``vocab`` given) checks the store's content against its sha256 first."""
        store = TokenStore.open(path)
        level = self.unit.removesuffix("s")
        if store.level != level:
            raise RnnkitError(
                f"{path} holds {store.level}-level tokens, not {self.unit}: train it with "
                f"--level {store.level}"
            )
        if vocab is not None:
            store.verify()
            if vocab != store.vocab:
                raise RnnkitError(f"{path} has another vocabulary than this run was trained on")
        val_ids = store.validation(self.settings.val_max_chars)
        if len(store.train()) < self.settings.seq_len + 1 or len(val_ids) < 2:
            raise RnnkitError(f"the token store {path} is too short for windows of seq_len")
        chars = store.manifest["source"]["chars"]
        described = {"source": str(path), "chars": chars, "sha256": store.sha256, "store": True}
        return store.vocab, store.train(), val_ids, described  # type: ignore[return-value]

    def _splits(self, corpus: Source, encoding: str, data_dir: str | Path | None) -> Splits:
        if self.settings.condition is not None:
            return self._labelled_splits(corpus, self.settings.condition, encoding, data_dir)
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

    def _labelled_splits(
        self, corpus: Source, condition: str, encoding: str, data_dir: str | Path | None
    ) -> Splits:
        """The labelled documents of a conditioned run, as the text of each split."""
        if self.settings.backend != "torch":
            raise RnnkitError("conditioning needs the torch backend")
        s = self.settings
        docs = conditioning.read_documents(
            corpus, condition, s.val_fraction, s.seed, encoding, data_dir, s.style_balance
        )
        train, val = docs.text("train"), docs.text("validation")
        sha256 = Corpus(docs.fingerprint(), docs.source).sha256
        return Splits(train, val, str(corpus), sha256, len(train) + len(val), docs)

    def _token_labels(
        self, data: Splits, vocab: V, cond: Conditioning | None, val_tokens: int
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The label id of every training and validation token (None, None: unconditioned)."""
        if data.documents is None or cond is None:
            return None, None

        def count(text: str) -> int:
            return len(vocab.encode(text))

        train = data.documents.token_labels("train", cond, count)
        val = data.documents.token_labels("validation", cond, count)
        return train, val[:val_tokens]

    def _label_arch(self, cond: Conditioning | None) -> dict[str, Any]:
        """The model's conditioning options (none for an unconditioned run)."""
        if cond is None:
            return {}
        s = self.settings
        return {
            "num_labels": len(cond.styles),
            "label_size": s.label_size,
            "label_dropout": s.label_dropout,
        }

    def _resolved(
        self, seconds: float | None, passes: float | None = None
    ) -> tuple[dict[str, Any], TrainSettings]:
        """Architecture and settings with every "auto" (None) value filled in for a budget of
        ``seconds`` (None: not timed) that makes ``passes`` over the training text (None: the
        first ``by_epochs`` row, as for validating the architecture)."""
        return self.defaults.resolve(self.arch, self.settings, seconds, passes)

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
        self,
        model: RecurrentLM,
        val_ids: np.ndarray,
        s: TrainSettings,
        val_labels: np.ndarray | None = None,
    ) -> TorchLMLearner | NumpyLMLearner:
        model.to(self._device())
        assert s.weight_decay is not None
        opt = OptimSettings(s.weight_decay, clip=s.clip, grad_accum=s.grad_accum)
        world = self._world()
        if val_labels is not None:  # conditioned runs are torch ones (_labelled_splits)
            sample = self._training_sample
            return TorchLMLearner(model, val_ids, opt, s.seq_len, sample, val_labels=val_labels)
        if not world.distributed:
            return LEARNERS[s.backend](model, val_ids, opt, s.seq_len, self._training_sample)
        if s.backend != "torch":
            raise RnnkitError(f"the {s.backend} backend trains in one process only")
        return TorchLMLearner(model, val_ids, opt, s.seq_len, self._training_sample, world)

    def _streams(
        self, train_ids: np.ndarray | TokenSpan, labels: np.ndarray | None = None
    ) -> TokenStreams:
        s, world = self.settings, self._world()
        if labels is None:
            return streams_for(train_ids, s.batch_size, s.seq_len, s.seed, world.rank, world.size)
        if world.distributed:
            raise RnnkitError("a conditioned model trains in one process only (no --nproc)")
        assert isinstance(train_ids, np.ndarray)  # labelled documents are read in memory
        return TokenStreams(train_ids, s.batch_size, s.seq_len, s.seed, labels)

    def _plan(
        self,
        vocab_size: int,
        streams: TokenStreams,
        val_ids: np.ndarray,
        budget: Budget,
        label_arch: dict[str, Any],
    ) -> tuple[dict[str, Any], TrainSettings, float | None]:
        """The run's architecture and settings, and the epochs planned to choose them (timed
        with the conditioning of ``label_arch``)."""

        def probe(arch: dict[str, Any], s: TrainSettings) -> float:
            return self._seconds_per_step(vocab_size, {**arch, **label_arch}, s, val_ids, streams)

        return planning.plan(
            self.defaults, self.arch, self.settings, budget, streams.steps_per_epoch, probe
        )

    def _seconds_per_step(
        self,
        vocab_size: int,
        arch: dict[str, Any],
        s: TrainSettings,
        val_ids: np.ndarray,
        streams: TokenStreams,
    ) -> float:
        """The speed of this model on this device, measured on a throwaway copy (under its own
        RNG fork, so neither the run nor the caller sees its draws)."""
        assert s.lr is not None
        lr = s.lr
        with seeded(s.seed, self._device()):
            model = RecurrentLM(self._model_config(vocab_size, arch))
            self._freeze(model)
            learner = self._learner(model, val_ids, s)
            seconds = planning.time_steps(lambda i: learner.train_step(streams.batch(i), lr))
            return self._world().agree(False, seconds)[1]  # every rank plans the same run

    def _make_trainer(
        self,
        streams: TokenStreams,
        val_ids: np.ndarray,
        out_dir: str | Path | None,
        val_labels: np.ndarray | None = None,
    ) -> Trainer:
        model, s = self._require_model(), self.settings_
        self._freeze(model)
        assert s.lr is not None
        learner = self._learner(model, val_ids, s, val_labels)
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            tokens_per_step=streams.batch_size * s.seq_len,
            token_name=self.unit,
        )
        log_dir = Path(out_dir) if out_dir is not None and self._world().is_main else None
        self._trainer = Trainer(learner, streams, loop, log_dir)
        return self._trainer

    def _stats(self, trainer: Trainer) -> dict[str, Any]:
        tokens = trainer.state.step * trainer.settings.tokens_per_step
        return {**trainer.summary(), "tokens_seen": tokens}

    def _training_sample(self) -> str:
        sizes = {**dict.fromkeys((self.size_name, "n_lines")), **self.sample_size}
        return self._sample_text(1, sizes, "", SamplingConfig(0.8), 0, (), None)[0]

    # ----------------------------------------------------------------------------- using
    def generate(
        self,
        *,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        style: str | None = None,
        **size: int | None,
    ) -> str:
        """Generate exactly ``n_lines`` lines, or exactly N tokens given as the kind's own size
        (``n_chars=`` for :class:`~rnnkit.CharLM`, ``n_words=`` for :class:`~rnnkit.WordLM`).

        The prompt primes the model and is *not* part of the result (and not counted). With
        ``n_lines`` the result holds ``n_lines`` lines (blank lines count) and no trailing
        newline. A stop string ends the text early and is removed; temperature 0 is greedy;
        ``top_k`` / ``top_p`` restrict sampling to the most likely tokens. The same ``seed``
        gives the same text, whatever else runs in other threads. A conditioned model writes
        in ``style`` (one of :attr:`styles`; None: unconditioned).
        """
        return self.generate_batch(
            1,
            n_lines=n_lines,
            prompt=prompt,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
            stop=stop,
            style=style,
            **size,
        )[0]

    def generate_batch(
        self,
        num_samples: int,
        *,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        style: str | None = None,
        **size: int | None,
    ) -> list[str]:
        """Like :meth:`generate`, for ``num_samples`` independent samples computed as a batch."""
        sizes = self._sizes(size, n_lines)
        one_size(sizes)
        cfg = SamplingConfig(temperature, top_k, top_p)
        return self._sample_text(num_samples, sizes, prompt, cfg, seed, stops(stop), style)

    def stream(
        self,
        *,
        n_lines: int | None = None,
        prompt: str = "",
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        style: str | None = None,
        **size: int | None,
    ) -> Iterator[str]:
        """Yield generated text one recurrent step at a time (a character, or a word with the
        space before it). With a size, the pieces joined equal ``generate(...)`` with the same
        arguments (``n_lines`` stops before the last newline); with no size, it never ends."""
        sizes = self._sizes(size, n_lines)
        cfg = SamplingConfig(temperature, top_k, top_p)
        labels = self._style_labels(style, 1)  # a bad style fails now, not at the first piece
        return self._tidy_stream(self._stream_pieces(sizes, prompt, cfg, seed, labels))

    def _sizes(self, size: dict[str, int | None], n_lines: int | None) -> dict[str, int | None]:
        """The token size and ``n_lines``; a size of another kind is a one-line error."""
        wrong = set(size) - {self.size_name}
        if wrong:
            name = type(self).__name__
            raise RnnkitError(
                f"a {name} counts {self.unit}: give {self.size_name}= or n_lines=, "
                f"not {', '.join(sorted(wrong))}"
            )
        return {self.size_name: size.get(self.size_name), "n_lines": n_lines}

    def _counter(self, sizes: dict[str, int | None]) -> Callable[[], Counter]:
        name, n = one_size(sizes)
        counts = self._counts(name)
        return lambda: Counter(n, counts)

    def _sample_text(
        self,
        num_samples: int,
        sizes: dict[str, int | None],
        prompt: str,
        cfg: SamplingConfig,
        seed: int | None,
        stops: tuple[str, ...],
        style: str | None,
    ) -> list[str]:
        if num_samples < 1:
            raise RnnkitError(f"num_samples must be at least 1, got {num_samples}")
        counter = self._counter(sizes)
        labels = self._style_labels(style, num_samples)
        stream = self._token_stream(prompt, num_samples, cfg, seed, labels)
        counters = [counter() for _ in range(num_samples)]
        texts = generate_texts(stream, self._piece(self._require_vocab()), counters, stops)
        return [self._finish(t, sizes) for t in texts]

    def _stream_pieces(
        self,
        sizes: dict[str, int | None],
        prompt: str,
        cfg: SamplingConfig,
        seed: int | None,
        labels: torch.Tensor | None,
    ) -> Iterator[str]:
        """Yield generated text piece by piece; with a size, they join to the generated text."""
        piece = self._piece(self._require_vocab())
        counter = self._counter(sizes)() if any(v is not None for v in sizes.values()) else None
        for tokens in self._token_stream(prompt, 1, cfg, seed, labels):
            text = piece(int(tokens[0]))
            done = counter is not None and counter.add(text)
            if done and sizes.get("n_lines") is not None:
                return
            yield text
            if done:
                return

    def _token_stream(
        self,
        prompt: str,
        batch: int,
        cfg: SamplingConfig,
        seed: int | None,
        labels: torch.Tensor | None,
    ) -> Iterator[torch.Tensor]:
        ids, unknown = self._require_vocab().encode_prompt(prompt)
        if not prompt and self.conditioning_ is not None:
            ids = self._document_start()
        if unknown:
            warnings.warn(
                f"prompt words the model never saw (read as <unk>): {', '.join(unknown)}",
                stacklevel=3,
            )
        model = self._require_model()
        return token_stream(model, torch.from_numpy(ids), batch, cfg, seed, labels)

    # ----------------------------------------------------------------------------- styles
    @property
    def styles(self) -> list[str]:
        """The styles a conditioned model writes in (``generate(style=...)``); [] if none."""
        self._require_model()
        return list(self.conditioning_.styles) if self.conditioning_ is not None else []

    def _style_labels(self, style: str | None, batch: int) -> torch.Tensor | None:
        """The label ids [batch] of ``style`` (None: unconditioned)."""
        if style is None:
            return None
        cond = self._require_conditioning()
        return torch.full((batch,), cond.label_id(style), dtype=torch.long)

    def _document_start(self) -> np.ndarray:
        """The ids a conditioned model's documents start after: the blank line between two
        documents (see :func:`rnnkit.lm.conditioning.document`)."""
        start, _ = self._require_vocab().encode_prompt("")
        return np.tile(start, 2)

    def _require_conditioning(self) -> Conditioning:
        self._require_model()
        if self.conditioning_ is None:
            raise RnnkitError(
                "this model was trained without a condition, so it has no styles (train it "
                "with condition=..., --condition on the command line)"
            )
        return self.conditioning_

    def classify(self, text: str) -> Classified:
        """The style of ``text`` by Bayes' rule, argmax_c p(text | c) p(c): the label, the
        probability of every style, and the text's nats given each style.

        The text is scored as a document is read in training (after a newline), once under
        each style; p(c) is the style's share of the training documents.
        """
        cond, vocab = self._require_conditioning(), self._require_vocab()
        if not text.strip():
            raise RnnkitError("the text is empty: there is nothing to classify")
        ids = np.concatenate([self._document_start(), vocab.encode(text, what="the text")])
        labels = torch.arange(len(cond.styles))
        nats = conditioning.text_nats(self._require_model(), ids, labels, self.settings.seq_len)
        return conditioning.classify(nats, cond)

    def evaluate(
        self,
        corpus: Source,
        encoding: str = "utf-8",
        data_dir: str | Path | None = None,
        style: str | None = None,
    ) -> LMEvaluation:
        """Loss on a text (a file, a string, or a registry split such as ``"wikitext2:test"``)
        over every token after the first, read with the hidden state carried: the core fields
        of :class:`~rnnkit.core.results.Evaluation` (nats per token, perplexity, bits per
        token, tokens, unit), and the kind's own names for bits and tokens (``bpc`` and
        ``chars``, or ``bpw`` and ``words``).

        A conditioned model reads the text in ``style`` (one of :attr:`styles`), or with no
        label when ``style`` is None: the held-out loss given a label."""
        label = None if style is None else self._require_conditioning().label_id(style)
        data = read_corpus(corpus, encoding, data_dir)
        ids = self._require_vocab().encode(data.text, what=data.source)
        if len(ids) < 2:
            raise RnnkitError(f"{data.source} needs at least 2 {self.unit} to be scored")
        labels = None if label is None else np.full(len(ids), label, dtype=np.int64)
        loss = stream_loss(self._require_model(), ids, self.settings.seq_len, labels=labels)
        core = scores(loss, len(ids), self.unit)
        aliases = {self.bits_key: core["bits_per_token"], self.unit: len(ids)}
        return cast(LMEvaluation, {**core, **aliases})

    # ----------------------------------------------------------------------------- files
    def _saved_settings(self) -> TrainSettings:
        return self.settings_

    def _config_json(self) -> dict[str, Any]:
        config = {"backend": self.settings_.backend, "corpus": self.info_.get("corpus")}
        if self.conditioning_ is not None:
            config["conditioning"] = self.conditioning_.to_json()
        return config

    def _training_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.info_.items() if k == "planned_epochs"}

    @classmethod
    def _arch_of(cls, config: ModelConfig) -> dict[str, Any]:
        return {k: v for k, v in asdict(config).items() if k in ARCH or k in cls.extra_arch}

    def _restore(self, ck: checkpoint.Checkpoint) -> None:
        self.vocab_ = self.vocab_type.from_json(ck.vocab)  # type: ignore[assignment]
        self.info_ = {"corpus": ck.config.get("corpus"), **self.info_}
        planned = ck.config.get("training", {}).get("planned_epochs")
        if planned is not None:
            self.info_["planned_epochs"] = planned
        saved = ck.config.get("conditioning")
        self.conditioning_ = Conditioning.from_json(saved) if saved is not None else None

    def _info_extra(self) -> dict[str, Any]:
        extra = {"vocab": self._require_vocab().summary()}
        if self.conditioning_ is not None:
            extra |= {"condition": self.conditioning_.condition, "styles": self.styles}
        return extra

    def writing(self, unit: str | None = None) -> Writing:
        """How this model's tokens read as text, with sizes counted in ``unit`` (its own
        ``unit``, or ``"lines"``), for a decoder that steps many samples itself: the pieces,
        counts and tidying that :meth:`generate` uses."""
        size_name = {self.unit: self.size_name, "lines": "n_lines"}.get(unit or self.unit)
        if size_name is None:
            raise RnnkitError(f"a {type(self).__name__} counts {self.unit} or lines, not {unit}")
        sizes: dict[str, int | None] = {self.size_name: None, "n_lines": None, size_name: 1}
        piece = self._piece(self._require_vocab())
        return Writing(piece, self._counts(size_name), lambda text: self._finish(text, sizes))

    def _require_model(self) -> RecurrentLM:
        model = super()._require_model()
        assert isinstance(model, RecurrentLM)
        return model


def _make_store(src: SourceInfo, folder: Path, settings: PrepareSettings, quiet: bool) -> None:
    """Tokenize the file ``src`` into the store ``folder``, unless it holds that already."""
    assert src.path is not None
    if folder.exists():
        made = TokenStore.open(folder).manifest
        same = made["source"]["name"] == src.label and made["settings"] == asdict(settings)
        if same and made["source"]["bytes"] == src.path.stat().st_size:
            return
        shutil.rmtree(folder)
    logger.info("%s is large: tokenizing it into %s first", src.label, folder)
    with ProgressBars(quiet) as bars:
        prepare(src.label, folder, settings, progress=bars.update)


def _described(data: Splits) -> dict[str, Any]:
    return {"source": data.source, "chars": data.chars, "sha256": data.sha256}


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
