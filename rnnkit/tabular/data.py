"""Where a tabular model's rows come from: a pandas DataFrame, a CSV file (``.gz`` too), or a
registered table such as ``"nycflights13"`` (its ``flights``) or ``"nycflights13:airports"``,
found by the one source resolver. Checked here: the columns named exist, the target is given
once, and rows without a target are dropped (with a warning)."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from rnnkit.data import catalog
from rnnkit.data.sources import resolve
from rnnkit.errors import RnnkitError, one_line

#: The source recorded for rows passed in memory (a resumed run needs them again).
IN_MEMORY = "<DataFrame>"
#: Anything :func:`read_table` reads.
Table: TypeAlias = pd.DataFrame | str | os.PathLike[str]


def read_table(data: Table, data_dir: str | Path | None = None) -> tuple[pd.DataFrame, str]:
    """The rows of ``data`` and how to name their source again (:data:`IN_MEMORY` for a frame).

    Example:
        >>> frame, source = read_table(pd.DataFrame({"a": [1, 2]}))
        >>> len(frame), source
        (2, '<DataFrame>')
    """
    if isinstance(data, pd.DataFrame):
        return data, IN_MEMORY
    src = resolve(data, texts=False).training()
    if src.kind == "dataset":
        table = catalog.load(src.name, src.split or "", data_dir)
        if not isinstance(table, pd.DataFrame):
            raise RnnkitError(f"{src.label} is not a table (try a CSV file or a tabular data set)")
        return table, src.label
    if src.kind != "file" or src.path is None:
        raise RnnkitError(f"{src.label} is a folder: give a CSV file")
    try:
        return pd.read_csv(src.path, low_memory=False), str(src.path)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise RnnkitError(f"{src.path} is not a readable CSV file ({one_line(err)})") from None


@dataclass
class Rows:
    """The feature columns of some rows and, for training, their target (None: no target)."""

    x: pd.DataFrame
    y: pd.Series | None

    def __len__(self) -> int:
        return len(self.x)

    def fingerprint(self) -> str:
        """A sha256 of the rows' values, to check a resumed run reads the same data."""
        digest = hashlib.sha256(pd.util.hash_pandas_object(self.x, index=False).to_numpy())
        if self.y is not None:
            digest.update(pd.util.hash_pandas_object(self.y, index=False).to_numpy())
        return digest.hexdigest()


def training_rows(
    data: Table,
    y: Sequence[Any] | pd.Series | np.ndarray | None,
    target: str | None,
    columns: list[str],
    data_dir: str | Path | None = None,
) -> tuple[Rows, str]:
    """The ``columns`` and target of ``data`` (the target is ``y``, or the column ``target``),
    without the rows whose target is missing; and the source's name."""
    frame, source = read_table(data, data_dir)
    if (y is None) == (target is None):
        raise RnnkitError("give the target either as y or as target= (a column), not both")
    if target is not None:
        if target not in frame.columns:
            raise RnnkitError(f"target column {target!r} is not in {source} ({_shown(frame)})")
        if target in columns:
            raise RnnkitError(f"the target {target!r} cannot also be a feature column")
        labels = frame[target]
    else:
        values = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
        if len(values) != len(frame):
            raise RnnkitError(f"{len(frame)} rows but {len(values)} target values")
        labels = pd.Series(values, index=frame.index, name="target")
    x = feature_columns(frame, columns, source)
    keep = labels.notna().to_numpy()
    if not keep.all():
        warnings.warn(f"{int((~keep).sum())} rows without a target are left out", stacklevel=3)
    if not keep.any():
        raise RnnkitError(f"{source} has no rows with a target")
    return Rows(x[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)), source


def feature_columns(frame: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    """``frame``'s ``columns``, in that order; a missing one is a one-line error."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RnnkitError(
            f"unknown column(s) {', '.join(map(repr, missing))} in {source} ({_shown(frame)})"
        )
    if len(frame) == 0:
        raise RnnkitError(f"{source} has no rows")
    return frame[columns]


def _shown(frame: pd.DataFrame) -> str:
    names = [str(c) for c in frame.columns]
    more = f", ... ({len(names)} in all)" if len(names) > 12 else ""
    return "columns: " + ", ".join(names[:12]) + more
