"""``auto``: choose models by a backtest on the training data, and average the best few.

Within the series given to ``fit`` (never beyond it), each candidate is scored by an inner
rolling-origin backtest over the last ``folds`` horizons; the ``ensemble`` candidates with the
lowest mean MASE are refitted on the whole series and their forecasts averaged (``ensemble=1``
picks the single best). A candidate that cannot fit the series (too short for its season or
window) is left out, and the reason kept in :meth:`AutoModel.state`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from torch import Tensor

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model, Prediction
from rnnkit.timeseries.data import TimeSeries
from rnnkit.timeseries.folds import MIN_TRAIN, origins, run_folds
from rnnkit.timeseries.single import make_single

CANDIDATES = ("naive", "snaive", "drift", "ewm", "holt_winters", "ets", "ols", "lstm")


@dataclass
class AutoModel:
    """Selection (or an ensemble of the best) by validation MASE on the training series.

    Example:
        >>> import pandas as pd
        >>> from rnnkit.timeseries.data import load_series
        >>> ts = load_series(pd.Series(np.arange(30.0)))
        >>> auto = AutoModel(horizon=3, candidates=["naive", "drift"], ensemble=1).fit(ts)
        >>> auto.members_, auto.predict(2, None).mean
        (['drift'], array([30., 31.]))
    """

    horizon: int = 1
    candidates: list[str] | tuple[str, ...] = CANDIDATES
    ensemble: int = 3
    folds: int = 2
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    name = "auto"

    def fit(self, ts: TimeSeries) -> AutoModel:
        if self.ensemble < 1:
            raise RnnkitError(f"ensemble must be at least 1, got {self.ensemble}")
        self.scores_, self.failed_ = self._validate(ts)
        ranked = sorted(self.scores_, key=self.scores_.__getitem__)
        self.members_ = ranked[: self.ensemble]
        self._models = [self._new(name).fit(ts) for name in self.members_]
        return self

    def _candidates(self, ts: TimeSeries) -> list[str]:
        # With no season, seasonal naive is the naive forecast: score it once.
        return [c for c in self.candidates if not (c == "snaive" and ts.season == 1)]

    def _new(self, name: str) -> Model:
        return make_single(name, self.horizon, self.options.get(name))

    def _validate(self, ts: TimeSeries) -> tuple[dict[str, float], dict[str, str]]:
        folds = min(self.folds, (len(ts) - MIN_TRAIN) // self.horizon)
        if folds < 1:
            raise RnnkitError(
                f"auto needs more than {self.horizon + MIN_TRAIN} observations to validate a "
                f"horizon of {self.horizon}, got {len(ts)}"
            )
        starts = origins(len(ts), self.horizon, folds)
        scores: dict[str, float] = {}
        failed: dict[str, str] = {}
        for name in self._candidates(ts):
            results = run_folds(ts, partial(self._new, name), self.horizon, starts)
            errors = [r.error for r in results if r.error]
            mase = float(np.mean([r.scores["mase"] for r in results]))
            if errors or not math.isfinite(mase):
                failed[name] = errors[0] if errors else "no finite validation MASE"
            else:
                scores[name] = mase
        if not scores:
            raise RnnkitError(f"no candidate model could be validated: {failed}")
        return scores, failed

    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        preds = [m.predict(horizon, future) for m in self._models]
        mean = np.mean([p.mean for p in preds], axis=0)
        sds = [p.sd for p in preds if p.sd is not None]
        # Averaging the members' spreads is conservative (it ignores that their errors partly
        # cancel), which suits an interval.
        sd = np.mean(sds, axis=0) if len(sds) == len(preds) else None
        return Prediction(mean, sd)

    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        members, arrays = [], {}
        for i, (name, model) in enumerate(zip(self.members_, self._models, strict=True)):
            params, tensors = model.state()
            members.append({"name": name, "params": params})
            arrays.update({f"m{i}.{k}": v for k, v in tensors.items()})
        return {"scores": self.scores_, "failed": self.failed_, "members": members}, arrays

    def restore(
        self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]
    ) -> AutoModel:
        self.scores_, self.failed_ = params["scores"], params["failed"]
        self.members_ = [m["name"] for m in params["members"]]
        self._models = []
        for i, member in enumerate(params["members"]):
            own = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"m{i}.")}
            self._models.append(self._new(member["name"]).restore(ts, member["params"], own))
        return self
