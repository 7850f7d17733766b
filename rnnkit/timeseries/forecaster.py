"""``Forecaster``: one scikit-learn-style front for every forecasting model.

A saved forecaster is an rnnkit checkpoint folder (:mod:`rnnkit.core.checkpoint`, kind
``"forecaster"``): ``config.json`` holds the model name, options, the series description and the
model's fitted parameters as JSON; ``model.safetensors`` holds the training series
(``series.y``, ``series.covariates``) and the model's arrays (``model.*``: network weights,
regression coefficients, ETS parameters). Nothing is pickled. Loading rebuilds the model from
these without re-optimising anything, so predictions are identical.

A forecaster over a panel (``fit(table, series="Series_ID")``, see :mod:`rnnkit.timeseries.panel`
and :mod:`rnnkit.timeseries.global_model`) saves the panel instead: ``config.json`` its id column,
series ids, static values and each series' description under ``panel``, ``model.safetensors``
every series' values one after the other (``panel.values``). A global network's checkpoint also
holds its training state (``training/``), so the run can continue with :meth:`Forecaster.resume`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnnkit import __version__
from rnnkit.core import checkpoint
from rnnkit.core.files import save_target
from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model, Prediction
from rnnkit.timeseries.data import TimeSeries, future_index, load_series, make_index
from rnnkit.timeseries.global_model import PANEL_OPTIONS, PanelModel, PanelRecurrent, make_panel
from rnnkit.timeseries.models import make
from rnnkit.timeseries.panel import Panel, load_panel

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

    Over many series (a long table with a series column), one model forecasts them all: the
    recurrent ones as one global network, the others fitted per series.

        >>> long = pd.DataFrame({"shop": ["a"] * 6 + ["b"] * 6, "date": [*s.index, *s.index],
        ...                      "sales": [*s, *(10 * s)]})
        >>> f = Forecaster("snaive", horizon=2, season=3).fit(long, series="shop")
        >>> f.predict().to_dict("list")["forecast"]
        [1.0, 2.0, 10.0, 20.0]
        >>> f.predict(level=0.8).columns.tolist()
        ['shop', 'date', 'forecast', 'lower', 'upper']
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
        # A bad name or option fails here, not after loading.
        if set(options) & set(PANEL_OPTIONS):
            make_panel(model, horizon or 1, options)
        else:
            make(model, horizon or 1, options)
        self.model, self.horizon, self.season, self.options = model, horizon, season, options
        self.series_: TimeSeries | None = None
        self.model_: Model | None = None
        self.panel_: Panel | None = None
        self.panel_model_: PanelModel | None = None

    def fit(
        self,
        data: Any,
        /,
        *,
        series: str | None = None,
        value: str | None = None,
        date: str | None = None,
        covariates: list[str] | tuple[str, ...] = (),
        static: list[str] | tuple[str, ...] = (),
        freq: str | None = None,
        missing: str = "ffill",
        data_dir: str | Path | None = None,
        out_dir: str | Path | None = None,
    ) -> Forecaster:
        """Fit on ``data``: a CSV path, a dataset name, a pandas Series / DataFrame or a
        :class:`TimeSeries` (see :func:`~rnnkit.timeseries.data.load_series` for the other
        arguments and how dates, gaps and missing values are handled).

        With ``series`` (the column naming each row's series) ``data`` is a long table of many
        series, a panel (or give a :class:`~rnnkit.timeseries.panel.Panel`); ``static`` names
        categorical columns fixed within each series, which a global network embeds. A global
        network with ``out_dir`` saves a checkpoint there at each validation and on Ctrl-C,
        which :meth:`resume` continues."""
        if series is not None or isinstance(data, Panel):
            if covariates:
                raise RnnkitError("a forecaster over a panel takes no covariates (yet)")
            how = {"value": value, "date": date, "static": static, "freq": freq}
            return self._fit_panel(data, series, how, missing, data_dir, out_dir)
        if static or out_dir is not None:
            raise RnnkitError("static= and out_dir= are for a panel: give series= too")
        ts = load_series(
            data,
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
        self.panel_, self.panel_model_ = None, None
        return self

    def _fit_panel(
        self,
        data: Any,
        series: str | None,
        how: dict[str, Any],
        missing: str,
        data_dir: str | Path | None,
        out_dir: str | Path | None,
    ) -> Forecaster:
        assert series is not None or isinstance(data, Panel)
        panel = load_panel(
            data, series=series or "", season=self.season, missing=missing, data_dir=data_dir, **how
        )
        horizon = self.horizon or next(iter(panel.series.values())).default_horizon
        model = make_panel(self.model, horizon, self.options)
        save = None
        if out_dir is not None:
            save_target(out_dir)  # refused before the run, not at its first save

            def save(params: dict, arrays: dict, tensors: dict, meta: dict) -> None:
                self._write_panel(out_dir, panel, horizon, (params, arrays), (tensors, meta))

        self.panel_model_ = model.fit_panel(panel, save)
        self.panel_, self.horizon_ = panel, horizon
        self.series_, self.model_ = None, None
        return self

    @classmethod
    def resume(
        cls, path: str | Path, *, steps: int | None = None, seconds: float | None = None
    ) -> Forecaster:
        """Continue the training run of a global network saved in ``path`` (by ``fit`` with
        ``out_dir``, by Ctrl-C, or by :meth:`save` after ``fit``) exactly where it stopped,
        saving there as it goes. Without a new budget it runs to the one it was started with;
        ``steps`` / ``seconds`` replace it (as totals, counted from the start of the run)."""
        cfg = checkpoint.load_config(path)
        checkpoint.expect_kind(cfg, KIND, "forecaster")
        if "panel" not in cfg or cfg["model"] not in ("lstm", "gru"):
            raise RnnkitError("only a global lstm / gru over a panel can be resumed")
        ck = checkpoint.load(path, with_training=True)
        options = {**cfg["options"]}
        if steps is not None or seconds is not None:
            options |= {"steps": steps, "seconds": seconds}
        f = cls(cfg["model"], horizon=cfg["horizon"], season=cfg["panel"]["season"], **options)
        panel = Panel.restored(cfg["panel"], ck.weights["panel.values"])
        model = make_panel(cfg["model"], cfg["horizon"], options)
        assert isinstance(model, PanelRecurrent)
        arrays = _model_arrays(ck.weights)

        def save(params: dict, arrays: dict, tensors: dict, meta: dict) -> None:
            f._write_panel(path, panel, cfg["horizon"], (params, arrays), (tensors, meta))

        training = (ck.train_tensors, ck.train_state or {})
        f.panel_model_ = model.resume_panel(panel, cfg["params"], arrays, training, save)
        f.panel_, f.horizon_ = panel, cfg["horizon"]
        return f

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

        Over a panel it returns one long DataFrame: the series column (named as in the data),
        ``date``, ``forecast`` (and ``lower`` / ``upper`` with ``level``), series by series.
        """
        if self.panel_ is not None:
            return self._predict_panel(horizon, level)
        pred, ts = self._predict(horizon, covariates)
        index = future_index(ts.y.index, len(pred.mean))
        name = ts.y.name
        if level is None:
            return pd.Series(pred.mean, index=index, name=name)
        lower, upper = pred.interval(level)
        frame = {"forecast": pred.mean, "lower": lower, "upper": upper}
        return pd.DataFrame(frame, index=index)

    def _predict_panel(self, horizon: int | None, level: float | None) -> pd.DataFrame:
        model, panel = self._require_panel()
        horizon = horizon or self.horizon_
        if horizon < 1:
            raise RnnkitError(f"the horizon must be at least 1, got {horizon}")
        frames = []
        for key, pred in model.predict_panel(horizon).items():
            dates = future_index(panel.series[key].y.index, horizon)
            frame = {panel.column: [key] * horizon, "date": dates, "forecast": pred.mean}
            if level is not None:
                frame["lower"], frame["upper"] = pred.interval(level)
            frames.append(pd.DataFrame(frame))
        return pd.concat(frames, ignore_index=True)

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
        series: Any = None,
    ) -> Path:
        """Draw the last ``history`` observations, the forecast and its ``level`` interval (and
        the ``actual`` values, if known) to a PNG; returns its path. Over a panel, of the
        series ``series`` (default: the first)."""
        from rnnkit.timeseries.plots import plot_forecast

        if self.panel_ is not None:
            key = self.panel_.ids[0] if series is None else str(series)
            ts = self.panel_.get(key)
            long = self._predict_panel(horizon, level)
            forecast = long[long[self.panel_.column] == key].set_index("date")
        else:
            if series is not None:
                raise RnnkitError("series= picks a series of a panel; this forecaster has one")
            _, ts = self._require()
            forecast = self.predict(horizon, covariates, level)
        assert isinstance(forecast, pd.DataFrame)
        shown = history if history is not None else max(4 * len(forecast), 2 * ts.season)
        title = f"{ts.y.name}: {self.model} forecast, {level:.0%} interval"
        return plot_forecast(ts.y.iloc[-shown:], forecast, path, title, actual)

    # ----------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        """Write the fitted forecaster as an rnnkit checkpoint folder."""
        if self.panel_ is not None:
            fitted, panel = self._require_panel()
            snapshot = getattr(fitted, "snapshot", None)
            self._write_panel(path, panel, self.horizon_, fitted.state(), snapshot)
            return
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

    def _write_panel(
        self,
        path: str | Path,
        panel: Panel,
        horizon: int,
        state: tuple[dict[str, Any], dict[str, torch.Tensor]],
        training: tuple[dict[str, torch.Tensor], dict[str, Any]] | None,
    ) -> None:
        params, arrays = state
        weights = {"panel.values": panel.values(), **{f"model.{k}": v for k, v in arrays.items()}}
        config = {
            "kind": KIND,
            "rnnkit_version": __version__,
            "model": self.model,
            "horizon": horizon,
            "options": self.options,
            "panel": {**panel.describe(), "season": panel.season},
            "params": params,
        }
        vocab = {"type": "none", "note": "forecasters have no vocabulary"}
        tensors, meta = training if training is not None else ({}, None)
        ck = checkpoint.Checkpoint(_jsonable(config), vocab, weights, meta, tensors)
        checkpoint.save(ck, path)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Load a folder written by :meth:`save` (or ``rnnkit forecast --save``)."""
        ck = checkpoint.load(path)
        checkpoint.expect_kind(ck.config, KIND, "forecaster")
        cfg = ck.config
        if "panel" in cfg:
            return cls._load_panel(ck)
        ts = _series(cfg["series"], ck.weights)
        f = cls(cfg["model"], horizon=cfg["horizon"], season=ts.season, **cfg["options"])
        model = make(cfg["model"], cfg["horizon"], cfg["options"])
        arrays = _model_arrays(ck.weights)
        f.model_ = model.restore(ts, cfg["params"], arrays)
        f.series_, f.horizon_ = ts, cfg["horizon"]
        return f

    @classmethod
    def _load_panel(cls, ck: checkpoint.Checkpoint) -> Forecaster:
        cfg = ck.config
        panel = Panel.restored(cfg["panel"], ck.weights["panel.values"])
        f = cls(cfg["model"], horizon=cfg["horizon"], season=panel.season, **cfg["options"])
        model = make_panel(cfg["model"], cfg["horizon"], cfg["options"])
        arrays = _model_arrays(ck.weights)
        f.panel_model_ = model.restore_panel(panel, cfg["params"], arrays)
        f.panel_, f.horizon_ = panel, cfg["horizon"]
        return f

    def info(self) -> dict[str, Any]:
        """The model, its horizon, the series description and the fitted parameters."""
        if self.panel_ is not None:
            fitted, panel = self._require_panel()
            described = {k: v for k, v in panel.describe().items() if k != "series"}
            # Per-series parameters (scales, fitted models) stay in the checkpoint, not here.
            params = {k: v for k, v in fitted.state()[0].items() if k not in ("models", "scales")}
            return _jsonable(
                {
                    "model": self.model,
                    "horizon": self.horizon_,
                    "panel": {**described, "frequency": panel.frequency, "season": panel.season},
                    "params": params,
                }
            )
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

    def _require_panel(self) -> tuple[PanelModel, Panel]:
        assert self.panel_model_ is not None and self.panel_ is not None
        return self.panel_model_, self.panel_


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


def _model_arrays(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's arrays of a checkpoint's weights (those saved as ``model.*``)."""
    return {k[6:]: v for k, v in weights.items() if k.startswith("model.")}


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
