"""Rolling-origin backtests over a panel: every series gets the same folds as a single series
would (:func:`~rnnkit.timeseries.folds.origins`, counted back from its own end), and every fold
is scored per series with MAE, RMSE, MAPE, sMAPE and MASE (scaled by that series' training part).

A global network (``lstm`` / ``gru``) is fitted once per fold, on every series cut at its
origin; any other model (or ``per_series=True``) is fitted per series and fold, exactly as
:func:`~rnnkit.timeseries.backtests.backtest` fits it on one series. The leaderboard averages
over series and folds, so each series counts the same whatever its scale.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model
from rnnkit.timeseries.folds import origins, run_folds
from rnnkit.timeseries.global_model import PerSeries, make_panel
from rnnkit.timeseries.metrics import METRICS, evaluate
from rnnkit.timeseries.models import make
from rnnkit.timeseries.panel import Panel, load_panel


@dataclass
class PanelBacktest:
    """Every model, series and fold; :meth:`leaderboard` and :meth:`by_series` average them.

    Example:
        >>> days = pd.date_range("2024-01-01", periods=30, freq="D")
        >>> long = pd.DataFrame({"id": ["up"] * 30 + ["down"] * 30, "date": days.append(days),
        ...                      "y": np.r_[np.arange(30.0), 100 - 2 * np.arange(30.0)]})
        >>> bt = backtest_panel(long, ["naive", "drift"], horizon=3, folds=2, series="id")
        >>> bt.leaderboard()["mase"].round(3).to_dict()
        {'drift': 0.0, 'naive': 0.286}
        >>> bt.by_series().round(3).to_dict()
        {'drift': {'down': 0.0, 'up': 0.0}, 'naive': {'down': 0.286, 'up': 0.286}}
    """

    panel: Panel
    horizon: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per model, series and fold: origin, metrics, seconds and any error
        (a global model's seconds are those of its one fit per fold, shared by the series)."""
        return pd.DataFrame(self.rows)

    def leaderboard(self) -> pd.DataFrame:
        """Per model: the mean of each metric over series and folds, the median MASE, the
        seconds per fold and the failed (series, fold) pairs; best mean MASE first."""
        table = self.table()
        board = table.groupby("model")[list(METRICS)].mean()
        board["median_mase"] = table.groupby("model")["mase"].median()
        folds = table.drop_duplicates(["model", "fold", "seconds"])
        board["seconds"] = folds.groupby("model")["seconds"].sum() / table["fold"].nunique()
        board["failed"] = table.groupby("model")["error"].apply(lambda e: int((e != "").sum()))
        return board.sort_values(["mase", "mae"], na_position="last")

    def by_series(self, metric: str = "mase") -> pd.DataFrame:
        """The mean ``metric`` over the folds, one row per series and one column per model."""
        if metric not in METRICS:
            raise RnnkitError(f"unknown metric {metric!r} (metrics: {', '.join(METRICS)})")
        table = self.table()
        return table.pivot_table(index="series", columns="model", values=metric, aggfunc="mean")


def backtest_panel(
    data: Any,
    models: Sequence[str] | dict[str, dict[str, Any]],
    horizon: int | None = None,
    folds: int = 3,
    step: int | None = None,
    *,
    series: str | None = None,
    data_dir: str | Path | None = None,
    **how: Any,
) -> PanelBacktest:
    """Rolling-origin backtest of ``models`` (names, or names -> options) on every series of
    ``data``: a :class:`~rnnkit.timeseries.panel.Panel`, or a long table read by
    :func:`~rnnkit.timeseries.panel.load_panel` with ``series`` and ``how`` (value, date, ...).
    """
    if not isinstance(data, Panel):
        if series is None:
            raise RnnkitError("give series= (the column naming each row's series)")
        data = load_panel(data, series=series, data_dir=data_dir, **how)
    panel = data
    horizon = horizon or next(iter(panel.series.values())).default_horizon
    starts = {}
    for key, ts in panel.series.items():
        try:
            starts[key] = origins(len(ts), horizon, folds, step)
        except RnnkitError as err:
            raise RnnkitError(f"series {key!r}: {err}") from None
    spec = {name: {} for name in models} if not isinstance(models, dict) else dict(models)
    result = PanelBacktest(panel, horizon)
    for name, options in spec.items():
        if isinstance(make_panel(name, horizon, options), PerSeries):
            result.rows += _per_series(panel, name, options, horizon, starts)
        else:
            result.rows += _global(panel, name, options, horizon, starts)
    return result


def _per_series(
    panel: Panel,
    name: str,
    options: dict[str, Any],
    horizon: int,
    starts: dict[str, list[int]],
) -> list[dict[str, Any]]:
    options = {k: v for k, v in options.items() if k != "per_series"}

    def new_model() -> Model:
        return make(name, horizon, options)

    rows = []
    for key, ts in panel.series.items():
        for r in run_folds(ts, new_model, horizon, starts[key], label=name):
            rows.append(_row(name, key, r.fold, r.origin, r.scores, r.seconds, r.error))
    return rows


def _global(
    panel: Panel,
    name: str,
    options: dict[str, Any],
    horizon: int,
    starts: dict[str, list[int]],
) -> list[dict[str, Any]]:
    rows = []
    for fold in range(len(next(iter(starts.values())))):
        past = panel.cut({key: at[fold] for key, at in starts.items()})
        t0 = time.perf_counter()
        try:
            forecasts = make_panel(name, horizon, options).fit_panel(past).predict_panel(horizon)
            error = ""
        except RnnkitError as err:
            forecasts, error = {}, str(err)
        seconds = time.perf_counter() - t0
        for key, ts in panel.series.items():
            origin = starts[key][fold]
            scores = dict.fromkeys(METRICS, float("nan"))
            if key in forecasts:
                actual = ts.values[origin : origin + horizon]
                train = past.series[key].values
                scores = evaluate(actual, forecasts[key].mean, train, ts.season)
            rows.append(_row(name, key, fold, ts.y.index[origin], scores, seconds, error))
    return rows


def _row(
    model: str,
    key: str,
    fold: int,
    origin: Any,
    scores: dict[str, float],
    seconds: float,
    error: str,
) -> dict[str, Any]:
    clean = {k: (float(v) if np.isfinite(v) else float("nan")) for k, v in scores.items()}
    return {"model": model, "series": key, "fold": fold, "origin": origin, **clean} | {
        "seconds": seconds,
        "error": error,
    }
