"""Tabular data with entity embeddings: :class:`TabularModel`.

Rows (a DataFrame, a CSV file or a registered table; :mod:`rnnkit.tabular.data`) -> the
columns' reading learned on the training part (:mod:`rnnkit.tabular.columns`) ->
:class:`~rnnkit.models.tabular.TabularNet` trained by the one training loop on the shared
estimator lifecycle -> the one checkpoint format (kind ``tabular``: the reading in vocab.json,
the weights in safetensors). The learned embeddings are features for any other model
(:meth:`TabularModel.transform`) and can be drawn as a map (:mod:`rnnkit.tabular.plots`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator

from rnnkit.core import checkpoint
from rnnkit.errors import RnnkitError
from rnnkit.models.tabular import NORMS, TabularConfig, TabularNet, embedding_size
from rnnkit.tabular.columns import Reading
from rnnkit.tabular.data import IN_MEMORY, Rows, Table, feature_columns, read_table, training_rows
from rnnkit.tabular.learner import Encoded, RowBatches, TabularLearner, outputs
from rnnkit.training.estimator import Estimator
from rnnkit.training.loop import LoopSettings, Trainer
from rnnkit.training.schedule import Budget, budget_for

KIND = "tabular"
TASKS = ("auto", "regression", "classification")
#: How the validation rows are chosen: at random, or the last rows (for rows in time order).
VAL_SPLITS = ("random", "last")
#: What :meth:`TabularModel.transform` gives a row whose category reads as ``<unk>``.
UNKNOWN = ("row", "nan")
Self = TypeVar("Self", bound="TabularModel")
Labels: TypeAlias = Sequence[Any] | pd.Series | np.ndarray | None
#: The MLP's hidden layers when none are given (fastai's default for tabular models).
LAYERS = [200, 100]


@dataclass
class TabularSettings:
    """Every setting of a :class:`TabularModel` (its constructor's arguments; saved in the
    checkpoint's config), checked.

    ``epochs`` is the budget of a ``fit`` given none. ``min_count``: a category seen fewer
    times in the training part reads as the shared ``<unk>`` row, which so learns what a rare
    category looks like (unseen ones read as it too). ``embed_sizes`` overrides the width rule
    (:func:`~rnnkit.models.tabular.embedding_size`) per column.

    Example:
        >>> TabularSettings(categorical=["a"]).layers is None
        True
        >>> TabularSettings(task="ranking")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: task must be one of auto, regression, classification, got ...
    """

    task: str = "auto"
    categorical: list[str] | None = None
    continuous: list[str] | None = None
    embed_sizes: dict[str, int] | None = None
    layers: list[int] | None = None
    dropout: float = 0.1
    embed_dropout: float = 0.05
    norm: str = "batch"
    log_target: bool = False
    min_count: int = 5
    batch_size: int = 512
    lr: float = 1e-2
    weight_decay: float = 0.01
    warmup_steps: int = 20
    min_lr_ratio: float = 0.05
    clip: float = 1.0
    val_fraction: float = 0.1
    val_split: str = "random"
    epochs: float = 10.0
    evals: int = 5
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise RnnkitError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        if self.val_split not in VAL_SPLITS:
            raise RnnkitError(
                f"val_split must be one of {', '.join(VAL_SPLITS)}, got {self.val_split!r}"
            )
        if self.norm not in NORMS:
            raise RnnkitError(f"norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        for name in ("min_count", "batch_size", "lr", "clip", "epochs", "evals"):
            if not getattr(self, name) > 0:
                raise RnnkitError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("weight_decay", "warmup_steps", "seed"):
            if getattr(self, name) < 0:
                raise RnnkitError(f"{name} must not be negative, got {getattr(self, name)}")
        if not 0.0 < self.val_fraction < 1.0:
            raise RnnkitError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        twice = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if twice:
            raise RnnkitError(f"column(s) listed twice: {', '.join(twice)}")
        unknown = sorted(set(self.embed_sizes or {}) - set(self.categorical or []))
        if unknown:
            raise RnnkitError(f"embed_sizes names non-categorical column(s): {', '.join(unknown)}")

    @property
    def columns(self) -> list[str]:
        """The feature columns: the categorical ones, then the continuous ones."""
        return [*(self.categorical or []), *(self.continuous or [])]


class TabularModel(Estimator, BaseEstimator):
    """Entity embeddings for tabular data: one learned embedding per categorical column, the
    continuous columns standardised beside them, and an MLP head, for regression (mean
    squared error, on ``log1p`` of the target with ``log_target``) or classification
    (cross-entropy, two or more classes). A scikit-learn estimator (``get_params``,
    ``set_params``, ``fit`` returns ``self``; it works in a ``Pipeline``) and transformer
    (:meth:`transform`: the embeddings as features for another model).

    ``task="auto"`` classifies a target of strings, booleans or categories and regresses a
    numeric one. A validation part (``val_fraction`` of the rows, drawn with ``seed``) keeps the
    best weights; the columns' reading is learned on the rest.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"city": ["a", "b", "c", "d"] * 30, "km": list(range(120))})
        >>> y = (df["city"].isin(["a", "b"])).map({True: "near", False: "far"})
        >>> m = TabularModel(categorical=["city"], continuous=["km"], min_count=1, layers=[8])
        >>> m = m.fit(df, y, steps=150, quiet=True)
        >>> m.predict(pd.DataFrame({"city": ["a", "d"], "km": [3, 4]})).tolist()
        ['near', 'far']
        >>> m.embeddings_["city"].shape, list(m.transform(df.head(2)).columns)
        ((5, 4), ['city_0', 'city_1', 'city_2', 'city_3', 'km'])
    """

    kind = KIND
    settings_type = TabularSettings
    net_type = TabularNet
    config_type = TabularConfig

    def __init__(
        self,
        task: str = "auto",
        categorical: list[str] | None = None,
        continuous: list[str] | None = None,
        *,
        embed_sizes: dict[str, int] | None = None,
        layers: list[int] | None = None,
        dropout: float = 0.1,
        embed_dropout: float = 0.05,
        norm: str = "batch",
        log_target: bool = False,
        min_count: int = 5,
        batch_size: int = 512,
        lr: float = 1e-2,
        weight_decay: float = 0.01,
        warmup_steps: int = 20,
        min_lr_ratio: float = 0.05,
        clip: float = 1.0,
        val_fraction: float = 0.1,
        val_split: str = "random",
        epochs: float = 10.0,
        evals: int = 5,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        # scikit-learn's contract: every argument is kept as given, under its own name.
        self.task, self.categorical, self.continuous = task, categorical, continuous
        self.embed_sizes, self.layers, self.dropout = embed_sizes, layers, dropout
        self.embed_dropout, self.norm, self.log_target = embed_dropout, norm, log_target
        self.min_count, self.batch_size, self.lr = min_count, batch_size, lr
        self.weight_decay, self.warmup_steps = weight_decay, warmup_steps
        self.min_lr_ratio, self.clip, self.val_fraction = min_lr_ratio, clip, val_fraction
        self.val_split = val_split
        self.epochs, self.evals, self.seed, self.device = epochs, evals, seed, device
        super().__init__({}, self.get_params())
        self.model_: TabularNet | None = None
        self.vocab_: Reading | None = None

    # ----------------------------------------------------------------------------- training
    def fit(
        self: Self,
        X: Table,
        y: Labels = None,
        *,
        target: str | None = None,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        out_dir: str | Path | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Train on the rows of ``X`` (a DataFrame, a CSV path or a registered table) with the
        target ``y``, or the column ``target`` of ``X``; returns ``self``.

        The budget is ``minutes`` / ``steps`` / ``epochs`` (the first reached wins), else the
        ``epochs`` setting. With ``out_dir`` the best checkpoint and the training state are
        written there at each validation (and on Ctrl-C), for :meth:`resume`.
        """
        self.settings = TabularSettings(**self.get_params())  # set_params() may have changed it
        s = self.settings
        if not s.columns:
            raise RnnkitError("name the feature columns: categorical=[...] and/or continuous=[...]")
        if minutes is None and steps is None and epochs is None:
            epochs = s.epochs
        budget_for(minutes, steps, epochs, 1)  # a bad budget fails before any work
        rows, source = training_rows(X, y, target, s.columns, data_dir)
        train, val = _split(rows, s.val_fraction, s.seed, s.val_split)
        task = s.task if s.task != "auto" else _guess_task(rows.y)
        reading = Reading.learn(
            train.x,
            train.y,
            task,
            s.categorical or [],
            s.continuous or [],
            s.min_count,
            s.log_target,
        )
        self._warn_rare(reading)
        config = self._config(reading)
        parts = self._encode(train, reading), self._encode(val, reading)
        self.vocab_ = reading
        self.info_ = {"data": _described(rows, source, target, len(train), len(val))}

        def start() -> tuple[Trainer, Budget]:
            self.model_ = TabularNet(config)
            trainer = self._make_trainer(*parts, out_dir)
            return trainer, budget_for(minutes, steps, epochs, trainer.batches.steps_per_epoch)

        self._train(start, out_dir, quiet)
        return self

    @classmethod
    def resume(
        cls: type[Self],
        path: str | Path,
        X: Table | None = None,
        y: Labels = None,
        *,
        minutes: float | None = None,
        steps: int | None = None,
        epochs: float | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> Self:
        """Continue the run saved in ``path`` where it stopped, on the same rows (a file or a
        registered table is read again; rows given in memory must be passed again)."""

        def prepare(model: Self, config: dict[str, Any]) -> Trainer:
            seen = config["data"]
            if X is None and seen["source"] == IN_MEMORY:
                raise RnnkitError("this run was trained on a DataFrame in memory: pass it again")
            source = X if X is not None else seen["source"]
            target = seen["target"] if y is None else None
            s = model.settings
            rows, _ = training_rows(source, y, target, s.columns, data_dir)
            if rows.fingerprint() != seen["sha256"]:
                raise RnnkitError(f"{seen['source']} is not the data this run was trained on")
            train, val = _split(rows, s.val_fraction, s.seed, s.val_split)
            reading = model._require_vocab()
            return model._make_trainer(
                model._encode(train, reading), model._encode(val, reading), path
            )

        return cls._resume(path, prepare, minutes, steps, epochs, quiet)

    def _config(self, reading: Reading) -> TabularConfig:
        s = self.settings
        chosen = s.embed_sizes or {}
        sizes = [chosen.get(c.name, embedding_size(c.size)) for c in reading.categorical]
        return TabularConfig(
            cardinalities=[c.size for c in reading.categorical],
            embed_sizes=sizes,
            n_continuous=len(reading.names()) - len(reading.categorical),
            out=reading.target.out,
            layers=list(s.layers if s.layers is not None else LAYERS),
            dropout=s.dropout,
            embed_dropout=s.embed_dropout,
            norm=s.norm,
        )

    def _make_trainer(self, train: Encoded, val: Encoded, out_dir: str | Path | None) -> Trainer:
        s, net = self.settings, self._require_model()
        batches = RowBatches(train, s.batch_size, s.seed)
        net.to(self._device())
        classification = self._require_vocab().target.task == "classification"
        learner = TabularLearner(net, val, classification, s.weight_decay, s.clip)
        loop = LoopSettings(
            lr=s.lr,
            warmup_steps=s.warmup_steps,
            min_lr_ratio=s.min_lr_ratio,
            evals=s.evals,
            log_every=max(1, min(50, batches.steps_per_epoch // 4)),
            tokens_per_step=s.batch_size,
            token_name="rows",
        )
        self._trainer = Trainer(learner, batches, loop, Path(out_dir) if out_dir else None)
        return self._trainer

    def _stats(self, trainer: Trainer) -> dict[str, Any]:
        learner = trainer.learner
        assert isinstance(learner, TabularLearner)
        return {**trainer.summary(), "last_val_accuracy": learner.val_accuracy}

    def _warn_rare(self, reading: Reading) -> None:
        for cats in reading.categorical:
            if cats.rare:
                warnings.warn(
                    f"{cats.rare} categor{'y' if cats.rare == 1 else 'ies'} of {cats.name!r} "
                    f"seen fewer than {self.settings.min_count} times share the <unk> row",
                    stacklevel=3,
                )

    def _encode(self, rows: Rows, reading: Reading, warn: bool = False) -> Encoded:
        ids, cont = reading.arrays(rows.x)
        if warn:
            for line in reading.unknown(rows.x, ids):
                warnings.warn(line, stacklevel=4)
        y = torch.from_numpy(reading.target.values(rows.y)) if rows.y is not None else None
        return Encoded(torch.from_numpy(ids), torch.from_numpy(cont), _or_empty(y))

    # ----------------------------------------------------------------------------- using
    @property
    def classes_(self) -> list[Any]:
        """The classes of a classifier, in the order of :meth:`predict_proba`'s columns."""
        return list(self._require_vocab().target.classes)

    def predict(self, X: Table) -> np.ndarray:
        """The most likely class of each row, or the predicted number (in the target's units)."""
        out = self._outputs(X)
        target = self._require_vocab().target
        if target.task == "classification":
            return np.array(target.classes, dtype=object)[out.argmax(1).numpy()]
        return np.asarray(target.inverse(out[:, 0].double().numpy()))

    def predict_proba(self, X: Table) -> np.ndarray:
        """Class probabilities [N, classes] (columns in the order of ``classes_``)."""
        if self._require_vocab().target.task != "classification":
            raise RnnkitError("predict_proba is for classification; this model regresses")
        return F.softmax(self._outputs(X).double(), dim=1).numpy()

    def score(self, X: Table, y: Labels) -> float:
        """Accuracy of a classifier, or R² of a regression (scikit-learn's conventions)."""
        truth = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
        guess = self.predict(X)
        if len(truth) != len(guess):
            raise RnnkitError(f"{len(guess)} rows but {len(truth)} target values")
        if self._require_vocab().target.task == "classification":
            return float(np.mean(guess == truth))
        truth = truth.astype(float)
        residual = float(np.sum((truth - guess) ** 2))
        return 1.0 - residual / float(np.sum((truth - truth.mean()) ** 2))

    def transform(self, X: Table, unknown: str = "row") -> pd.DataFrame:
        """The learned embeddings of each row as features: one block of columns per categorical
        column (``dest_0``, ``dest_1``, ...), then the continuous columns as given.

        ``unknown="nan"`` leaves a block missing (NaN) where the row's category reads as
        ``<unk>`` (rare, or unseen in training), for a model that handles missing values
        itself, such as scikit-learn's HistGradientBoosting; ``"row"`` gives the ``<unk>`` row.
        """
        if unknown not in UNKNOWN:
            raise RnnkitError(f"unknown must be one of {', '.join(UNKNOWN)}, got {unknown!r}")
        reading = self._require_vocab()
        frame = self._rows(X)
        ids, _ = reading.arrays(frame)
        net = self._require_model()
        blocks = [
            pd.DataFrame(
                _looked_up(table, ids[:, i], unknown == "nan"),
                columns=[f"{cats.name}_{k}" for k in range(table.embedding_dim)],
            )
            for i, (cats, table) in enumerate(zip(reading.categorical, net.tables(), strict=True))
        ]
        plain = frame[[c.name for c in reading.continuous]].reset_index(drop=True)
        return pd.concat([*blocks, plain.astype(float)], axis=1)

    def fit_transform(self, X: Table, y: Labels = None, **fit: Any) -> pd.DataFrame:
        """``fit(X, y, **fit)``, then :meth:`transform` of the same rows (without the rows
        whose target is missing, which ``fit`` leaves out)."""
        self.fit(X, y, **fit)
        frame = self._rows(X)
        if y is None and fit.get("target") is not None:
            frame = frame[read_table(X)[0][fit["target"]].notna().to_numpy()]
        return self.transform(frame)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The column names :meth:`transform` gives (scikit-learn's ``set_output`` reads them)."""
        net, reading = self._require_model(), self._require_vocab()
        names = [
            f"{cats.name}_{k}"
            for cats, d in zip(reading.categorical, net.config.embed_sizes, strict=True)
            for k in range(d)
        ]
        return np.array(names + [c.name for c in reading.continuous], dtype=object)

    @property
    def embeddings_(self) -> dict[str, pd.DataFrame]:
        """Each categorical column's embedding: one row per category (``<unk>`` first, then the
        categories; a missing value is ``<na>``), one column per dimension."""
        net, reading = self._require_model(), self._require_vocab()
        return {
            cats.name: pd.DataFrame(
                table.weight.detach().double().numpy(),
                index=pd.Index(cats.row_names(), name=cats.name),
                columns=[f"{cats.name}_{k}" for k in range(table.embedding_dim)],
            )
            for cats, table in zip(reading.categorical, net.tables(), strict=True)
        }

    def plot_embedding(
        self, column: str, path: str | Path, method: str = "pca", labels: int = 120
    ) -> Path:
        """Draw the embedding of ``column`` as a labelled 2-D map (its first two principal
        components) to the PNG ``path``; the ``labels`` most frequent categories are named."""
        from rnnkit.tabular.plots import plot_embedding

        if column not in self.embeddings_:
            known = ", ".join(self.embeddings_) or "none"
            raise RnnkitError(f"{column!r} is not a categorical column (categorical: {known})")
        cats = next(c for c in self._require_vocab().categorical if c.name == column)
        frame = self.embeddings_[column].iloc[1:]  # the categories, without <unk>
        return plot_embedding(frame, cats.counts, Path(path), method, labels)

    def _rows(self, X: Table) -> pd.DataFrame:
        frame, source = read_table(X)
        return feature_columns(frame, self._require_vocab().columns, source)

    def _outputs(self, X: Table) -> torch.Tensor:
        reading = self._require_vocab()
        encoded = self._encode(Rows(self._rows(X), None), reading, warn=True)
        return outputs(self._require_model(), encoded)

    # ----------------------------------------------------------------------------- files
    def _config_json(self) -> dict[str, Any]:
        return {"data": self.info_.get("data")}

    @classmethod
    def _arch_of(cls, config: TabularConfig) -> dict[str, Any]:
        return {}  # the constructor's arguments are all settings, restored beside this

    def _restore(self, ck: checkpoint.Checkpoint) -> None:
        self.vocab_ = Reading.from_json(ck.vocab)
        self.info_ = {"data": ck.config.get("data")} | self.info_

    def _info_extra(self) -> dict[str, Any]:
        target = self._require_vocab().target
        return {"task": target.task, "columns": self._require_vocab().names()} | (
            {"classes": target.classes} if target.classes else {}
        )

    def _require_model(self) -> TabularNet:
        model = super()._require_model()
        assert isinstance(model, TabularNet)
        return model


def _split(rows: Rows, val_fraction: float, seed: int, how: str) -> tuple[Rows, Rows]:
    """A validation part of ``val_fraction`` of the rows, drawn at random with ``seed`` or the
    last rows (``how="last"``), and the rest."""
    n = len(rows.x)
    n_val = max(1, round(n * val_fraction))
    if n - n_val < 2:
        raise RnnkitError(f"{n} rows are too few to train on and validate with")
    order = np.random.default_rng(seed).permutation(n) if how == "random" else np.arange(n)[::-1]
    assert rows.y is not None
    part = [np.sort(order[n_val:]), np.sort(order[:n_val])]
    return Rows(rows.x.iloc[part[0]], rows.y.iloc[part[0]]), Rows(
        rows.x.iloc[part[1]], rows.y.iloc[part[1]]
    )


def _looked_up(table: torch.nn.Embedding, ids: np.ndarray, unk_missing: bool) -> np.ndarray:
    """The rows ``ids`` of ``table`` [N, width]; NaN for ``<unk>`` (row 0) if ``unk_missing``."""
    rows = table.weight.detach()[torch.from_numpy(ids)].double().numpy()
    if unk_missing:
        rows[ids == 0] = np.nan
    return rows


def _guess_task(y: pd.Series | None) -> str:
    assert y is not None
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    return "regression" if numeric else "classification"


def _described(rows: Rows, source: str, target: str | None, n_train: int, n_val: int) -> dict:
    return {
        "source": source,
        "target": target,
        "rows": len(rows.x),
        "train_rows": n_train,
        "val_rows": n_val,
        "sha256": rows.fingerprint(),
    }


def _or_empty(y: torch.Tensor | None) -> torch.Tensor:
    return torch.empty(0) if y is None else y
