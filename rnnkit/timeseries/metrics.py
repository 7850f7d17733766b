"""Forecast accuracy: MAE, RMSE, MAPE, sMAPE and MASE.

MAPE and sMAPE are in percent. MASE (Hyndman & Koehler 2006) divides the MAE by the in-sample
MAE of the seasonal naive forecast on the *training* series (lag ``season``; lag 1 when the
series is shorter than two seasons), so it is comparable across series: below 1 beats that
benchmark. Series whose training part is constant have no scale; their MASE is NaN.
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error.

    Example:
        >>> mae(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0]))
        1.0
    """
    return float(np.mean(np.abs(_errors(actual, forecast))))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean(_errors(actual, forecast) ** 2)))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error (%); NaN when an actual value is 0."""
    actual = np.asarray(actual, dtype=np.float64)
    if np.any(actual == 0):
        return float("nan")
    return float(100.0 * np.mean(np.abs(_errors(actual, forecast) / actual)))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE (%), ``200 |F - A| / (|A| + |F|)`` averaged; a 0/0 term counts as 0."""
    actual = np.asarray(actual, dtype=np.float64)
    forecast = np.asarray(forecast, dtype=np.float64)
    denom = np.abs(actual) + np.abs(forecast)
    terms = np.divide(
        200.0 * np.abs(forecast - actual), denom, out=np.zeros_like(denom), where=denom > 0
    )
    return float(np.mean(terms))


def mase_scale(train: np.ndarray, season: int) -> float:
    """The in-sample MAE of the seasonal naive forecast on ``train`` (the MASE denominator).

    Example:
        >>> mase_scale(np.array([1.0, 2.0, 4.0, 7.0]), season=1)  # |1| + |2| + |3|, over 3
        2.0
    """
    train = np.asarray(train, dtype=np.float64)
    lag = season if len(train) > 2 * season else 1
    if len(train) <= lag:
        raise RnnkitError(f"MASE needs more than {lag} training values, got {len(train)}")
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int) -> float:
    """Mean absolute scaled error: MAE over :func:`mase_scale` of the training series."""
    scale = mase_scale(train, season)
    return mae(actual, forecast) / scale if scale > 0 else float("nan")


def evaluate(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int
) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one forecast.

    Example:
        >>> scores = evaluate(np.array([3.0, 4.0]), np.array([2.0, 2.0]), np.arange(3.0), 1)
        >>> scores["mae"], scores["mase"]
        (1.5, 1.5)
    """
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mape": mape(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, train, season),
    }


def _errors(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.shape != f.shape or a.size == 0:
        raise RnnkitError(
            f"actual and forecast must have the same non-zero length: {a.shape}, {f.shape}"
        )
    return f - a
