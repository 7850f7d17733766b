"""The HTTP server: every endpoint and error through TestClient, batched decoding against
decoding alone, the official OpenAI client and cancellation against a real uvicorn on
127.0.0.1, and the playground in a real browser (Debian's chromium, when installed)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("fastapi", reason="the server's tests need the serve extra")
import httpx
import uvicorn
from fastapi.testclient import TestClient

from rnnkit import CharLM, Forecaster, TextClassifier, WordLM, WordVectors
from rnnkit.decoding.sampling import SamplingConfig
from rnnkit.serve import models as served_models
from rnnkit.serve.app import ServerSettings, create_app
from rnnkit.serve.batch import DecodeWorker, Inbox, Spec

TEXT = "to be or not to be, that is the question\nwhether tis nobler in the mind to suffer\n" * 12
TINY = {"hidden_size": 24, "embed_size": 8, "seq_len": 16, "batch_size": 4, "evals": 1}
KEY = "s3cret-key"
MODELS = ("char", "words", "reviews", "vectors", "sales")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One tiny saved model of every kind (a few training steps each)."""
    root = tmp_path_factory.mktemp("served")
    CharLM(**TINY).fit(TEXT, steps=6, quiet=True).save(root / "char")
    WordLM(**{**TINY, "seq_len": 8}).fit(TEXT, steps=3, quiet=True).save(root / "words")
    texts = ["good fun", "great film", "bad plot", "awful acting"] * 6
    labels = ["pos", "pos", "neg", "neg"] * 6
    clf = TextClassifier(hidden_size=8, embed_size=8, min_count=1, pooling="attention")
    clf.fit(texts, labels, steps=3, quiet=True).save(root / "reviews")
    corpus = [["cat", "dog", "pet"], ["car", "bus", "road"]] * 50
    wv = WordVectors.train(corpus, dim=8, min_count=1, workers=1, epochs=2, quiet=True)
    wv.save(root / "vectors")
    days = pd.date_range("2024-01-01", periods=28, freq="D")
    series = pd.Series(np.tile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0], 4), index=days)
    Forecaster("snaive", horizon=7).fit(series).save(root / "sales")
    return {p.name: p for p in root.iterdir()}


def _ready(client: TestClient) -> TestClient:
    for _ in range(200):
        if client.get("/health").status_code == 200:
            return client
        time.sleep(0.05)
    raise AssertionError("the models never loaded")


@pytest.fixture(scope="module")
def client(folders: dict[str, Path]) -> Iterator[TestClient]:
    app = create_app(list(folders.values()), ServerSettings(slots=8, queue=8))
    with TestClient(app) as c:
        yield _ready(c)


def complete(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/completions", json={"model": "char", **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def sse(lines: Iterator[str]) -> list[dict[str, Any]]:
    """The JSON events of a server-sent event stream, checking that it ends with [DONE]."""
    events = [line.removeprefix("data: ") for line in lines if line]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def streamed(client: TestClient, **body: Any) -> list[dict[str, Any]]:
    with client.stream("POST", "/v1/completions", json={"model": "char", **body}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        return sse(r.iter_lines())


def joined(events: list[dict[str, Any]], index: int = 0) -> str:
    return "".join(c["text"] for e in events for c in e["choices"] if c["index"] == index)


# ------------------------------------------------------------------------------ endpoints
def test_models_lists_every_kind_with_its_metadata(client: TestClient) -> None:
    cards = {m["id"]: m for m in client.get("/v1/models").json()["data"]}
    assert set(cards) == set(MODELS)
    assert cards["char"]["kind"] == "char_lm" and cards["char"]["level"] == "char"
    assert cards["char"]["vocab_size"] == len(set(TEXT))
    assert cards["char"]["training"]["steps"] == 6 and cards["char"]["object"] == "model"
    assert cards["vectors"]["kind"] == "word_vectors" and cards["sales"]["kind"] == "forecaster"


def test_a_completion_is_generate_with_the_same_settings(
    client: TestClient, folders: dict[str, Path]
) -> None:
    body = complete(client, prompt="to be", max_tokens=60, seed=7, temperature=0.9, top_k=5)
    assert body["object"] == "text_completion" and body["seed"] == 7
    (choice,) = body["choices"]
    assert len(choice["text"]) == 60 and choice["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 60 and body["usage"]["prompt_tokens"] == 5
    alone = CharLM.load(folders["char"]).generate(
        n_chars=60, prompt="to be", seed=7, temperature=0.9, top_k=5
    )
    # Equal unless the batch's matrix product and generate()'s batch of one differ in a last
    # bit that flips a draw: rare, and not the case for this model and seed.
    assert choice["text"] == alone


def test_stream_and_whole_carry_the_same_text(client: TestClient) -> None:
    settings = {"prompt": "whether", "max_tokens": 80, "seed": 11, "top_p": 0.9}
    whole = complete(client, **settings)["choices"][0]["text"]
    events = streamed(client, **settings, stream=True)
    assert joined(events) == whole
    assert len(events) > 1 and events[-1]["choices"][0]["finish_reason"] == "length"
    assert {e["object"] for e in events} == {"text_completion"} and events[0]["seed"] == 11


def test_stop_strings_end_the_text_and_are_never_streamed(client: TestClient) -> None:
    settings = {"max_tokens": 300, "seed": 3, "stop": ["e", "that is"], "temperature": 0.8}
    whole = complete(client, **settings)["choices"][0]
    assert whole["finish_reason"] == "stop" and "e" not in whole["text"]
    assert len(whole["text"]) > 0  # text before the stop (held back while it might be one)
    assert joined(streamed(client, **settings, stream=True)) == whole["text"]


def test_n_choices_each_with_its_own_seed(client: TestClient) -> None:
    body = complete(client, max_tokens=40, seed=20, n=3)
    texts = [c["text"] for c in body["choices"]]
    assert [c["index"] for c in body["choices"]] == [0, 1, 2] and len(set(texts)) == 3
    assert texts[1] == complete(client, max_tokens=40, seed=21)["choices"][0]["text"]
    events = streamed(client, max_tokens=40, seed=20, n=3, stream=True)
    assert [joined(events, i) for i in range(3)] == texts


def test_no_seed_draws_one_and_says_which(client: TestClient) -> None:
    body = complete(client, max_tokens=30)
    again = complete(client, max_tokens=30, seed=body["seed"])
    assert again["choices"][0]["text"] == body["choices"][0]["text"]


def test_logprobs_are_the_models_with_the_top_alternatives(client: TestClient) -> None:
    choice = complete(client, max_tokens=25, seed=2, logprobs=3)["choices"][0]
    lp = choice["logprobs"]
    assert "".join(lp["tokens"]) == choice["text"] and len(lp["token_logprobs"]) == 25
    assert lp["text_offset"] == list(range(25))
    for token, logprob, top in zip(
        lp["tokens"], lp["token_logprobs"], lp["top_logprobs"], strict=True
    ):
        assert len(top) == 3 and logprob <= 0
        assert max(top.values()) >= logprob  # the best alternative is at least as likely
        assert sum(np.exp(list(top.values()))) <= 1 + 1e-6
        if token in top:
            assert top[token] == pytest.approx(logprob)
    assert complete(client, max_tokens=5, logprobs=0)["choices"][0]["logprobs"]["top_logprobs"]


def test_units_lines_and_words(client: TestClient, folders: dict[str, Path]) -> None:
    lines = complete(client, max_tokens=2, unit="lines", seed=1, temperature=0.5)
    assert lines["choices"][0]["text"].count("\n") == 1  # two lines, no newline after the last
    r = client.post(
        "/v1/completions", json={"model": "words", "prompt": "to be", "max_tokens": 7, "seed": 4}
    )
    text = r.json()["choices"][0]["text"]
    expected = WordLM.load(folders["words"]).generate(n_words=7, prompt="to be", seed=4)
    assert len(text.split()) == 7 and text == expected


def test_classify_with_attention_words(client: TestClient, folders: dict[str, Path]) -> None:
    r = client.post("/v1/classify", json={"model": "reviews", "input": ["good fun", "bad plot"]})
    data = r.json()["data"]
    clf = TextClassifier.load(folders["reviews"])
    expected = clf.predict_proba(["good fun", "bad plot"])
    for row, probs in zip(data, expected, strict=True):
        assert [row["probabilities"][c] for c in clf.classes_] == pytest.approx(probs.tolist())
        assert row["label"] == clf.classes_[int(np.argmax(probs))]
    assert {w for w, _ in data[0]["attention"]} == {"good", "fun", "<eos>"}


def test_embeddings_in_openai_shape(client: TestClient, folders: dict[str, Path]) -> None:
    wv = WordVectors.load(folders["vectors"])
    body = client.post("/v1/embeddings", json={"model": "vectors", "input": ["cat", "dog"]}).json()
    assert [d["index"] for d in body["data"]] == [0, 1] and body["usage"]["total_tokens"] == 2
    assert body["data"][0]["embedding"] == pytest.approx(wv.vector("cat").tolist(), abs=1e-6)
    packed = client.post(
        "/v1/embeddings",
        json={"model": "vectors", "input": "cat dog", "encoding_format": "base64"},
    ).json()["data"][0]["embedding"]
    mean = (wv.vector("cat") + wv.vector("dog")) / 2
    unpacked = np.frombuffer(base64.b64decode(packed), dtype="<f4")
    assert unpacked.tolist() == pytest.approx(mean.tolist(), abs=1e-6)


def test_neighbors_and_analogies(client: TestClient, folders: dict[str, Path]) -> None:
    wv = WordVectors.load(folders["vectors"])
    body = client.post("/v1/neighbors", json={"model": "vectors", "positive": "cat", "topn": 3})
    expected = wv.most_similar("cat", topn=3)
    assert [d["word"] for d in body.json()["data"]] == [w for w, _ in expected]
    assert [d["similarity"] for d in body.json()["data"]] == pytest.approx([s for _, s in expected])
    analogy = {"model": "vectors", "positive": ["dog", "car"], "negative": ["cat"], "topn": 1}
    found = client.post("/v1/neighbors", json=analogy).json()["data"][0]["word"]
    assert found == wv.analogy("cat", "dog", "car")


def test_forecast_with_interval_and_history(client: TestClient, folders: dict[str, Path]) -> None:
    body = client.post("/v1/forecast", json={"model": "sales", "horizon": 7, "level": 0.9}).json()
    expected = Forecaster.load(folders["sales"]).predict(7, level=0.9)
    assert [d["forecast"] for d in body["data"]] == expected["forecast"].tolist()
    assert all(d["lower"] <= d["forecast"] <= d["upper"] for d in body["data"])
    assert len(body["history"]) == 28 and body["data"][0]["date"].startswith("2024-01-29")


# --------------------------------------------------------------------------------- errors
def error(r: Any, status: int, param: str | None = None) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["error"]
    assert detail["code"] == status and detail["param"] == param, detail
    return str(detail["message"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"temperature": -1}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"logprobs": 6}, "logprobs"),
        ({"n": 9}, "n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": ""}, "stop"),
        ({"unit": "bytes"}, "unit"),
        ({"unit": "words"}, "unit"),  # a character model counts characters or lines
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 3000, "n": 3}, "max_tokens"),  # over the cap of max_tokens x n
        ({"prompt": "ZZZ"}, "prompt"),  # characters the model never saw
        ({"style": "sonnets"}, "style"),  # not a conditioned model
        ({"temperatur": 1}, "temperatur"),  # a typo is refused, not ignored
    ],
)
def test_bad_fields_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], param: str
) -> None:
    r = client.post("/v1/completions", json={"model": "char", **body})
    assert param in error(r, 422, param)


def test_unknown_model_is_404_listing_the_models(client: TestClient) -> None:
    message = error(client.post("/v1/completions", json={"model": "gpt-4"}), 404, "model")
    assert set(message.split("the models are: ")[1].split(", ")) == set(MODELS)
    r = client.post("/v1/classify", json={"model": "char", "input": "x"})
    assert "classifier" in error(r, 400, "model")


def test_bad_inputs_of_the_other_kinds_are_422(client: TestClient) -> None:
    r = client.post("/v1/neighbors", json={"model": "vectors", "positive": "zebra"})
    assert "zebra" in error(r, 422, "positive")
    r = client.post("/v1/embeddings", json={"model": "vectors", "input": ["cat", "unicorn"]})
    assert "unicorn" in error(r, 422, "input")
    error(client.post("/v1/forecast", json={"model": "sales", "level": 1.5}), 422, "level")


def test_a_body_over_64_kib_is_413(client: TestClient) -> None:
    big = {"model": "char", "prompt": "to be " * 12_000}
    error(client.post("/v1/completions", json=big), 413)
    chunks = iter([b'{"model": "char", "prompt": "', b"a" * 70_000, b'"}'])
    error(client.post("/v1/completions", content=chunks), 413)  # no length given: counted


def test_a_full_queue_is_503_with_retry_after(folders: dict[str, Path]) -> None:
    app = create_app([folders["char"]], ServerSettings(slots=1, queue=0))
    with TestClient(app) as c:
        _ready(c)
        worker = app.state.models.get("char").worker
        inbox = Inbox(asyncio.new_event_loop(), stream=False)
        spec = Spec(0, torch.tensor([1]), SamplingConfig(), 0, 10**6, (), None, _writing(app))
        (busy,) = worker.start([spec], inbox)  # one slot, taken for a long while
        r = c.post("/v1/completions", json={"model": "char", "max_tokens": 5})
        assert "busy" in error(r, 503) and r.headers["Retry-After"] == "1"
        busy.cancel()


def _writing(app: Any) -> Any:
    return app.state.models.get("char").model.writing()


def test_health_is_503_while_loading(
    folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    release, load = threading.Event(), served_models.kinds.load

    def slow_load(folder: Path) -> Any:
        release.wait(10)
        return load(folder)

    monkeypatch.setattr(served_models.kinds, "load", slow_load)
    with TestClient(create_app([folders["char"]])) as c:
        r = c.get("/health")
        assert r.status_code == 503 and r.json()["status"] == "loading"
        assert r.headers["Retry-After"] == "1"
        error(c.post("/v1/completions", json={"model": "char"}), 503)
        release.set()
        assert _ready(c).get("/health").json() == {"status": "ok", "models": {"char": "ready"}}


def test_a_folder_that_fails_to_load_leaves_the_others_served(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(folders["char"], broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    with TestClient(create_app([broken, folders["char"]])) as c:
        status = _ready(c).get("/health").json()["models"]
        assert status["char"] == "ready" and status["broken"].startswith("failed: ")
        assert [m["id"] for m in c.get("/v1/models").json()["data"]] == ["char"]
        assert "the models are: char" in error(
            c.post("/v1/completions", json={"model": "broken"}), 404, "model"
        )


def test_the_api_key_guards_every_route_but_health_and_the_page(
    folders: dict[str, Path],
) -> None:
    with TestClient(create_app([folders["char"]], ServerSettings(api_key=KEY))) as c:
        assert _ready(c).get("/").status_code == 200
        assert c.get("/static/app.js").status_code == 200
        for path in ("/v1/models", "/openapi.json", "/docs"):
            error(c.get(path), 401)
        error(c.get("/v1/models", headers={"Authorization": "Bearer wrong"}), 401)
        ok = c.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200


def test_cors_only_for_named_origins(folders: dict[str, Path]) -> None:
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app([folders["char"]])) as c:
        assert (
            "access-control-allow-origin" not in c.options("/v1/models", headers=preflight).headers
        )
    settings = ServerSettings(cors_origins=("http://localhost:3000",))
    with TestClient(create_app([folders["char"]], settings)) as c:
        allowed = c.options("/v1/models", headers=preflight).headers
        assert allowed["access-control-allow-origin"] == "http://localhost:3000"
        other = {**preflight, "Origin": "http://evil.example"}
        assert "access-control-allow-origin" not in c.options("/v1/models", headers=other).headers


def test_the_page_and_its_assets_come_from_the_package(client: TestClient) -> None:
    page = client.get("/").text
    assert 'type="module"' in page and "/static/app.js" in page
    fetched = re.compile(
        r"""(src|href)\s*=\s*["']?(https?:)?//|from\s+["']https?:|url\(\s*["']?(https?:)?//"""
    )
    for text in (page, client.get("/static/app.js").text, client.get("/static/style.css").text):
        assert text and not fetched.search(text)  # nothing from a CDN
    assert client.get("/openapi.json").json()["paths"]["/v1/completions"]


# ------------------------------------------------------------------------- batching alone
def _generate(worker: DecodeWorker, specs: list[Spec]) -> dict[int, str]:
    """Run ``specs`` through ``worker`` at once; their texts by index."""

    async def run() -> dict[int, str]:
        inbox = Inbox(asyncio.get_running_loop(), stream=False)
        worker.start(specs, inbox)
        texts: dict[int, list[str]] = {s.index: [] for s in specs}
        ended = 0
        while ended < len(specs):
            for out in await inbox.take(timeout=10):
                texts[out.index].append(out.text)
                ended += out.finish_reason is not None
        return {i: "".join(t) for i, t in texts.items()}

    return asyncio.run(run())


def test_the_same_seed_gives_the_same_text_alone_and_batched(folders: dict[str, Path]) -> None:
    lm = CharLM.load(folders["char"])
    worker = DecodeWorker(lm.model_, slots=8, queue=0, name="test")
    try:
        writing = lm.writing()
        settings = [
            SamplingConfig(1.0),
            SamplingConfig(0.7, top_k=4),
            SamplingConfig(1.3, top_p=0.8),
        ]
        prompts = [torch.from_numpy(lm.vocab_.encode_prompt(p)[0]) for p in ("", "to be", "the ")]
        specs = [
            Spec(i, prompts[i % 3], settings[i % 3], 100 + i, 150 + 20 * i, (), None, writing)
            for i in range(8)
        ]
        alone = {s.index: _generate(worker, [s])[s.index] for s in specs}
        together = _generate(worker, specs)  # all eight in one batch, leaving at different steps
        assert together == alone
        assert len(set(alone.values())) == 8
        assert worker.active == 0
    finally:
        worker.close()


# ------------------------------------------------------------------ a real uvicorn server
@pytest.fixture(scope="module")
def live(folders: dict[str, Path]) -> Iterator[tuple[str, Any]]:
    """A real uvicorn on 127.0.0.1, on a free port: its URL and its app."""
    app = create_app([folders["char"], folders["reviews"]], ServerSettings(api_key=KEY))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    for _ in range(200):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    yield url, app
    server.should_exit = True
    thread.join(10)
    sock.close()


#: 8000 lines: a generation that runs for long, however fast the worker and slow the reader.
LONG = {"model": "char", "max_tokens": 8000, "unit": "lines", "stream": True}


def test_the_openai_client_streamed_and_not(live: tuple[str, Any]) -> None:
    openai = pytest.importorskip("openai")
    url, _ = live
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY)
    assert [m.id for m in client.models.list()] == ["char", "reviews"]
    whole = client.completions.create(model="char", prompt="to be", max_tokens=50, seed=5)
    assert len(whole.choices[0].text) == 50 and whole.choices[0].finish_reason == "length"
    chunks = client.completions.create(
        model="char", prompt="to be", max_tokens=50, seed=5, stream=True
    )
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{url}/v1", api_key="wrong").models.list()
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="gpt-4", prompt="hi")


def test_a_client_that_goes_away_stops_its_generation(live: tuple[str, Any]) -> None:
    url, app = live
    worker = app.state.models.get("char").worker
    body = LONG
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", f"{url}/v1/completions", json=body, headers=headers) as r:
        events = 0
        for line in r.iter_lines():
            events += line.startswith("data: ")
            if events == 3:
                break
        assert worker.active == 1
    closed = time.monotonic()
    while worker.active and time.monotonic() - closed < 1.0:
        time.sleep(0.01)
    assert worker.active == 0, "the generation kept running after the client left"


def test_a_client_that_stops_reading_stops_its_generation(live: tuple[str, Any]) -> None:
    """A client that keeps its connection but reads no more: once the connection's buffers are
    full (the client's small receive buffer, then the server's send buffer), the server's write
    waits, and the generation leaves the batch ``stall_s`` (0.5 s) later."""
    url, app = live
    worker = app.state.models.get("char").worker
    # 8000 lines with 5 alternatives per character: megabytes of events, for minutes
    body = json.dumps({**LONG, "logprobs": 5}).encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills soon
        sock.connect((host, int(port)))
        head = f"POST /v1/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
        head += f"\r\nAuthorization: Bearer {KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        seen = b""
        while seen.count(b"data: ") < 3:
            seen += sock.recv(1024)
        assert b"200 OK" in seen and worker.active == 1
        stopped = time.monotonic()  # from now on nothing is read; the socket stays open
        blocked = None  # when the server's write of the last text began (and kept) waiting
        while worker.active and time.monotonic() - stopped < 60:
            for gen in list(worker._active.values()):
                blocked = gen.inbox.writing_since or blocked
            time.sleep(0.01)
        dropped = time.monotonic()
        assert worker.active == 0, "the generation kept running for a client that reads nothing"
    assert blocked is not None, "the buffers never filled"
    assert dropped - blocked < 1.0, f"dropped {dropped - blocked:.2f} s after the stall"


# ------------------------------------------------------------------------ a real browser
#: Set an input's value as a user would (the page hears an input event).
SET_VALUE = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.skipif(_chromium() is None, reason="no chromium + chromedriver (apt install them)")
def test_the_playground_in_a_real_browser(live: tuple[str, Any], tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, _ = live
    browser, driver_path = _chromium() or ("", "")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(url + "/")
        wait = WebDriverWait(driver, 20)
        key = driver.find_element(By.ID, "api-key")
        key.send_keys(KEY)
        driver.find_element(By.ID, "connect").click()
        wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
        Select(driver.find_element(By.ID, "model")).select_by_value("char")
        for field, value in (("prompt", "to be"), ("seed", "9"), ("length", "120")):
            element = driver.find_element(By.ID, field)
            driver.execute_script(SET_VALUE, element, value)
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "done")
        shown = driver.find_element(By.ID, "output").get_attribute("data-text")
        api = httpx.post(
            f"{url}/v1/completions",
            json={
                "model": "char",
                "prompt": "to be",
                "max_tokens": 120,
                "seed": 9,
                "temperature": 1.0,
                "top_p": 1.0,
                "top_k": 0,
            },
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
        assert shown == api["choices"][0]["text"]
        spans = driver.find_elements(By.CSS_SELECTOR, "#output span[title]")
        assert len(spans) == 120  # each character tinted, its top-5 in the tooltip
        driver.save_screenshot(str(tmp_path / "playground.png"))
        assert (tmp_path / "playground.png").read_bytes()[:4] == b"\x89PNG"
        # Stop mid-stream: a long generation ends early, as stopped.
        driver.execute_script(SET_VALUE, driver.find_element(By.ID, "length"), "8000")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: len(d.find_element(By.ID, "output").get_attribute("data-text")) > 20)
        driver.find_element(By.ID, "stop").click()
        wait.until(
            lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "stopped"
        )
        assert len(driver.find_element(By.ID, "output").get_attribute("data-text")) < 8000
    finally:
        driver.quit()


# ----------------------------------------------------------------------- conditioned models
class _Conditioned(CharLM):
    """A stand-in for a conditioned model: it has styles, and generate() takes one."""

    styles = ("comedy", "tragedy")

    def generate(self, **kwargs: Any) -> str:  # type: ignore[override]
        style = kwargs.pop("style")
        return f"[{style}] " + super().generate(**kwargs)


def test_a_conditioned_model_gets_the_style_through_its_generate(
    folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        served_models.kinds, "load", lambda folder: ("char_lm", _Conditioned.load(folder))
    )
    with TestClient(create_app([folders["char"]])) as c:
        card = _ready(c).get("/v1/models").json()["data"][0]
        assert card["styles"] == ["comedy", "tragedy"]
        body = {"model": "char", "max_tokens": 20, "seed": 4, "style": "comedy"}
        text = c.post("/v1/completions", json=body).json()["choices"][0]["text"]
        plain = CharLM.load(folders["char"]).generate(n_chars=20, seed=4)
        assert text == f"[comedy] {plain}"
        with c.stream("POST", "/v1/completions", json={**body, "stream": True}) as r:
            assert joined(sse(r.iter_lines())) == text
        error(c.post("/v1/completions", json={**body, "logprobs": 2}), 422, "logprobs")


def test_a_late_reader_is_kept_and_a_blocked_write_is_dropped(folders: dict[str, Path]) -> None:
    """Text left in the inbox for longer than ``stall_s`` (a busy server's late reader) keeps
    the generation; a write that waits that long for its client drops it."""
    lm = CharLM.load(folders["char"])
    worker = DecodeWorker(lm.model_, slots=2, queue=0, name="test", stall_s=0.2, unread_s=60)
    try:
        inbox = Inbox(asyncio.new_event_loop(), stream=True)  # a loop that never runs: unread
        prompt = torch.from_numpy(lm.vocab_.encode_prompt("")[0])
        spec = Spec(0, prompt, SamplingConfig(), 0, 10**7, (), None, lm.writing())
        worker.start([spec], inbox)
        time.sleep(1.0)  # five times stall_s with text waiting, but no write waiting
        assert worker.active == 1 and inbox.items
        inbox.writing()  # the reader's write now waits on a full connection
        blocked = time.monotonic()
        while worker.active and time.monotonic() - blocked < 5:
            time.sleep(0.01)
        assert worker.active == 0 and inbox.items[-1].finish_reason == "cancelled"
        assert time.monotonic() - blocked < 1.0
    finally:
        worker.close()


def test_a_stream_nobody_reads_is_dropped(folders: dict[str, Path]) -> None:
    lm = CharLM.load(folders["char"])
    worker = DecodeWorker(lm.model_, slots=2, queue=0, name="test", unread_s=0.2)
    try:
        inbox = Inbox(asyncio.new_event_loop(), stream=True)  # a loop that never runs: unread
        prompt = torch.from_numpy(lm.vocab_.encode_prompt("")[0])
        spec = Spec(0, prompt, SamplingConfig(), 0, 10**6, (), None, lm.writing())
        worker.start([spec], inbox)
        started = time.monotonic()
        while worker.active + worker.waiting and time.monotonic() - started < 5:
            time.sleep(0.02)
        assert worker.active == 0 and inbox.items[-1].finish_reason == "cancelled"
    finally:
        worker.close()
