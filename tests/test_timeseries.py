"""Time series (issue 7): data handling, metrics, models, save/load, backtests, bad inputs.

Everything runs on small synthetic series with known answers; the real registered series are
read only where the shared mirror exists (or, for statsmodels' sets, from the installed wheel).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit.core import checkpoint
from rnnkit.errors import RnnkitError
from rnnkit.timeseries import Forecaster, backtest, load_series, metrics
from rnnkit.timeseries.folds import origins, run_folds
from rnnkit.timeseries.models import make, model_names
from rnnkit.training.loop import Trainer

SHARED = Path("/work/shared/data")
#: Small recurrent settings: a test trains one in well under a second.
TINY_RNN = {"steps": 40, "hidden_size": 8, "batch_size": 16}


def monthly(values: np.ndarray, name: str = "y") -> pd.Series:
    return pd.Series(
        values, index=pd.date_range("2000-01-01", periods=len(values), freq="MS"), name=name
    )


def seasonal_series(n: int = 120, noise: float = 0.3, seed: int = 0) -> pd.Series:
    """Monthly sine (season 12) + trend + Gaussian noise."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return monthly(10 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t + noise * rng.normal(size=n))


# ---------------------------------------------------------------------------------------------
# Metrics


def test_metrics_match_hand_computed_values() -> None:
    actual, forecast = np.array([2.0, 4.0, 8.0]), np.array([3.0, 4.0, 6.0])
    assert metrics.mae(actual, forecast) == pytest.approx(1.0)  # (1 + 0 + 2) / 3
    assert metrics.rmse(actual, forecast) == pytest.approx(np.sqrt(5 / 3))
    assert metrics.mape(actual, forecast) == pytest.approx(100 * (0.5 + 0 + 0.25) / 3)
    assert metrics.smape(actual, forecast) == pytest.approx((200 / 5 + 0 + 400 / 14) / 3)
    train = np.array([1.0, 3.0, 2.0, 6.0])  # naive in-sample errors 2, 1, 4: scale 7/3
    assert metrics.mase(actual, forecast, train, season=1) == pytest.approx(1.0 / (7 / 3))
    assert np.isnan(metrics.mape(np.array([0.0]), np.array([1.0])))


def test_mase_of_naive_on_its_own_training_data_is_one() -> None:
    train = np.cumsum(np.random.default_rng(1).normal(size=50))
    in_sample_naive = train[:-1]
    assert metrics.mase(train[1:], in_sample_naive, train, season=1) == pytest.approx(1.0)
    periodic = np.tile([1.0, 4.0, 2.0, 7.0], 6) + np.arange(24)
    assert metrics.mase(periodic[4:], periodic[:-4], periodic, season=4) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Models with known answers


def test_seasonal_naive_has_zero_error_on_a_periodic_series() -> None:
    s = monthly(np.tile([5.0, 1.0, 3.0, 8.0, 2.0, 6.0, 4.0, 9.0, 0.0, 7.0, 3.0, 5.0], 6))
    board = backtest(s, ["snaive", "naive"], horizon=12, folds=2).leaderboard()
    assert board.loc["snaive", "mae"] == 0.0 and board.loc["naive", "mae"] > 1.0


def test_drift_is_exact_on_a_straight_line() -> None:
    f = Forecaster("drift", horizon=5).fit(monthly(3.0 + 2.0 * np.arange(30)))
    np.testing.assert_allclose(f.predict().to_numpy(), 3.0 + 2.0 * np.arange(30, 35))


def test_ewm_and_moving_average_are_the_pandas_ones() -> None:
    s = seasonal_series(60)
    ewm = Forecaster("ewm", horizon=3, halflife=4.0).fit(s).predict()
    assert np.allclose(ewm, s.ewm(halflife=4.0).mean().iloc[-1])
    ma = Forecaster("ma", horizon=3, window=6).fit(s).predict()
    assert np.allclose(ma, s.rolling(6).mean().iloc[-1])
    chosen = Forecaster("ewm", horizon=3).fit(s).info()["params"]["halflife"]
    assert chosen in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


def test_ols_learns_a_seasonal_pattern_and_uses_covariates() -> None:
    periodic = monthly(np.tile([1.0, 5.0, 3.0, 2.0], 12))
    f = Forecaster("ols", horizon=8, season=4, alpha=1e-8).fit(periodic)
    np.testing.assert_allclose(f.predict(), np.tile([1.0, 5.0, 3.0, 2.0], 2), atol=1e-3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    frame = pd.DataFrame({"y": 3.0 * x + 1.0, "x": x}, index=monthly(x).index)
    g = Forecaster("ols", horizon=3, lags=0, alpha=1e-8).fit(frame, value="y", covariates=["x"])
    future = pd.DataFrame({"x": [1.0, -2.0, 0.5]})
    np.testing.assert_allclose(g.predict(covariates=future), [4.0, -5.0, 2.5], atol=1e-3)


def test_exponential_smoothing_beats_naive_on_a_seasonal_trend() -> None:
    board = backtest(seasonal_series(), ["naive", "holt_winters", "ets"], 12, folds=2).leaderboard()
    assert board.loc["ets", "mase"] < 0.5 * board.loc["naive", "mase"]
    assert board.loc["holt_winters", "mase"] < 0.5 * board.loc["naive", "mase"]


def test_recurrent_forecaster_learns_a_clean_sine_through_the_shared_trainer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = []
    original = Trainer.run
    monkeypatch.setattr(
        Trainer, "run", lambda self, *a, **k: runs.append(1) or original(self, *a, **k)
    )
    t = np.arange(300)
    sine = monthly(np.sin(2 * np.pi * t / 12))
    for strategy in ("direct", "recursive"):
        f = Forecaster("lstm", horizon=6, strategy=strategy, steps=250, hidden_size=16, seed=0)
        pred = f.fit(sine.iloc[:-6]).predict()
        assert np.abs(pred.to_numpy() - sine.iloc[-6:].to_numpy()).mean() < 0.1, strategy
        stats = f.info()["params"]["stats"]
        assert stats["steps"] == 250 and stats["best_val_loss"] < 0.05
    assert len(runs) == 2


def test_quantile_intervals_are_ordered() -> None:
    f = Forecaster("gru", horizon=4, quantiles=[0.1, 0.9], **TINY_RNN).fit(seasonal_series())
    band = f.predict(level=0.8)
    assert (band["lower"] <= band["forecast"]).all() and (band["forecast"] <= band["upper"]).all()
    other = f.predict(level=0.5)  # not a trained level: Gaussian, from the validation error
    assert (other["upper"] - other["lower"] > 0).all()
    gaussian = Forecaster("naive", horizon=4).fit(seasonal_series()).predict(level=0.95)
    assert (np.diff(gaussian["upper"] - gaussian["lower"]) > 0).all()  # widens with the horizon


def test_auto_chooses_by_validation_and_ensembles() -> None:
    line = monthly(2.0 * np.arange(60))
    f = Forecaster("auto", horizon=6, candidates=["naive", "drift", "ma"], ensemble=1).fit(line)
    assert f.info()["params"]["members"][0]["name"] == "drift"
    np.testing.assert_allclose(f.predict(), 2.0 * np.arange(60, 66))
    g = Forecaster("auto", horizon=6, candidates=["naive", "snaive", "drift"], ensemble=2)
    params = g.fit(seasonal_series()).info()["params"]
    assert len(params["members"]) == 2 and set(params["scores"]) == {"naive", "snaive", "drift"}


# ---------------------------------------------------------------------------------------------
# Saving and loading


def test_recurrent_fit_leaves_the_global_rng_alone_and_repeats_the_old_results(
    tmp_path: Path,
) -> None:
    """Seeding runs on a fork of torch's RNG (no torch.manual_seed): the caller's random state
    is untouched by fit and load, and a seed gives the forecasts it gave when fit reseeded the
    global RNG (numbers recorded from that version)."""
    t = np.arange(96)
    rng = np.random.default_rng(0)
    y = monthly(10 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t + 0.3 * rng.normal(size=96))
    recorded = {
        "lstm": [15.72077259779105, 17.41667828290675, 17.842444773762903],
        "gru": [15.596720924478417, 17.605176220195183, 16.656108732905867],
    }
    for cell, expected in recorded.items():
        torch.manual_seed(123)
        before = torch.get_rng_state()
        f = Forecaster(cell, horizon=3, steps=30, hidden_size=8, batch_size=16, seed=5).fit(y)
        assert torch.equal(torch.get_rng_state(), before), cell
        np.testing.assert_allclose(f.predict().to_numpy(), expected, rtol=1e-6)
        f.save(tmp_path / cell)
        Forecaster.load(tmp_path / cell)
        assert torch.equal(torch.get_rng_state(), before), cell
    again = Forecaster("lstm", horizon=3, steps=30, hidden_size=8, batch_size=16, seed=5).fit(y)
    np.testing.assert_allclose(again.predict().to_numpy(), recorded["lstm"], rtol=1e-6)


def _covariate_frame() -> pd.DataFrame:
    s = seasonal_series(96)
    x = np.cos(np.arange(96) / 3.0)
    return pd.DataFrame({"y": s.to_numpy() + 2 * x, "x": x}, index=s.index)


@pytest.mark.parametrize("name", model_names())
def test_save_load_gives_identical_predictions(name: str, tmp_path: Path) -> None:
    options = dict(TINY_RNN) if name in ("lstm", "gru") else {}
    if name == "auto":
        options = {"candidates": ["naive", "ets", "ols", "lstm"], "options": {"lstm": TINY_RNN}}
    f = Forecaster(name, horizon=6, **options).fit(seasonal_series(96))
    f.save(tmp_path / "f")
    g = Forecaster.load(tmp_path / "f")
    pd.testing.assert_frame_equal(f.predict(level=0.8), g.predict(level=0.8))
    assert checkpoint.load(tmp_path / "f").config["kind"] == "forecaster"


@pytest.mark.parametrize("name", ["ols", "lstm"])
def test_save_load_with_covariates(name: str, tmp_path: Path) -> None:
    frame = _covariate_frame()
    options = TINY_RNN if name == "lstm" else {}
    f = Forecaster(name, horizon=4, **options).fit(frame, value="y", covariates=["x"])
    future = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4]})
    f.save(tmp_path / "f")
    g = Forecaster.load(tmp_path / "f")
    pd.testing.assert_series_equal(f.predict(covariates=future), g.predict(covariates=future))
    with pytest.raises(RnnkitError, match="uses covariates"):
        g.predict()
    with pytest.raises(RnnkitError, match="4 rows x 1 columns"):
        g.predict(covariates=np.zeros((2, 1)))


def test_loading_a_foreign_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    checkpoint.save(
        checkpoint.Checkpoint({"kind": "char_lm"}, {}, {"w": torch.ones(1)}), tmp_path / "c"
    )
    with pytest.raises(RnnkitError, match="not a forecaster"):
        Forecaster.load(tmp_path / "c")


# ---------------------------------------------------------------------------------------------
# Backtesting


def test_rolling_origins() -> None:
    assert origins(100, horizon=10, folds=3) == [70, 80, 90]
    assert origins(100, horizon=10, folds=3, step=5) == [80, 85, 90]
    with pytest.raises(RnnkitError, match="too short"):
        origins(20, horizon=10, folds=3)


@pytest.mark.parametrize("name", ["naive", "ets", "ols", "lstm", "auto"])
def test_backtest_never_looks_at_the_future(name: str) -> None:
    """Each fold's forecast is the same whatever comes after its origin, and the model sees
    exactly the values before it."""
    ts = load_series(seasonal_series(96))
    starts = origins(len(ts), horizon=6, folds=2)
    poisoned = ts.y.copy()
    poisoned.iloc[starts[0] :] = 1e6
    options = {"lstm": TINY_RNN, "auto": {"candidates": ["naive", "ols"]}}.get(name, {})
    seen: list[int] = []

    def new_model():  # records the length of every series it is fitted on
        model = make(name, 6, options)
        fit = model.fit
        model.fit = lambda train: seen.append(len(train)) or fit(train)  # type: ignore[method-assign]
        return model

    clean = run_folds(ts, new_model, 6, starts[:1])
    dirty = run_folds(load_series(poisoned), new_model, 6, starts[:1])
    np.testing.assert_array_equal(clean[0].forecast, dirty[0].forecast)
    assert seen[0] == starts[0]


def test_leaderboard_has_every_metric() -> None:
    board = backtest(seasonal_series(), ["naive", "snaive"], horizon=12, folds=2).leaderboard()
    assert list(board.columns) == ["mae", "rmse", "mape", "smape", "mase", "seconds", "failed"]
    assert board.index[0] == "snaive"


def test_a_model_too_big_for_a_fold_fails_that_fold_only() -> None:
    bt = backtest(seasonal_series(24), ["naive", "lstm"], horizon=6, folds=2)
    board = bt.leaderboard()
    assert board.loc["lstm", "failed"] == 2 and board.loc["naive", "failed"] == 0
    assert "lstm needs about" in bt.table().query("model == 'lstm'")["error"].iloc[0]


# ---------------------------------------------------------------------------------------------
# Data handling and bad inputs


def test_csv_with_gaps_unsorted_dates_and_covariates(tmp_path: Path) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_text(
        "day,sales,temp\n2024-01-03,30,3\n2024-01-01,10,1\n2024-01-02,,2\n2024-01-05,50,5\n",
        encoding="utf-8",
    )
    ts = load_series(csv, covariates=["temp"], missing="interpolate")
    assert ts.y.tolist() == [10.0, 20.0, 30.0, 40.0, 50.0] and ts.filled == 3
    assert ts.frequency == "daily" and ts.season == 7
    assert ts.covariates is not None and ts.covariates["temp"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    # The default carries values forward: a filled value never depends on a later one.
    assert load_series(csv).y.tolist() == [10.0, 10.0, 30.0, 30.0, 50.0]
    with pytest.raises(RnnkitError, match="2 missing value"):
        load_series(csv, missing="error")


def test_resampling_and_leading_missing_values() -> None:
    hourly = pd.Series(np.arange(72.0), index=pd.date_range("2024-01-01", periods=72, freq="h"))
    daily = load_series(hourly, freq="D")
    assert daily.y.tolist() == [11.5, 35.5, 59.5] and daily.frequency == "daily"
    padded = monthly(np.array([np.nan, np.nan, 1.0, 2.0, 3.0, np.nan]))
    assert load_series(padded).y.tolist() == [1.0, 2.0, 3.0]  # the ends are dropped, not filled


@pytest.mark.parametrize(
    ("csv", "match"),
    [
        ("date,v\n2024-01-01,1\n2024-01-02,x\n2024-01-03,3\n", "non-numeric value at row 2: 'x'"),
        ("date,v\n2024-01-01,1\n2024-01-01,2\n2024-01-02,3\n", "occurs more than once"),
        ("date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-04 07:00,4\n", "irregular"),
        ("date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\nsoon,4\n", "not a date at row 4"),
        ("date,v\n2024-01-01,1\n2024-01-02,2\n", "at least 3"),
        ("date,name\n2024-01-01,a\n2024-01-02,b\n2024-01-03,c\n", "non-numeric value at row 1"),
        ("date\n2024-01-01\n2024-01-02\n2024-01-03\n", "only dates"),
    ],
)
def test_bad_csv_inputs_are_one_line_errors(tmp_path: Path, csv: str, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv, encoding="utf-8")
    with pytest.raises(RnnkitError, match=match) as err:
        load_series(path)
    assert "\n" not in str(err.value)


def test_irregular_dates_are_refused_and_gaps_filled() -> None:
    gappy = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-07", "2024-01-09"])
    ts = load_series(pd.Series([1.0, 2.0, 3.0, 7.0, 9.0], index=gappy), missing="interpolate")
    assert ts.filled == 4 and ts.y.tolist() == [float(d) for d in range(1, 10)]
    dates = pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05 06:00"],
        format="ISO8601",
    )
    with pytest.raises(RnnkitError, match="irregular dates"):
        load_series(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=dates))


def test_series_too_short_for_the_horizon_or_season() -> None:
    short = monthly(np.arange(8.0))
    with pytest.raises(RnnkitError, match="too few to forecast 12"):
        Forecaster("naive", horizon=12).fit(short)
    with pytest.raises(RnnkitError, match="needs a full season"):
        Forecaster("snaive", horizon=3).fit(short)
    with pytest.raises(RnnkitError, match="lstm needs about"):
        Forecaster("lstm", horizon=3, **TINY_RNN).fit(short)
    with pytest.raises(RnnkitError, match="auto needs more than"):
        Forecaster("auto", horizon=5).fit(short)


def test_bad_model_settings_are_one_line_errors() -> None:
    with pytest.raises(RnnkitError, match="unknown model 'prophet'"):
        Forecaster("prophet")
    with pytest.raises(RnnkitError, match=r"unknown option.*colour"):
        Forecaster("ets", colour="red")
    with pytest.raises(RnnkitError, match="quantile intervals need strategy='direct'"):
        Forecaster("lstm", strategy="recursive", quantiles=[0.1, 0.9])
    with pytest.raises(RnnkitError, match="not fitted"):
        Forecaster("naive").predict(3)
    f = Forecaster("lstm", horizon=3, **TINY_RNN).fit(seasonal_series(80))
    with pytest.raises(RnnkitError, match="trained to forecast 3 steps"):
        f.predict(5)
    with pytest.raises(RnnkitError, match="missing must be one of"):
        load_series(seasonal_series(), missing="zero")
    with pytest.raises(RnnkitError, match=r"no such file, folder or dataset: 'no-such-file\.csv'"):
        load_series("no-such-file.csv")


def test_sources_follow_the_shared_rule(tmp_path: Path) -> None:
    csv = "day,sales\r\n2024-01-01,1\r\n2024-01-02,2\r\n2024-01-03,4\r\n"
    (tmp_path / "s.csv.gz").write_bytes(gzip.compress(csv.encode()))
    assert load_series(str(tmp_path / "s.csv.gz")).y.tolist() == [1.0, 2.0, 4.0]
    (tmp_path / "nile").mkdir()
    with pytest.raises(RnnkitError, match="is a folder; give a CSV file"):
        load_series(tmp_path / "nile")
    with pytest.raises(RnnkitError, match=r"dataset ptb is not a time series \(series: co2, "):
        load_series("ptb")
    with pytest.raises(RnnkitError, match="no split 'train'"):
        load_series("nile:train")
    with pytest.raises(RnnkitError, match="got a text"):
        load_series(csv)  # CSV content is not a path; a DataFrame is the in-memory way
    latin = "day,température\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n".encode("latin-1")
    (tmp_path / "latin.csv").write_bytes(latin)
    with pytest.raises(RnnkitError, match="not valid utf-8 at byte 8 \\(line 1\\)"):
        load_series(tmp_path / "latin.csv")
    assert load_series(tmp_path / "latin.csv", encoding="latin-1").y.name == "température"


def test_statsmodels_series_from_the_registry() -> None:
    nile = load_series("nile")
    assert (len(nile), nile.frequency, str(nile.y.index[0].year)) == (100, "yearly", "1871")
    co2 = load_series("co2", freq="MS")  # weekly with gaps, resampled to monthly means
    assert co2.frequency == "monthly" and co2.filled == 5 and len(co2) == 526  # 5 empty months
    gdp = load_series("macrodata", value="unemp")
    assert gdp.frequency == "quarterly" and gdp.season == 4


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_mirrored_csv_series(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNKIT_DATA", str(SHARED))
    temps = load_series("melbourne_temp")
    assert temps.frequency == "daily" and temps.filled == 2 and len(temps) == 3652
    gas = load_series("us_gasoline")  # stored newest first
    assert gas.y.index.is_monotonic_increasing and gas.frequency == "weekly"
    assert load_series("etth1").frequency == "hourly"  # read from the gzipped mirror copy
