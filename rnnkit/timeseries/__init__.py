"""Time series forecasting: the classical tools, recurrent forecasters, and honest backtests.

The names below load on first use, so that importing one module of the package (the command
line's options, say) does not import torch, pandas and statsmodels with all the others. (The
module defining :func:`backtest` is ``backtests``: a submodule called ``backtest`` would take
the function's place in this namespace once imported.)

Example:
    >>> import pandas as pd
    >>> from rnnkit.timeseries import Forecaster
    >>> s = pd.Series(range(24), index=pd.date_range("2020-01-01", periods=24, freq="MS"))
    >>> Forecaster("drift", horizon=2).fit(s).predict().tolist()
    [24.0, 25.0]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rnnkit.timeseries.backtests import Backtest, backtest
    from rnnkit.timeseries.base import Prediction
    from rnnkit.timeseries.data import TimeSeries, load_series
    from rnnkit.timeseries.forecaster import Forecaster
    from rnnkit.timeseries.metrics import evaluate, mae, mape, mase, rmse, smape
    from rnnkit.timeseries.models import model_names
    from rnnkit.timeseries.panel import Panel, load_panel
    from rnnkit.timeseries.panel_backtests import PanelBacktest, backtest_panel

#: Public names by the module that defines each.
_LAZY = {
    "Backtest": "backtests",
    "backtest": "backtests",
    "Prediction": "base",
    "TimeSeries": "data",
    "load_series": "data",
    "Forecaster": "forecaster",
    "evaluate": "metrics",
    "mae": "metrics",
    "mape": "metrics",
    "mase": "metrics",
    "rmse": "metrics",
    "smape": "metrics",
    "model_names": "models",
    "Panel": "panel",
    "load_panel": "panel",
    "PanelBacktest": "panel_backtests",
    "backtest_panel": "panel_backtests",
}
__all__ = [
    "Backtest",
    "Forecaster",
    "Panel",
    "PanelBacktest",
    "Prediction",
    "TimeSeries",
    "backtest",
    "backtest_panel",
    "evaluate",
    "load_panel",
    "load_series",
    "mae",
    "mape",
    "mase",
    "model_names",
    "rmse",
    "smape",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"rnnkit.timeseries.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rnnkit.timeseries' has no attribute {name!r}")
