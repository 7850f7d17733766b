"""The HTTP server: an OpenAI-compatible completions API for the language models, endpoints for
the other kinds, and the playground page, as one FastAPI application.

Every error is a JSON body ``{"error": {"message", "type", "param", "code"}}`` with its HTTP
status: 401 without the API key, 404 for an unknown model (listing the models), 413 for a body
over 64 KiB, 422 naming the field that is wrong, 503 with ``Retry-After`` while the models load
or when the batch and its queue are full.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rnnkit.decoding.sampling import SamplingConfig
from rnnkit.errors import RnnkitError
from rnnkit.serve import models as ops
from rnnkit.serve import schemas as s
from rnnkit.serve.batch import BusyError, Generation, Inbox, Output, Spec
from rnnkit.serve.models import (
    LANGUAGE_MODELS,
    WORD_VECTORS,
    Models,
    NotFoundError,
    Served,
    WrongKindError,
)

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
#: Routes anyone may reach without the API key: the health check and the playground page.
PUBLIC = ("/health", "/", "/static/")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.ErrorResponse} for code in (400, 401, 404, 413, 422, 503)
}


@dataclass(frozen=True)
class ServerSettings:
    """What ``rnnkit serve`` is started with (the limits, the key, the origins)."""

    api_key: str | None = None
    slots: int = 32  # generations stepped together per model (--max-concurrent)
    queue: int = 64  # generations waiting for a slot (--max-queue)
    max_tokens: int = 8192  # max_tokens x n x prompts of one request
    cors_origins: tuple[str, ...] = ()
    stall_s: float = 0.5  # a stream whose client takes none of its text this long is dropped


#: Prompts up to this many tokens in all are read on the event loop (a millisecond or so): the
#: hop to a threadpool thread and back costs more than that — tens of milliseconds when 32
#: requests arrive at once and the decode worker holds the GIL between its steps.
INLINE_PROMPT = 64


class ApiError(Exception):
    """An error answered as JSON with ``status``, naming ``param`` when one field is wrong."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


def error_response(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    if param and not message.startswith(f"{param}:"):
        message = f"{param}: {message}"
    body = {"error": {"message": message, "type": kind, "param": param, "code": status}}
    if status == 503:
        headers = {"Retry-After": "1", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(folders: list[Path], settings: ServerSettings | None = None) -> FastAPI:
    """The application serving the saved folders ``folders`` (loaded in the background:
    ``/health`` answers 503 until they are).

    Example:
        >>> from fastapi.testclient import TestClient
        >>> with TestClient(create_app([])) as client:
        ...     client.get("/v1/models").json()
        {'object': 'list', 'data': []}
    """
    cfg = settings or ServerSettings()
    models = Models(folders, cfg.slots, cfg.queue, cfg.stall_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = threading.Thread(target=models.load_all, name="load-models", daemon=True)
        loader.start()
        yield
        await run_in_threadpool(loader.join)
        models.close()

    app = FastAPI(
        title="rnnkit",
        summary="Recurrent models over HTTP: OpenAI-style completions, and the other kinds.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load their scripts from a CDN: ours is plain HTML
        redoc_url=None,
    )
    app.state.models = models  # for tests and tools that look inside
    plain_schema = app.openapi

    def openapi() -> dict[str, Any]:
        schema = plain_schema()
        if models.ready.is_set():
            _name_models(schema, models)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    _errors(app)
    _routes(app, models, cfg)
    app.mount("/static", StaticFiles(packages=[("rnnkit.serve", "static")]), name="static")
    app.add_middleware(ApiKey, key=cfg.api_key)
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cfg.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


# ------------------------------------------------------------------------------- errors
def _errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.message, err.param)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0]
        where = [str(p) for p in first.get("loc", ()) if p != "body" and not isinstance(p, int)]
        param = where[0] if where else None
        return error_response(422, f"{param or 'body'}: {first.get('msg', 'invalid')}", param)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        return error_response(err.status_code, str(err.detail), headers=dict(err.headers or {}))

    @app.exception_handler(Exception)
    async def crashed(request: Request, err: Exception) -> JSONResponse:
        logger.exception("request failed")
        return error_response(500, f"the server failed on this request: {err}")


def _served(models: Models, name: str, *kinds_: str) -> tuple[Served, Any]:
    """The model ``name`` (404 listing the models), of one of ``kinds_`` (else 400)."""
    if not models.ready.is_set():
        raise ApiError(503, "the models are still loading: try again shortly")
    try:
        served = models.get(name)
        return served, served.need(*kinds_)
    except NotFoundError as err:
        raise ApiError(404, str(err), "model") from None
    except WrongKindError as err:
        raise ApiError(400, str(err), "model") from None


async def _call(param: str, function: Any, *args: Any) -> Any:
    """Run a model's method in a worker thread; its one-line error is a 422 naming ``param``."""
    try:
        return await run_in_threadpool(function, *args)
    except RnnkitError as err:
        raise ApiError(422, str(err), param) from None


# ------------------------------------------------------------------------------- routes
def _routes(app: FastAPI, models: Models, cfg: ServerSettings) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def playground() -> str:
        return resources.files("rnnkit.serve").joinpath("static/index.html").read_text("utf-8")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> str:
        return _docs_page(app.openapi())

    @app.get("/health", response_model=s.Health, responses={503: {"model": s.Health}})
    def health() -> Any:
        """200 once every model is loaded (or failed to), 503 while loading."""
        ready = models.ready.is_set()
        body = {"status": "ok" if ready else "loading", "models": models.status()}
        return body if ready else JSONResponse(body, status_code=503, headers={"Retry-After": "1"})

    @app.get("/v1/models", response_model=s.ModelList, responses=ERRORS)
    def list_models() -> Any:
        if not models.ready.is_set():
            raise ApiError(503, "the models are still loading: try again shortly")
        return {"data": [models.card(models.get(n)) for n in models.names()]}

    @app.post("/v1/completions", response_model=s.Completion, responses=_STREAMED | ERRORS)
    async def completions(body: s.CompletionRequest, request: Request) -> Any:
        """Continue a prompt (OpenAI's completions API); ``stream`` for server-sent events."""
        served, lm = _served(models, body.model, *LANGUAGE_MODELS)
        job = _job(body, lm, cfg)
        if served.worker is None:  # a conditioned model: its own generate(), per request
            return await _conditioned(job, lm, body)
        inbox = Inbox(asyncio.get_running_loop(), body.stream)
        try:
            served.worker.check_room(len(job.specs))
            if sum(len(spec.prompt_ids) for spec in job.specs) <= INLINE_PROMPT:
                gens = served.worker.start(job.specs, inbox)
            else:
                gens = await run_in_threadpool(served.worker.start, job.specs, inbox)
        except BusyError as err:
            raise ApiError(503, str(err)) from None
        if body.stream:
            return StreamingResponse(
                _events(job, gens, inbox),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return await _collect(job, gens, inbox, request)

    @app.post("/v1/classify", response_model=s.ClassifyResponse, responses=ERRORS)
    async def classify(body: s.ClassifyRequest) -> Any:
        """Label probabilities (and attention words, when the model pools by attention)."""
        served, _ = _served(models, body.model, "classifier")
        texts = [body.input] if isinstance(body.input, str) else body.input
        data = await _call("input", ops.classify, served, texts, body.attention)
        return {"model": served.name, "data": data}

    @app.post("/v1/embeddings", response_model=s.EmbeddingsResponse, responses=ERRORS)
    async def embeddings(body: s.EmbeddingsRequest) -> Any:
        """Word vectors, in OpenAI's embeddings shape."""
        served, _ = _served(models, body.model, WORD_VECTORS)
        words = [body.input] if isinstance(body.input, str) else body.input
        found = await _call("input", ops.embeddings, served, words, body.encoding_format)
        used = sum(len(w.split()) for w in words)
        return {
            "model": served.name,
            "data": [{"index": i, "embedding": v} for i, v in enumerate(found)],
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }

    @app.post("/v1/neighbors", response_model=s.NeighborsResponse, responses=ERRORS)
    async def neighbors(body: s.NeighborsRequest) -> Any:
        """The nearest words to ``positive`` minus ``negative`` (an analogy, or neighbours)."""
        served, _ = _served(models, body.model, WORD_VECTORS)
        positive = [body.positive] if isinstance(body.positive, str) else body.positive
        data = await _call("positive", ops.neighbors, served, positive, body.negative, body.topn)
        return {"model": served.name, "data": data}

    @app.post("/v1/forecast", response_model=s.ForecastResponse, responses=ERRORS)
    async def forecast(body: s.ForecastRequest) -> Any:
        """The next ``horizon`` steps with a ``level`` interval, after the last observations."""
        served, _ = _served(models, body.model, "forecaster")
        found = await _call("horizon", ops.forecast, served, body.horizon, body.level, body.history)
        return {"model": served.name, "level": body.level, **found}

    @app.post("/v1/translate", response_model=s.TranslateResponse, responses=ERRORS)
    async def translate(body: s.TranslateRequest) -> Any:
        """A sequence-to-sequence model's output for each input (greedy or beam search)."""
        served, _ = _served(models, body.model, "seq2seq")
        texts = [body.input] if isinstance(body.input, str) else body.input
        args = (served, texts, body.beam, body.max_length, body.attention)
        return {"model": served.name, "data": await _call("input", ops.translate, *args)}


_STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/event-stream": {
                "schema": {  # each event: a Completion chunk as JSON in data, then [DONE]
                    "type": "object",
                    "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
                    "required": ["data"],
                }
            }
        },
        "description": "A completion, or with stream: true its chunks as server-sent events.",
    }
}


# --------------------------------------------------------------------------- completions
@dataclass(frozen=True)
class Job:
    """A completions request, checked: its generations and what the response repeats."""

    id: str
    created: int
    model: str
    seed: int
    specs: list[Spec]
    prompt_tokens: int
    logprobs: bool


def _job(body: s.CompletionRequest, lm: Any, cfg: ServerSettings) -> Job:
    """Check a request against this model and this server's limits; its generations."""
    prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
    total = body.max_tokens * body.n * len(prompts)
    if total > cfg.max_tokens:
        raise ApiError(
            422,
            f"max_tokens x n x prompts is {total:,}, over this server's limit of "
            f"{cfg.max_tokens:,}",
            "max_tokens",
        )
    if body.style is not None and not ops.styles(lm):
        raise ApiError(422, f"{body.model} is not a conditioned model: it has no styles", "style")
    try:
        writing = lm.writing(body.unit)
    except RnnkitError as err:
        raise ApiError(422, str(err), "unit") from None
    try:
        ids = [torch.from_numpy(lm.vocab_.encode_prompt(p)[0]) for p in prompts]
    except RnnkitError as err:
        raise ApiError(422, str(err), "prompt") from None
    stops = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    sampling = SamplingConfig(body.temperature, body.top_k or None, body.top_p)
    seed = body.seed if body.seed is not None else secrets.randbelow(s.MAX_SEED + 1)
    specs = [
        Spec(
            p * body.n + j,
            ids[p],
            sampling,
            seed + j,
            body.max_tokens,
            stops,
            body.logprobs,
            writing,
        )
        for p in range(len(prompts))
        for j in range(body.n)
    ]
    return Job(
        id=f"cmpl-{secrets.token_hex(12)}",
        created=int(time.time()),
        model=body.model,
        seed=seed,
        specs=specs,
        prompt_tokens=sum(len(i) for i in ids),
        logprobs=body.logprobs is not None,
    )


class _Choices:
    """The text, tokens and finish reason of each choice, as outputs come in."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.text: dict[int, list[str]] = {spec.index: [] for spec in job.specs}
        self.tokens: dict[int, list[Any]] = {spec.index: [] for spec in job.specs}
        self.finish: dict[int, str] = {}
        self.errors: list[tuple[int, str]] = []

    def add(self, out: Output) -> None:
        self.text[out.index].append(out.text)
        self.tokens[out.index].extend(out.tokens)
        if out.finish_reason is not None:
            self.finish[out.index] = out.finish_reason
        if out.error is not None:
            self.errors.append((out.status, out.error))

    @property
    def done(self) -> bool:
        return len(self.finish) == len(self.text)

    def choice(self, index: int, text: str, tokens: list[Any], finish: str | None) -> dict:
        logprobs = None
        if self.job.logprobs:
            logprobs = {
                "tokens": [t.token for t in tokens],
                "token_logprobs": [t.logprob for t in tokens],
                "top_logprobs": [t.top for t in tokens],
                "text_offset": [t.offset for t in tokens],
            }
        return {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish}

    def body(self, choices: list[dict], usage: dict | None) -> dict[str, Any]:
        job = self.job
        return {
            "id": job.id,
            "object": "text_completion",
            "created": job.created,
            "model": job.model,
            "choices": choices,
            "usage": usage,
            "seed": job.seed,
        }


async def _collect(job: Job, gens: list[Generation], inbox: Inbox, request: Request) -> Any:
    """Wait for every choice (watching for the client going away), then answer at once."""
    got = _Choices(job)
    try:
        while not got.done:
            for out in await inbox.take(timeout=0.25):
                got.add(out)
            if not got.done and await request.is_disconnected():
                # Nobody to answer (499, as nginx logs it); finally drops the generations.
                return error_response(499, "the client went away")
    finally:
        for gen in gens:
            gen.cancel()
    if got.errors:
        status, message = got.errors[0]
        raise ApiError(status, message, "unit" if status == 422 else None)
    made = sum(g.made for g in gens)
    usage = {
        "prompt_tokens": job.prompt_tokens,
        "completion_tokens": made,
        "total_tokens": job.prompt_tokens + made,
    }
    choices = [
        got.choice(i, "".join(got.text[i]), got.tokens[i], got.finish[i]) for i in sorted(got.text)
    ]
    return got.body(choices, usage)


async def _events(job: Job, gens: list[Generation], inbox: Inbox) -> AsyncIterator[str]:
    """Server-sent events: a chunk per choice each time text arrives, then ``[DONE]``.

    When the client goes away, Starlette cancels this generator: the finally block drops its
    generations from the batch at the next step."""
    got = _Choices(job)
    try:
        while not got.done:
            taken = await inbox.take()
            for out in taken:
                got.add(out)
            for index, text, tokens, finish in _merged(taken):
                chunk = got.body([got.choice(index, text, tokens, finish)], None)
                inbox.writing()  # resumed once the server's send took it (not while it waits)
                yield f"data: {_json(chunk)}\n\n"
                inbox.written()
        for status, message in got.errors:
            body = error_response(status, message).body
            yield f"data: {bytes(body).decode()}\n\n"
        yield "data: [DONE]\n\n"
    finally:
        for gen in gens:
            gen.cancel()


def _merged(outputs: list[Output]) -> Iterator[tuple[int, str, list[Any], str | None]]:
    """Outputs of one wake-up, one per choice: their text and tokens joined."""
    by_index: dict[int, tuple[list[str], list[Any], list[str | None]]] = {}
    for out in outputs:
        text, tokens, finish = by_index.setdefault(out.index, ([], [], [None]))
        text.append(out.text)
        tokens.extend(out.tokens)
        finish[0] = out.finish_reason or finish[0]
    for index, (text, tokens, finish) in by_index.items():
        yield index, "".join(text), tokens, finish[0]


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def _conditioned(job: Job, lm: Any, body: s.CompletionRequest) -> Any:
    """A conditioned model's completions through its own ``generate`` (style passed on),
    one request at a time, with no logprobs; streamed as one chunk per choice."""
    if body.logprobs is not None:
        raise ApiError(422, "a conditioned model gives no logprobs here", "logprobs")
    size = {lm.size_name if body.unit in (None, lm.unit) else "n_lines": body.max_tokens}
    prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt

    def generate(spec: Spec) -> str:
        text: str = lm.generate(
            prompt=prompts[spec.index // body.n],
            temperature=spec.cfg.temperature,
            top_k=spec.cfg.top_k,
            top_p=spec.cfg.top_p,
            seed=spec.seed,
            stop=list(spec.stops) or None,
            style=body.style,
            **size,
        )
        return text

    got = _Choices(job)
    texts = [await _call("style", generate, spec) for spec in job.specs]
    choices = [got.choice(i, t, [], "length") for i, t in enumerate(texts)]
    if not body.stream:
        return got.body(choices, None)

    async def events() -> AsyncIterator[str]:
        for choice in choices:
            yield f"data: {_json(got.body([choice], None))}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


# ---------------------------------------------------------------------------- middleware
class ApiKey:
    """With a key, every route but the public ones needs ``Authorization: Bearer KEY``
    (compared in constant time)."""

    def __init__(self, app: ASGIApp, key: str | None) -> None:
        self.app, self.key = app, key.encode() if key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        public = path in PUBLIC or path.startswith("/static/")
        if self.key is None or scope["type"] != "http" or public:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.key):
            return await self.app(scope, receive, send)
        response = error_response(
            401,
            "a valid API key is needed: Authorization: Bearer KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)


class BodyLimit:
    """A request body over ``limit`` bytes is refused with 413, whether it says its length or
    not (a chunked body is counted as it arrives)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            response = error_response(413, self._message())
            return await response(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is over {self.limit // 1024} KiB"


#: The request bodies that name a model, and the kinds each serves.
_BODIES = {
    "CompletionRequest": LANGUAGE_MODELS,
    "ClassifyRequest": ("classifier",),
    "EmbeddingsRequest": (WORD_VECTORS,),
    "NeighborsRequest": (WORD_VECTORS,),
    "ForecastRequest": ("forecaster",),
    "TranslateRequest": ("seq2seq",),
}


def _name_models(schema: dict[str, Any], models: Models) -> None:
    """Say in the schema which models each endpoint serves (an enum of their names), so a
    client or a schema fuzzer knows the names that work."""
    for body, kinds_ in _BODIES.items():
        names = [n for n in models.names() if models.get(n).kind in kinds_]
        field = schema["components"]["schemas"][body]["properties"]["model"]
        if names:
            field["enum"] = names


def _docs_page(schema: dict[str, Any]) -> str:
    """The API described as a plain page (no scripts from elsewhere), from the OpenAPI
    schema; the schema itself is at /openapi.json."""
    from html import escape

    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            about = escape(op.get("description") or op.get("summary") or "")
            rows.append(
                f"<tr><td><code>{method.upper()} {escape(path)}</code></td><td>{about}</td></tr>"
            )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rnnkit API</title>'
        '<link rel="stylesheet" href="/static/style.css"></head><body class="docs">'
        '<h1>rnnkit API</h1><p>The full schema: <a href="/openapi.json">/openapi.json</a>. '
        'The playground: <a href="/">/</a>.</p>'
        f"<table>{''.join(rows)}</table></body></html>"
    )
