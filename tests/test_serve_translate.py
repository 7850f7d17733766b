"""POST /v1/translate: a saved Seq2Seq served over HTTP gives what the model itself gives."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the server's tests need the serve extra")
from fastapi.testclient import TestClient

from rnnkit import Seq2Seq
from rnnkit.serve.app import ServerSettings, create_app

PAIRS = [("abc", "cba"), ("bca", "acb"), ("cab", "bac"), ("aab", "baa")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("served") / "rev"
    m = Seq2Seq(hidden_size=16, embed_size=8, dropout=0.0, warmup_steps=2, lr=0.02)
    m.fit(PAIRS, validation=PAIRS, steps=20, quiet=True).save(path)
    return path


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[TestClient]:
    with TestClient(create_app([folder], ServerSettings(slots=2, queue=2))) as c:
        for _ in range(200):
            if c.get("/health").status_code == 200:
                break
            time.sleep(0.05)
        yield c


def test_translate_is_the_models_own_output(client: TestClient, folder: Path) -> None:
    model = Seq2Seq.load(folder)
    for beam in (1, 3):
        body = {"model": "rev", "input": ["abc", "cab"], "beam": beam}
        data = client.post("/v1/translate", json=body).json()["data"]
        expected = model.translate(["abc", "cab"], beam=beam, return_attention=True)
        assert [d["output"] for d in data] == [t.text for t in expected]
        assert [d["score"] for d in data] == pytest.approx([t.score for t in expected])
        assert all(d["attention"] is None for d in data)


def test_translate_returns_the_attention_map(client: TestClient, folder: Path) -> None:
    r = client.post("/v1/translate", json={"model": "rev", "input": "abc", "attention": True})
    found = r.json()["data"][0]["attention"]
    own = Seq2Seq.load(folder).translate("abc", return_attention=True)
    assert found["source"] == own.source and found["output"] == own.output
    np.testing.assert_allclose(found["weights"], own.attention, rtol=1e-5)
    np.testing.assert_allclose(np.sum(found["weights"], axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"input": ""}, 422, "input"),
        ({"input": "abc", "beam": 0}, 422, "beam"),
        ({"input": "abc", "max_length": 0}, 422, "max_length"),
        ({"input": "abc", "beem": 2}, 422, "beem"),
        ({"input": "abc", "model": "nothing"}, 404, "model"),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient, body: dict[str, object], status: int, param: str
) -> None:
    r = client.post("/v1/translate", json={"model": "rev", **body})
    assert r.status_code == status, r.text
    assert r.json()["error"]["param"] == param
