"""Forecasting benchmark: every model on real series of six frequencies, rolling-origin MASE.

Each series is read through the registry (statsmodels' bundled sets, and the CSVs of the shared
mirror, ``RNNKIT_DATA``), backtested at ``--folds`` origins with the M4 horizon of its
frequency, each fold fitted on at most ``max_train`` values before its origin. ``co2`` is
resampled from weekly to monthly means (so the monthly group has four series). The report gives
the mean MASE of every model per frequency group and overall, the ratio ``auto`` / ``ets``, and
whether the issue's targets are met.

    RNNKIT_DATA=/work/shared/data nice -n 19 python benchmarks/forecast.py

Prints a table and writes JSON (default benchmarks/results/forecast.json).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnnkit.timeseries import backtest, load_series

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

#: (registry name, target column, extra load_series arguments, max_train)
SERIES: tuple[tuple[str, str | None, dict[str, Any], int | None], ...] = (
    ("milk", None, {}, None),
    ("elec_equip", None, {}, None),
    ("ice_cream_heater", "ice cream", {}, None),
    ("co2", None, {"freq": "MS"}, None),
    ("macrodata", "realgdp", {}, None),
    ("macrodata", "unemp", {}, None),
    ("sunspots", None, {}, None),
    ("nile", None, {}, None),
    ("us_gasoline", None, {}, 520),
    ("ili", None, {}, 520),
    ("melbourne_temp", None, {}, 1095),
    ("etth1", None, {}, 1008),
)
MODELS = (
    "naive",
    "snaive",
    "drift",
    "ma",
    "ewm",
    "holt_winters",
    "ets",
    "ols",
    "lstm",
    "auto",
)


def run_series(
    name: str,
    value: str | None,
    how: dict[str, Any],
    max_train: int | None,
    models: list[str],
    folds: int,
) -> dict[str, Any]:
    """Backtest ``models`` on one series; the mean of each metric per model."""
    ts = load_series(name, value=value, **how)
    t0 = time.perf_counter()
    result = backtest(ts, models, folds=folds, max_train=max_train)
    board = result.leaderboard()
    return {
        "series": f"{name}:{ts.y.name}" + (f" ({how['freq']} mean)" if "freq" in how else ""),
        "frequency": ts.frequency,
        "length": len(ts),
        "season": ts.season,
        "horizon": result.horizon,
        "max_train": max_train,
        "seconds": round(time.perf_counter() - t0, 1),
        "mase": {m: _num(board.loc[m, "mase"]) for m in models},
        "smape": {m: _num(board.loc[m, "smape"]) for m in models},
        "failed_folds": {m: int(board.loc[m, "failed"]) for m in models if board.loc[m, "failed"]},
    }


def _num(x: Any) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 4)


def summarise(rows: list[dict[str, Any]], models: list[str]) -> dict[str, Any]:
    """Mean MASE per model, per frequency group and overall, and the targets."""
    frame = pd.DataFrame([{**r["mase"], "frequency": r["frequency"]} for r in rows])
    groups = frame.groupby("frequency")[models].mean()
    overall = frame[models].mean()
    summary: dict[str, Any] = {
        "by_frequency": {g: _rounded(groups.loc[g]) for g in groups.index},
        "overall": _rounded(overall),
    }
    if {"auto", "ets", "snaive"} <= set(models):
        ratio = overall["auto"] / overall["ets"]
        beats = {g: bool(groups.loc[g, "auto"] < groups.loc[g, "snaive"]) for g in groups.index}
        summary["targets"] = {
            "auto_over_ets": round(float(ratio), 4),
            "auto_le_0.9_ets": bool(ratio <= 0.9),
            "auto_beats_snaive_per_group": beats,
            "auto_beats_snaive_everywhere": all(beats.values()),
        }
        for cell in ("lstm", "gru"):
            if cell in models:
                summary["targets"][f"{cell}_beats_snaive_on_average"] = bool(
                    overall[cell] < overall["snaive"]
                )
    return summary


def _rounded(values: pd.Series) -> dict[str, float | None]:
    return {str(k): _num(v) for k, v in values.items()}


def print_table(rows: list[dict[str, Any]], summary: dict[str, Any], models: list[str]) -> None:
    width = max(len(r["series"]) for r in rows) + 2
    head = f"{'series':<{width}}{'freq':<11}{'h':>4}" + "".join(f"{m[:8]:>9}" for m in models)
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = "".join(_cell(r["mase"][m]) for m in models)
        print(f"{r['series']:<{width}}{r['frequency']:<11}{r['horizon']:>4}{cells}")
    print("-" * len(head))
    for group, values in summary["by_frequency"].items():
        cells = "".join(_cell(values[m]) for m in models)
        print(f"{'mean ' + group:<{width}}{'':<11}{'':>4}{cells}")
    cells = "".join(_cell(summary["overall"][m]) for m in models)
    print(f"{'MEAN MASE (all series)':<{width}}{'':<11}{'':>4}{cells}")
    if "targets" in summary:
        print("\ntargets:", json.dumps(summary["targets"], indent=2))


def _cell(value: float | None) -> str:
    return f"{value:>9.3f}" if value is not None else f"{'-':>9}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--series", nargs="*", help="only these registry names")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--json-out", type=Path, default=HERE / "results" / "forecast.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if "RNNKIT_DATA" not in os.environ and SHARED.is_dir():
        os.environ["RNNKIT_DATA"] = str(SHARED)
    chosen = [s for s in SERIES if not args.series or s[0] in args.series]
    rows = []
    for name, value, how, max_train in chosen:
        rows.append(run_series(name, value, how, max_train, args.models, args.folds))
        print(f"  {rows[-1]['series']}: {rows[-1]['seconds']} s", flush=True)
    summary = summarise(rows, args.models)
    print()
    print_table(rows, summary, args.models)
    versions = {"numpy": np.__version__, "pandas": pd.__version__}
    report = {"machine": {**machine(), **versions}, "folds": args.folds, "series": rows}
    report["summary"] = summary
    write_report(report, args.json_out)


if __name__ == "__main__":
    main()
