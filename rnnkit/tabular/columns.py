"""How a tabular model reads its columns: categories to embedding rows, continuous columns to
standardised numbers, all learned on the training part and saved as JSON (no pickle).

* A categorical column's values become labels (whole numbers stay ints, everything else is a
  string) and each label seen at least ``min_count`` times gets a row, in sorted order after
  row 0, the shared ``<unk>``: rarer labels, and labels never seen in training, read as
  ``<unk>``. A missing value is its own label, ``None`` (shown as ``<na>``).
* A continuous column is standardised with the training part's mean and standard deviation;
  missing values are filled with the training mean and, where the training part had any, a
  0/1 flag column ``<name>_na`` says which values were filled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

UNK, NA = "<unk>", "<na>"


def labels_of(values: pd.Series) -> list[Any]:
    """The labels of a categorical column: ints for whole numbers, else strings; None where a
    value is missing.

    Example:
        >>> labels_of(pd.Series([1.0, None, 3.0])), labels_of(pd.Series(["a", None]))
        ([1, None, 3], ['a', None])
    """
    missing = values.isna().to_numpy()
    present = values[~missing]
    if pd.api.types.is_bool_dtype(present) or (
        pd.api.types.is_numeric_dtype(present) and bool((present % 1 == 0).all())
    ):
        plain: list[Any] = present.astype("int64").tolist()
    else:
        plain = present.astype(str).tolist()
    out: list[Any] = [None] * len(values)
    for i, label in zip(np.flatnonzero(~missing), plain, strict=True):
        out[i] = label
    return out


@dataclass
class Categories:
    """The embedding rows of one categorical column: ``labels[i]`` is row ``i + 1``.

    Example:
        >>> cats = Categories.learn("city", pd.Series(["b", "a", "b", "c", "b", "a"]), 2)
        >>> cats.labels, cats.rare
        (['a', 'b'], 1)
        >>> cats.ids(pd.Series(["a", "b", "c", "zzz"])).tolist()
        [1, 2, 0, 0]
    """

    name: str
    labels: list[Any]
    counts: list[int]
    rare: int  # labels seen in training fewer than min_count times (read as <unk>)

    @classmethod
    def learn(cls, name: str, values: pd.Series, min_count: int) -> Categories:
        counts = pd.Series(labels_of(values), dtype=object).value_counts(dropna=False)
        if len(counts) < 2:
            shown = NA if counts.index[0] is None else counts.index[0]
            raise RnnkitError(
                f"categorical column {name!r} has a single value ({shown}): it cannot tell rows "
                "apart; drop it"
            )
        kept = counts[counts >= min_count]
        labels = sorted(kept.index, key=_order)
        return cls(name, labels, [int(kept[label]) for label in labels], len(counts) - len(kept))

    @property
    def size(self) -> int:
        """Rows of the embedding table: ``<unk>`` and one per label."""
        return len(self.labels) + 1

    def row_names(self) -> list[str]:
        """A name per embedding row: ``<unk>``, then the labels (``<na>`` for missing)."""
        return [UNK, *(NA if label is None else str(label) for label in self.labels)]

    def ids(self, values: pd.Series) -> np.ndarray:
        """The embedding row of each value (0, ``<unk>``, for labels without a row)."""
        index = {label: i for i, label in enumerate(self.labels, start=1)}
        return np.array([index.get(label, 0) for label in labels_of(values)], dtype=np.int64)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _order(label: Any) -> tuple[int, Any]:
    # Missing last; labels of one column are all ints or all strings, so they compare.
    return (1, "") if label is None else (0, label)


@dataclass
class Continuous:
    """The standardisation of one continuous column (and whether it has a missing flag).

    Example:
        >>> col = Continuous.learn("km", pd.Series([1.0, 3.0, None]))
        >>> col.mean, col.flag
        (2.0, True)
        >>> col.columns(pd.Series([3.0, None])).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    name: str
    mean: float
    std: float
    flag: bool

    @classmethod
    def learn(cls, name: str, values: pd.Series) -> Continuous:
        numbers = numeric(name, values)
        present = numbers[~np.isnan(numbers)]
        if len(present) == 0:
            raise RnnkitError(f"continuous column {name!r} has no values")
        std = float(present.std())
        return cls(
            name, float(present.mean()), std if std > 0 else 1.0, len(present) < len(numbers)
        )

    def columns(self, values: pd.Series) -> np.ndarray:
        """[N, 1] standardised values, or [N, 2] with the missing flag; filled with the mean."""
        numbers = numeric(self.name, values)
        missing = np.isnan(numbers)
        scaled = np.where(missing, 0.0, (numbers - self.mean) / self.std)
        return np.stack([scaled, missing.astype(float)] if self.flag else [scaled], axis=1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def numeric(name: str, values: pd.Series) -> np.ndarray:
    """A continuous column as float64 (NaN where missing); non-numbers are a one-line error."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return np.asarray(values, dtype=np.float64)
    converted = pd.to_numeric(values, errors="coerce")
    bad = values[converted.isna() & values.notna()]
    if len(bad):
        raise RnnkitError(
            f"continuous column {name!r} is not numeric (e.g. {bad.iloc[0]!r}); "
            "list it as categorical instead"
        )
    return np.asarray(converted, dtype=np.float64)


@dataclass
class Target:
    """How the target is learned: the classes of a classifier, or a regression target's
    standardisation (of ``log1p(y)`` with ``log``).

    Example:
        >>> t = Target.learn("regression", pd.Series([1.0, 2.0, 3.0]), log=False)
        >>> z = t.values(pd.Series([3.0]))
        >>> round(float(z[0]), 4), np.round(t.inverse(z.astype(float)), 4).tolist()
        (1.2247, [3.0])
    """

    task: str
    classes: list[Any]
    mean: float = 0.0
    std: float = 1.0
    log: bool = False

    @classmethod
    def learn(cls, task: str, y: pd.Series, log: bool) -> Target:
        if task == "classification":
            classes = sorted(pd.unique(y).tolist(), key=lambda c: (str(type(c)), c))
            if len(classes) < 2:
                raise RnnkitError(f"the target has a single class ({classes[0]!r})")
            return cls(task, classes)
        t = cls(task, [], log=log)
        z = t._forward(numeric("target", y))
        std = float(z.std())
        return cls(task, [], float(z.mean()), std if std > 0 else 1.0, log)

    @property
    def out(self) -> int:
        """Outputs of the network: one per class, or one number."""
        return len(self.classes) if self.task == "classification" else 1

    def values(self, y: pd.Series) -> np.ndarray:
        """What the network learns: class indices (int64), or standardised numbers (float32)."""
        if self.task == "classification":
            index = {c: i for i, c in enumerate(self.classes)}
            unknown = [c for c in pd.unique(y).tolist() if c not in index]
            if unknown:
                raise RnnkitError(f"target class {unknown[0]!r} was not seen in training")
            return np.array([index[c] for c in y.tolist()], dtype=np.int64)
        return ((self._forward(numeric("target", y)) - self.mean) / self.std).astype(np.float32)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Predictions in the target's own units, from the network's standardised outputs."""
        y = z * self.std + self.mean
        return np.expm1(y) if self.log else y

    def _forward(self, y: np.ndarray) -> np.ndarray:
        if not self.log:
            return y
        if np.nanmin(y) <= -1.0:
            raise RnnkitError("log_target needs a target above -1 (it learns log(1 + y))")
        return np.log1p(y)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reading:
    """Everything a tabular model knows about its columns (saved as vocab.json): the
    categories of each categorical column, the standardisation of each continuous one, and the
    target's classes or scale.

    Example:
        >>> x = pd.DataFrame({"city": ["a", "b", "a", "b"], "km": [1.0, 2.0, 3.0, None]})
        >>> reading = Reading.learn(x, pd.Series([0, 1, 0, 1]), "classification", ["city"],
        ...                         ["km"], min_count=1)
        >>> ids, cont = reading.arrays(x)
        >>> ids[:, 0].tolist(), cont.shape, reading.names()
        ([1, 2, 1, 2], (4, 2), ['city', 'km', 'km_na'])
    """

    categorical: list[Categories]
    continuous: list[Continuous]
    target: Target

    @classmethod
    def learn(
        cls,
        x: pd.DataFrame,
        y: pd.Series,
        task: str,
        categorical: list[str],
        continuous: list[str],
        min_count: int,
        log_target: bool = False,
    ) -> Reading:
        cats = [Categories.learn(c, x[c], min_count) for c in categorical]
        conts = [Continuous.learn(c, x[c]) for c in continuous]
        return cls(cats, conts, Target.learn(task, y, log_target))

    def arrays(self, x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Embedding rows [N, C] (int64) and continuous inputs [N, K] (float32) of ``x``."""
        ids = [c.ids(x[c.name]) for c in self.categorical]
        cont = [c.columns(x[c.name]) for c in self.continuous]
        n = len(x)
        return (
            np.stack(ids, axis=1) if ids else np.zeros((n, 0), dtype=np.int64),
            np.concatenate(cont, axis=1).astype(np.float32) if cont else np.zeros((n, 0), "f4"),
        )

    def unknown(self, x: pd.DataFrame, ids: np.ndarray) -> list[str]:
        """One line per categorical column with values read as ``<unk>`` in ``x``."""
        lines = []
        for i, cats in enumerate(self.categorical):
            rows = np.flatnonzero(ids[:, i] == 0)
            if len(rows):
                example = labels_of(x[cats.name].iloc[rows[:1]])[0]
                lines.append(
                    f"{len(rows)} row(s) of {cats.name!r} read as {UNK} (rare or unseen in "
                    f"training, e.g. {NA if example is None else example!r})"
                )
        return lines

    def names(self) -> list[str]:
        """The input columns: the categorical ones, then each continuous one (and its flag)."""
        flags = [[c.name, f"{c.name}_na"] if c.flag else [c.name] for c in self.continuous]
        return [c.name for c in self.categorical] + [n for pair in flags for n in pair]

    @property
    def columns(self) -> list[str]:
        """The columns read from the data: categorical, then continuous."""
        return [c.name for c in self.categorical] + [c.name for c in self.continuous]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "tabular",
            "categorical": [c.to_json() for c in self.categorical],
            "continuous": [c.to_json() for c in self.continuous],
            "target": self.target.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        return cls(
            [Categories(**c) for c in data["categorical"]],
            [Continuous(**c) for c in data["continuous"]],
            Target(**data["target"]),
        )
