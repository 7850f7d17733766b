"""Sequence to sequence with attention: :class:`Seq2Seq`.

Pairs (in memory, a TSV / JSONL file, or the registry sets ``cmudict``, ``dates``, ``reverse``;
:mod:`rnnkit.seq2seq.data`) -> each side read as characters or tokens
(:mod:`rnnkit.seq2seq.symbols`) -> :class:`~rnnkit.models.seq2seq.Seq2SeqNet` trained with
teacher forcing by the one training loop on the shared estimator lifecycle -> the one checkpoint
format (kind ``seq2seq``) -> greedy or beam-search decoding (:mod:`rnnkit.decoding.beam`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

import numpy as np
import torch

from rnnkit.core import checkpoint
from rnnkit.core.results import Seq2SeqEvaluation, scores
from rnnkit.data.pairs import Pair
from rnnkit.decoding.beam import Hypothesis, beam_search, greedy
from rnnkit.errors import RnnkitError
from rnnkit.models.seq2seq import BOS, EOS, Seq2SeqConfig, Seq2SeqNet
from rnnkit.seq2seq import data as pairdata
from rnnkit.seq2seq.learner import Optimisation, PairBatches, Seq2SeqLearner, padded, score
from rnnkit.seq2seq.metrics import error_rates
from rnnkit.seq2seq.symbols import UNITS, Symbols, Vocabulary, checked_sources
from rnnkit.training.estimator import Estimator
from rnnkit.training.loop import LoopSettings, Trainer
from rnnkit.training.schedule import Budget, budget_for

KIND = "seq2seq"
Self = TypeVar("Self", bound="Seq2Seq")
#: Constructor arguments that describe the network (the rest are Seq2SeqSettings).
ARCH = (
    "cell",
    "hidden_size",
    "embed_size",
    "num_layers",
    "bidirectional",
    "attention",
    "input_feeding",
)
#: Sources decoded together by greedy decoding.
DECODE_BATCH = 256


@dataclass
class Seq2SeqSettings:
    """Reading, optimisation and decoding settings of a run (saved in the checkpoint's config).

    ``source_unit`` / ``target_unit`` read a side as ``chars`` or whitespace-separated
    ``tokens`` (None: the registry set's own units, else characters). ``beam`` (1: greedy),
    ``length_penalty`` (alpha of :func:`~rnnkit.decoding.beam.normalised`) and ``max_length``
    (None: twice the source's length plus 10) are the decoding defaults of ``translate`` and
    ``evaluate``.

    Example:
        >>> Seq2SeqSettings(beam=5).length_penalty
        1.0
        >>> Seq2SeqSettings(target_unit="words")
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: target_unit must be one of chars, tokens, got 'words'
    """

    source_unit: str | None = None
    target_unit: str | None = None
    dropout: float = 0.1
    batch_size: int = 64
    lr: float = 3e-3
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.0
    clip: float = 1.0
    label_smoothing: float = 0.0
    val_fraction: float = 0.05
    seed: int = 0
    evals: int = 5
    beam: int = 1
    length_penalty: float = 1.0
    max_length: int | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("batch_size", "lr", "clip", "evals", "beam", "max_length"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise RnnkitError(f"{name} must be positive, got {value}")
        for name in ("weight_decay", "warmup_steps", "seed", "length_penalty"):
            if getattr(self, name) < 0:
                raise RnnkitError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("source_unit", "target_unit"):
            value = getattr(self, name)
            if value is not None and value not in UNITS:
                raise RnnkitError(f"{name} must be one of {', '.join(UNITS)}, got {value!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise RnnkitError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0.0 < self.val_fraction < 1.0:
            raise RnnkitError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


@dataclass(frozen=True)
class Translation:
    """One translation with what produced it: the output text, its length-normalised score,
    the source and output symbols (the output's end symbol included) and the attention
    weights [output symbols, source symbols] (None for a model without attention)."""

    text: str
    score: float
    source: list[str]
    output: list[str]
    attention: np.ndarray | None


class Seq2Seq(Estimator):
    """An encoder-decoder with attention, with a scikit-learn-style API.

    ``fit`` takes ``(source, target)`` pairs, a TSV / JSONL file, or a registry pair set
    (``"cmudict"``, ``"dates"``, ``"reverse"``); ``attention`` is ``"bahdanau"`` (additive),
    ``"luong"`` (multiplicative, "general") or None; ``input_feeding`` feeds each step's
    attentional output to the next step (with an attention only). Source symbols never seen in
    training read as ``<unk>`` with a warning naming them.

    Example:
        >>> pairs = [("abc", "cba"), ("bca", "acb"), ("cab", "bac"), ("aab", "baa")]
        >>> m = Seq2Seq(hidden_size=32, embed_size=8, dropout=0.0, warmup_steps=5, lr=0.02)
        >>> m = m.fit(pairs, validation=pairs, steps=150, quiet=True)
        >>> m.translate(["abc", "aab"])
        ['cba', 'baa']
        >>> m.translate("abc", beam=3) == m.translate("abc")
        True
    """

    kind = KIND
    settings_type = Seq2SeqSettings
    net_type = Seq2SeqNet
    config_type = Seq2SeqConfig

    def __init__(
        self,
        cell: str = "gru",
        hidden_size: int = 256,
        embed_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = True,
        attention: str | None = "bahdanau",
        input_feeding: bool = False,
        **settings: Any,
    ) -> None:
        arch: dict[str, Any] = {
            "cell": cell,
            "hidden_size": hidden_size,
            "embed_size": embed_size,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
            "attention": attention,
            # Only an attention has an output to feed back: without one it is off.
            "input_feeding": input_feeding and attention is not None,
        }
        super().__init__(arch, settings)
        Seq2SeqConfig(1, 1, dropout=self.settings.dropout, **arch)  # a bad one fails here
        self.model_: Seq2SeqNet | None = None
        self.vocab_: Vocabulary | None = None

    # ----------------------------------------------------------------------------- training
    def fit(
        self: Self,
        data: pairdata.PairData,
        *,
        validation: pairdata.PairData | None = None,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
        encoding: str = "utf-8",
    ) -> Self:
        """Train on ``data`` for a budget (5 minutes if none is given); returns ``self``.

        The best weights by validation loss are kept: on ``validation`` pairs if given, else
        the registry set's validation split, else ``val_fraction`` of ``data`` held out. With
        ``out_dir`` the checkpoint and training state are written there at each validation,
        so the run can be continued with :meth:`resume`."""
        budget_for(minutes, steps, epochs, 1)  # a bad budget fails before any work
        started = time.perf_counter()
        whole = pairdata.read(data, data_dir, encoding)
        train, val = self._parts(whole, data, validation, data_dir, encoding)
        units = self._units(whole)
        self.vocab_ = Vocabulary(
            Symbols.from_texts((p.source for p in train), units[0]),
            Symbols.from_texts((t for p in train for t in p.targets), units[1]),
        )
        self.info_ = {"data": self._described(whole, train, val, validation is not None)}
        config = self._config()

        def start() -> tuple[Trainer, Budget]:
            self.model_ = Seq2SeqNet(config)
            trainer = self._make_trainer(train, val, out_dir)
            return trainer, budget_for(minutes, steps, epochs, trainer.batches.steps_per_epoch)

        self._train(start, out_dir, quiet)
        self.info_["seconds_total"] = round(time.perf_counter() - started, 2)
        if out_dir is not None:
            self.save(out_dir)
        return self

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        data: pairdata.PairData | None = None,
        *,
        validation: pairdata.PairData | None = None,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
        encoding: str | None = None,
    ) -> Self:
        """Continue the run saved in ``path`` where it stopped, on the same data (a registry
        set or file is read again and checked; pairs in memory must be passed again)."""

        def prepare(est: Self, config: dict[str, Any]) -> Trainer:
            seen = config["data"]
            if data is None and seen["source"] == pairdata.IN_MEMORY:
                raise RnnkitError("this run was trained on pairs in memory: pass them again")
            source = data if data is not None else seen["source"]
            reading = encoding or seen.get("encoding", "utf-8")
            whole = pairdata.read(source, data_dir, reading)
            if whole.sha256() != seen["sha256"]:
                raise RnnkitError(f"{whole.source} is not the data this run was trained on")
            train, val = est._parts(whole, source, validation, data_dir, reading)
            return est._make_trainer(train, val, path)

        est = cls._resume(path, prepare, minutes, steps, epochs, quiet)
        est.save(path)
        return est

    def _parts(
        self,
        whole: pairdata.PairSet,
        data: pairdata.PairData,
        validation: pairdata.PairData | None,
        data_dir: str | Path | None,
        encoding: str,
    ) -> tuple[list[Pair], list[Pair]]:
        if validation is not None:
            return whole.pairs, pairdata.read(validation, data_dir, encoding).pairs
        s = self.settings
        return pairdata.validation_split(whole, data, s.val_fraction, s.seed, data_dir)

    def _units(self, whole: pairdata.PairSet) -> tuple[str, str]:
        s = self.settings
        own = whole.units or ("chars", "chars")
        return (s.source_unit or own[0], s.target_unit or own[1])

    def _described(
        self, whole: pairdata.PairSet, train: list[Pair], val: list[Pair], own_val: bool
    ) -> dict[str, Any]:
        # Without given pairs, validation is the data set's own split when nothing was held out.
        carved = len(train) < len(whole.pairs)
        return {
            "source": whole.source,
            "sha256": whole.sha256(),
            "train_pairs": len(train),
            "validation_pairs": len(val),
            "validation": "given" if own_val else "held out" if carved else "the data set's",
        }

    def _config(self) -> Seq2SeqConfig:
        vocab = self._require_vocab()
        return Seq2SeqConfig(
            len(vocab.source), len(vocab.target), dropout=self.settings.dropout, **self.arch
        )

    def _encoded(self, pairs: list[Pair]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Ids of every (source, reference) of ``pairs``: one training row per reference."""
        vocab = self._require_vocab()
        rows = [(p.source, t) for p in pairs for t in p.targets]
        return (
            [vocab.source.encode(s) for s, _ in rows],
            [vocab.target.encode(t) for _, t in rows],
        )

    def _make_trainer(
        self, train: list[Pair], val: list[Pair], out_dir: str | Path | None
    ) -> Trainer:
        s, net = self.settings, self._require_model()
        sources, targets = self._encoded(train)
        batches = PairBatches(sources, targets, s.batch_size, s.seed)
        net.to(self._device())
        learner = Seq2SeqLearner(
            net, *self._encoded(val), Optimisation(s.weight_decay, s.clip, s.label_smoothing)
        )
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            log_every=max(1, min(50, batches.steps_per_epoch // 4)),
            tokens_per_step=s.batch_size,
            token_name="pairs",
        )
        log_dir = Path(out_dir) if out_dir is not None else None
        self._trainer = Trainer(learner, batches, loop, log_dir)
        return self._trainer

    # ----------------------------------------------------------------------------- using
    @overload
    def translate(
        self,
        texts: str,
        beam: int | None = None,
        max_length: int | None = None,
        return_attention: bool = False,
    ) -> Any: ...
    @overload
    def translate(
        self,
        texts: Sequence[str],
        beam: int | None = None,
        max_length: int | None = None,
        return_attention: bool = False,
    ) -> list[Any]: ...
    def translate(
        self,
        texts: str | Sequence[str],
        beam: int | None = None,
        max_length: int | None = None,
        return_attention: bool = False,
    ) -> Any:
        """The translation of a text (a str), or of each of a list of texts; with
        ``return_attention`` each is a :class:`Translation` (text, score, symbols, attention)
        instead of its text. ``beam`` 1 is greedy; the settings' defaults when not given."""
        one = isinstance(texts, str)
        batch = [texts] if isinstance(texts, str) else list(texts)
        found = self._translations(batch, beam, max_length)
        out = found if return_attention else [t.text for t in found]
        return out[0] if one else out

    def _translations(
        self, texts: list[str], beam: int | None, max_length: int | None
    ) -> list[Translation]:
        vocab = self._require_vocab()
        sources = checked_sources(texts, vocab.source)
        hyps = self._decode(sources, beam, max_length)
        return [self._translation(ids, h) for ids, h in zip(sources, hyps, strict=True)]

    def _translation(self, source: np.ndarray, h: Hypothesis) -> Translation:
        vocab = self._require_vocab()
        output = vocab.target.names([*h.tokens, EOS] if h.finished else h.tokens)
        attention = h.attention.numpy() if h.attention is not None else None
        names = vocab.source.names(source.tolist())
        return Translation(vocab.target.decode(h.tokens), h.score, names, output, attention)

    def _decode(
        self, sources: list[np.ndarray], beam: int | None, max_length: int | None
    ) -> list[Hypothesis]:
        """The best hypothesis for each source (ids), greedy in batches or by beam search."""
        s, net = self.settings, self._require_model()
        beam = s.beam if beam is None else beam
        if beam < 1:
            raise RnnkitError(f"beam must be at least 1, got {beam}")
        net.eval()
        limit = max_length or s.max_length
        out: dict[int, Hypothesis] = {}
        order = np.argsort([len(x) for x in sources], kind="stable")
        size = DECODE_BATCH if beam == 1 else 1
        with torch.inference_mode():
            for start in range(0, len(order), size):
                rows = order[start : start + size]
                chosen = [sources[i] for i in rows]
                most = limit or 2 * max(len(x) for x in chosen) + 10
                state = net.encode(*_padded(chosen))
                if beam == 1:
                    hyps = greedy(net.step, state, BOS, EOS, most, s.length_penalty)
                else:
                    hyps = beam_search(net.step, state, BOS, EOS, beam, most, s.length_penalty)[:1]
                out.update(zip(rows.tolist(), hyps, strict=True))
        return [out[i] for i in range(len(sources))]

    def hypotheses(
        self, text: str, beam: int = 5, max_length: int | None = None
    ) -> list[tuple[str, float]]:
        """The ``beam`` best outputs for ``text`` by beam search, with their scores, best first."""
        vocab, net = self._require_vocab(), self._require_model()
        ids = checked_sources([text], vocab.source)[0]
        net.eval()
        most = max_length or self.settings.max_length or 2 * len(ids) + 10
        with torch.inference_mode():
            state = net.encode(*_padded([ids]))
            hyps = beam_search(net.step, state, BOS, EOS, beam, most, self.settings.length_penalty)
        return [(vocab.target.decode(h.tokens), h.score) for h in hyps]

    def evaluate(
        self,
        data: pairdata.PairData,
        beam: int | None = None,
        data_dir: str | Path | None = None,
        encoding: str = "utf-8",
    ) -> Seq2SeqEvaluation:
        """Scores on ``data`` (e.g. ``"cmudict:test"``): the core fields of
        :class:`~rnnkit.core.results.Evaluation` (teacher-forced cross-entropy per target
        symbol of the first reference), ``exact_match`` (an output matching any reference),
        ``word_error_rate`` (1 - exact match), ``token_error_rate`` (symbol edits against the
        closest reference: the phoneme error rate for G2P), ``pairs`` and ``beam``."""
        vocab, net = self._require_vocab(), self._require_model()
        pairs = pairdata.read(data, data_dir, encoding).pairs
        sources = checked_sources([p.source for p in pairs], vocab.source)
        beam = self.settings.beam if beam is None else beam
        hyps = self._decode(sources, beam, None)
        predicted = [vocab.target.names(h.tokens) for h in hyps]
        references = [[vocab.target.split(t) for t in p.targets] for p in pairs]
        firsts = [vocab.target.encode(p.targets[0]) for p in pairs]
        total, count = score(net, sources, firsts)
        rates = error_rates(predicted, references)
        return Seq2SeqEvaluation(
            **scores(total / max(1, count), count, vocab.target.unit),
            exact_match=rates["exact_match"],
            word_error_rate=rates["word_error_rate"],
            token_error_rate=rates["token_error_rate"],
            pairs=len(pairs),
            beam=beam,
        )

    def plot_attention(self, text: str, path: str | Path, beam: int | None = None) -> Path:
        """Draw the attention of the translation of ``text`` as a heatmap PNG at ``path``."""
        from rnnkit.seq2seq.plots import plot_attention

        found = self._translations([text], beam, None)[0]
        if found.attention is None:
            raise RnnkitError("this model has no attention to plot (attention=None)")
        title = f"{text} -> {found.text}"
        return plot_attention(found.attention, found.source, found.output, path, title)

    # ----------------------------------------------------------------------------- files
    def _config_json(self) -> dict[str, Any]:
        return {"data": self.info_.get("data")}

    @classmethod
    def _arch_of(cls, config: Seq2SeqConfig) -> dict[str, Any]:
        return {k: getattr(config, k) for k in ARCH}

    def _restore(self, ck: checkpoint.Checkpoint) -> None:
        self.vocab_ = Vocabulary.from_json(ck.vocab)
        self.info_ = {"data": ck.config.get("data")} | self.info_

    def _info_extra(self) -> dict[str, Any]:
        return {"vocab": self._require_vocab().summary()}

    def _require_model(self) -> Seq2SeqNet:
        model = super()._require_model()
        assert isinstance(model, Seq2SeqNet)
        return model

    def _require_vocab(self) -> Vocabulary:
        vocab = super()._require_vocab()
        assert isinstance(vocab, Vocabulary)
        return vocab


def _padded(sources: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sources (id arrays) as a padded batch [B, S] and their lengths [B]."""
    lengths = torch.tensor([len(x) for x in sources])
    return padded(sources, int(lengths.max()), [], []), lengths
