"""Time series in, one regular numeric series out.

:func:`load_series` reads a CSV file (a date column and a value column, optional covariates;
``.gz`` too), a pandas Series or DataFrame, or a dataset name (``rnnkit data list``), and
returns a :class:`TimeSeries`: float values on a regular index, so that "the previous
observation" and "the same season last year" are well defined. What it does with untidy input
is explicit:

* **dates** are sorted; duplicated dates are an error (give ``freq`` to aggregate them);
* **frequency** is inferred from the dates; where some dates are missing it is the step most
  runs of dates agree on, and the gaps become missing values. Dates that fit no regular grid are
  an error. With ``freq`` the series is *resampled* to that frequency by the mean (aggregating a
  high-frequency series, or exposing gaps);
* **missing values** (NaN, empty cells, gaps in the dates) at the start or end are dropped
  (nothing to fill from); inside the series they are carried forward (``missing="ffill"``,
  the default: it uses past values only, so a backtest never sees the future through a filled
  value), filled by linear interpolation (``"interpolate"``, which reads the next observed value)
  or refused
  (``"error"``). :attr:`TimeSeries.filled` counts the values filled;
* **non-numeric values** are an error naming the first bad cell;
* a series without dates is indexed 0, 1, 2, ... (its season must then be given to be > 1).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries import offsets

from rnnkit.data import catalog
from rnnkit.data.series import read_csv
from rnnkit.data.sources import resolve
from rnnkit.errors import RnnkitError, one_line
from rnnkit.timeseries.base import MISSING_POLICIES

#: Per frequency: the season length used by seasonal models and MASE, and the default horizon
#: (the M4 competition's horizons). The first matching offset type wins.
_FREQUENCIES: tuple[tuple[tuple[type, ...], str, int, int], ...] = (
    ((offsets.Minute,), "minute", 60, 60),
    ((offsets.Hour,), "hourly", 24, 48),
    ((offsets.BusinessDay,), "business-daily", 5, 10),
    ((offsets.Day,), "daily", 7, 14),
    ((offsets.Week,), "weekly", 52, 13),
    ((offsets.MonthBegin, offsets.MonthEnd), "monthly", 12, 18),
    ((offsets.QuarterBegin, offsets.QuarterEnd), "quarterly", 4, 8),
    ((offsets.YearBegin, offsets.YearEnd), "yearly", 1, 6),
)
_OTHER = ("other", 1, 10)
_DATE_NAMES = ("date", "time", "day", "week", "month", "quarter", "year", "period", "timestamp")


@dataclass(frozen=True)
class TimeSeries:
    """A regular, gap-free numeric series with optional covariates on the same index.

    Example:
        >>> ts = load_series(pd.Series([1.0, None, 3.0, 4.0],
        ...                  index=pd.date_range("2024-01-01", periods=4, freq="MS")))
        >>> ts.frequency, ts.season, ts.filled, ts.y.tolist()
        ('monthly', 12, 1, [1.0, 1.0, 3.0, 4.0])
    """

    y: pd.Series
    covariates: pd.DataFrame | None = None
    season: int = 1
    filled: int = 0

    def __len__(self) -> int:
        return len(self.y)

    @property
    def values(self) -> np.ndarray:
        """The observations as float64."""
        return self.y.to_numpy(dtype=np.float64, copy=True)  # a copy: callers may write to it

    @property
    def frequency(self) -> str:
        """A name for the frequency: hourly, daily, weekly, monthly, ... or other."""
        return frequency_of(self.y.index)

    @property
    def default_horizon(self) -> int:
        """The usual horizon for this frequency (M4: 48 hours, 14 days, 18 months, ...)."""
        return _frequency_row(self.y.index)[2]

    def window(self, start: int, stop: int) -> TimeSeries:
        """Observations ``start`` to ``stop - 1`` (and their covariates)."""
        cov = None if self.covariates is None else self.covariates.iloc[start:stop]
        return replace(self, y=self.y.iloc[start:stop], covariates=cov)

    def describe(self) -> dict[str, Any]:
        """Name, frequency, season, length, dates and covariate names (JSON-ready)."""
        idx = self.y.index
        return {
            "name": str(self.y.name),
            "frequency": self.frequency,
            "freq": _freqstr(idx),
            "season": self.season,
            "length": len(self),
            "start": str(idx[0]) if len(idx) else None,
            "end": str(idx[-1]) if len(idx) else None,
            "covariates": [] if self.covariates is None else list(self.covariates.columns),
            "filled": self.filled,
        }


def load_series(
    source: Any,
    *,
    value: str | None = None,
    date: str | None = None,
    covariates: list[str] | tuple[str, ...] = (),
    freq: str | None = None,
    season: int | None = None,
    missing: str = "ffill",
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
) -> TimeSeries:
    """Read a series from a CSV path, a dataset name, a pandas Series / DataFrame or a
    :class:`TimeSeries`; see the module docstring for what happens to untidy input.

    ``value`` is the target column (default: the first numeric column that is not the date),
    ``date`` the date column (default: a column named like a date, or the index), ``covariates``
    extra numeric columns to keep. ``season`` overrides the season implied by the frequency.
    ``encoding`` is that of a CSV file; ``data_dir`` the dataset mirror.

    Example:
        >>> df = pd.DataFrame({"day": ["2024-01-01", "2024-01-02", "2024-01-04"],
        ...                    "sales": [10, 12, 11]})
        >>> ts = load_series(df)
        >>> ts.y.tolist(), str(ts.y.index.freqstr), ts.filled  # 2024-01-03 was missing
        ([10.0, 12.0, 12.0, 11.0], 'D', 1)
    """
    if isinstance(source, TimeSeries):  # already tidy: only a new season applies
        return source if season is None else replace(source, season=season)
    if missing not in MISSING_POLICIES:
        raise RnnkitError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    frame = read_frame(source, encoding, data_dir)
    frame = _with_dates(frame, date)
    target = _pick_value(frame, value)
    columns = [target, *covariates]
    _check_columns(frame, columns)
    numeric = pd.DataFrame({c: _numeric(frame[c], c) for c in columns}, index=frame.index)
    numeric = _regular(numeric, freq)
    return _filled(numeric, target, list(covariates), missing, season)


def future_index(index: pd.Index, horizon: int) -> pd.Index:
    """The ``horizon`` index labels that follow ``index`` (dates at its frequency, or integers).

    Example:
        >>> future_index(pd.RangeIndex(5), 2).tolist()
        [5, 6]
    """
    if isinstance(index, pd.DatetimeIndex):
        return pd.date_range(index[-1], periods=horizon + 1, freq=index.freq)[1:]
    start = int(index[-1]) + 1 if len(index) else 0
    return pd.RangeIndex(start, start + horizon)


def make_index(start: str | int, length: int, freq: str | None) -> pd.Index:
    """Rebuild an index from its first label, length and frequency (as saved in a checkpoint)."""
    if freq is None:
        return pd.RangeIndex(int(start), int(start) + length)
    return pd.date_range(pd.Timestamp(start), periods=length, freq=freq)


def frequency_of(index: pd.Index) -> str:
    """A name for an index's frequency: hourly, daily, weekly, monthly, ... or other."""
    return _frequency_row(index)[0]


def season_of(index: pd.Index) -> int:
    """The season length implied by an index's frequency (1 without dates)."""
    return _frequency_row(index)[1]


# ---------------------------------------------------------------------------------------------
# Reading


def read_frame(
    source: Any, encoding: str = "utf-8", data_dir: str | Path | None = None
) -> pd.DataFrame:
    """The table behind a source: a pandas Series / DataFrame as it is, a CSV file or a
    registered series read by the shared rule."""
    if isinstance(source, pd.Series):
        return source.to_frame(name=source.name if source.name is not None else "value")
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, str | os.PathLike):
        return _read_source(source, encoding, data_dir)
    raise RnnkitError(
        f"cannot read a time series from a {type(source).__name__}: give a CSV path, a dataset "
        "name, or a pandas Series / DataFrame"
    )


def _read_source(
    source: str | os.PathLike[str], encoding: str, data_dir: str | Path | None
) -> pd.DataFrame:
    """A catalogued series (its ``series`` split) or a CSV file (``.gz`` too), named by the
    rule every capability uses (:func:`rnnkit.data.sources.resolve`)."""
    src = resolve(source, texts=False)
    if src.kind == "folder":
        raise RnnkitError(f"{src.label} is a folder; give a CSV file or a dataset name")
    if src.path is not None:
        return read_csv(src.path, encoding)
    if "series" not in catalog.get(src.name).splits:
        series = [n for n in catalog.names() if "series" in catalog.get(n).splits]
        raise RnnkitError(f"dataset {src.name} is not a time series (series: {', '.join(series)})")
    frame: pd.DataFrame = catalog.load(src.name, "series", data_dir)
    return frame


def _with_dates(frame: pd.DataFrame, date: str | None) -> pd.DataFrame:
    """The frame indexed by its dates (or by position when it has none)."""
    if date is None and isinstance(frame.index, pd.DatetimeIndex):
        return frame
    if date is None:
        date = next((c for c in frame.columns if _looks_like_date(frame[c], str(c))), None)
    if date is None:
        return frame.reset_index(drop=True)
    if date not in frame.columns:
        raise RnnkitError(f"no date column {date!r} (columns: {_names(frame)})")
    dates = _parse_dates(frame[date], date)
    return frame.drop(columns=[date]).set_index(pd.DatetimeIndex(dates, name=date))


def _looks_like_date(column: pd.Series, name: str) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if not any(word in name.lower() for word in _DATE_NAMES):
        return False
    return column.dtype == object or pd.api.types.is_string_dtype(column) or _is_years(column)


def _is_years(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce")
    return bool(values.notna().all() and (values % 1 == 0).all() and values.between(1, 9999).all())


def _parse_dates(column: pd.Series, name: str) -> pd.Series:
    if _is_years(column) and not pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column.astype(float).astype(int).astype(str), format="%Y")
    parsed = pd.to_datetime(column, errors="coerce")
    if (parsed.isna() & column.notna()).any():  # pandas guessed one format from the first row
        parsed = pd.to_datetime(column, errors="coerce", format="mixed")
    bad = parsed.isna() & column.notna()
    if bad.any() or column.isna().any():
        row = int(np.argmax(bad.to_numpy() | column.isna().to_numpy()))
        raise RnnkitError(
            f"date column {name!r} has a value that is not a date at row {row + 1}: "
            f"{column.iloc[row]!r}"
        )
    return parsed


def _pick_value(frame: pd.DataFrame, value: str | None) -> str:
    if value is not None:
        _check_columns(frame, [value])
        return value
    if frame.columns.empty:
        raise RnnkitError("no column to forecast: the data has only dates")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    # No numeric column: take the first one, so that the error names its first bad value.
    return str(numeric[0] if numeric else frame.columns[0])


def _check_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RnnkitError(f"no column {missing[0]!r} (columns: {_names(frame)})")


def _numeric(column: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(np.float64)
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna() & (column.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise RnnkitError(
            f"column {name!r} has a non-numeric value at row {row + 1}: {column.iloc[row]!r}"
        )
    return values.astype(np.float64)


def _names(frame: pd.DataFrame) -> str:
    return ", ".join(map(str, frame.columns))


# ---------------------------------------------------------------------------------------------
# A regular index


def _regular(frame: pd.DataFrame, freq: str | None) -> pd.DataFrame:
    """The frame on a regular grid: resampled to ``freq``, else at its own inferred step."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        if freq is not None:
            raise RnnkitError("freq needs dates: this series has no date column")
        return frame.reset_index(drop=True)
    frame = frame.sort_index()
    if freq is not None:
        try:
            return frame.resample(freq).mean()
        except ValueError as err:
            raise RnnkitError(f"invalid frequency {freq!r} ({one_line(err)})") from None
    dup = frame.index[frame.index.duplicated()]
    if len(dup):
        raise RnnkitError(
            f"the date {dup[0]} occurs more than once; give freq (e.g. 'D') to aggregate by "
            "mean, or series= (the column naming each series) if it holds many series"
        )
    if len(frame) < 3:
        raise RnnkitError(f"a series needs at least 3 dated observations, got {len(frame)}")
    step = _grid_step(frame.index)
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=step)
    off_grid = frame.index.difference(grid)
    if len(off_grid):
        raise RnnkitError(
            f"irregular dates: {off_grid[0]} is not on the {step.freqstr} grid of the other "
            "dates; give freq (e.g. 'D', 'W', 'MS') to resample"
        )
    return frame.reindex(grid)


def _grid_step(index: pd.DatetimeIndex) -> offsets.BaseOffset:
    """The frequency of the dates, or the one most runs of 7 consecutive dates agree on."""
    whole = pd.DatetimeIndex(index, freq="infer").freq
    if whole is not None:
        return whole
    votes: Counter[offsets.BaseOffset] = Counter()
    for start in range(0, len(index) - 2, 7):
        run = index[start : start + 7]
        step = pd.DatetimeIndex(run, freq="infer").freq if len(run) >= 3 else None
        if step is not None:
            votes[step] += 1
    if votes:
        return votes.most_common(1)[0][0]
    # Too few dates for pandas to name a frequency: try the smallest step as a fixed one
    # (a short daily series with a gap); dates that do not fit it are reported by the caller.
    step = index.to_series().diff().min()
    whole_days = step % pd.Timedelta(days=1) == pd.Timedelta(0)
    return offsets.Day(step.days) if whole_days else pd.tseries.frequencies.to_offset(step)


def _freqstr(index: pd.Index) -> str | None:
    return index.freqstr if isinstance(index, pd.DatetimeIndex) else None


def _frequency_row(index: pd.Index) -> tuple[str, int, int]:
    freq = index.freq if isinstance(index, pd.DatetimeIndex) else None
    if freq is None or freq.n != 1:
        return _OTHER
    row = next((r for r in _FREQUENCIES if isinstance(freq, r[0])), None)
    return _OTHER if row is None else row[1:]


# ---------------------------------------------------------------------------------------------
# Missing values


def _filled(
    frame: pd.DataFrame, target: str, covariates: list[str], missing: str, season: int | None
) -> TimeSeries:
    y = frame[target]
    present = np.flatnonzero(y.notna().to_numpy())
    if len(present) < 3:
        raise RnnkitError(f"column {target!r} has {len(present)} values; a series needs at least 3")
    frame = frame.iloc[present[0] : present[-1] + 1]  # ends: nothing to interpolate from
    gaps = int(frame.isna().sum().sum())
    if gaps and missing == "error":
        where = frame.index[frame.isna().any(axis=1).to_numpy()][0]
        raise RnnkitError(
            f"{gaps} missing value(s), the first at {where}; use missing='interpolate' or 'ffill'"
        )
    for c in covariates:
        if frame[c].isna().all():
            raise RnnkitError(f"covariate {c!r} has no values in the span of {target!r}")
    if missing == "interpolate":
        frame = frame.interpolate(method="linear", limit_direction="both")
    else:
        frame = frame.ffill().bfill()  # bfill: a covariate may start after the target
    m = season if season is not None else season_of(frame.index)
    if m < 1 or m != math.floor(m):
        raise RnnkitError(f"season must be a positive whole number, got {m}")
    cov = frame[covariates] if covariates else None
    return TimeSeries(frame[target].rename(target), cov, int(m), gaps)
