"""``Forecaster``: one scikit-learn-style front for every forecasting model.

A saved forecaster is an rnnkit checkpoint folder (:mod:`rnnkit.core.checkpoint`, kind
``"forecaster"``): ``config.json`` holds the model name, options, the series description and the
model's fitted parameters as JSON; ``model.safetensors`` holds the training series
(``series.y``, ``series.covariates``) and the model's arrays (``model.*``: network weights,
regression coefficients, ETS parameters). Nothing is pickled. Loading rebuilds the model from
these without re-optimising anything, so predictions are identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnnkit import __version__
from rnnkit.core import checkpoint
from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model, Prediction
from rnnkit.timeseries.data import TimeSeries, future_index, load_series, make_index
from rnnkit.timeseries.models import make

KIND = "forecaster"


class Forecaster:
    """Fit a forecasting model on a series and forecast the next steps.

    ``model`` is ``"auto"`` (chosen by validation, see :mod:`rnnkit.timeseries.auto`), one of
    the classical models (``naive``, ``snaive``, ``drift``, ``ma``, ``ewm``, ``holt_winters``,
    ``ets``, ``ols``) or a recurrent one (``lstm``, ``gru``); ``options`` go to the model (e.g.
    ``halflife=4`` for ``ewm``, ``steps=300`` for ``lstm``). ``horizon`` defaults to the usual
    one for the series' frequency; ``season`` overrides the season implied by it.

    Example:
        >>> s = pd.Series([1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
        ...               index=pd.date_range("2024-01-01", periods=6, freq="D"))
        >>> f = Forecaster("snaive", horizon=3, season=3).fit(s)
        >>> f.predict().tolist()
        [1.0, 2.0, 3.0]
        >>> f.predict(level=0.8).columns.tolist()
        ['forecast', 'lower', 'upper']
    """

    def __init__(
        self,
        model: str = "auto",
        *,
        horizon: int | None = None,
        season: int | None = None,
        **options: Any,
    ) -> None:
        if horizon is not None and horizon < 1:
            raise RnnkitError(f"the horizon must be at least 1, got {horizon}")
        make(model, horizon or 1, options)  # a bad name or option fails here, not after loading
        self.model, self.horizon, self.season, self.options = model, horizon, season, options
        self.series_: TimeSeries | None = None
        self.model_: Model | None = None

    def fit(
        self,
        series: Any,
        *,
        value: str | None = None,
        date: str | None = None,
        covariates: list[str] | tuple[str, ...] = (),
        freq: str | None = None,
        missing: str = "ffill",
        data_dir: str | Path | None = None,
    ) -> Forecaster:
        """Fit on ``series``: a CSV path, a dataset name, a pandas Series / DataFrame or a
        :class:`TimeSeries` (see :func:`~rnnkit.timeseries.data.load_series` for the other
        arguments and how dates, gaps and missing values are handled)."""
        ts = load_series(
            series,
            value=value,
            date=date,
            covariates=covariates,
            freq=freq,
            season=self.season,
            missing=missing,
            data_dir=data_dir,
        )
        horizon = self.horizon or ts.default_horizon
        if horizon > len(ts):
            raise RnnkitError(
                f"the series has {len(ts)} observations, too few to forecast {horizon} steps "
                "ahead; give a shorter horizon"
            )
        self.model_ = make(self.model, horizon, self.options).fit(ts)
        self.series_, self.horizon_ = ts, horizon
        return self

    def predict(
        self,
        horizon: int | None = None,
        covariates: pd.DataFrame | np.ndarray | None = None,
        level: float | None = None,
    ) -> pd.Series | pd.DataFrame:
        """Forecast ``horizon`` steps (default: the fitted horizon) after the series.

        Returns a Series indexed by the future dates; with ``level`` (e.g. 0.8) a DataFrame with
        ``forecast``, ``lower`` and ``upper`` columns. A model fitted with covariates needs
        their future values: ``covariates`` with ``horizon`` rows, in the fitted column order.
        """
        pred, ts = self._predict(horizon, covariates)
        index = future_index(ts.y.index, len(pred.mean))
        name = ts.y.name
        if level is None:
            return pd.Series(pred.mean, index=index, name=name)
        lower, upper = pred.interval(level)
        frame = {"forecast": pred.mean, "lower": lower, "upper": upper}
        return pd.DataFrame(frame, index=index)

    def _predict(
        self, horizon: int | None, covariates: pd.DataFrame | np.ndarray | None
    ) -> tuple[Prediction, TimeSeries]:
        model, ts = self._require()
        horizon = horizon or self.horizon_
        if horizon < 1:
            raise RnnkitError(f"the horizon must be at least 1, got {horizon}")
        return model.predict(horizon, _future(ts, covariates, horizon)), ts

    def plot(
        self,
        path: str | Path,
        horizon: int | None = None,
        covariates: pd.DataFrame | np.ndarray | None = None,
        level: float = 0.8,
        history: int | None = None,
        actual: pd.Series | None = None,
    ) -> Path:
        """Draw the last ``history`` observations, the forecast and its ``level`` interval (and
        the ``actual`` values, if known) to a PNG; returns its path."""
        from rnnkit.timeseries.plots import plot_forecast

        _, ts = self._require()
        forecast = self.predict(horizon, covariates, level)
        assert isinstance(forecast, pd.DataFrame)
        shown = history if history is not None else max(4 * len(forecast), 2 * ts.season)
        title = f"{ts.y.name}: {self.model} forecast, {level:.0%} interval"
        return plot_forecast(ts.y.iloc[-shown:], forecast, path, title, actual)

    # ----------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        """Write the fitted forecaster as an rnnkit checkpoint folder."""
        model, ts = self._require()
        params, arrays = model.state()
        weights = {"series.y": torch.from_numpy(ts.values)}
        if ts.covariates is not None:
            weights["series.covariates"] = torch.from_numpy(
                ts.covariates.to_numpy(np.float64, copy=True)
            )
        weights.update({f"model.{k}": v for k, v in arrays.items()})
        config = {
            "kind": KIND,
            "rnnkit_version": __version__,
            "model": self.model,
            "horizon": self.horizon_,
            "options": self.options,
            "series": ts.describe(),
            "params": params,
        }
        vocab = {"type": "none", "note": "forecasters have no vocabulary"}
        checkpoint.save(checkpoint.Checkpoint(_jsonable(config), vocab, weights), path)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Load a folder written by :meth:`save` (or ``rnnkit forecast --save``)."""
        ck = checkpoint.load(path)
        checkpoint.expect_kind(ck.config, KIND, "forecaster")
        cfg = ck.config
        ts = _series(cfg["series"], ck.weights)
        f = cls(cfg["model"], horizon=cfg["horizon"], season=ts.season, **cfg["options"])
        model = make(cfg["model"], cfg["horizon"], cfg["options"])
        arrays = {k[6:]: v for k, v in ck.weights.items() if k.startswith("model.")}
        f.model_ = model.restore(ts, cfg["params"], arrays)
        f.series_, f.horizon_ = ts, cfg["horizon"]
        return f

    def info(self) -> dict[str, Any]:
        """The model, its horizon, the series description and the fitted parameters."""
        model, ts = self._require()
        return _jsonable(
            {
                "model": self.model,
                "horizon": self.horizon_,
                "series": ts.describe(),
                "params": model.state()[0],
            }
        )

    def _require(self) -> tuple[Model, TimeSeries]:
        if self.model_ is None or self.series_ is None:
            raise RnnkitError("this Forecaster is not fitted yet: call fit() or Forecaster.load()")
        return self.model_, self.series_


def _future(
    ts: TimeSeries, covariates: pd.DataFrame | np.ndarray | None, horizon: int
) -> np.ndarray | None:
    """The future covariates as a [horizon, k] array, checked against the fitted ones."""
    names = [] if ts.covariates is None else list(ts.covariates.columns)
    if not names:
        return None
    if covariates is None:
        raise RnnkitError(
            f"this model uses covariates ({', '.join(names)}): give their {horizon} future values"
        )
    if isinstance(covariates, pd.DataFrame):
        missing = [c for c in names if c not in covariates.columns]
        if missing:
            raise RnnkitError(f"future covariates lack column {missing[0]!r}")
        covariates = covariates[names].to_numpy(dtype=np.float64)
    values = np.asarray(covariates, dtype=np.float64).reshape(len(covariates), -1)
    if values.shape[0] < horizon or values.shape[1] != len(names) or not np.isfinite(values).all():
        raise RnnkitError(
            f"future covariates must be {horizon} rows x {len(names)} columns of numbers, "
            f"got {values.shape[0]} x {values.shape[1]}"
        )
    return values[:horizon]


def _series(description: dict[str, Any], weights: dict[str, torch.Tensor]) -> TimeSeries:
    """The training series saved in a checkpoint."""
    y = weights["series.y"].numpy()
    index = make_index(description["start"], len(y), description["freq"])
    cov = None
    if "series.covariates" in weights:
        cov = pd.DataFrame(
            weights["series.covariates"].numpy(), index=index, columns=description["covariates"]
        )
    series = pd.Series(y, index=index, name=description["name"])
    return TimeSeries(series, cov, description["season"], description["filled"])


def _jsonable(value: Any) -> Any:
    """``value`` with numpy scalars / arrays and tuples turned into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
