"""The table of forecasting models by name: every single model, and ``auto``.

Example:
    >>> make("auto", 3, {"candidates": ["naive", "drift"]}).candidates
    ['naive', 'drift']
"""

from __future__ import annotations

from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.auto import AutoModel
from rnnkit.timeseries.base import Model, check_options
from rnnkit.timeseries.single import SINGLE, make_single


def model_names() -> list[str]:
    """Every model name ``make`` accepts.

    Example:
        >>> "ets" in model_names() and "lstm" in model_names()
        True
    """
    return [*SINGLE, "auto"]


def make(name: str, horizon: int, options: dict[str, Any] | None = None) -> Model:
    """A new, unfitted model called ``name`` for forecasts up to ``horizon`` steps."""
    if name not in model_names():
        raise RnnkitError(f"unknown model {name!r} (models: {', '.join(model_names())})")
    if name == "auto":
        return AutoModel(horizon=horizon, **check_options(AutoModel, name, dict(options or {})))
    return make_single(name, horizon, options)
