"""Rolling-origin folds: where the forecast origins are, and one model fitted and scored at each.

The machinery under :func:`rnnkit.timeseries.backtests.backtest` and ``auto``'s inner validation:
a model is fitted on the values *before* an origin only and forecasts ``horizon`` steps, scored
with MAE, RMSE, MAPE, sMAPE and MASE (scaled by the training part of that fold). Covariates are
treated as known in advance: a fold's forecast gets their actual values over its test window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model
from rnnkit.timeseries.data import TimeSeries
from rnnkit.timeseries.metrics import METRICS, evaluate

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
