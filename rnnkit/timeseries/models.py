"""What every forecasting model provides, and the table of models by name.

A model is fitted on a :class:`~rnnkit.timeseries.data.TimeSeries` and forecasts a number of
steps after its end as a :class:`Prediction` (point forecast plus what intervals need). To be
saved in rnnkit's checkpoint format it returns its fitted parameters as JSON plus named arrays
(:meth:`Model.state`), and a model made with the same options is rebuilt from them and the
training series (:meth:`Model.restore`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np
from torch import Tensor

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.data import TimeSeries


@dataclass
class Prediction:
    """A forecast: the point values, and either per-step standard deviations (Gaussian
    intervals) or quantile forecasts by level.

    Example:
        >>> p = Prediction(np.array([10.0, 10.0]), sd=np.array([1.0, 2.0]))
        >>> p.interval(0.95)[1].round(2).tolist()
        [11.96, 13.92]
    """

    mean: np.ndarray
    sd: np.ndarray | None = None
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the central ``level`` interval (e.g. 0.8)."""
        if not 0.0 < level < 1.0:
            raise RnnkitError(f"the interval level must be between 0 and 1, got {level}")
        lo, hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
        found = {q: v for q, v in self.quantiles.items() if min(abs(q - lo), abs(q - hi)) < 1e-9}
        if len(found) == 2:
            return found[min(found)], found[max(found)]
        if self.sd is None:
            levels = sorted({round(abs(2 * q - 1), 6) for q in self.quantiles if q != 0.5})
            raise RnnkitError(
                f"this model gives no {level:g} interval (trained quantile levels: {levels})"
            )
        z = NormalDist().inv_cdf(hi)
        return self.mean - z * self.sd, self.mean + z * self.sd


class Model(Protocol):
    """A forecasting model as the Forecaster, the backtest and ``auto`` drive it."""

    name: str

    def fit(self, ts: TimeSeries) -> Model: ...

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        """Forecast ``horizon`` steps; ``future`` holds the covariates of those steps."""
        ...

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        """The fitted parameters: JSON-ready values and named arrays."""
        ...

    def restore(self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]) -> Model:
        """Become the model :meth:`state` described, fitted on ``ts`` (no re-optimisation)."""
        ...


def model_names() -> list[str]:
    """Every model name ``make`` accepts.

    Example:
        >>> "ets" in model_names() and "lstm" in model_names()
        True
    """
    return [*_classes(), "auto"]


def make(name: str, horizon: int, options: dict[str, Any] | None = None) -> Model:
    """A new, unfitted model called ``name`` for forecasts up to ``horizon`` steps."""
    options = dict(options or {})
    if name == "auto":
        # Imported here: auto builds its candidates with this very function.
        from rnnkit.timeseries.auto import AutoModel

        return AutoModel(horizon=horizon, **_checked(AutoModel, name, options))
    classes = _classes()
    if name not in classes:
        raise RnnkitError(f"unknown model {name!r} (models: {', '.join(model_names())})")
    cls, preset = classes[name]
    if "horizon" in {f.name for f in fields(cls)}:
        options["horizon"] = horizon
    model: Model = cls(**_checked(cls, name, options), **preset)
    return model


def _checked(cls: type, name: str, options: dict[str, Any]) -> dict[str, Any]:
    assert is_dataclass(cls)
    known = {f.name for f in fields(cls) if f.init} - {"cell"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise RnnkitError(
            f"unknown option(s) for model {name}: {', '.join(unknown)} "
            f"(options: {', '.join(sorted(known - {'horizon'})) or 'none'})"
        )
    return options


def _classes() -> dict[str, tuple[type, dict[str, Any]]]:
    """Name -> (class, preset options): ``lstm`` and ``gru`` are one class with two cells."""
    from rnnkit.timeseries.classical import CLASSICAL
    from rnnkit.timeseries.recurrent import RECURRENT

    return {**CLASSICAL, **RECURRENT}
