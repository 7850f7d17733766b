"""Text classification with recurrent networks: :class:`TextClassifier`.

Labelled text (a CSV / JSONL file, a folder per class, a registry dataset such as ``"imdb"``, or
lists in memory) -> the classifier's tokenizer (:func:`~rnnkit.data.labelled.tokenize_text`) -> a
word vocabulary -> :class:`~rnnkit.models.classifier.ClassifierNet` trained by the one training
loop -> the one checkpoint format. The embedding can start from word vectors
(:class:`~rnnkit.WordVectors`) or, with the embedding and recurrent layers, from an rnnkit word
language model trained on the task's own text (ULMFiT). A TF-IDF + logistic-regression baseline
(:mod:`rnnkit.classify.baseline`) can be trained beside it, reported side by side and, optionally,
blended into the predictions.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit import __version__
from rnnkit.classify.baseline import TfidfLogReg
from rnnkit.classify.learner import (
    BucketBatches,
    ClassifierLearner,
    FineTuning,
    predict_logits,
)
from rnnkit.classify.reports import classification_report
from rnnkit.core import checkpoint
from rnnkit.core.device import device_for
from rnnkit.data.labelled import Labelled, read_labelled, split_validation, tokenize_text
from rnnkit.data.vocab import EOS, WordVocab
from rnnkit.errors import RnnkitError
from rnnkit.models.classifier import ClassifierConfig, ClassifierNet, lm_weights
from rnnkit.training.loop import (
    LoopSettings,
    Trainer,
    run_keeping_best,
)
from rnnkit.training.schedule import Budget, budget_for

KIND = "classifier"
IN_MEMORY = "texts in memory"  # the source of data given as lists
Self = TypeVar("Self", bound="TextClassifier")
#: Constructor arguments that describe the network (the rest are ClassifierSettings).
ARCH = ("cell", "hidden_size", "embed_size", "num_layers", "bidirectional", "pooling")
ARCH_DEFAULTS: dict[str, Any] = {
    "cell": "lstm",
    "hidden_size": 128,
    "embed_size": 100,
    "num_layers": 1,
    "bidirectional": True,
    "pooling": "max+mean",
}


@dataclass
class ClassifierSettings:
    """Data, vocabulary and optimisation settings of a run (saved in the checkpoint's config).

    ``lr_decay`` and ``unfreeze_steps`` (ULMFiT's discriminative rates and gradual unfreezing)
    default to 2.6 and a quarter of an epoch per layer group when the classifier starts from a
    language model, and to off otherwise. ``max_tokens`` keeps the first N tokens of each text
    (None: whole texts, however long). ``blend`` mixes the baseline's probabilities into the
    predictions with a weight chosen on the validation split (it implies ``baseline``).

    Example:
        >>> ClassifierSettings(batch_size=64, blend=True).val_fraction
        0.1
        >>> ClassifierSettings(batch_size=0)
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: batch_size must be positive, got 0
    """

    dropout: float = 0.4  # with the next two: the IMDB benchmark's best measured settings
    embed_dropout: float = 0.1
    batch_size: int = 64
    lr: float = 3e-3
    warmup_steps: int = 50
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.01
    clip: float = 1.0
    val_fraction: float = 0.1
    seed: int = 0
    evals: int = 5
    min_count: int = 2
    max_vocab: int | None = 50_000
    lowercase: bool = True
    max_tokens: int | None = None
    embeddings: str | None = None
    freeze_embeddings: bool = False
    lm: str | None = None
    lr_decay: float | None = None
    unfreeze_steps: int | None = None
    baseline: bool = False
    blend: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        positive = ("batch_size", "lr", "clip", "evals", "min_count", "max_vocab", "max_tokens")
        for name in (*positive, "lr_decay", "unfreeze_steps"):
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


@dataclass
class _Prepared:
    """A labelled split read as the network and the baseline read it."""

    seqs: list[np.ndarray]
    labels: np.ndarray  # class indices
    docs: list[str]  # tokens joined by spaces (the baseline's input)


class TextClassifier:
    """A recurrent text classifier with a scikit-learn-style API.

    ``fit`` takes texts and labels (any number of classes; str or int labels), a CSV / JSONL
    file, a folder with one subfolder per class, or a registry dataset such as ``"imdb"``; a
    validation split is carved out of the training data (never the test data) to keep the best
    weights. Words never seen in training are read as ``<unk>``.

    Example:
        >>> texts = ["good fun", "great film", "bad plot", "awful acting"] * 10
        >>> labels = ["pos", "pos", "neg", "neg"] * 10
        >>> clf = TextClassifier(hidden_size=8, embed_size=8, min_count=1, val_fraction=0.2)
        >>> clf = clf.fit(texts, labels, steps=60, quiet=True)
        >>> clf.predict(["good film", "awful plot"])
        ['pos', 'neg']
        >>> round(float(clf.predict_proba(["good film"]).sum()), 6)
        1.0
    """

    kind = KIND

    def __init__(
        self,
        cell: str | None = None,
        hidden_size: int | None = None,
        embed_size: int | None = None,
        num_layers: int | None = None,
        bidirectional: bool | None = None,
        pooling: str | None = None,
        **settings: Any,
    ) -> None:
        self.arch: dict[str, Any] = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
            "pooling": pooling,
        }
        known = {f.name for f in fields(ClassifierSettings)}
        unknown = set(settings) - known
        if unknown:
            raise RnnkitError(f"unknown TextClassifier setting(s): {', '.join(sorted(unknown))}")
        self.settings = ClassifierSettings(**settings)
        s = self.settings
        given = {k: v for k, v in self.arch.items() if v is not None}
        arch = {**ARCH_DEFAULTS, **given}
        ClassifierConfig(2, 2, dropout=s.dropout, embed_dropout=s.embed_dropout, **arch)
        self.net_: ClassifierNet | None = None
        self.vocab_: WordVocab | None = None
        self.classes_: list[Any] = []
        self.baseline_: TfidfLogReg | None = None
        self.blend_weight_: float | None = None  # the network's share of a blended prediction
        self.info_: dict[str, Any] = {}
        self._snapshot: tuple[dict[str, Tensor], dict[str, Any]] | None = None
        self._trainer: Trainer | None = None

    # ----------------------------------------------------------------------------- training
    def fit(
        self: Self,
        data: str | Path | Sequence[str],
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
    ) -> Self:
        """Train on ``data`` for a budget (5 minutes if none is given); returns ``self``.

        With ``out_dir`` the best checkpoint and the training state are written there at each
        validation (and on Ctrl-C), so the run can be continued with :meth:`resume`.
        """
        whole = _labelled(data, labels, text_column, label_column, encoding, data_dir)
        self.classes_ = _classes(whole.labels)
        self.baseline_, self.blend_weight_ = None, None  # a refit starts afresh
        train, val = split_validation(whole, self.settings.val_fraction, self.settings.seed)
        started = time.perf_counter()
        train_tokens = self._tokenized(train.texts)
        self.vocab_, lm_state, lm_arch = self._vocabulary(train_tokens)
        cfg = self._config(lm_arch)
        columns = {"text_column": text_column, "label_column": label_column}
        self.info_ = {"data": _describe(whole, train, val, columns | {"encoding": encoding})}
        torch.manual_seed(self.settings.seed)
        self.net_ = ClassifierNet(cfg)
        self._init_weights(lm_state)
        parts = (
            self._prepare(train_tokens, train.labels),
            self._prepare(self._tokenized(val.texts), val.labels),
        )
        share = _unknown_share(parts[0].seqs, self._require_vocab().unk_id)
        self.info_["unknown_share"] = share
        if self.settings.lm is not None and share > 0.2:
            warnings.warn(
                f"{share:.0%} of the training tokens are unknown to the language model: train it "
                "on text written by rnnkit.data.labelled.write_lm_corpus",
                stacklevel=2,
            )
        trainer, batches = self._make_trainer(*parts, out_dir)
        budget = budget_for(minutes, steps, epochs, batches.steps_per_epoch)
        self.info_["budget"] = asdict(budget)
        self._run(trainer, budget, out_dir, quiet)
        if not trainer.interrupted:  # Ctrl-C: save and stop, the baseline can come on resume
            self._fit_baseline(*parts, quiet)
        self.info_["seconds_total"] = round(time.perf_counter() - started, 2)
        if out_dir is not None:
            self.save(out_dir)
        return self

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        data: str | Path | Sequence[str] | None = None,
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
        ck = checkpoint.load(path, with_training=True)
        clf = cls._from_checkpoint(ck)
        described = ck.config["data"]
        s = clf.settings
        if data is None and described["source"] == IN_MEMORY:
            raise RnnkitError("this run was trained on texts in memory: pass them (and labels)")
        source = data if data is not None else described["source"]
        columns = described["text_column"], described["label_column"]
        enc = encoding or described.get("encoding", "utf-8")
        whole = _labelled(source, labels, *columns, enc, data_dir)
        if _fingerprint(whole) != described["sha256"]:
            raise RnnkitError(f"{whole.source} is not the data this run was trained on")
        train, val = split_validation(whole, s.val_fraction, s.seed)
        parts = (
            clf._prepare(clf._tokenized(train.texts), train.labels),
            clf._prepare(clf._tokenized(val.texts), val.labels),
        )
        trainer, batches = clf._make_trainer(*parts, path)
        trainer.restore(ck.train_tensors, ck.train_state or {}, _net_weights(ck.weights))
        saved = ck.config["training"]["budget"]
        budget = budget_for(minutes, steps, epochs, batches.steps_per_epoch, saved)
        clf.info_["budget"] = asdict(budget)
        clf._run(trainer, budget, path, quiet)
        if not trainer.interrupted:
            clf._fit_baseline(*parts, quiet)
        clf.save(path)
        return clf

    def _vocabulary(
        self, train_tokens: list[list[str]]
    ) -> tuple[WordVocab, dict[str, Tensor] | None, dict[str, Any]]:
        """The words the network knows, with the language model's weights and architecture
        when it starts from one; else the training texts' own words."""
        s = self.settings
        if s.lm is not None:
            from rnnkit.lm.wordlm import WordLM

            lm = WordLM.load(s.lm)
            assert lm.vocab_ is not None and lm.model_ is not None
            return lm.vocab_, lm.model_.state_dict(), asdict(lm.model_.config)
        counts = Counter(t for tokens in train_tokens for t in tokens)
        counts[EOS] += len(train_tokens)  # each text ends with one, as encoded
        return WordVocab.from_counts(counts, s.min_count, s.max_vocab), None, {}

    def _config(self, lm_arch: dict[str, Any]) -> ClassifierConfig:
        """The architecture: given values, else the language model's or vectors', else the
        defaults; a language model fixes the recurrent stack (unidirectional)."""
        s, vocab = self.settings, self._require_vocab()
        arch = {k: v for k, v in self.arch.items() if v is not None}
        if s.lm is not None:
            fixed = {k: lm_arch[k] for k in ("cell", "hidden_size", "embed_size", "num_layers")}
            fixed["bidirectional"] = False
            clash = [k for k, v in fixed.items() if arch.get(k, v) != v]
            if clash:
                raise RnnkitError(
                    f"the language model fixes {', '.join(clash)}: "
                    + ", ".join(f"{k}={fixed[k]}" for k in clash)
                )
            arch |= fixed
        elif s.embeddings is not None:
            arch.setdefault("embed_size", self._vectors().dim)
        arch = {**ARCH_DEFAULTS, **arch}
        return ClassifierConfig(
            vocab_size=len(vocab),
            num_classes=len(self.classes_),
            dropout=s.dropout,
            embed_dropout=s.embed_dropout,
            **arch,
        )

    def _vectors(self) -> Any:
        from rnnkit.embed.vectors import WordVectors

        assert self.settings.embeddings is not None
        return WordVectors.load(self.settings.embeddings)

    def _init_weights(self, lm_state: dict[str, Tensor] | None) -> None:
        net, s = self._require_net(), self.settings
        if lm_state is not None:
            net.load_state_dict(lm_weights(lm_state, net.config.num_layers), strict=False)
        elif s.embeddings is not None:
            aligned = self._vectors().embedding_matrix(
                self._require_vocab().tokens, dim=net.config.embed_size, seed=s.seed
            )
            with torch.no_grad():
                net.embed.weight.copy_(torch.from_numpy(aligned.matrix))
            self.info_["embedding_oov"] = len(aligned.oov)

    def _tuning(self, steps_per_epoch: int) -> FineTuning:
        s = self.settings
        from_lm = s.lm is not None
        unfreeze = s.unfreeze_steps
        if unfreeze is None and from_lm:
            unfreeze = max(1, steps_per_epoch // 4)
        return FineTuning(
            weight_decay=s.weight_decay,
            clip=s.clip,
            lr_decay=s.lr_decay if s.lr_decay is not None else (2.6 if from_lm else 1.0),
            unfreeze_steps=unfreeze,
            freeze_embeddings=s.freeze_embeddings,
        )

    def _make_trainer(
        self, train_p: _Prepared, val_p: _Prepared, out_dir: str | Path | None
    ) -> tuple[Trainer, BucketBatches]:
        s, net = self.settings, self._require_net()
        batches = BucketBatches(train_p.seqs, train_p.labels, s.batch_size, s.seed)
        net.to(device_for(s.device, "torch"))
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
        return self._trainer, batches

    def _run(
        self, trainer: Trainer, budget: Budget, out_dir: str | Path | None, quiet: bool
    ) -> None:
        save = None
        if out_dir is not None:

            def save(best: dict, tensors: dict, meta: dict) -> None:
                self.info_["stats"] = _stats(trainer)
                self._write(out_dir, best, tensors, meta)

        self._snapshot = run_keeping_best(trainer, budget, self._require_net(), save, quiet)
        self.info_["stats"] = _stats(trainer)

    def _fit_baseline(self, train_p: _Prepared, val_p: _Prepared, quiet: bool) -> None:
        """Train the TF-IDF + logistic-regression baseline (``baseline`` / ``blend``) and choose
        the blend weight on the validation split."""
        s = self.settings
        if not (s.baseline or s.blend):
            return
        base = TfidfLogReg().fit(train_p.docs, list(train_p.labels), val_p.docs, list(val_p.labels))
        self.baseline_ = base
        net_logp = self._net_log_proba(val_p.seqs)
        base_logp = self._baseline_log_proba(val_p.docs)
        truth = torch.from_numpy(val_p.labels)
        scores = {
            "network": _accuracy(net_logp, truth),
            "baseline": _accuracy(base_logp, truth),
        }
        if s.blend:
            self.blend_weight_ = _blend_weight(net_logp, base_logp, truth)
            blended = _blend(net_logp, base_logp, self.blend_weight_)
            scores["blend"] = _accuracy(blended, truth)
        self.info_["validation_accuracy"] = scores
        if not quiet:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())
            print(f"validation accuracy: {shown}")

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
        data = _labelled(texts, labels, None, None)
        truth = torch.from_numpy(self._indices(data.labels))
        return _accuracy(self._log_proba(data.texts), truth)

    def evaluate(
        self,
        data: str | Path | Sequence[str],
        labels: Sequence[Any] | None = None,
        text_column: str | None = None,
        label_column: str | None = None,
        encoding: str = "utf-8",
        data_dir: str | Path | None = None,
    ) -> dict[str, Any]:
        """Accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix on
        ``data`` (e.g. ``"imdb:test"``); with a baseline, the accuracy of each part too."""
        whole = _labelled(data, labels, text_column, label_column, encoding, data_dir)
        truth = self._indices(whole.labels)
        prepared = self._prepare(self._tokenized(whole.texts))
        logp = self._combined(prepared)
        predicted = [self.classes_[int(i)] for i in logp.argmax(dim=1)]
        report = classification_report(list(whole.labels), predicted, self.classes_)
        report["texts"] = len(whole)
        if self.baseline_ is not None:
            t = torch.from_numpy(truth)
            base = self._baseline_log_proba(prepared.docs)
            report["components"] = {
                "network": _accuracy(self._net_log_proba(prepared.seqs), t),
                "baseline": _accuracy(base, t),
            }
        return report

    def explain(self, text: str, top: int = 10) -> list[tuple[str, float]]:
        """The ``top`` words the attention pooling weighted most in ``text``, with their weights
        (the weights of all positions sum to 1). Needs ``pooling`` with ``attention``."""
        net = self._require_net()
        if "attention" not in net.config.poolings:
            raise RnnkitError("explanations need attention pooling (pooling='attention')")
        tokens = [*self._tokens(_texts([text])[0]), EOS]
        ids = torch.from_numpy(self._encode(tokens[:-1])).unsqueeze(0)
        net.eval()
        with torch.inference_mode():
            _, weights = net.classify(ids, torch.tensor([ids.shape[1]]))
        assert weights is not None
        pairs = list(zip(tokens, weights[0].tolist(), strict=True))
        return sorted(pairs, key=lambda tw: -tw[1])[:top]

    def _log_proba(self, texts: list[str]) -> Tensor:
        return self._combined(self._prepare(self._tokenized(texts)))

    def _combined(self, prepared: _Prepared) -> Tensor:
        """Log-probabilities [N, C] of the network, blended with the baseline's if chosen."""
        logp = self._net_log_proba(prepared.seqs)
        if self.blend_weight_ is None or self.baseline_ is None:
            return logp
        return _blend(logp, self._baseline_log_proba(prepared.docs), self.blend_weight_)

    def _baseline_log_proba(self, docs: list[str]) -> Tensor:
        """The baseline's log-probabilities [N, C] in the network's class order; a class the
        baseline never saw in training (possible with one example of it) gets log(1e-12)."""
        assert self.baseline_ is not None and self.baseline_.classes_ is not None
        out = torch.full((len(docs), len(self.classes_)), math.log(1e-12))
        columns = torch.from_numpy(np.asarray(self.baseline_.classes_, dtype=np.int64))
        out[:, columns] = torch.from_numpy(self.baseline_.decision_function(docs)).float()
        return out

    def _net_log_proba(self, seqs: list[np.ndarray]) -> Tensor:
        return F.log_softmax(predict_logits(self._require_net(), seqs), dim=1)

    # ----------------------------------------------------------------------------- text
    def _tokens(self, text: str) -> list[str]:
        tokens = tokenize_text(text, self.settings.lowercase)
        cap = self.settings.max_tokens
        return tokens if cap is None else tokens[:cap]

    def _encode(self, tokens: list[str]) -> np.ndarray:
        """Ids of ``tokens`` and an end marker (``<eos>``, as a language model read its text),
        so even a text with no tokens left (only tags, say) is one step long."""
        vocab = self._require_vocab()
        return np.append(vocab.ids(tokens), vocab.eos_id)

    def _tokenized(self, texts: list[str]) -> list[list[str]]:
        return [self._tokens(t) for t in texts]

    def _prepare(self, tokens: list[list[str]], labels: Sequence[Any] = ()) -> _Prepared:
        """Ids, class indices (if labels are given) and baseline documents of tokenized texts."""
        docs = [" ".join(t) for t in tokens]
        return _Prepared([self._encode(t) for t in tokens], self._indices(labels), docs)

    def _indices(self, labels: Sequence[Any]) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        unseen = list(dict.fromkeys(label for label in labels if label not in index))
        if unseen:
            known = ", ".join(map(repr, self.classes_))
            raise RnnkitError(
                f"labels the model was not trained on: {', '.join(map(repr, unseen[:5]))} "
                f"(it knows {known})"
            )
        return np.array([index[label] for label in labels], dtype=np.int64)

    # ----------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        """Write the classifier as a checkpoint folder (with the training state after fit)."""
        tensors, meta = self._snapshot if self._snapshot is not None else ({}, None)
        self._write(path, self._require_net().state_dict(), tensors, meta)

    def _write(
        self, path: str | Path, weights: dict, tensors: dict, meta: dict[str, Any] | None
    ) -> None:
        net, vocab = self._require_net(), self._require_vocab()
        baseline_meta: dict[str, Any] | None = None
        weights = dict(weights)
        if self.baseline_ is not None:
            baseline_meta, base_tensors = self.baseline_.to_state()
            weights |= {f"baseline.{k}": v for k, v in base_tensors.items()}
        config = {
            "kind": KIND,
            "rnnkit_version": __version__,
            "model": net.config.to_json(),
            "classes": self.classes_,
            "training": {**asdict(self.settings), "budget": self.info_.get("budget")},
            "data": self.info_.get("data"),
            "stats": self.info_.get("stats", {}),
            "validation_accuracy": self.info_.get("validation_accuracy"),
            "blend_weight": self.blend_weight_,
        }
        vocab_json = {**vocab.to_json(), "baseline": baseline_meta}
        checkpoint.save(checkpoint.Checkpoint(config, vocab_json, weights, meta, tensors), path)

    @classmethod
    def load(cls: type[Self], path: str | Path) -> Self:
        """Load a checkpoint folder written by :meth:`save`, ``fit`` or ``rnnkit train
        classifier``."""
        return cls._from_checkpoint(checkpoint.load(path))

    @classmethod
    def _from_checkpoint(cls: type[Self], ck: checkpoint.Checkpoint) -> Self:
        checkpoint.expect_kind(ck.config, KIND)
        cfg = ClassifierConfig(**ck.config["model"])
        training = dict(ck.config.get("training", {}))
        known = {f.name for f in fields(ClassifierSettings)}
        arch = {k: getattr(cfg, k) for k in ARCH}
        clf = cls(**arch, **{k: v for k, v in training.items() if k in known})
        clf.classes_ = list(ck.config["classes"])
        clf.vocab_ = WordVocab.from_json(ck.vocab)
        clf.net_ = ClassifierNet(cfg)
        try:
            clf.net_.load_state_dict(_net_weights(ck.weights))
        except RuntimeError:
            raise RnnkitError(
                "the weights do not match the model described in config.json"
            ) from None
        if ck.vocab.get("baseline") is not None:
            base = {
                k.removeprefix("baseline."): v
                for k, v in ck.weights.items()
                if k.startswith("baseline.")
            }
            clf.baseline_ = TfidfLogReg.from_state(ck.vocab["baseline"], base)
        clf.blend_weight_ = ck.config.get("blend_weight")
        clf.info_ = {
            key: ck.config.get(key) for key in ("data", "stats", "validation_accuracy")
        } | {"budget": training.get("budget")}
        return clf

    def info(self) -> dict[str, Any]:
        """Kind, architecture, sizes, classes, data and training statistics."""
        net, vocab = self._require_net(), self._require_vocab()
        return {
            "kind": KIND,
            **asdict(net.config),
            "parameters": sum(p.numel() for p in net.parameters()),
            "classes": self.classes_,
            "vocab": vocab.summary(),
            "baseline": self.baseline_ is not None,
            "blend_weight": self.blend_weight_,
            **{k: v for k, v in self.info_.items() if k != "budget"},
        }

    def _require_net(self) -> ClassifierNet:
        if self.net_ is None:
            raise RnnkitError(
                "this TextClassifier is not trained yet: call fit() or TextClassifier.load()"
            )
        return self.net_

    def _require_vocab(self) -> WordVocab:
        if self.vocab_ is None:
            self._require_net()
        assert self.vocab_ is not None
        return self.vocab_


# ----------------------------------------------------------------------------- helpers
def _labelled(
    data: str | Path | Sequence[str],
    labels: Sequence[Any] | None,
    text_column: str | None,
    label_column: str | None,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
) -> Labelled:
    """Labelled text from a source (file, folder, registry name) or from two lists."""
    if isinstance(data, (str, Path)):
        if labels is not None:
            raise RnnkitError("a file or dataset brings its own labels: give labels with a list")
        return read_labelled(data, text_column, label_column, encoding, data_dir)
    if labels is None:
        raise RnnkitError("give labels with the texts (or a file / dataset that has them)")
    texts = _texts(data)
    if len(texts) != len(labels):
        raise RnnkitError(f"{len(texts)} texts but {len(labels)} labels")
    return Labelled(texts, _plain_labels(labels), IN_MEMORY)


def _texts(texts: Sequence[str] | str) -> list[str]:
    """A list of non-empty texts; a bare string is a mistake worth naming."""
    if isinstance(texts, str):
        raise RnnkitError("give a list of texts, not one string (wrap it: [text])")
    result = list(texts)
    wrong = [i + 1 for i, t in enumerate(result) if not isinstance(t, str)]
    if wrong:
        raise RnnkitError(f"{len(wrong)} text(s) are not strings, e.g. number {wrong[0]}")
    empty = [i + 1 for i, t in enumerate(result) if not t.strip()]
    if empty:
        shown = ", ".join(map(str, empty[:5]))
        raise RnnkitError(f"{len(empty)} empty text(s), e.g. number {shown}")
    return [str(t) for t in result]


def _plain_labels(labels: Sequence[Any]) -> list[Any]:
    """Labels as JSON values (NumPy scalars unwrapped); all str or all int."""
    plain = [x.item() if isinstance(x, np.generic) else x for x in labels]
    kinds = {type(x) for x in plain}
    if not (kinds <= {str} or kinds <= {int}):
        names = ", ".join(sorted(k.__name__ for k in kinds))
        raise RnnkitError(f"labels must be all strings or all integers, got {names}")
    return plain


def _unknown_share(seqs: list[np.ndarray], unk_id: int) -> float:
    """The fraction of training tokens read as ``<unk>`` (high: the vocabulary does not fit)."""
    total = sum(len(s) for s in seqs)
    return round(sum(int((s == unk_id).sum()) for s in seqs) / max(total, 1), 4)


def _classes(labels: Sequence[Any]) -> list[Any]:
    classes = sorted(set(labels), key=lambda c: (str(type(c)), c))
    if len(classes) < 2:
        raise RnnkitError(f"the training data has a single class ({classes[0]!r}): need at least 2")
    return classes


def _fingerprint(data: Labelled) -> str:
    h = hashlib.sha256()
    for text, label in zip(data.texts, data.labels, strict=True):
        h.update(f"{label!r}\t{text}\x00".encode())
    return h.hexdigest()


def _describe(
    whole: Labelled, train: Labelled, val: Labelled, columns: dict[str, str | None]
) -> dict[str, Any]:
    return {
        "source": whole.source,
        "sha256": _fingerprint(whole),
        "texts": len(whole),
        "train": len(train),
        "validation": len(val),
        **columns,
    }


def _net_weights(weights: dict[str, Tensor]) -> dict[str, Tensor]:
    """The network's weights of a checkpoint (the baseline's are stored beside them)."""
    return {k: v for k, v in weights.items() if not k.startswith("baseline.")}


def _stats(trainer: Trainer) -> dict[str, Any]:
    learner = trainer.learner
    assert isinstance(learner, ClassifierLearner)
    return {**trainer.summary(), "last_val_accuracy": learner.val_accuracy}


def _accuracy(logp: Tensor, truth: Tensor) -> float:
    return int((logp.argmax(dim=1) == truth).sum()) / max(len(truth), 1)


def _blend(net_logp: Tensor, base_logp: Tensor, weight: float) -> Tensor:
    """Log-probabilities of the normalised geometric mix ``p_net^w * p_base^(1-w)``."""
    return F.log_softmax(weight * net_logp + (1.0 - weight) * base_logp, dim=1)


def _blend_weight(net_logp: Tensor, base_logp: Tensor, truth: Tensor) -> float:
    """The network's weight (0, 0.05, ..., 1) with the lowest validation cross-entropy."""
    grid = [i / 20 for i in range(21)]
    losses = [F.nll_loss(_blend(net_logp, base_logp, w), truth).item() for w in grid]
    return grid[int(np.argmin(losses))]
