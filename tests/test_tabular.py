"""TabularModel: the embedding size rule, <unk> for rare and unseen categories, missing values,
save -> load, the scikit-learn contract (Pipeline, clone, transform blocks), a hidden
coordinate the 1-D embedding recovers, exact resume, the CLI, and one-line errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from rnnkit import RnnkitError, TabularModel
from rnnkit.cli import cli
from rnnkit.core import checkpoint
from rnnkit.models.tabular import embedding_size
from rnnkit.tabular.columns import UNK, Categories
from rnnkit.tabular.learner import TabularLearner
from tests.conftest import assert_same_weights, interrupt_at

SMALL: dict[str, Any] = {"layers": [16], "batch_size": 32, "min_count": 1, "evals": 2}


def shops(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Rows whose class depends on the shop (a/b busy, c/d quiet) and on the price."""
    rng = np.random.default_rng(seed)
    shop = rng.choice(list("abcd"), n)
    price = rng.normal(10.0, 3.0, n)
    busy = np.isin(shop, ["a", "b"]) ^ (price > 14.0)
    return pd.DataFrame({"shop": shop, "day": rng.integers(1, 8, n), "price": price, "y": busy})


@pytest.fixture(scope="module")
def fitted() -> TabularModel:
    model = TabularModel(
        "classification", ["shop", "day"], ["price"], **SMALL, embed_sizes={"day": 2}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(shops(), target="y", steps=120, quiet=True)


def test_the_size_rule_and_its_override(fitted: TabularModel) -> None:
    for n in (2, 5, 40, 1000, 10**7):
        assert embedding_size(n) == min(600, round(1.6 * n**0.56))
    shop, day = fitted.embeddings_["shop"], fitted.embeddings_["day"]
    assert shop.shape == (5, embedding_size(5))  # <unk> and the 4 shops
    assert day.shape == (8, 2)  # the override
    assert list(shop.index) == [UNK, "a", "b", "c", "d"]
    assert fitted.score(shops(200, seed=1), shops(200, seed=1)["y"]) > 0.9


def test_rare_and_unseen_categories_share_unk() -> None:
    values = pd.Series(["x"] * 5 + ["y"] * 5 + ["rare"])
    cats = Categories.learn("c", values, min_count=2)
    assert cats.labels == ["x", "y"] and cats.rare == 1
    assert cats.ids(pd.Series(["x", "rare", "never", "y"])).tolist() == [1, 0, 0, 2]
    df = shops(300)
    df.loc[:4, "shop"] = "e"  # five rows of a rare shop: below min_count=10
    model = TabularModel("classification", ["shop"], ["price"], **{**SMALL, "min_count": 10})
    with pytest.warns(UserWarning, match="1 category of 'shop' seen fewer than 10 times"):
        model.fit(df, target="y", steps=30, quiet=True)
    new = pd.DataFrame({"shop": ["e", "zz"], "price": [10.0, 10.0]})
    with pytest.warns(UserWarning, match=r"2 row\(s\) of 'shop' read as <unk>"):
        proba = model.predict_proba(new)
    np.testing.assert_array_equal(proba[0], proba[1])  # one row, one prediction


def test_missing_values_are_a_category_and_a_flag() -> None:
    df = shops(200)
    df.loc[::7, "shop"] = None
    df.loc[::5, "price"] = np.nan
    model = TabularModel("classification", ["shop"], ["price"], **SMALL)
    model.fit(df, target="y", steps=10, quiet=True)
    assert model.embeddings_["shop"].index[-1] == "<na>"
    assert model.info()["columns"] == ["shop", "price", "price_na"]
    assert model.info()["n_continuous"] == 2
    assert np.isfinite(model.predict_proba(df)).all()


def test_save_then_load_predicts_the_same(fitted: TabularModel, tmp_path: Path) -> None:
    fitted.save(tmp_path / "m")
    loaded = TabularModel.load(tmp_path / "m")
    rows = shops(50, seed=3)
    np.testing.assert_array_equal(loaded.predict_proba(rows), fitted.predict_proba(rows))
    assert loaded.classes_ == [False, True] and loaded.get_params() == fitted.get_params()
    vocab = json.loads((tmp_path / "m" / "vocab.json").read_text())
    assert vocab["categorical"][0]["labels"] == ["a", "b", "c", "d"]  # JSON, no pickle
    assert checkpoint.load_config(tmp_path / "m")["kind"] == "tabular"


def test_regression_on_a_log_target(tmp_path: Path) -> None:
    df = shops(400)
    df["sales"] = np.where(np.isin(df["shop"], ["a", "b"]), 1000.0, 10.0) * (1 + df["price"] / 100)
    model = TabularModel("regression", ["shop"], ["price"], **SMALL, log_target=True)
    model.fit(df, target="sales", steps=300, quiet=True)
    guess = model.predict(df)
    assert model.score(df, df["sales"]) > 0.9 and (guess > 0).all()
    assert np.corrcoef(np.log(guess), np.log(df["sales"]))[0, 1] > 0.99  # learned on log(1 + y)
    model.save(tmp_path / "r")
    np.testing.assert_allclose(TabularModel.load(tmp_path / "r").predict(df), model.predict(df))


def test_a_scikit_learn_transformer_with_one_block_per_categorical(
    fitted: TabularModel,
) -> None:
    rows = shops(30, seed=4)
    features = fitted.transform(rows)
    sizes = {"shop": embedding_size(5), "day": 2}
    expected = [f"{c}_{k}" for c, d in sizes.items() for k in range(d)] + ["price"]
    assert list(features.columns) == expected == list(fitted.get_feature_names_out())
    shop_a = fitted.embeddings_["shop"].loc["a"].to_numpy()
    np.testing.assert_allclose(features.iloc[np.flatnonzero(rows["shop"] == "a")[0], :4], shop_a)
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params() and twin.model_ is None
    assert twin.set_params(layers=[8]).get_params()["layers"] == [8]
    pipe = make_pipeline(
        TabularModel("classification", ["shop", "day"], ["price"], **SMALL, epochs=3),
        LogisticRegression(max_iter=500),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(shops(), shops()["y"], tabularmodel__quiet=True)
    assert pipe.score(rows, rows["y"]) > 0.8


def test_transform_can_leave_unk_blocks_missing(fitted: TabularModel) -> None:
    rows = shops(30, seed=5)
    rows.loc[:2, "shop"] = "never seen"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_row, as_nan = fitted.transform(rows), fitted.transform(rows, unknown="nan")
    shop = [c for c in as_row.columns if c.startswith("shop_")]
    unk = fitted.embeddings_["shop"].iloc[0].to_numpy()
    np.testing.assert_allclose(as_row.loc[:2, shop].to_numpy(), np.tile(unk, (3, 1)))
    assert as_nan.loc[:2, shop].isna().all().all()
    assert as_nan.drop(index=[0, 1, 2]).equals(as_row.drop(index=[0, 1, 2]))
    with pytest.raises(RnnkitError, match="unknown must be one of row, nan"):
        fitted.transform(rows, unknown="zero")


def test_the_1d_embedding_recovers_a_hidden_coordinate() -> None:
    rng = np.random.default_rng(0)
    k = 12
    hidden = rng.permutation(np.linspace(-1.0, 1.0, k))  # category i sits at hidden[i]
    cat = rng.integers(0, k, 3000)
    df = pd.DataFrame({"c": [f"c{i:02d}" for i in cat]})
    y = hidden[cat] + rng.normal(0.0, 0.05, len(cat))
    # Without a norm layer the 1-D embedding feeds the MLP as it is, like a learned coordinate.
    model = TabularModel("regression", ["c"], embed_sizes={"c": 1}, layers=[16], norm="none")
    model.set_params(min_count=1, batch_size=64, warmup_steps=10)
    model.fit(df, y, epochs=10, quiet=True)
    assert model.score(df, y) > 0.95
    learned = model.embeddings_["c"].iloc[1:, 0]  # without <unk>, in the order c00, c01, ...
    rho = spearmanr(learned.to_numpy(), hidden).statistic
    assert abs(rho) > 0.95


def test_ctrl_c_then_resume_equals_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = shops(300)
    settings = {**SMALL, "dropout": 0.2, "evals": 3}
    args = ("classification", ["shop", "day"], ["price"])
    TabularModel(*args, **settings).fit(df, target="y", steps=24, out_dir=tmp_path / "whole")
    with monkeypatch.context() as m:
        interrupt_at(m, TabularLearner, at_step=8)
        half = TabularModel(*args, **settings).fit(
            df, target="y", steps=24, out_dir=tmp_path / "half", quiet=True
        )
    assert half.info()["stats"]["interrupted"] and half.info()["stats"]["steps"] == 8
    with pytest.raises(RnnkitError, match="in memory"):
        TabularModel.resume(tmp_path / "half")
    with pytest.raises(RnnkitError, match="not the data"):
        TabularModel.resume(tmp_path / "half", df.iloc[:-1], quiet=True)
    resumed = TabularModel.resume(tmp_path / "half", df, quiet=True)
    assert resumed.info()["stats"]["steps"] == 24
    assert_same_weights(tmp_path / "half", tmp_path / "whole")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categorical": ["shop", "nope"]}, r"unknown column\(s\) 'nope' in <DataFrame>"),
        ({"target": "missing"}, "target column 'missing' is not in <DataFrame>"),
        ({"continuous": ["word"]}, "continuous column 'word' is not numeric"),
        ({"categorical": ["same"]}, "categorical column 'same' has a single value"),
        ({"categorical": None, "continuous": None}, "name the feature columns"),
        ({"task": "ranking"}, "task must be one of"),
    ],
)
def test_bad_inputs_are_one_line_errors(change: dict[str, Any], message: str) -> None:
    df = shops(40).assign(word="w" + pd.Series(range(40)).astype(str), same="s")
    options = {"task": "classification", "categorical": ["shop"], "continuous": ["price"]}
    options |= change
    target = options.pop("target", "y")
    with pytest.raises(RnnkitError, match=message) as err:
        TabularModel(**options, **SMALL).fit(df, target=target, steps=2, quiet=True)
    assert "\n" not in str(err.value)


def test_the_command_line(tmp_path: Path) -> None:
    df = shops(300)
    df["y"] = df["y"].astype(object)
    df.loc[::10, "y"] = None  # rows without a target are left out, with a warning
    df.to_csv(tmp_path / "shops.csv", index=False)
    df.drop(columns=["y"]).head(3).to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "run"
    args = ["train", "tabular", str(tmp_path / "shops.csv"), "--target-column", "y"]
    args += ["--categorical", "shop,day", "--continuous", "price", "--task", "classification"]
    args += [
        "--hidden-layers",
        "16",
        "--min-count",
        "1",
        "--steps",
        "20",
        "--out",
        str(out),
        "--quiet",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "30 rows without a target are left out" in result.stderr
    assert result.stdout.startswith("done: 20 steps") and "validation accuracy" in result.stdout
    result = CliRunner().invoke(cli, ["predict", str(out), str(tmp_path / "new.csv")])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction,p_False,p_True" and len(lines) == 4
    result = CliRunner().invoke(cli, ["embed-map", str(out), "shop", "--out", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / "embedding_shop.png").stat().st_size > 1000
    result = CliRunner().invoke(cli, ["embed-map", str(out), "price"])
    assert result.exit_code == 2
    assert result.stderr == "error: 'price' is not a categorical column (categorical: shop, day)\n"


def test_fit_leaves_the_global_rng_alone_and_repeats() -> None:
    import torch

    torch.manual_seed(7)
    before = torch.get_rng_state()
    df = shops(100)
    runs = [
        TabularModel("classification", ["shop"], ["price"], **SMALL, dropout=0.3)
        .fit(df, target="y", steps=6, quiet=True)
        .predict_proba(df)
        for _ in range(2)
    ]
    assert torch.equal(before, torch.get_rng_state())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_validation_rows_at_random_or_the_last_ones() -> None:
    from rnnkit.tabular.data import Rows
    from rnnkit.tabular.model import _split

    rows = Rows(pd.DataFrame({"a": range(8)}), pd.Series(range(8)))
    train, val = _split(rows, 0.25, seed=0, how="last")
    assert val.x["a"].tolist() == [6, 7] and train.x["a"].tolist() == list(range(6))
    train, val = _split(rows, 0.25, seed=0, how="random")
    assert sorted(train.x["a"].tolist() + val.x["a"].tolist()) == list(range(8))
    with pytest.raises(RnnkitError, match="val_split must be one of random, last"):
        TabularModel(val_split="first").fit(shops(20), target="y", steps=1)
