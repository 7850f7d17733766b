"""Rolling-origin evaluation: refit at several forecast origins, score only what came after.

For ``folds`` origins spaced ``step`` apart (default: the horizon, so test windows do not
overlap), ending ``horizon`` before the end of the series, each model is fitted on the values
*before* the origin only (at most ``max_train`` of them) and scored on the ``horizon`` steps
after it (see :mod:`rnnkit.timeseries.folds`); the leaderboard averages the folds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rnnkit.timeseries.base import Model
from rnnkit.timeseries.data import TimeSeries, load_series
from rnnkit.timeseries.folds import FoldResult, origins, run_folds
from rnnkit.timeseries.metrics import METRICS
from rnnkit.timeseries.models import make


@dataclass
class Backtest:
    """All folds of all models; :meth:`leaderboard` averages them.

    Example:
        >>> import numpy as np
        >>> ts = load_series(pd.Series(np.arange(40.0)))
        >>> bt = backtest(ts, ["naive", "drift"], horizon=4, folds=2)
        >>> bt.leaderboard()["mase"].round(3).to_dict()
        {'drift': 0.0, 'naive': 2.5}
    """

    series: TimeSeries
    horizon: int
    results: list[FoldResult] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per model and fold: origin, metrics, seconds and any error."""
        return pd.DataFrame(
            [
                {"model": r.model, "fold": r.fold, "origin": r.origin, **r.scores}
                | {"seconds": r.seconds, "error": r.error}
                for r in self.results
            ]
        )

    def leaderboard(self) -> pd.DataFrame:
        """Mean of each metric per model, best MASE first (failed folds count as missing)."""
        table = self.table()
        board = table.groupby("model")[[*METRICS, "seconds"]].mean()
        board["failed"] = table.groupby("model")["error"].apply(lambda e: int((e != "").sum()))
        return board.sort_values(["mase", "mae"], na_position="last")


def backtest(
    series: Any,
    models: Sequence[str] | dict[str, dict[str, Any]],
    horizon: int | None = None,
    folds: int = 3,
    step: int | None = None,
    max_train: int | None = None,
    data_dir: str | Path | None = None,
) -> Backtest:
    """Rolling-origin backtest of ``models`` (names, or names -> options) on ``series``
    (anything :func:`~rnnkit.timeseries.data.load_series` reads)."""
    ts = load_series(series, data_dir=data_dir)
    horizon = horizon or ts.default_horizon
    spec = {name: {} for name in models} if not isinstance(models, dict) else dict(models)
    starts = origins(len(ts), horizon, folds, step)
    result = Backtest(ts, horizon)
    for name, options in spec.items():
        make(name, horizon, options)  # a bad name or option is an error, not a failed fold

        def new_model(name: str = name, options: dict[str, Any] = options) -> Model:
            return make(name, horizon, options)

        result.results += run_folds(ts, new_model, horizon, starts, max_train, label=name)
    return result
