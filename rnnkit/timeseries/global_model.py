"""Forecasting every series of a panel (:mod:`rnnkit.timeseries.panel`): one recurrent network
trained on all of them, or any single model fitted to each series on its own.

The *global* network (:class:`PanelRecurrent`, as DeepAR and darts' multi-series models do) is
the window forecaster of :mod:`rnnkit.timeseries.recurrent` with three additions:

* **windows from every series**, pooled into one training set: each series' windows are scaled
  by its own number (the mean absolute one-step change of its training part) and expressed
  relative to the mean of their last season (``anchor`` values: a steadier level than the last
  value of a noisy series), so series of very different sizes train one network;
* **learned embeddings** of the series id and of each static categorical column
  (:mod:`rnnkit.models.categorical`), read at every step and by the output head: the network
  can tell the series apart and forecast each in its own way;
* **series of different lengths**: a series shorter than the window is padded on the left with
  its first value; the window follows the median series length.

Validation holds out each series' last origins (at most ``horizon`` of them; their targets come
after every training target of that series); the intervals come from the trained quantiles or,
else, from the pooled scaled validation error times each series' scale.

``per_series=True`` (or any non-recurrent model) fits one single model per series instead, for
comparison (:class:`PerSeries`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from rnnkit.core.rng import seeded
from rnnkit.errors import RnnkitError
from rnnkit.models.categorical import embedding_size
from rnnkit.models.window import WindowConfig, WindowNet
from rnnkit.timeseries.base import Model, Prediction, check_options
from rnnkit.timeseries.models import make
from rnnkit.timeseries.panel import Panel
from rnnkit.timeseries.recurrent import (
    MIN_WINDOWS,
    RECURRENT,
    RecurrentForecaster,
    Scaling,
    Windows,
    make_windows,
)
from rnnkit.training.loop import LoopState, SaveFn, Trainer

#: Options only a model over a panel takes.
PANEL_OPTIONS = ("per_series", "embed_size")
#: Called with the model's (params, arrays) and the training state's (tensors, JSON).
PanelSave = Callable[[dict[str, Any], dict[str, Tensor], dict[str, Tensor], dict[str, Any]], None]


class PanelModel(Protocol):
    """A model over a whole panel, as the Forecaster and the panel backtest drive it."""

    @property
    def name(self) -> str: ...

    def fit_panel(self, panel: Panel, save: PanelSave | None = None) -> PanelModel: ...

    def predict_panel(self, horizon: int) -> dict[str, Prediction]:
        """Forecast ``horizon`` steps after the end of every series, by series id."""
        ...

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]: ...

    def restore_panel(
        self, panel: Panel, params: dict[str, Any], arrays: dict[str, Tensor]
    ) -> PanelModel: ...


def make_panel(name: str, horizon: int, options: dict[str, Any] | None = None) -> PanelModel:
    """A new, unfitted model over a panel: ``lstm`` / ``gru`` are one global network unless
    ``per_series=True``; every other model is fitted per series.

    Example:
        >>> type(make_panel("lstm", 3)).__name__, type(make_panel("ets", 3)).__name__
        ('PanelRecurrent', 'PerSeries')
    """
    options = dict(options or {})
    per_series = bool(options.pop("per_series", False))
    if name in RECURRENT and not per_series:
        checked = check_options(PanelRecurrent, name, options)
        return PanelRecurrent(horizon=horizon, **checked, **RECURRENT[name][1])
    if "embed_size" in options:
        raise RnnkitError("embed_size is an option of the global lstm / gru only")
    make(name, horizon, options)  # a bad name or option fails here, not on the first series
    return PerSeries(name, horizon, options)


def _concat(parts: list[Windows]) -> Windows:
    codes = [p.codes for p in parts if p.codes is not None]
    return Windows(
        torch.cat([p.inputs for p in parts]),
        torch.cat([p.future for p in parts]),
        torch.cat([p.targets for p in parts]),
        torch.cat(codes) if codes else None,
    )


@dataclass
class PanelRecurrent(RecurrentForecaster):
    """One LSTM / GRU window forecaster over every series of a panel (see the module).

    Example:
        >>> import pandas as pd
        >>> from rnnkit.timeseries.panel import load_panel
        >>> t, days = np.arange(60), pd.date_range("2024-01-01", periods=60, freq="D")
        >>> long = pd.DataFrame({"id": ["a"] * 60 + ["b"] * 60, "date": days.append(days),
        ...                      "y": np.r_[np.sin(t), 5 + np.cos(t)]})
        >>> panel = load_panel(long, series="id")
        >>> model = PanelRecurrent(horizon=3, steps=5, hidden_size=8).fit_panel(panel)
        >>> {k: p.mean.shape for k, p in model.predict_panel(2).items()}
        {'a': (2,), 'b': (2,)}
    """

    #: Width of the series-id embedding (None: fastai's rule, :func:`embedding_size`).
    embed_size: int | None = None
    #: Hold each series' last origins out of training to choose the best weights (True), or
    #: train on every window and keep the last weights (False; validation is then in-sample).
    holdout: bool = True
    #: Windows are relative to the mean of their last ``anchor`` values (None: one season).
    anchor: int | None = None
    batch_size: int = 64
    scales: list[float] = field(default_factory=list, init=False, repr=False)

    # ----------------------------------------------------------------------------- fitting
    def fit_panel(self, panel: Panel, save: PanelSave | None = None) -> PanelRecurrent:
        """Train the network on every series of ``panel``; ``save`` writes a resumable
        checkpoint at each validation and on Ctrl-C."""
        train, val = self._prepare(panel)
        with seeded(self.seed):
            self.net = self._new_net(0, *self._categories(panel))
            trainer = self._train(train, val, self._saver(save, train, val))
        return self._finish(trainer, train, val)

    def resume_panel(
        self,
        panel: Panel,
        params: dict[str, Any],
        arrays: dict[str, Tensor],
        training: tuple[dict[str, Tensor], dict[str, Any]],
        save: PanelSave | None = None,
    ) -> PanelRecurrent:
        """Continue the run that a checkpoint of ``panel`` saved (its params, best weights and
        training state) to this model's budget."""
        train, val = self._prepare(panel)
        cfg = WindowConfig(**params["net"])
        if cfg.window != self._window_len:
            raise RnnkitError("this panel is not the one the run was trained on")
        with seeded(self.seed):
            self.net = WindowNet(cfg)
            resume = (*training, arrays)
            trainer = self._train(train, val, self._saver(save, train, val), resume)
        return self._finish(trainer, train, val)

    def _prepare(self, panel: Panel) -> tuple[Windows, Windows]:
        """Training and validation windows of every series, and each one's scale."""
        if self.strategy != "direct":
            raise RnnkitError(
                "a forecaster over a panel forecasts all steps at once: strategy='direct'"
            )
        self._panel = panel
        median = int(np.median([len(ts) for ts in panel.series.values()]))
        self._window_len = self._window_for(panel.season, median)
        codes = self._codes(panel)
        parts = [
            self._series_windows(key, ts.values, codes[i])
            for i, (key, ts) in enumerate(panel.series.items())
        ]
        self.scales = [scale for _, _, scale in parts]
        train, val = _concat([p[0] for p in parts]), _concat([p[1] for p in parts])
        if len(train) < MIN_WINDOWS:
            raise RnnkitError(
                f"the panel gives {len(train)} training windows; {self.cell} needs at least "
                f"{MIN_WINDOWS}: use a shorter window or horizon"
            )
        return train, val

    def _series_windows(
        self, key: str, y: np.ndarray, codes: list[int]
    ) -> tuple[Windows, Windows, float]:
        n, w, h = len(y), self._window_len, self._outputs
        origins = np.arange(min(w - 1, max(0, n - 3 * h)), n - h)
        n_val = max(1, min(int(len(origins) * self.val_fraction), h))
        first_val = origins[-n_val] if len(origins) else 0
        train = int(np.sum(origins + h <= first_val))  # targets end before validation
        if not self.holdout:
            train = len(origins)
        if train == 0:
            raise RnnkitError(
                f"series {key!r} has {n} values: too few to train on for horizon {h} "
                f"(it needs at least {2 * h + 2})"
            )
        scale = Scaling.fit(y[: first_val + 1] if self.holdout else y, None).scale
        windows = self._windows_of(y, origins, scale, codes)
        rows = np.arange(len(origins))
        return windows.take(rows[:train]), windows.take(rows[-n_val:]), scale

    @property
    def _keep_best(self) -> bool:
        return self.holdout

    @property
    def _anchor(self) -> int:
        """How many of the last values the windows are relative to (their mean)."""
        return max(1, min(self.anchor or self._panel.season, self._window_len))

    def _windows_of(
        self, y: np.ndarray, origins: np.ndarray, scale: float, codes: list[int]
    ) -> Windows:
        """The windows of one series ending at ``origins`` (left-padded with its first value,
        so that a series shorter than the window has some), with the series' codes."""
        pad = self._window_len - 1
        padded = np.concatenate([np.full(pad, y[0]), y])
        empty = np.zeros((len(padded), 0))
        windows = make_windows(
            padded, empty, origins + pad, self._window_len, self._outputs, scale, self._anchor
        )
        return replace(windows, codes=torch.tensor([codes] * len(origins), dtype=torch.long))

    def _categories(self, panel: Panel) -> tuple[list[int], list[int]]:
        """Levels of the series id and of each static column, and their embedding widths."""
        levels = [len(panel), *(len(set(v)) for v in panel.static.values())]
        ids = self.embed_size or embedding_size(len(panel))
        return levels, [ids, *(embedding_size(n) for n in levels[1:])]

    @staticmethod
    def _codes(panel: Panel) -> list[list[int]]:
        """Each series' codes: its position, then the rank of each static value."""
        ranks = [{v: i for i, v in enumerate(sorted(set(vs)))} for vs in panel.static.values()]
        statics = list(panel.static.values())
        return [
            [i, *(r[vs[i]] for r, vs in zip(ranks, statics, strict=True))]
            for i in range(len(panel))
        ]

    def _saver(self, save: PanelSave | None, train: Windows, val: Windows) -> SaveFn | None:
        """The loop's save function: ``save`` with the model's state for the best weights."""
        if save is None:
            return None

        def write(best: dict[str, Tensor], tensors: dict[str, Tensor], meta: dict) -> None:
            net = copy.deepcopy(self.net)
            net.load_state_dict(best)
            stats = self._stats(LoopState.from_json(meta["loop"]), len(train), len(val))
            params = self._params(net, self._validation_sd(net, val, 1.0), stats)
            save(params, dict(best), tensors, meta)

        return write

    def _finish(self, trainer: Trainer, train: Windows, val: Windows) -> PanelRecurrent:
        self.stats = self._stats(trainer.state, len(train), len(val))
        self._sd = self._validation_sd(self.net, val, 1.0)  # scaled: times each series' scale
        return self

    # ----------------------------------------------------------------------------- forecasting
    @torch.inference_mode()
    def predict_panel(self, horizon: int) -> dict[str, Prediction]:
        if horizon > self.horizon:
            raise RnnkitError(
                f"this {self.cell} was trained to forecast {self.horizon} steps; refit it with "
                f"horizon={horizon}"
            )
        self.net.eval()
        series, codes = list(self._panel.series.values()), self._codes(self._panel)
        plain = [ts.values for ts in series]
        ends = [
            self._windows_of(
                np.concatenate([y, np.zeros(self._outputs)]),
                np.array([len(y) - 1]),
                self.scales[i],
                codes[i],
            )
            for i, y in enumerate(plain)
        ]
        # Sorting the quantiles undoes crossings of separately trained heads (as for one series).
        out = np.sort(_concat(ends).forecast(self.net).double().numpy(), axis=2)
        result = {}
        for i, key in enumerate(self._panel.series):
            scale = self.scales[i]
            level = plain[i][-self._anchor :].mean()
            values = {
                q: out[i, :horizon, j] * scale + level for j, q in enumerate(self.net.cfg.quantiles)
            }
            sd = np.asarray(self._sd[:horizon]) * scale
            result[key] = Prediction(values[0.5], sd, values)
        return result

    # ----------------------------------------------------------------------------- saving
    def _params(self, net: WindowNet, sd: list[float], stats: dict[str, Any]) -> dict[str, Any]:
        return {
            "net": net.cfg.__dict__,
            "scales": self.scales,
            "sd": sd,
            "stats": stats,
        }

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        return self._params(self.net, self._sd, self.stats), dict(self.net.state_dict())

    def restore_panel(
        self, panel: Panel, params: dict[str, Any], arrays: dict[str, Tensor]
    ) -> PanelRecurrent:
        cfg = self._load_net(params, arrays)
        self._panel, self._window_len = panel, cfg.window
        self.scales, self._sd, self.stats = params["scales"], params["sd"], params["stats"]
        return self


@dataclass
class PerSeries:
    """One single model (``name`` with ``options``) fitted to each series of a panel.

    Example:
        >>> import pandas as pd
        >>> from rnnkit.timeseries.panel import load_panel
        >>> days = pd.date_range("2024-01-01", periods=6, freq="D")
        >>> long = pd.DataFrame({"id": ["a"] * 6 + ["b"] * 6, "date": days.append(days),
        ...                      "y": [1.0, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1]})
        >>> model = PerSeries("drift", 2).fit_panel(load_panel(long, series="id"))
        >>> {k: p.mean.tolist() for k, p in model.predict_panel(2).items()}
        {'a': [7.0, 8.0], 'b': [0.0, -1.0]}
    """

    name: str
    horizon: int
    options: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict, init=False, repr=False)

    def fit_panel(self, panel: Panel, save: PanelSave | None = None) -> PerSeries:
        models = {}
        for key, ts in panel.series.items():
            try:
                models[key] = make(self.name, self.horizon, self.options).fit(ts)
            except RnnkitError as err:
                raise RnnkitError(f"series {key!r}: {err}") from None
        self.models = models
        return self

    def predict_panel(self, horizon: int) -> dict[str, Prediction]:
        return {key: model.predict(horizon, None) for key, model in self.models.items()}

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        params, arrays = [], {}
        for i, model in enumerate(self.models.values()):
            p, a = model.state()
            params.append(p)
            arrays.update({f"{i}.{k}": v for k, v in a.items()})
        return {"models": params}, arrays

    def restore_panel(
        self, panel: Panel, params: dict[str, Any], arrays: dict[str, Tensor]
    ) -> PerSeries:
        self.models = {}
        for i, (key, ts) in enumerate(panel.series.items()):
            own = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{i}.")}
            model = make(self.name, self.horizon, self.options)
            self.models[key] = model.restore(ts, params["models"][i], own)
        return self
