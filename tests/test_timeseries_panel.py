"""Forecasting many series at once (issue 20, part 2): the panel reader, one global recurrent
network over every series, per-series classical models, save / load / resume, panel backtests,
the long output and bad inputs. Small synthetic panels with known answers; the registered
panels are read only where the shared data mirror exists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import interrupt_at
from rnnkit.cli import cli
from rnnkit.core import checkpoint
from rnnkit.errors import RnnkitError
from rnnkit.timeseries import Forecaster, backtest, backtest_panel, load_panel
from rnnkit.timeseries.global_model import PanelRecurrent
from rnnkit.timeseries.recurrent import WindowLearner, make_windows

SHARED = Path("/work/shared/data")
#: A global network small enough to train in a second or two.
TINY = {"steps": 120, "hidden_size": 8, "batch_size": 16, "lr": 1e-2}
N, H = 100, 6


def _long(
    series: dict[str, np.ndarray], start: str = "2020-01-01", **static: list[str]
) -> pd.DataFrame:
    """A long table: one block of daily rows per series (each may have its own start)."""
    rows = []
    for i, (key, y) in enumerate(series.items()):
        dates = pd.date_range(start, periods=len(y), freq="D")
        block = pd.DataFrame({"sid": key, "date": dates, "y": y})
        for column, values in static.items():
            block[column] = values[i]
        rows.append(block)
    return pd.concat(rows, ignore_index=True)


def _seasons(n: int = N + H) -> dict[str, np.ndarray]:
    """Two series of the same level and amplitude, one of period 4 and one of period 6."""
    t = np.arange(n)
    return {"four": 10 + 3 * np.sin(2 * np.pi * t / 4), "six": 10 + 3 * np.sin(2 * np.pi * t / 6)}


def test_one_network_forecasts_each_series_with_its_own_season() -> None:
    truth = _seasons()
    panel = _long({k: y[:N] for k, y in truth.items()})
    f = Forecaster("lstm", horizon=H, **TINY).fit(panel, series="sid")
    assert isinstance(f.panel_model_, PanelRecurrent)  # one network, not one per series
    out = f.predict()
    for key, other in (("four", "six"), ("six", "four")):
        forecast = out[out["sid"] == key]["forecast"].to_numpy()
        own = np.abs(forecast - truth[key][N:]).mean()
        swapped = np.abs(forecast - truth[other][N:]).mean()
        assert own < 0.3 and own < swapped / 5, (key, own, swapped)


def test_the_long_output_follows_each_series_to_its_own_end() -> None:
    t = np.arange(40.0)
    table = pd.concat(
        [_long({"a": t}), _long({"b": 2 * t[:30]}, start="2020-01-05")], ignore_index=True
    )
    table = table.rename(columns={"sid": "shop"}).sample(frac=1.0, random_state=0)  # any order
    f = Forecaster("drift", horizon=3).fit(table, series="shop")
    out = f.predict(level=0.9)
    assert out.columns.tolist() == ["shop", "date", "forecast", "lower", "upper"]
    assert out["shop"].tolist() == ["a"] * 3 + ["b"] * 3 and len(f.predict(2)) == 4
    assert out["date"].iloc[0] == pd.Timestamp("2020-02-10")  # a: 40 days from 2020-01-01
    assert out["date"].iloc[3] == pd.Timestamp("2020-02-04")  # b: 30 days from 2020-01-05
    np.testing.assert_allclose(out["forecast"], [40, 41, 42, 60, 62, 64])
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()


@pytest.mark.parametrize("name", ["lstm", "ets"])
def test_save_load_gives_identical_forecasts(name: str, tmp_path: Path) -> None:
    options = {**TINY, "steps": 20} if name == "lstm" else {}
    table = _long({k: y[:N] for k, y in _seasons().items()}, sector=["x", "y"])
    f = Forecaster(name, horizon=H, **options).fit(table, series="sid", static=["sector"])
    f.save(tmp_path / "f")
    g = Forecaster.load(tmp_path / "f")
    pd.testing.assert_frame_equal(f.predict(level=0.8), g.predict(level=0.8))
    config = json.loads((tmp_path / "f" / "config.json").read_text())
    assert config["kind"] == "forecaster" and config["panel"]["ids"] == ["four", "six"]
    assert config["panel"]["static"] == {"sector": ["x", "y"]}
    assert g.info()["panel"]["column"] == "sid"
    g.plot(tmp_path / "six.png", series="six")
    assert (tmp_path / "six.png").stat().st_size > 0


def test_static_columns_get_embeddings() -> None:
    t = np.arange(60.0)
    series = {k: t * (i + 1) for i, k in enumerate("abc")}
    table = _long(series, sector=["x", "x", "y"])
    f = Forecaster("gru", horizon=2, steps=4, hidden_size=4).fit(
        table, series="sid", static=["sector"]
    )
    net = f.info()["params"]["net"]
    assert net["cell"] == "gru" and net["categories"] == [3, 2]  # three ids, two sectors


def test_ctrl_c_then_resume_equals_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _long({k: y[:N] for k, y in _seasons().items()})
    options = {**TINY, "steps": 24}
    whole = Forecaster("lstm", horizon=H, **options).fit(
        table, series="sid", out_dir=tmp_path / "w"
    )
    with monkeypatch.context() as m:
        interrupt_at(m, WindowLearner, at_step=12)
        with pytest.raises(KeyboardInterrupt):
            Forecaster("lstm", horizon=H, **options).fit(
                table, series="sid", out_dir=tmp_path / "h"
            )
    assert checkpoint.load(tmp_path / "h").config["params"]["stats"]["steps"] == 12
    resumed = Forecaster.resume(tmp_path / "h")
    pd.testing.assert_frame_equal(resumed.predict(level=0.8), whole.predict(level=0.8))
    saved = Forecaster.load(tmp_path / "h")
    pd.testing.assert_frame_equal(saved.predict(), whole.predict())
    assert saved.info()["params"]["stats"]["steps"] == 24


def test_resume_with_a_new_budget_after_save(tmp_path: Path) -> None:
    table = _long({k: y[:N] for k, y in _seasons().items()})
    f = Forecaster("lstm", horizon=H, **{**TINY, "steps": 10}).fit(table, series="sid")
    f.save(tmp_path / "f")  # keeps the latest training state beside the best weights
    more = Forecaster.resume(tmp_path / "f", steps=16)
    assert more.info()["params"]["stats"]["steps"] == 16
    assert checkpoint.load(tmp_path / "f").config["options"]["steps"] == 16
    Forecaster("ets", horizon=H).fit(table, series="sid").save(tmp_path / "ets")
    with pytest.raises(RnnkitError, match="only a global lstm / gru over a panel"):
        Forecaster.resume(tmp_path / "ets")


def test_panel_backtest_scores_every_series_and_fold_without_the_future() -> None:
    table = _long({k: y[:N] for k, y in _seasons().items()})
    seen: list[dict[str, int]] = []
    original = PanelRecurrent.fit_panel

    def spy(self: PanelRecurrent, panel, save=None):  # type: ignore[no-untyped-def]
        seen.append({k: len(ts) for k, ts in panel.series.items()})
        return original(self, panel, save)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(PanelRecurrent, "fit_panel", spy)
        bt = backtest_panel(
            table, {"snaive": {}, "lstm": {**TINY, "steps": 30}}, horizon=H, folds=2, series="sid"
        )
    assert seen == [{"four": N - 2 * H, "six": N - 2 * H}, {"four": N - H, "six": N - H}]
    table_ = bt.table()
    assert len(table_) == 2 * 2 * 2 and set(table_["series"]) == {"four", "six"}
    one = backtest(load_panel(table, series="sid").get("six"), ["snaive"], horizon=H, folds=2)
    mine = table_[(table_["model"] == "snaive") & (table_["series"] == "six")]
    np.testing.assert_allclose(mine["mase"], one.table()["mase"])  # as on the one series
    board = bt.leaderboard()
    assert board.loc["lstm", "seconds"] > 0 and np.isfinite(board["mase"]).all()
    assert set(bt.by_series().columns) == {"snaive", "lstm"} and (board["failed"] == 0).all()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t: load_panel(t, series="nope"), "no column 'nope'"),
        (lambda t: load_panel(t, series="sid", static=["odd"]), "one value per series"),
        (lambda t: load_panel(t, series="sid", value="nope"), "series 'four': no column 'nope'"),
        (lambda t: Forecaster("ets").fit(t, series="sid", covariates=["y"]), "no covariates"),
        (lambda t: Forecaster("ets", embed_size=3), "embed_size is an option of the global"),
        (lambda t: Forecaster("lstm", horizon=80, steps=2).fit(t, series="sid"), "too few"),
        (lambda t: Forecaster("lstm", per_series=True, colour=1), "unknown option"),
        (lambda t: Forecaster("ets").fit(t, static=["sid"]), "give series= too"),
        (lambda t: backtest_panel(t, ["naive"], horizon=40, folds=3, series="sid"), "too short"),
        (
            lambda t: Forecaster("naive", horizon=2).fit(t, series="sid").plot("x.png", series="z"),
            "no series 'z'",
        ),
    ],
)
def test_bad_inputs_are_one_line_errors(call, match: str) -> None:  # type: ignore[no-untyped-def]
    table = _long({k: y[:N] for k, y in _seasons().items()})
    table["odd"] = np.arange(len(table)) % 2
    with pytest.raises(RnnkitError, match=match) as err:
        call(table)
    assert "\n" not in str(err.value)


def test_series_of_different_frequencies_are_refused() -> None:
    daily = _long({"a": np.arange(20.0)})
    monthly = pd.DataFrame(
        {"sid": "b", "date": pd.date_range("2020-01-01", periods=20, freq="MS"), "y": 1.0}
    )
    with pytest.raises(RnnkitError, match="different frequencies"):
        load_panel(pd.concat([daily, monthly]), series="sid")


def test_the_command_line_forecasts_and_backtests_a_panel(tmp_path: Path) -> None:
    csv = tmp_path / "panel.csv"
    _long({k: y[:N] for k, y in _seasons().items()}).to_csv(csv, index=False)
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["forecast", str(csv), "--series", "sid", "--model", "snaive", "--horizon", "3"]
    result = runner.invoke(cli, [*args, "--out", str(out), "--plot-series", "six"])
    assert result.exit_code == 0, result.output
    printed = pd.read_csv(out / "forecast.csv")
    assert printed.columns.tolist() == ["sid", "date", "forecast", "lower", "upper"]
    assert len(printed) == 6 and (out / "forecast.png").is_file()
    again = runner.invoke(cli, ["forecast", "--load", str(out), "--horizon", "2"])
    assert again.exit_code == 0 and len(again.output.strip().splitlines()) == 1 + 4
    bt = runner.invoke(
        cli,
        [
            "backtest",
            str(csv),
            "--series",
            "sid",
            "--models",
            "naive,snaive",
            "--horizon",
            "3",
            "--folds",
            "2",
        ],
    )
    assert bt.exit_code == 0 and "2 daily series by sid" in bt.output and "snaive" in bt.output
    bad = runner.invoke(cli, ["forecast", str(csv), "--series", "sid", "--covariate", "y"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_registered_panels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNKIT_DATA", str(SHARED))
    visnights = load_panel("visnights", series="region")
    assert len(visnights) == 20 and visnights.frequency == "quarterly"
    assert {len(ts) for ts in visnights.series.values()} == {76}
    employment = load_panel("us_employment", series="Series_ID", static=["Title"])
    lengths = [len(ts) for ts in employment.series.values()]
    assert len(employment) == 148 and employment.season == 12 and min(lengths) < max(lengths)


def test_windows_are_relative_to_the_mean_of_their_last_values() -> None:
    y = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0])
    empty = np.zeros((len(y), 0))
    last = make_windows(y, empty, np.array([5]), window=4, outputs=1, scale=2.0)
    season = make_windows(y, empty, np.array([5]), window=4, outputs=1, scale=2.0, anchor=2)
    np.testing.assert_allclose(last.inputs[0, :, 0], (y[2:6] - 7.0) / 2)  # the last value
    np.testing.assert_allclose(season.inputs[0, :, 0], (y[2:6] - 5.0) / 2)  # mean of 3 and 7
    np.testing.assert_allclose(season.targets[0], [(4.0 - 5.0) / 2])
