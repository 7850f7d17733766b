"""The single forecasting models by name: the classical ones and the recurrent ones (what
``auto`` chooses among; :mod:`rnnkit.timeseries.models` adds ``auto`` itself)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.timeseries.base import Model, check_options
from rnnkit.timeseries.classical import CLASSICAL
from rnnkit.timeseries.recurrent import RECURRENT

#: Name -> (class, preset options): ``lstm`` and ``gru`` are one class with two cells.
SINGLE: dict[str, tuple[type, dict[str, Any]]] = {**CLASSICAL, **RECURRENT}


def make_single(name: str, horizon: int, options: dict[str, Any] | None = None) -> Model:
    """A new, unfitted single model called ``name`` for forecasts up to ``horizon`` steps.

    Example:
        >>> make_single("ma", 3, {"window": 4}).window
        4
    """
    if name not in SINGLE:
        raise RnnkitError(f"unknown model {name!r} (models: {', '.join(SINGLE)})")
    options = dict(options or {})
    cls, preset = SINGLE[name]
    if "horizon" in {f.name for f in fields(cls)}:
        options["horizon"] = horizon
    model: Model = cls(**check_options(cls, name, options), **preset)
    return model
