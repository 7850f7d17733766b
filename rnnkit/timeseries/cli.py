"""``rnnkit forecast`` and ``rnnkit backtest``: time series from the command line.

Both are rows of the verb table (:mod:`rnnkit.cli.verbs`); the ``rnnkit`` group turns every
:class:`~rnnkit.errors.RnnkitError` into one ``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rnnkit.core.options import DATA_DIR, JSON, out_option, source_argument
from rnnkit.errors import RnnkitError
from rnnkit.timeseries.data import MISSING_POLICIES

F = Callable[..., Any]

_SERIES_OPTIONS = (
    click.option("--value", help="Column to forecast [default: the first numeric column]."),
    click.option("--date", help="Date column [default: a column named like a date]."),
    click.option(
        "--covariate",
        "covariates",
        multiple=True,
        help="A covariate column known in advance (repeatable); needs --future to forecast.",
    ),
    click.option("--freq", help="Resample to this pandas frequency (mean), e.g. D, W, MS, h."),
    click.option("--season", type=int, help="Season length [default: from the frequency]."),
    click.option(
        "--missing",
        type=click.Choice(MISSING_POLICIES),
        default="ffill",
        show_default=True,
        help="Missing values inside the series: carry forward (no look-ahead), interpolate "
        "(reads the next value), or refuse.",
    ),
    DATA_DIR,
    click.option("--horizon", type=int, help="Steps to forecast [default: by frequency]."),
    click.option(
        "--series",
        help="Column naming each row's series: DATA is a panel of many series (one global "
        "network for lstm / gru, other models fitted per series).",
    ),
    click.option(
        "--static",
        multiple=True,
        help="[panel] A categorical column fixed within each series (repeatable), embedded by "
        "the global network.",
    ),
)


def _series_options(f: F) -> F:
    for option in reversed(_SERIES_OPTIONS):
        f = option(f)
    return f


def _read(
    data: str, data_dir: Path | None, series: str | None, static: tuple[str, ...], **how: Any
) -> Any:
    """A :class:`~rnnkit.timeseries.panel.Panel` with ``series``, else one series."""
    if series is None:
        if static:
            raise RnnkitError("--static is for a panel: give --series too")
        from rnnkit.timeseries.data import load_series

        return load_series(data, data_dir=data_dir, **how)
    if how.pop("covariates"):
        raise RnnkitError("a forecaster over a panel takes no --covariate (yet)")
    from rnnkit.timeseries.panel import load_panel

    return load_panel(data, series=series, static=static, data_dir=data_dir, **how)


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` model options; VALUE is read as JSON when it can be (numbers, lists)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise RnnkitError(f"a model option must look like KEY=VALUE, got {pair!r}")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


@click.command()
@source_argument("data", required=False)
@click.option("--model", default="auto", show_default=True, help="auto, ets, ols, lstm, ...")
@click.option("-o", "--option", "pairs", multiple=True, help="Model option KEY=VALUE.")
@_series_options
@click.option(
    "--interval", type=float, default=0.8, show_default=True, help="Prediction interval level."
)
@click.option("--future", type=click.Path(path_type=Path), help="CSV of future covariates.")
@out_option(
    "the forecaster (reuse it with --load), forecast.csv and forecast.png", "none: print only"
)
@click.option("--load", type=click.Path(path_type=Path), help="Use a saved forecaster.")
@click.option("--plot-series", help="[panel] The series forecast.png shows [default: the first].")
def forecast(
    data: str | None,
    model: str,
    pairs: tuple[str, ...],
    interval: float,
    future: Path | None,
    out_dir: Path | None,
    load: Path | None,
    plot_series: str | None,
    horizon: int | None,
    data_dir: Path | None,
    **how: Any,
) -> None:
    """Fit a model on DATA (a CSV file with a date and a value column, or a registered series,
    see `rnnkit data list`) and print the next --horizon values with an --interval prediction
    interval, as CSV. With --out DIR, also save the forecaster, the CSV and a plot there.

    With --series COLUMN, DATA is a long table of many series (e.g. us_employment --series
    Series_ID): the CSV has one block of rows per series.

    With --load, forecast from a saved forecaster instead (no DATA)."""
    from rnnkit.timeseries import Forecaster

    if (data is None) == (load is None):
        raise RnnkitError("give either DATA to fit on or --load FOLDER, not both or neither")
    if load is not None:
        f = Forecaster.load(load)
    else:
        assert data is not None
        ts = _read(data, data_dir, **how)
        f = Forecaster(model, horizon=horizon, **_options(pairs)).fit(ts)
    panel = f.panel_ is not None
    if plot_series is not None and not panel:
        raise RnnkitError("--plot-series is for a forecaster over a panel (--series)")
    covariates = _future_covariates(future)
    table = f.predict(horizon, covariates, interval)
    as_csv = {"index": False} if panel else {"index_label": "date"}
    click.echo(table.to_csv(**as_csv), nl=False)
    if out_dir is not None:
        plot = {"series": plot_series} if panel else {}
        _save(f, table, out_dir, as_csv, (horizon, covariates, interval), plot)


def _save(
    f: Any,
    table: Any,
    out_dir: Path,
    as_csv: dict[str, Any],
    forecast: tuple[Any, ...],
    plot: dict[str, Any],
) -> None:
    """The forecaster, forecast.csv and forecast.png (drawn for the ``forecast`` arguments) in
    ``out_dir``; the forecaster first, as its folder is swapped in whole (keeping other files)."""
    from rnnkit.core.files import atomic_file

    f.save(out_dir)
    with atomic_file(out_dir / "forecast.csv", "w") as fh:
        table.to_csv(fh, **as_csv)
    f.plot(out_dir / "forecast.png", *forecast, **plot)
    click.echo(f"saved: {out_dir}", err=True)


def _future_covariates(path: Path | None) -> Any:
    if path is None:
        return None
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise RnnkitError(f"{path} is not a readable CSV file ({err})") from None


@click.command()
@source_argument("data")
@click.option(
    "--models",
    default="naive,snaive,ewm,ets,ols,lstm,auto",
    show_default=True,
    help="Comma-separated models to compare.",
)
@click.option("--folds", type=int, default=3, show_default=True, help="Forecast origins.")
@click.option("--step", type=int, help="Steps between origins [default: the horizon].")
@click.option("--max-train", type=int, help="Fit each fold on at most this many values.")
@JSON
@_series_options
def backtest(
    data: str,
    models: str,
    folds: int,
    step: int | None,
    max_train: int | None,
    as_json: bool,
    horizon: int | None,
    data_dir: Path | None,
    **how: Any,
) -> None:
    """Rolling-origin backtest of --models on DATA; prints a leaderboard (mean MAE, RMSE, MAPE,
    sMAPE and MASE over the folds, best MASE first).

    With --series COLUMN, over every series of a panel: lstm / gru as one global network per
    fold, the other models per series; the leaderboard averages over series and folds."""
    from rnnkit.timeseries import backtest as run_backtest

    ts = _read(data, data_dir, **how)
    names = [m.strip() for m in models.split(",") if m.strip()]
    if how["series"] is not None:
        _backtest_panel(ts, names, horizon, folds, step, max_train, as_json)
        return
    result = run_backtest(ts, names, horizon, folds, step, max_train)
    described = f"{ts.y.name}: {len(ts)} {ts.frequency} values"
    _report(
        result, f"{described}, horizon {result.horizon}, {folds} folds, season {ts.season}", as_json
    )


def _report(result: Any, header: str, as_json: bool) -> None:
    """A backtest's table as JSON, or ``header`` and its leaderboard."""
    if as_json:
        click.echo(result.table().to_json(orient="records", date_format="iso", indent=2))
        return
    click.echo(header)
    click.echo(result.leaderboard().round(4).to_string())


def _backtest_panel(
    panel: Any,
    names: list[str],
    horizon: int | None,
    folds: int,
    step: int | None,
    max_train: int | None,
    as_json: bool,
) -> None:
    from rnnkit.timeseries.panel_backtests import backtest_panel

    if max_train is not None:
        raise RnnkitError("--max-train is for one series; a panel's folds train on all the past")
    result = backtest_panel(panel, names, horizon, folds, step)
    described = f"{len(panel)} {panel.frequency} series by {panel.column}"
    header = f"{described}, horizon {result.horizon}, {folds} folds, season {panel.season}"
    _report(result, header, as_json)
