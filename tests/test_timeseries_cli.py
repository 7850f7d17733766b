"""``rnnkit forecast`` / ``rnnkit backtest``: output, PNG, save/load, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rnnkit.cli import cli


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    t = np.arange(72)
    values = 100 + 10 * np.sin(2 * np.pi * t / 12) + t
    dates = pd.date_range("2015-01-01", periods=72, freq="MS").strftime("%Y-%m-%d")
    path = tmp_path / "sales.csv"
    pd.DataFrame({"month": dates, "sales": values.round(2)}).to_csv(path, index=False)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_forecast_prints_a_table_and_saves_it_with_a_png_in_out(
    sales: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    args = ("--horizon", "6", "--model", "ols", "--out", str(out_dir))
    code, out, err = _run("forecast", str(sales), *args)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "date,forecast,lower,upper" and len(lines) == 7
    assert lines[1].startswith("2021-01-01")
    assert (out_dir / "forecast.csv").read_text() == out
    assert (out_dir / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert err == f"saved: {out_dir}\n"


def test_the_interval_level_is_named_interval(sales: Path) -> None:
    args = ("forecast", str(sales), "--horizon", "2", "--model", "naive")
    narrow, wide = _run(*args, "--interval", "0.5")[1], _run(*args, "--interval", "0.95")[1]
    first = [out.splitlines()[1].split(",") for out in (narrow, wide)]
    width = [float(row[3]) - float(row[2]) for row in first]
    assert width[0] < width[1]
    assert _run(*args, "--level", "0.5")[0] == 2  # --level is a language model's char / word


def test_save_then_load_gives_the_same_forecast(sales: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    args = ("--horizon", "4", "--model", "lstm", "-o", "steps=30", "-o", "hidden_size=8")
    code, first, err = _run("forecast", str(sales), *args, "--out", str(folder))
    assert code == 0, err
    code, again, _ = _run("forecast", "--load", str(folder), "--horizon", "4")
    assert code == 0 and again == first
    code, out, _ = _run("info", str(folder), "--json")
    assert code == 0 and '"kind": "forecaster"' in out


def test_backtest_prints_a_leaderboard(sales: Path) -> None:
    code, out, err = _run(
        "backtest", str(sales), "--horizon", "6", "--models", "naive,snaive,drift"
    )
    assert code == 0, err
    assert "72 monthly values, horizon 6, 3 folds, season 12" in out
    assert out.splitlines()[1].split() == [
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "seconds",
        "failed",
    ]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("month,sales\n2020-01-01,1\n2020-02-01,oops\n2020-03-01,3\n", (), "non-numeric value"),
        ("month,sales\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n", ("--horizon", "9"), "too few"),
        (
            "month,sales\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n",
            ("--model", "x"),
            "unknown model",
        ),
        ("month,sales\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n", ("-o", "nokey"), "KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = _run("forecast", str(path), *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_missing_data_and_load_together_is_an_error(sales: Path) -> None:
    code, _, err = _run("forecast")
    assert code == 2 and "either DATA" in err
    code, _, err = _run("forecast", "no-such.csv")
    assert code == 2 and "no such file, folder or dataset: 'no-such.csv'" in err
