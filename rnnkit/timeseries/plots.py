"""A forecast picture: recent history, the forecast, its interval, and the actual values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_forecast(
    history: pd.Series,
    forecast: pd.DataFrame,
    path: str | Path,
    title: str = "",
    actual: pd.Series | None = None,
) -> Path:
    """Draw ``history``, ``forecast["forecast"]`` with the band between ``lower`` and ``upper``,
    and ``actual`` if given, to the PNG ``path``; returns it.

    Example:
        >>> import tempfile
        >>> h = pd.Series([1.0, 2.0, 3.0])
        >>> f = pd.DataFrame({"forecast": [4.0], "lower": [3.0], "upper": [5.0]}, index=[3])
        >>> plot_forecast(h, f, tempfile.mkdtemp() + "/f.png").suffix
        '.png'
    """
    from rnnkit.core.figures import new_figure, save_png

    fig = new_figure(8, 4)
    ax = fig.subplots()
    ax.plot(history.index, history.to_numpy(), color="black", lw=1.2, label="history")
    ax.fill_between(
        forecast.index,
        forecast["lower"].to_numpy(),
        forecast["upper"].to_numpy(),
        color="tab:blue",
        alpha=0.25,
        label="interval",
    )
    ax.plot(
        forecast.index, forecast["forecast"].to_numpy(), color="tab:blue", lw=1.5, label="forecast"
    )
    if actual is not None:
        ax.plot(actual.index, actual.to_numpy(), color="tab:orange", lw=1.2, label="actual")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    return save_png(fig, path, dpi=110)
