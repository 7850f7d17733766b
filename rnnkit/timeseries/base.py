"""What every forecasting model is: the :class:`Prediction` it makes and the :class:`Model`
protocol it follows. This module imports nothing of rnnkit but its errors, so that every model
module, the table of models and the forecaster can import it without a cycle.

A model is fitted on a :class:`~rnnkit.timeseries.data.TimeSeries` and forecasts a number of
steps after its end as a :class:`Prediction` (point forecast plus what intervals need). To be
saved in rnnkit's checkpoint format it returns its fitted parameters as JSON plus named arrays
(:meth:`Model.state`), and a model made with the same options is rebuilt from them and the
training series (:meth:`Model.restore`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rnnkit.errors import RnnkitError

if TYPE_CHECKING:
    from torch import Tensor

    from rnnkit.timeseries.data import TimeSeries

#: What :func:`~rnnkit.timeseries.data.load_series` may do with missing values.
MISSING_POLICIES = ("interpolate", "ffill", "error")


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


def check_options(cls: type, name: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` if every one is a field of the model dataclass ``cls`` (called ``name``);
    else a one-line error listing the options it has.

    Example:
        >>> @dataclass
        ... class Toy:
        ...     window: int = 3
        >>> check_options(Toy, "toy", {"colour": 1})
        Traceback (most recent call last):
        ...
        rnnkit.errors.RnnkitError: unknown option(s) for model toy: colour (options: window)
    """
    assert is_dataclass(cls)
    known = {f.name for f in fields(cls) if f.init} - {"cell"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise RnnkitError(
            f"unknown option(s) for model {name}: {', '.join(unknown)} "
            f"(options: {', '.join(sorted(known - {'horizon'})) or 'none'})"
        )
    return options
