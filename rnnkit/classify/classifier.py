"""Text classification with recurrent networks: :class:`TextClassifier`.

Labelled text (a CSV / JSONL file, a folder per class, a registry dataset such as ``"imdb"``, or
lists in memory; :mod:`rnnkit.classify.examples`) -> the classifier's tokenizer (words, or
characters with ``level="char"``) -> a vocabulary -> :class:`~rnnkit.models.classifier.
ClassifierNet` trained by the one training loop on the shared estimator lifecycle -> the one
checkpoint format. The first weights can come from word vectors or a word language model
(:mod:`rnnkit.classify.warmstart`); a TF-IDF + logistic-regression baseline can be trained
beside it and blended in (:mod:`rnnkit.classify.blend`); reports live in
:mod:`rnnkit.classify.reports`.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.classify.baseline import ANALYZERS, TfidfLogReg
from rnnkit.classify.blend import Blend, accuracy
from rnnkit.classify.encoding import Encoded, TextEncoder
from rnnkit.classify.examples import (
    IN_MEMORY,
    WORKS_OPTIONS,
    Data,
    classes_of,
    described,
    fingerprint,
    labelled,
    training_parts,
    works_described,
    works_split,
)
from rnnkit.classify.examples import checked_texts as _texts
from rnnkit.classify.learner import BucketBatches, ClassifierLearner, FineTuning, predict_logits
from rnnkit.classify.planning import plan
from rnnkit.classify.reports import classification_report
from rnnkit.classify.warmstart import LanguageModelStart, vectors_into, word_vectors
from rnnkit.core import checkpoint
from rnnkit.core.results import ClassifierEvaluation, scores
from rnnkit.data.labelled import Labelled
from rnnkit.data.tokenize import CHARS, Tokenizer
from rnnkit.data.vocab import EOS, WordVocab, word_vocab_from_json
from rnnkit.errors import RnnkitError
from rnnkit.models.classifier import ClassifierConfig, ClassifierNet
from rnnkit.training.estimator import Estimator
from rnnkit.training.loop import LoopSettings, Trainer
from rnnkit.training.schedule import Budget, budget_for

logger = logging.getLogger(__name__)
KIND = "classifier"
Self = TypeVar("Self", bound="TextClassifier")
#: Constructor arguments that describe the network (the rest are ClassifierSettings).
ARCH = (
    "cell",
    "hidden_size",
    "embed_size",
    "num_layers",
    "bidirectional",
    "pooling",
    "ngrams",
    "ngram_buckets",
    "chunk_tokens",
)
ARCH_DEFAULTS: dict[str, Any] = {
    "cell": "lstm",
    "hidden_size": 128,
    "embed_size": 100,
    "num_layers": 1,
    "bidirectional": True,
    "pooling": "max+mean",
    "ngrams": 1,
    "ngram_buckets": 1 << 17,
    "chunk_tokens": None,
}
#: How a classifier may read text: by words (the ``text`` tokenizer) or by characters.
LEVELS = ("char", "word")  # in the order of every verb's --level
#: Where a character-level classifier's defaults differ: hashed embeddings of the 2- to
#: 4-grams ending at each character beside the character's own, 64 wide (issue 15: without
#: them the network hardly left the class prior on the works in minutes; see docs/benchmarks.md).
#: 32,768 rows, not 131,072: the table is updated densely every step, so a quarter of it runs
#: 1.6 times the steps in the same time and scored higher in the probes (docs/works.md).
CHAR_ARCH_DEFAULTS: dict[str, Any] = {
    **ARCH_DEFAULTS,
    "embed_size": 64,
    "ngrams": 4,
    "ngram_buckets": 1 << 15,
}
#: The word level's regularisation: the IMDB benchmark's best measured settings.
WORD_SETTINGS: dict[str, float] = {"dropout": 0.4, "embed_dropout": 0.1, "ngram_dropout": 0.0}
#: The character level's, as measured on the works: lighter dropout, no dropped characters.
CHAR_SETTINGS: dict[str, float] = {"dropout": 0.2, "embed_dropout": 0.0, "ngram_dropout": 0.0}


@dataclass
class ClassifierSettings:
    """Data, vocabulary and optimisation settings of a run (saved in the checkpoint's config).

    ``lr_decay`` and ``unfreeze_steps`` (ULMFiT's discriminative rates and gradual unfreezing)
    default to 2.6 and a quarter of an epoch per layer group when the classifier starts from a
    language model, and to off otherwise. ``max_tokens`` keeps the first N tokens of each text
    (None: whole texts, however long). ``blend`` mixes the baseline's probabilities into the
    predictions with a weight chosen on the validation split (it implies ``baseline``); None
    (the default) blends in a run planned from the data, as ``fit`` without a budget plans it
    (:mod:`rnnkit.classify.planning`), on 1,000 training texts or more, and not otherwise.

    ``level="char"`` reads every character as a token, as it stands (``lowercase`` is for
    words only; characters never seen read as ``<unk>``); unless given, beside each
    character's embedding it adds hashed embeddings of the 2- to 4-grams ending there
    (``ngrams=4``, 64 wide, 32,768 rows) and regularises less (:data:`CHAR_SETTINGS`).
    ``embed_lr_scale`` is the embeddings' share of the learning rate: None gives 10 with
    n-grams (a row learns only when its n-gram is read) and 1 otherwise. ``chunk_tokens``
    reads longer texts as chunks whose features are averaged. A character-level classifier
    can start from a character language model (``lm=``), not from word vectors.
    ``baseline_analyzer`` is the baseline's n-grams: ``word`` (the default at word level), or
    ``char_wb`` (the default at character level) / ``char``, character 1- to 5-grams.
    ``fold_editions`` reads every text (network and baseline) as
    :func:`~rnnkit.data.works.folded` prints it: lowercase, modern ASCII punctuation, one
    space for every run of whitespace, so that another edition's typography reads the same.

    Example:
        >>> ClassifierSettings(batch_size=64, blend=True).val_fraction
        0.1
        >>> ClassifierSettings(batch_size=0)
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: batch_size must be positive, got 0
    """

    dropout: float | None = None  # None: the level's default (CHAR_SETTINGS, WORD_SETTINGS)
    embed_dropout: float | None = None
    ngram_dropout: float | None = None
    batch_size: int = 64
    lr: float = 3e-3
    warmup_steps: int = 50
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.01
    clip: float = 1.0
    val_fraction: float = 0.1
    seed: int = 0
    evals: int = 5
    level: str = "word"
    min_count: int = 2
    max_vocab: int | None = 50_000
    lowercase: bool = True
    max_tokens: int | None = None
    embeddings: str | None = None
    freeze_embeddings: bool = False
    lm: str | None = None
    lr_decay: float | None = None
    unfreeze_steps: int | None = None
    embed_lr_scale: float | None = None
    baseline: bool = False
    blend: bool | None = None
    baseline_analyzer: str | None = None
    fold_editions: bool = False
    device: str = "cpu"

    @property
    def regularisation(self) -> dict[str, float]:
        """The network's dropout rates (the level's defaults where not given)."""
        rates = {
            "dropout": self.dropout,
            "embed_dropout": self.embed_dropout,
            "ngram_dropout": self.ngram_dropout,
        }
        assert all(rate is not None for rate in rates.values())  # set in __post_init__
        return {name: float(rate or 0.0) for name, rate in rates.items()}

    def __post_init__(self) -> None:
        level_defaults = CHAR_SETTINGS if self.level == "char" else WORD_SETTINGS
        for name, value in level_defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        positive = ("batch_size", "lr", "clip", "evals", "min_count", "max_vocab", "max_tokens")
        for name in (*positive, "lr_decay", "unfreeze_steps", "embed_lr_scale"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise RnnkitError(f"{name} must be positive, got {value}")
        for name in ("weight_decay", "warmup_steps", "seed"):
            if getattr(self, name) < 0:
                raise RnnkitError(f"{name} must not be negative, got {getattr(self, name)}")
        if not 0.0 < self.val_fraction < 1.0:
            raise RnnkitError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.lm is not None and self.embeddings is not None:
            raise RnnkitError("give embeddings or lm, not both (a language model brings its own)")
        if self.freeze_embeddings and self.embeddings is None and self.lm is None:
            raise RnnkitError("freeze_embeddings needs embeddings= or lm= to start from")
        if self.level not in LEVELS:
            raise RnnkitError(f"level must be one of {', '.join(LEVELS)}, got {self.level!r}")
        if self.level == "char" and self.embeddings is not None:
            raise RnnkitError(
                "a character-level classifier cannot start from word vectors (embeddings=)"
            )
        if self.baseline_analyzer not in (None, *ANALYZERS):
            raise RnnkitError(
                f"baseline_analyzer must be one of {', '.join(ANALYZERS)}, "
                f"got {self.baseline_analyzer!r}"
            )


class TextClassifier(Estimator):
    """A recurrent text classifier with a scikit-learn-style API.

    ``fit`` takes texts and labels (any number of classes; str or int labels), a CSV / JSONL
    file, a folder with one subfolder per class, or a registry dataset such as ``"imdb"``; a
    validation split keeps the best weights: the data set's own where it has one (such as
    ``shakespeare-works``), else one carved out of the training data (never the test data).
    Words never seen in training are read as ``<unk>``. ``level="char"`` reads characters
    instead of words (see :class:`ClassifierSettings`).

    Example:
        >>> texts = ["good fun", "great film", "bad plot", "awful acting"] * 10
        >>> labels = ["pos", "pos", "neg", "neg"] * 10
        >>> clf = TextClassifier(hidden_size=8, embed_size=8, min_count=1, val_fraction=0.2)
        >>> clf = clf.fit(texts, labels, steps=60, quiet=True)
        >>> clf.predict(["good film", "awful plot"])
        ['pos', 'neg']
        >>> round(float(clf.predict_proba(["good film"]).sum()), 6)
        1.0
        >>> chars = TextClassifier(level="char", hidden_size=8, min_count=1, val_fraction=0.2)
        >>> chars.fit(texts, labels, steps=2, quiet=True).vocab_.summary()[:13]
        '20 characters'
    """

    kind = KIND
    settings_type = ClassifierSettings
    net_type = ClassifierNet
    config_type = ClassifierConfig

    def __init__(
        self,
        cell: str | None = None,
        hidden_size: int | None = None,
        embed_size: int | None = None,
        num_layers: int | None = None,
        bidirectional: bool | None = None,
        pooling: str | None = None,
        ngrams: int | None = None,
        ngram_buckets: int | None = None,
        chunk_tokens: int | None = None,
        **settings: Any,
    ) -> None:
        arch = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
            "pooling": pooling,
            "ngrams": ngrams,
            "ngram_buckets": ngram_buckets,
            "chunk_tokens": chunk_tokens,
        }
        super().__init__(arch, settings)
        s = self.settings
        given = {k: v for k, v in self.arch.items() if v is not None}
        ClassifierConfig(2, 2, **s.regularisation, **{**self._defaults(), **given})
        self.model_: ClassifierNet | None = None
        self.vocab_: WordVocab | None = None
        self.classes_: list[Any] = []
        self.blend_: Blend | None = None  # the baseline beside the network, if trained

    @property
    def baseline_(self) -> TfidfLogReg | None:
        """The TF-IDF + logistic-regression baseline trained beside the network, if any."""
        return self.blend_.baseline if self.blend_ is not None else None

    @property
    def blend_weight_(self) -> float | None:
        """The network's share of a blended prediction (None: the network alone)."""
        return self.blend_.weight if self.blend_ is not None else None

    # ----------------------------------------------------------------------------- training
    def fit(
        self: Self,
        data: Data,
        labels: Sequence[Any] | None = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        text_column: str | None = None,
        label_column: str | None = None,
        encoding: str = "utf-8",
        quiet: bool = False,
        data_dir: str | Path | None = None,
        target: str | None = None,
        passage_chars: int | None = None,
    ) -> Self:
        """Train on ``data`` for a budget; returns ``self``. With no budget the run is planned
        from the data (:mod:`rnnkit.classify.planning`): 4 epochs (20 for characters; at least
        300 steps), at most 30 minutes of training (20 for characters), and on 1,000 training
        texts or more the
        baseline blended in unless ``blend`` says otherwise.

        With ``out_dir`` the best checkpoint and the training state are written there at each
        validation (and on Ctrl-C), so the run can be continued with :meth:`resume`.
        ``target`` (``"work"`` or ``"genre"``) and ``passage_chars`` (500) are the options of
        ``shakespeare-works``: ``fit("shakespeare-works", target="genre", passage_chars=2000)``.
        """
        budget_for(minutes, steps, epochs, 1)  # a bad budget fails before any work
        columns = {"text_column": text_column, "label_column": label_column}
        options = {"target": target, "passage_chars": passage_chars}
        reading = columns | {"encoding": encoding, "data_dir": data_dir} | options
        s = self.settings
        whole_parts = training_parts(data, labels, s.val_fraction, s.seed, **reading)
        started = time.perf_counter()
        before = (self.classes_, self.vocab_, self.blend_, self.info_)
        try:
            works = works_described(data, target, passage_chars)
            described_as = columns | {"encoding": encoding} | works
            parts, config, lm = self._prepare_fit(whole_parts, described_as)
        except BaseException:  # a refit that fails on its data leaves the old model whole
            self.classes_, self.vocab_, self.blend_, self.info_ = before
            raise

        def start() -> tuple[Trainer, Budget]:
            self.model_ = ClassifierNet(config)
            self._init_weights(self.model_, lm)
            trainer = self._make_trainer(*parts, out_dir)
            per_epoch = trainer.batches.steps_per_epoch
            if minutes is None and steps is None and epochs is None:
                planned = plan(s.level, per_epoch, len(parts[0].labels))
                self.info_["plan"] = planned.to_json()
                return trainer, planned.budget(per_epoch)
            return trainer, budget_for(minutes, steps, epochs, per_epoch)

        self._train(start, out_dir, quiet)
        self._finish(parts, out_dir, quiet, time.perf_counter() - started)
        return self

    def _prepare_fit(
        self, whole_parts: tuple[Labelled, Labelled, Labelled], described_as: dict[str, Any]
    ) -> tuple[tuple[Encoded, Encoded], ClassifierConfig, LanguageModelStart | None]:
        """Classes, vocabulary, architecture and encoded splits of a new run on ``whole`` (all
        the training data) and its ``train`` and ``val`` parts."""
        s = self.settings
        whole, train, val = whole_parts
        self.classes_ = classes_of(whole.labels)
        self.blend_, self.vocab_ = None, None  # a refit starts afresh, with its own reading
        own = self._reader(trained=False)
        lm = LanguageModelStart.load(s.lm, own.tokenizer) if s.lm else None
        self.vocab_ = lm.vocab if lm else own.vocabulary(train.texts, s.min_count, s.max_vocab)
        config = self._config(lm)
        self.info_ = {"data": described(whole, train, val, described_as)}
        reader = self._reader()
        parts = (reader.encode(train.texts, train.labels), reader.encode(val.texts, val.labels))
        self._check_vocabulary(reader.unknown_share(parts[0]))
        return parts, config, lm

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        data: Data | None = None,
        labels: Sequence[Any] | None = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        encoding: str | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Continue the run saved in ``path`` where it stopped (on the same data: a registry
        name or file is read again; texts given in memory must be passed again)."""
        prepared: list[Encoded] = []

        def prepare(clf: Self, config: dict[str, Any]) -> Trainer:
            seen = config["data"]
            if data is None and seen["source"] == IN_MEMORY:
                raise RnnkitError("this run was trained on texts in memory: pass them (and labels)")
            source = data if data is not None else seen["source"]
            reading = {k: seen.get(k) for k in ("text_column", "label_column", *WORKS_OPTIONS)}
            reading |= {"encoding": encoding or seen.get("encoding", "utf-8"), "data_dir": data_dir}
            s = clf.settings
            whole, train, val = training_parts(source, labels, s.val_fraction, s.seed, **reading)
            if fingerprint(whole) != seen["sha256"]:
                raise RnnkitError(f"{whole.source} is not the data this run was trained on")
            reader = clf._reader()
            prepared.extend(reader.encode(part.texts, part.labels) for part in (train, val))
            return clf._make_trainer(prepared[0], prepared[1], path)

        clf = cls._resume(path, prepare, minutes, steps, epochs, quiet)
        clf._finish((prepared[0], prepared[1]), path, quiet, None)
        return clf

    def _finish(
        self,
        parts: tuple[Encoded, Encoded],
        out_dir: str | Path | None,
        quiet: bool,
        seconds: float | None,
    ) -> None:
        """After the network's run: the baseline (unless Ctrl-C stopped the run: it can come on
        resume), the time it all took, and the final save."""
        trainer = self._trainer
        assert trainer is not None
        if not trainer.interrupted:
            self._fit_baseline(*parts, quiet)
        if seconds is not None:
            self.info_["seconds_total"] = round(seconds, 2)
        if out_dir is not None:
            self.save(out_dir)

    def _check_vocabulary(self, share: float) -> None:
        """Record (and with a language model's vocabulary, warn of) the share of training tokens
        read as ``<unk>``: a high one means the vocabulary does not fit the data."""
        self.info_["unknown_share"] = share
        if self.settings.lm is None:
            return
        if self._require_vocab().tokenizer.name == "words":
            warnings.warn(
                "the language model reads words as the benchmarks do (split at spaces, "
                "punctuation attached); for a classifier, train it with tokenizer='text'",
                stacklevel=3,
            )
        if share > 0.2:
            warnings.warn(
                f"{share:.0%} of the training tokens are unknown to the language model: train it "
                "on the task's own texts, e.g. WordLM(tokenizer='text', lowercase=True)",
                stacklevel=3,
            )

    def _config(self, lm: LanguageModelStart | None) -> ClassifierConfig:
        """The architecture: given values, else the language model's or vectors', else the
        defaults; a language model fixes the recurrent stack (unidirectional)."""
        s, vocab = self.settings, self._require_vocab()
        arch = {k: v for k, v in self.arch.items() if v is not None}
        if lm is not None:
            arch |= lm.fixed(arch)
        elif s.embeddings is not None:
            arch.setdefault("embed_size", word_vectors(s.embeddings).dim)
        arch = {**self._defaults(), **arch}
        return ClassifierConfig(
            vocab_size=len(vocab),
            num_classes=len(self.classes_),
            **s.regularisation,
            **arch,
        )

    def _init_weights(self, net: ClassifierNet, lm: LanguageModelStart | None) -> None:
        s = self.settings
        if lm is not None:
            lm.apply(net)
        elif s.embeddings is not None:
            tokens = self._require_vocab().tokens
            self.info_["embedding_oov"] = vectors_into(net, s.embeddings, tokens, s.seed)

    def _tuning(self, steps_per_epoch: int) -> FineTuning:
        s = self.settings
        from_lm = s.lm is not None
        unfreeze = s.unfreeze_steps
        if unfreeze is None and from_lm:
            unfreeze = max(1, steps_per_epoch // 4)
        ngrams = self._require_model().config.ngrams > 1
        embed_scale = (
            s.embed_lr_scale if s.embed_lr_scale is not None else (10.0 if ngrams else 1.0)
        )
        return FineTuning(
            embed_lr_scale=embed_scale,
            weight_decay=s.weight_decay,
            clip=s.clip,
            lr_decay=s.lr_decay if s.lr_decay is not None else (2.6 if from_lm else 1.0),
            unfreeze_steps=unfreeze,
            freeze_embeddings=s.freeze_embeddings,
        )

    def _make_trainer(
        self, train_p: Encoded, val_p: Encoded, out_dir: str | Path | None
    ) -> Trainer:
        s, net = self.settings, self._require_model()
        batches = BucketBatches(train_p.seqs, train_p.labels, s.batch_size, s.seed)
        net.to(self._device())
        learner = ClassifierLearner(
            net, val_p.seqs, val_p.labels, self._tuning(batches.steps_per_epoch)
        )
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            log_every=max(1, min(50, batches.steps_per_epoch // 4)),
            tokens_per_step=s.batch_size,
            token_name="texts",
        )
        log_dir = Path(out_dir) if out_dir is not None else None
        self._trainer = Trainer(learner, batches, loop, log_dir)
        return self._trainer

    def _stats(self, trainer: Trainer) -> dict[str, Any]:
        learner = trainer.learner
        assert isinstance(learner, ClassifierLearner)
        return {**trainer.summary(), "last_val_accuracy": learner.val_accuracy}

    def _fit_baseline(self, train_p: Encoded, val_p: Encoded, quiet: bool) -> None:
        """Train the TF-IDF + logistic-regression baseline (``baseline`` / ``blend``) and choose
        the blend weight on the validation split."""
        s, blend = self.settings, self._blending()
        if not (s.baseline or blend):
            return
        net_logp = self._net_log_proba(val_p.seqs)
        train, val = (train_p.docs, train_p.labels), (val_p.docs, val_p.labels)
        analyzer = s.baseline_analyzer or ("char_wb" if s.level == "char" else "word")
        self.blend_ = Blend.fit(train, val, net_logp, blend, analyzer)
        self.info_["validation_accuracy"] = self.blend_.scores
        if not quiet:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in self.blend_.scores.items())
            logger.info("validation accuracy: %s", shown)

    def _blending(self) -> bool:
        """Whether this run blends: as set, or (None) as its plan says (no plan: not)."""
        if self.settings.blend is not None:
            return self.settings.blend
        return bool((self.info_.get("plan") or {}).get("blend"))

    # ----------------------------------------------------------------------------- using
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities [N, classes] (columns in the order of ``classes_``)."""
        return np.exp(self._log_proba(_texts(texts)).double().numpy())

    def predict(self, texts: Sequence[str]) -> list[Any]:
        """The most likely label of each text."""
        best = self._log_proba(_texts(texts)).argmax(dim=1)
        return [self.classes_[int(i)] for i in best]

    def score(self, texts: Sequence[str], labels: Sequence[Any]) -> float:
        """Accuracy on ``texts`` with true ``labels``."""
        data = labelled(texts, labels)
        truth = torch.from_numpy(self._reader().indices(data.labels))
        return accuracy(self._log_proba(data.texts), truth)

    def evaluate(
        self,
        data: Data,
        labels: Sequence[Any] | None = None,
        text_column: str | None = None,
        label_column: str | None = None,
        encoding: str = "utf-8",
        data_dir: str | Path | None = None,
        target: str | None = None,
        passage_chars: int | None = None,
    ) -> ClassifierEvaluation:
        """Scores on ``data`` (e.g. ``"imdb:test"``): the core fields of
        :class:`~rnnkit.core.results.Evaluation` (cross-entropy per text, perplexity, bits,
        texts), accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix;
        with a baseline, the accuracy of each part too. On ``shakespeare-works``, ``target``
        and ``passage_chars`` are those the model was trained with unless given."""
        chosen = {"target": target, "passage_chars": passage_chars}
        options = self._works_options(data) | {k: v for k, v in chosen.items() if v is not None}
        columns = (text_column, label_column, encoding, data_dir)
        whole = labelled(data, labels, *columns, **options)
        reader = self._reader()
        truth = torch.from_numpy(reader.indices(whole.labels))
        prepared = reader.encode(whole.texts)
        net_logp = self._net_log_proba(prepared.seqs)
        logp = self._combined(net_logp, prepared)
        predicted = [self.classes_[int(i)] for i in logp.argmax(dim=1)]
        report = classification_report(list(whole.labels), predicted, self.classes_)
        loss = F.nll_loss(logp.double(), truth).item()
        result = {**scores(loss, len(whole), "texts"), **report, "texts": len(whole)}
        if self.blend_ is not None:
            base_logp = self.blend_.log_proba(prepared.docs, len(self.classes_))
            result["components"] = {
                "network": accuracy(net_logp, truth),
                "baseline": accuracy(base_logp, truth),
            }
        return cast(ClassifierEvaluation, result)

    def explain(self, text: str, top: int = 10) -> list[tuple[str, float]]:
        """The ``top`` words the attention pooling weighted most in ``text``, with their weights
        (the weights of all positions sum to 1). Needs ``pooling`` with ``attention``."""
        net = self._require_model()
        if "attention" not in net.config.poolings:
            raise RnnkitError("explanations need attention pooling (pooling='attention')")
        reader = self._reader()
        tokens = [*reader.tokens(_texts([text])[0]), EOS]
        ids = torch.from_numpy(reader.ids(tokens[:-1])).unsqueeze(0)
        net.eval()
        with torch.inference_mode():
            _, weights = net.classify(ids, torch.tensor([ids.shape[1]]))
        assert weights is not None
        pairs = list(zip(tokens, weights[0].tolist(), strict=True))
        return sorted(pairs, key=lambda tw: -tw[1])[:top]

    @property
    def genres_(self) -> dict[str, str] | None:
        """Each class's genre, for a classifier of ``shakespeare-works`` by work (else None)."""
        genres = (self.info_.get("data") or {}).get("genres")
        return dict(genres) if genres else None

    def _works_options(self, data: Data) -> dict[str, Any]:
        """The ``shakespeare-works`` options this model was trained with, for ``data`` of it."""
        seen = self.info_.get("data") or {}
        if works_split(data) is None:
            return {}
        return {k: seen[k] for k in WORKS_OPTIONS if seen.get(k) is not None}

    def _log_proba(self, texts: list[str]) -> Tensor:
        prepared = self._reader().encode(texts)
        return self._combined(self._net_log_proba(prepared.seqs), prepared)

    def _combined(self, net_logp: Tensor, prepared: Encoded) -> Tensor:
        """Log-probabilities [N, C] of the network, blended with the baseline's if chosen."""
        return net_logp if self.blend_ is None else self.blend_.combine(net_logp, prepared.docs)

    def _net_log_proba(self, seqs: list[np.ndarray]) -> Tensor:
        return F.log_softmax(predict_logits(self._require_model(), seqs), dim=1)

    # ----------------------------------------------------------------------------- text
    def _reader(self, trained: bool = True) -> TextEncoder:
        """How this classifier reads texts: by its vocabulary's tokenizer, or before it has one
        (``trained=False``: while fitting or loading), by its own ``text`` reading."""
        vocab = self._require_vocab() if trained else self.vocab_
        s = self.settings
        own = CHARS if s.level == "char" else Tokenizer("text", lowercase=s.lowercase)
        tokenizer = own if vocab is None else vocab.tokenizer
        return TextEncoder(tokenizer, s.max_tokens, vocab, self.classes_, s.fold_editions)

    def _defaults(self) -> dict[str, Any]:
        """The architecture defaults of this classifier's level."""
        return CHAR_ARCH_DEFAULTS if self.settings.level == "char" else ARCH_DEFAULTS

    # ----------------------------------------------------------------------------- files
    def _config_json(self) -> dict[str, Any]:
        return {
            "classes": self.classes_,
            "data": self.info_.get("data"),
            "validation_accuracy": self.info_.get("validation_accuracy"),
            "blend_weight": self.blend_weight_,
            "plan": self.info_.get("plan"),
        }

    def _vocab_json(self) -> dict[str, Any]:
        meta = self.blend_.baseline.to_state()[0] if self.blend_ is not None else None
        return {**self._require_vocab().to_json(), "baseline": meta}

    def _extra_weights(self) -> dict[str, Tensor]:
        if self.blend_ is None:
            return {}
        return {f"baseline.{k}": v for k, v in self.blend_.baseline.to_state()[1].items()}

    def _net_weights(self, weights: dict[str, Tensor]) -> dict[str, Tensor]:
        return {k: v for k, v in weights.items() if not k.startswith("baseline.")}

    @classmethod
    def _arch_of(cls, config: ClassifierConfig) -> dict[str, Any]:
        return {k: getattr(config, k) for k in ARCH}

    def _restore(self, ck: checkpoint.Checkpoint) -> None:
        self.classes_ = list(ck.config["classes"])
        # A vocabulary saved before tokenizers were saved is the classifier's own reading.
        default = self._reader(trained=False).tokenizer
        self.vocab_ = word_vocab_from_json(ck.vocab, default=default)
        if ck.vocab.get("baseline") is not None:
            base = {
                k.removeprefix("baseline."): v
                for k, v in ck.weights.items()
                if k.startswith("baseline.")
            }
            baseline = TfidfLogReg.from_state(ck.vocab["baseline"], base)
            self.blend_ = Blend(baseline, ck.config.get("blend_weight"))
        keys = ("data", "validation_accuracy", "plan")
        self.info_ = {k: ck.config.get(k) for k in keys} | self.info_

    def _info_extra(self) -> dict[str, Any]:
        return {
            "classes": self.classes_,
            "vocab": self._require_vocab().summary(),
            "baseline": self.blend_ is not None,
            "blend_weight": self.blend_weight_,
        }

    def _require_model(self) -> ClassifierNet:
        model = super()._require_model()
        assert isinstance(model, ClassifierNet)
        return model
