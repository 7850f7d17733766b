"""Time series forecasting: the classical tools, recurrent forecasters, and honest backtests.

Example:
    >>> import pandas as pd
    >>> from rnnkit.timeseries import Forecaster
    >>> s = pd.Series(range(24), index=pd.date_range("2020-01-01", periods=24, freq="MS"))
    >>> Forecaster("drift", horizon=2).fit(s).predict().tolist()
    [24.0, 25.0]
"""

from rnnkit.timeseries.backtest import Backtest, backtest
from rnnkit.timeseries.data import TimeSeries, load_series
from rnnkit.timeseries.forecaster import Forecaster
from rnnkit.timeseries.metrics import evaluate, mae, mape, mase, rmse, smape
from rnnkit.timeseries.models import Prediction, model_names

__all__ = [
    "Backtest",
    "Forecaster",
    "Prediction",
    "TimeSeries",
    "backtest",
    "evaluate",
    "load_series",
    "mae",
    "mape",
    "mase",
    "model_names",
    "rmse",
    "smape",
]
