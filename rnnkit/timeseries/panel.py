"""Many related series in one long table: a *panel*.

A panel is a table with one row per series and date: a series column (``Series_ID``), a date
column, a value column and, optionally, *static* categorical columns whose value is fixed for
each series (an industry's sector, a region's state). :func:`load_panel` splits it into one
:class:`~rnnkit.timeseries.data.TimeSeries` per series, each read by the same rules as a single
series (:func:`~rnnkit.timeseries.data.load_series`: sorted dates, the frequency inferred,
leading and trailing missing values dropped, gaps inside carried forward), so series may start
and end at different dates. Every series must share one frequency. Series ids are kept as
strings (sorted), so that they survive a checkpoint's JSON unchanged.

Example:
    >>> long = pd.DataFrame({"shop": ["a"] * 4 + ["b"] * 3,
    ...                      "date": [*pd.date_range("2024-01-01", periods=4, freq="MS"),
    ...                               *pd.date_range("2024-02-01", periods=3, freq="MS")],
    ...                      "sales": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0]})
    >>> p = load_panel(long, series="shop")
    >>> p.ids, [len(ts) for ts in p.series.values()], p.season
    (['a', 'b'], [4, 3], 12)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.data import TimeSeries, load_series, make_index, read_frame


@dataclass(frozen=True)
class Panel:
    """Series by id (in sorted id order), the name of the id column, and the static
    categorical values of each series (column -> one value per series, in id order)."""

    column: str
    series: dict[str, TimeSeries]
    static: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.series)

    @property
    def ids(self) -> list[str]:
        """The series ids, in order."""
        return list(self.series)

    @property
    def season(self) -> int:
        """The season every series shares."""
        return next(iter(self.series.values())).season

    @property
    def frequency(self) -> str:
        """The frequency every series shares (monthly, quarterly, ...)."""
        return next(iter(self.series.values())).frequency

    def get(self, series_id: Any) -> TimeSeries:
        """The series called ``series_id``; an unknown id is a one-line error."""
        key = str(series_id)
        if key not in self.series:
            shown = ", ".join(self.ids[:5]) + (", ..." if len(self) > 5 else "")
            raise RnnkitError(f"no series {key!r} in this panel ({len(self)} series: {shown})")
        return self.series[key]

    def cut(self, stops: dict[str, int]) -> Panel:
        """Each series up to (not including) its position in ``stops``: a backtest's past."""
        cut = {k: ts.window(0, stops[k]) for k, ts in self.series.items()}
        return Panel(self.column, cut, self.static)

    def describe(self) -> dict[str, Any]:
        """The id column, ids, static values and each series' description (JSON-ready)."""
        return {
            "column": self.column,
            "ids": self.ids,
            "static": self.static,
            "series": [ts.describe() for ts in self.series.values()],
        }

    def values(self) -> torch.Tensor:
        """Every series' values, one after the other (float64), as a checkpoint stores them."""
        return torch.from_numpy(np.concatenate([ts.values for ts in self.series.values()]))

    @classmethod
    def restored(cls, description: dict[str, Any], values: torch.Tensor) -> Panel:
        """The panel :meth:`describe` and :meth:`values` saved."""
        flat, series, at = values.numpy(), {}, 0
        for key, d in zip(description["ids"], description["series"], strict=True):
            y = flat[at : at + d["length"]]
            index = make_index(d["start"], d["length"], d["freq"])
            y_named = pd.Series(y, index=index, name=d["name"])
            series[key] = TimeSeries(y_named, None, d["season"], d["filled"])
            at += d["length"]
        return cls(description["column"], series, description["static"])


def load_panel(
    source: Any,
    *,
    series: str,
    value: str | None = None,
    date: str | None = None,
    static: list[str] | tuple[str, ...] = (),
    freq: str | None = None,
    season: int | None = None,
    missing: str = "ffill",
    data_dir: str | Path | None = None,
) -> Panel:
    """Read a long table (a CSV path, a registered panel, a DataFrame) with one row per
    ``series`` id and date into a :class:`Panel` (a :class:`Panel` is returned as it is).

    ``value`` defaults to the first numeric column that is not the series, a static or the
    date column; ``static`` names categorical columns constant within each series; the other
    arguments are :func:`~rnnkit.timeseries.data.load_series`'s, applied to every series.
    """
    if isinstance(source, Panel):
        return source
    frame = read_frame(source, data_dir=data_dir)
    static = list(static)
    missing_columns = [c for c in [series, *static] if c not in frame.columns]
    if missing_columns:
        names = ", ".join(map(str, frame.columns))
        raise RnnkitError(f"no column {missing_columns[0]!r} (columns: {names})")
    if series in static:
        raise RnnkitError(f"the series column {series!r} cannot also be a static column")
    if frame[series].isna().any():
        row = int(np.argmax(frame[series].isna().to_numpy()))
        raise RnnkitError(f"series column {series!r} is empty at row {row + 1}")
    value = value or _value_column(frame, [series, *static, *([date] if date else [])])
    ids = frame[series].astype(str)
    found: dict[str, TimeSeries] = {}
    values: dict[str, list[str]] = {c: [] for c in static}
    for key, rows in frame.groupby(ids, sort=True):
        part = rows.drop(columns=[series, *static])
        try:
            found[str(key)] = load_series(
                part, value=value, date=date, freq=freq, season=season, missing=missing
            )
        except RnnkitError as err:
            raise RnnkitError(f"series {key!r}: {err}") from None
        for c in static:
            values[c].append(_static_value(rows[c], c, str(key)))
    _check_frequencies(found)
    return Panel(series, found, values)


def _value_column(frame: pd.DataFrame, taken: list[str]) -> str:
    numeric = [
        c for c in frame.columns if c not in taken and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not numeric:
        raise RnnkitError("no numeric column to forecast: give value=")
    return str(numeric[0])


def _static_value(column: pd.Series, name: str, key: str) -> str:
    levels = column.dropna().astype(str).unique()
    if len(levels) != 1:
        raise RnnkitError(
            f"static column {name!r} must hold one value per series; series {key!r} has "
            f"{len(levels)} ({', '.join(levels[:3])})"
        )
    return str(levels[0])


def _check_frequencies(found: dict[str, TimeSeries]) -> None:
    if not found:
        raise RnnkitError("the panel holds no series")
    by_freq: dict[str, str] = {}
    for key, ts in found.items():
        # Quarterly series starting in different months differ only in their anchor (QS-JAN,
        # QS-OCT): compare the frequency's name, and the exact one only where it has none.
        freq = ts.frequency if ts.frequency != "other" else str(ts.describe()["freq"])
        by_freq.setdefault(freq, key)
    if len(by_freq) > 1:
        shown = ", ".join(f"{k} ({f})" for f, k in by_freq.items())
        raise RnnkitError(
            f"the series have different frequencies: {shown}; give freq (e.g. 'MS') to resample"
        )
