"""The lecture's classical forecasters, each a small class with ``fit`` / ``predict``.

* ``naive`` (last value), ``snaive`` (same season last time), ``drift`` (line through the first
  and last values): the benchmarks every model must beat;
* ``ma``: the rolling (moving) average of the last ``window`` values (pandas ``rolling``);
* ``ewm``: exponential smoothing by half-life (pandas ``ewm(halflife=...)``, as in the lecture);
* ``holt_winters``: additive Holt-Winters (statsmodels ``ExponentialSmoothing``);
* ``ets``: the state-space ETS(A,Ad,A) model fitted by maximum likelihood (statsmodels
  ``ETSModel``), with analytic prediction intervals;
* ``ols``: least squares (scikit-learn ``Ridge``) on prior observations (lags), a time trend,
  seasonal / calendar dummies (day of week, month, ...) and covariates, forecast recursively.

Seasonal parts need two full seasons of data; with less, ``holt_winters`` and ``ets`` drop the
season (recorded in their parameters) and ``snaive`` refuses. Unless a model says otherwise,
intervals are Gaussian with the in-sample one-step residual spread growing like ``sqrt(h)``: an
approximation, exact only for a random walk. Only ``ols`` (and the recurrent models) use
covariates; the others ignore them.

Saving: fitted parameters go to the checkpoint as JSON and arrays; ``holt_winters`` and ``ets``
are rebuilt from their stored parameters without re-optimising (statsmodels result objects are
never pickled), and the closed-form models are refitted on the stored training series with
their stored settings, which gives the same numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Prediction
from rnnkit.timeseries.data import TimeSeries, future_index

#: Candidate half-lives and windows, tried in-sample (one step ahead) when none is given.
HALFLIVES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
WINDOWS = (2, 3, 4, 6, 8, 12, 24, 52)


class _Classical:
    """Shared parts: the training series and Gaussian ``sqrt(h)`` intervals."""

    name = ""
    _y: np.ndarray
    _sd1: float

    def _remember(self, ts: TimeSeries, minimum: int = 2) -> np.ndarray:
        if len(ts) < minimum:
            raise RnnkitError(f"{self.name} needs at least {minimum} observations, got {len(ts)}")
        self._y = ts.values
        return self._y

    def _flat(self, level: float, horizon: int) -> Prediction:
        return Prediction(np.full(horizon, level), self._growing_sd(horizon))

    def _growing_sd(self, horizon: int) -> np.ndarray:
        return self._sd1 * np.sqrt(np.arange(1, horizon + 1))

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        """Closed-form models store their settings; loading refits them on the same series."""
        return self._settings(), {}

    def _settings(self) -> dict[str, Any]:
        return {}

    def restore(self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]) -> Any:
        for key, value in params.items():
            setattr(self, key, value)
        return self.fit(ts)

    def fit(self, ts: TimeSeries) -> Any:
        raise NotImplementedError


def _rms(errors: np.ndarray) -> float:
    errors = errors[np.isfinite(errors)]
    return float(np.sqrt(np.mean(errors**2))) if errors.size else 0.0


@dataclass
class Naive(_Classical):
    """Every future value equals the last observation.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> Naive().fit(load_series(pd.Series([1.0, 2.0, 5.0]))).predict(2, None).mean
        array([5., 5.])
    """

    name = "naive"

    def fit(self, ts: TimeSeries) -> Naive:
        y = self._remember(ts)
        self._sd1 = _rms(np.diff(y))
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        return self._flat(self._y[-1], horizon)


@dataclass
class SeasonalNaive(_Classical):
    """Every future value equals the value one season earlier.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> ts = load_series(pd.Series([1.0, 2.0, 3.0, 1.0, 2.0, 3.0]), season=3)
        >>> SeasonalNaive().fit(ts).predict(4, None).mean
        array([1., 2., 3., 1.])
    """

    name = "snaive"
    _m: int = field(default=1, init=False, repr=False)

    def fit(self, ts: TimeSeries) -> SeasonalNaive:
        self._m = ts.season
        if len(ts) < ts.season:
            raise RnnkitError(
                f"seasonal naive needs a full season ({ts.season} observations), got {len(ts)}"
            )
        y = self._remember(ts, minimum=ts.season + 1)
        self._sd1 = _rms(y[self._m :] - y[: -self._m])
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        last_season = self._y[-self._m :]
        mean = np.resize(last_season, horizon)  # repeats the last season as often as needed
        seasons_ahead = np.arange(horizon) // self._m + 1
        return Prediction(mean, self._sd1 * np.sqrt(seasons_ahead))


@dataclass
class Drift(_Classical):
    """The line through the first and last observations, extended.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> Drift().fit(load_series(pd.Series([1.0, 3.0, 5.0]))).predict(2, None).mean
        array([7., 9.])
    """

    name = "drift"
    _slope: float = field(default=0.0, init=False, repr=False)

    def fit(self, ts: TimeSeries) -> Drift:
        y = self._remember(ts)
        self._slope = (y[-1] - y[0]) / (len(y) - 1)
        self._sd1 = _rms(np.diff(y) - self._slope)
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        steps = np.arange(1, horizon + 1)
        return Prediction(self._y[-1] + self._slope * steps, self._growing_sd(horizon))


@dataclass
class MovingAverage(_Classical):
    """The mean of the last ``window`` observations (pandas ``rolling``); without a window, the
    one of :data:`WINDOWS` with the smallest in-sample one-step error.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> ma = MovingAverage(window=2).fit(load_series(pd.Series([1.0, 2.0, 4.0])))
        >>> ma.predict(1, None).mean
        array([3.])
    """

    name = "ma"
    window: int | None = None

    def fit(self, ts: TimeSeries) -> MovingAverage:
        y = self._remember(ts, minimum=3)
        series = pd.Series(y)
        grid = [self.window] if self.window else [w for w in WINDOWS if w <= len(y) // 2]
        errors = {w: _rms((series - series.rolling(w).mean().shift(1)).to_numpy()) for w in grid}
        self.window_ = min(errors, key=errors.__getitem__)
        self._sd1 = errors[self.window_]
        self._level = float(series.iloc[-self.window_ :].mean())
        return self

    def _settings(self) -> dict[str, Any]:
        return {"window": self.window_}

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        return self._flat(self._level, horizon)


@dataclass
class EWM(_Classical):
    """Exponential smoothing by half-life (pandas ``ewm``): the last smoothed level, repeated;
    without a half-life, the one of :data:`HALFLIVES` with the smallest one-step error.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> m = EWM(halflife=1.0).fit(load_series(pd.Series([0.0, 0.0, 4.0])))
        >>> m.predict(1, None).mean  # weights 1/4, 1/2 and 1: 4 / 1.75
        array([2.28571429])
    """

    name = "ewm"
    halflife: float | None = None

    def fit(self, ts: TimeSeries) -> EWM:
        series = pd.Series(self._remember(ts))
        grid = [self.halflife] if self.halflife else list(HALFLIVES)
        smoothed = {h: series.ewm(halflife=h).mean() for h in grid}
        errors = {h: _rms((series - s.shift(1)).to_numpy()) for h, s in smoothed.items()}
        self.halflife_ = min(errors, key=errors.__getitem__)
        self._sd1 = errors[self.halflife_]
        self._level = float(smoothed[self.halflife_].iloc[-1])
        return self

    def _settings(self) -> dict[str, Any]:
        return {"halflife": self.halflife_}

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        return self._flat(self._level, horizon)


@contextmanager
def _quiet_statsmodels() -> Iterator[None]:
    # statsmodels warns about convergence on many real series; the fit is still usable, and
    # the backtest, not the optimiser's message, says whether it is any good.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _seasonal(ts: TimeSeries) -> bool:
    return ts.season > 1 and len(ts) >= 2 * ts.season


@dataclass
class HoltWinters(_Classical):
    """Additive Holt-Winters (level, trend, season) from statsmodels ``ExponentialSmoothing``.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> line = load_series(pd.Series(np.arange(20.0)))
        >>> HoltWinters().fit(line).predict(2, None).mean.round(3)
        array([20., 21.])
    """

    name = "holt_winters"
    damped: bool = False

    def fit(self, ts: TimeSeries) -> HoltWinters:
        y = self._remember(ts, minimum=5)
        self._m = ts.season if _seasonal(ts) else 0
        with _quiet_statsmodels():
            self._res = self._model(y).fit()
        self._sd1 = _rms(y - self._res.fittedvalues)
        return self

    def _model(self, y: np.ndarray, **known: Any) -> Any:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        seasonal = {"seasonal": "add", "seasonal_periods": self._m} if self._m else {}
        init = {"initialization_method": "known", **known} if known else {}
        return ExponentialSmoothing(y, trend="add", damped_trend=self.damped, **seasonal, **init)

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        p = self._res.params
        params = {k: float(p[k]) for k in _HW_SMOOTHING if k in p and np.isfinite(p[k])}
        params.update(
            initial_level=float(p["initial_level"]), initial_trend=float(p["initial_trend"])
        )
        arrays = {"initial_seasons": torch.from_numpy(np.asarray(p["initial_seasons"], float))}
        return {"season": self._m, **params}, arrays

    def restore(self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]) -> Any:
        y = self._remember(ts, minimum=5)
        self._m = params["season"]
        known = {"initial_level": params["initial_level"], "initial_trend": params["initial_trend"]}
        if self._m:
            known["initial_seasonal"] = arrays["initial_seasons"].numpy()
        smoothing = {k: params[k] for k in _HW_SMOOTHING if k in params}
        with _quiet_statsmodels():
            self._res = self._model(y, **known).fit(**smoothing, optimized=False)
        self._sd1 = _rms(y - self._res.fittedvalues)
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        return Prediction(np.asarray(self._res.forecast(horizon)), self._growing_sd(horizon))


_HW_SMOOTHING = ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend")


@dataclass
class ETS(_Classical):
    """ETS(A,Ad,A): additive errors, damped additive trend and additive season, by maximum
    likelihood (statsmodels ``ETSModel``); intervals are statsmodels' analytic ones.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> line = load_series(pd.Series(np.arange(30.0)))
        >>> bool(abs(ETS().fit(line).predict(1, None).mean[0] - 30.0) < 0.5)
        True
    """

    name = "ets"

    def fit(self, ts: TimeSeries) -> ETS:
        y = self._remember(ts, minimum=5)
        self._m = ts.season if _seasonal(ts) else 0
        with _quiet_statsmodels():
            self._res = self._model(y).fit(disp=False)
        return self

    def _model(self, y: np.ndarray) -> Any:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        seasonal = {"seasonal": "add", "seasonal_periods": self._m} if self._m else {}
        # A pandas Series: statsmodels' prediction intervals fail on a bare array.
        return ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True, **seasonal)

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        return {"season": self._m}, {
            "params": torch.from_numpy(np.array(self._res.params, dtype=float))
        }

    def restore(self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]) -> Any:
        y = self._remember(ts, minimum=5)
        self._m = params["season"]
        with _quiet_statsmodels():
            self._res = self._model(y).smooth(arrays["params"].numpy())
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        n = len(self._y)
        with _quiet_statsmodels():
            pred = self._res.get_prediction(start=n, end=n + horizon - 1)
        variance = np.maximum(np.asarray(pred.forecast_variance, dtype=float), 0.0)
        return Prediction(np.asarray(pred.predicted_mean, dtype=float), np.sqrt(variance))


@dataclass
class LagRegression(_Classical):
    """Least squares on lags, a time trend, calendar dummies and covariates (scikit-learn
    ``Ridge`` on standardised features), forecast recursively: each forecast becomes a lag for
    the next step. ``lags=0`` is the lecture's "OLS on time and covariates".

    Default lags: one season (at least 8 for short seasons), at most a third of the series.

    Example:
        >>> from rnnkit.timeseries.data import load_series
        >>> ts = load_series(pd.Series(np.tile([1.0, 5.0, 3.0], 10)), season=3)
        >>> LagRegression(alpha=1e-6).fit(ts).predict(3, None).mean.round(3)
        array([1., 5., 3.])
    """

    name = "ols"
    lags: int | None = None
    alpha: float = 1.0
    trend: bool = True
    calendar: bool = True

    def fit(self, ts: TimeSeries) -> LagRegression:
        from sklearn.linear_model import Ridge

        y = self._remember(ts, minimum=4)
        self._ts = ts
        self.lags_ = self._lags(ts)
        X = self._design(y, ts.y.index, _covariates(ts), start=self.lags_)
        self._mu, self._sigma = X.mean(axis=0), X.std(axis=0)
        self._sigma[self._sigma == 0] = 1.0  # constant dummies: leave them unscaled
        ridge = Ridge(alpha=self.alpha).fit((X - self._mu) / self._sigma, y[self.lags_ :])
        self._coef, self._intercept = ridge.coef_, float(ridge.intercept_)
        self._sd1 = _rms(y[self.lags_ :] - self._apply(X))
        return self

    def _lags(self, ts: TimeSeries) -> int:
        if self.lags is not None:
            if self.lags < 0 or self.lags > len(ts) - 3:
                raise RnnkitError(f"ols lags must be between 0 and {len(ts) - 3}, got {self.lags}")
            return self.lags
        return min(max(ts.season, 8), len(ts) // 3)

    def _design(
        self, y: np.ndarray, index: pd.Index, cov: np.ndarray | None, start: int
    ) -> np.ndarray:
        """One row of features for each time ``start, ..., len(index) - 1``; lags read ``y``."""
        t = np.arange(start, len(index))
        lags = [y[t - k] for k in range(1, self.lags_ + 1)]
        parts = [np.stack(lags, axis=1) if lags else np.zeros((len(t), 0))]
        if self.trend:
            parts.append(t[:, None].astype(float))
        if self.calendar:
            parts.append(calendar_features(index[start:], self._ts.season))
        if cov is not None:
            parts.append(cov[start : len(index)])
        return np.concatenate([p.reshape(len(t), -1) for p in parts], axis=1)

    def _apply(self, X: np.ndarray) -> np.ndarray:
        return ((X - self._mu) / self._sigma) @ self._coef + self._intercept

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        params = {"lags": self.lags_, "intercept": self._intercept, "sd1": self._sd1}
        arrays = {k: torch.from_numpy(v) for k, v in self._arrays().items()}
        return params, arrays

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"coef": self._coef, "mu": self._mu, "sigma": self._sigma}

    def restore(self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]) -> Any:
        self._remember(ts, minimum=4)
        self._ts, self.lags_ = ts, params["lags"]
        self._intercept, self._sd1 = params["intercept"], params["sd1"]
        self._coef, self._mu, self._sigma = (arrays[k].numpy() for k in ("coef", "mu", "sigma"))
        return self

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        n = len(self._y)
        index = self._ts.y.index.append(future_index(self._ts.y.index, horizon))
        cov = _covariates(self._ts)
        if cov is not None:
            assert future is not None  # the Forecaster checks that future covariates are given
            cov = np.concatenate([cov, future])
        y = np.concatenate([self._y, np.zeros(horizon)])
        for step in range(horizon):  # recursive: the forecast feeds the next step's lags
            row = self._design(y[: n + step + 1], index[: n + step + 1], cov, start=n + step)
            y[n + step] = self._apply(row)[0]
        return Prediction(y[n:], self._growing_sd(horizon))


def _covariates(ts: TimeSeries) -> np.ndarray | None:
    return None if ts.covariates is None else ts.covariates.to_numpy(dtype=np.float64)


def calendar_features(index: pd.Index, season: int) -> np.ndarray:
    """Seasonal dummies (hour of day, day of week, month or quarter; the position in the season
    without dates) and three annual sine/cosine pairs for hourly to weekly data.

    Example:
        >>> calendar_features(pd.date_range("2024-01-01", periods=2, freq="MS"), 12)[:, :3]
        array([[1., 0., 0.],
               [0., 1., 0.]])
    """
    if not isinstance(index, pd.DatetimeIndex):
        phase = np.asarray(index, dtype=np.int64) % season
        return _onehot(phase, season) if season > 1 else np.zeros((len(index), 0))
    from rnnkit.timeseries.data import frequency_of

    kind = frequency_of(index)
    parts = {
        "hourly": [_onehot(index.hour, 24), _onehot(index.day_of_week, 7)],
        "daily": [_onehot(index.day_of_week, 7)],
        "business-daily": [_onehot(index.day_of_week, 7)],
        "monthly": [_onehot(index.month - 1, 12)],
        "quarterly": [_onehot(index.quarter - 1, 4)],
    }.get(kind, [])
    if kind in ("hourly", "daily", "business-daily", "weekly"):
        angle = 2 * math.pi * (index.day_of_year.to_numpy() - 1) / 365.25
        parts += [f(k * angle)[:, None] for k in (1, 2, 3) for f in (np.sin, np.cos)]
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(index), 0))


def _onehot(values: Any, size: int) -> np.ndarray:
    return np.eye(size)[np.asarray(values, dtype=np.int64)]


CLASSICAL: dict[str, tuple[type, dict[str, Any]]] = {
    cls.name: (cls, {})
    for cls in (Naive, SeasonalNaive, Drift, MovingAverage, EWM, HoltWinters, ETS, LagRegression)
}
