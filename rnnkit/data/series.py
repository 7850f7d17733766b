"""Readers for the catalogued time series (see :mod:`rnnkit.data.catalog`).

Each returns a DataFrame whose first column is the usual forecasting target; the others can be
used as the target (``value=``) or as covariates. The statsmodels sets ship inside the
statsmodels wheel (no download); the others are CSV files from the mirror or cache.
:func:`~rnnkit.timeseries.data.load_series` then makes them regular and fills their gaps.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from rnnkit.data.textio import read_text
from rnnkit.errors import RnnkitError, one_line


def _statsmodels(name: str) -> pd.DataFrame:
    data: pd.DataFrame = importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data
    return data


def _yearly(frame: pd.DataFrame, year: str) -> pd.DataFrame:
    dates = pd.to_datetime(frame[year].astype(int).astype(str), format="%Y")
    return frame.drop(columns=[year]).set_index(pd.DatetimeIndex(dates, name="year"))


def _co2(paths: list[Path]) -> pd.DataFrame:
    return _statsmodels("co2")  # weekly (Saturdays) with gaps as NaN


def _sunspots(paths: list[Path]) -> pd.DataFrame:
    return _yearly(_statsmodels("sunspots"), "YEAR")


def _nile(paths: list[Path]) -> pd.DataFrame:
    return _yearly(_statsmodels("nile"), "year")


def _elec_equip(paths: list[Path]) -> pd.DataFrame:
    frame = _statsmodels("elec_equip")
    return frame.set_axis(["elec_equip"], axis=1)


def _macrodata(paths: list[Path]) -> pd.DataFrame:
    frame = _statsmodels("macrodata")
    quarters = pd.PeriodIndex.from_fields(
        year=frame["year"].astype(int), quarter=frame["quarter"].astype(int), freq="Q"
    )
    index = pd.DatetimeIndex(quarters.to_timestamp(), name="quarter")
    return frame.drop(columns=["year", "quarter"]).set_index(index)


def read_csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """The CSV file ``path`` (gzipped or not, read as :mod:`rnnkit.data.textio` reads text) as
    a DataFrame; a file pandas cannot parse is a one-line error.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "s.csv"
        >>> _ = path.write_text("day,sales\\r\\n2024-01-01,3\\r\\n")
        >>> read_csv(path).to_dict("list")
        {'day': ['2024-01-01'], 'sales': [3]}
    """
    try:
        return pd.read_csv(io.StringIO(read_text(path, encoding)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RnnkitError(f"{path} is not a readable CSV file ({one_line(err)})") from None


def _csv(first: str | None = None) -> Callable[[list[Path]], pd.DataFrame]:
    """Read the one CSV file (gzipped or not), moving column ``first`` to the front."""

    def read(paths: list[Path]) -> pd.DataFrame:
        frame = read_csv(paths[0])
        if first is None:
            return frame
        return frame[[first, *(c for c in frame.columns if c != first)]]

    return read


READERS: dict[str, Callable[[list[Path]], pd.DataFrame]] = {
    "co2": _co2,
    "sunspots": _sunspots,
    "nile": _nile,
    "elec_equip": _elec_equip,
    "macrodata": _macrodata,
    "milk": _csv(),
    "melbourne_temp": _csv(),
    "us_gasoline": _csv(),
    "gas_furnace": _csv(first="CO2%"),
    "ice_cream_heater": _csv(),
    "ili": _csv(),
    "etth1": _csv(first="OT"),
    "us_employment": _csv(),  # panels: long tables, one row per series and date
    "visnights": _csv(),
}


def read(key: str, paths: list[Path]) -> pd.DataFrame:
    """The frame of registered series ``key`` from its local files ``paths``."""
    return READERS[key](paths)
