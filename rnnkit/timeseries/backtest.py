"""Rolling-origin evaluation: refit at several forecast origins, score only what came after.

For ``folds`` origins spaced ``step`` apart (default: the horizon, so test windows do not
overlap), ending ``horizon`` before the end of the series, each model is fitted on the values
*before* the origin only (at most ``max_train`` of them) and forecasts ``horizon`` steps, scored
with MAE, RMSE, MAPE, sMAPE and MASE (scaled by the training part of that fold). Covariates are
treated as known in advance: a fold's forecast gets their actual values over its test window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.data import TimeSeries, load_series
from rnnkit.timeseries.metrics import METRICS, evaluate
from rnnkit.timeseries.models import Model, make

#: Fewest training observations a fold may have.
MIN_TRAIN = 5


def origins(length: int, horizon: int, folds: int, step: int | None = None) -> list[int]:
    """Positions of the forecast origins: each fold trains on ``[:origin]`` and is scored on
    ``[origin:origin + horizon]``; the last one ends at the end of the series.

    Example:
        >>> origins(20, horizon=3, folds=3)
        [11, 14, 17]
    """
    if horizon < 1 or folds < 1:
        raise RnnkitError(f"horizon and folds must be at least 1, got {horizon} and {folds}")
    step = horizon if step is None else step
    if step < 1:
        raise RnnkitError(f"the backtest step must be at least 1, got {step}")
    result = [length - horizon - step * (folds - 1 - i) for i in range(folds)]
    if result[0] < MIN_TRAIN:
        raise RnnkitError(
            f"the series ({length} observations) is too short for {folds} fold(s) of horizon "
            f"{horizon}: the first fold would train on {max(result[0], 0)} values"
        )
    return result


@dataclass
class FoldResult:
    """One model at one origin: the forecast and its scores (or why it failed)."""

    model: str
    fold: int
    origin: Any
    forecast: np.ndarray | None
    scores: dict[str, float]
    seconds: float
    error: str = ""


def run_folds(
    ts: TimeSeries,
    new_model: Callable[[], Model],
    horizon: int,
    starts: Sequence[int],
    max_train: int | None = None,
    label: str = "",
) -> list[FoldResult]:
    """Fit a fresh model from ``new_model`` before each origin and score its forecast.

    A model that fails on a fold with an :class:`RnnkitError` (e.g. too little data for it)
    gets NaN scores and the message, so that one weak model does not stop a comparison.
    """
    results = []
    for i, origin in enumerate(starts):
        train = ts.window(0 if max_train is None else max(0, origin - max_train), origin)
        actual = ts.values[origin : origin + horizon]
        future = None
        if ts.covariates is not None:
            future = ts.covariates.to_numpy(dtype=np.float64)[origin : origin + horizon]
        t0 = time.perf_counter()
        try:
            forecast = new_model().fit(train).predict(horizon, future).mean
            scores, error = evaluate(actual, forecast, train.values, ts.season), ""
        except RnnkitError as err:
            forecast, scores, error = None, dict.fromkeys(METRICS, float("nan")), str(err)
        seconds = time.perf_counter() - t0
        where = ts.y.index[origin]
        results.append(FoldResult(label, i, where, forecast, scores, seconds, error))
    return results


@dataclass
class Backtest:
    """All folds of all models; :meth:`leaderboard` averages them.

    Example:
        >>> ts = load_series(pd.Series(np.arange(40.0)))
        >>> bt = backtest(ts, ["naive", "drift"], horizon=4, folds=2)
        >>> bt.leaderboard()["mase"].round(3).to_dict()
        {'drift': 0.0, 'naive': 2.5}
    """

    series: TimeSeries
    horizon: int
    results: list[FoldResult] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per model and fold: origin, metrics, seconds and any error."""
        return pd.DataFrame(
            [
                {"model": r.model, "fold": r.fold, "origin": r.origin, **r.scores}
                | {"seconds": r.seconds, "error": r.error}
                for r in self.results
            ]
        )

    def leaderboard(self) -> pd.DataFrame:
        """Mean of each metric per model, best MASE first (failed folds count as missing)."""
        table = self.table()
        board = table.groupby("model")[[*METRICS, "seconds"]].mean()
        board["failed"] = table.groupby("model")["error"].apply(lambda e: int((e != "").sum()))
        return board.sort_values(["mase", "mae"], na_position="last")


def backtest(
    series: Any,
    models: Sequence[str] | dict[str, dict[str, Any]],
    horizon: int | None = None,
    folds: int = 3,
    step: int | None = None,
    max_train: int | None = None,
    data_dir: str | Path | None = None,
) -> Backtest:
    """Rolling-origin backtest of ``models`` (names, or names -> options) on ``series``
    (anything :func:`~rnnkit.timeseries.data.load_series` reads)."""
    ts = load_series(series, data_dir=data_dir)
    horizon = horizon or ts.default_horizon
    spec = {name: {} for name in models} if not isinstance(models, dict) else dict(models)
    starts = origins(len(ts), horizon, folds, step)
    result = Backtest(ts, horizon)
    for name, options in spec.items():
        make(name, horizon, options)  # a bad name or option is an error, not a failed fold

        def new_model(name: str = name, options: dict[str, Any] = options) -> Model:
            return make(name, horizon, options)

        result.results += run_folds(ts, new_model, horizon, starts, max_train, label=name)
    return result
