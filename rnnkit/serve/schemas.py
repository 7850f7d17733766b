"""The server's request and response bodies (pydantic): they are the OpenAPI schema, and the
first check of every request (a field out of range is a 422 naming it).

Completions follow OpenAI's legacy completions API (the fields llama.cpp, vLLM and Ollama
accept), plus rnnkit's ``unit`` and ``style``; embeddings follow OpenAI's embeddings API.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Seeds are whole numbers a browser's JavaScript holds exactly (below 2**53).
MAX_SEED = 2**53 - 1
#: The lengths of texts, in characters, and of lists of them: small enough that a body one
#: over the limit (a character or an item too many) still fits in 64 KiB, so it is answered
#: 422 as the schema says, not 413.
Text = Annotated[str, Field(max_length=8192)]
Item = Annotated[str, Field(max_length=4096)]
Texts = Annotated[list[Item], Field(min_length=1, max_length=8)]
StopString = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    """A body with a field the server does not know is refused (a typo is never ignored)."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no "1" for 1, no false for 0


class CompletionRequest(_Strict):
    model: str = Field(description="A model's id, as /v1/models lists it.")
    prompt: Text | Texts = Field(
        "", description="The text to continue (or a list of texts: a choice set for each)."
    )
    max_tokens: int = Field(16, ge=1, description="How many units to write (see unit).")
    temperature: float = Field(1.0, ge=0.0, le=10.0, allow_inf_nan=False)
    top_p: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    top_k: int | None = Field(None, ge=0, description="0 or null: no top-k cut.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="null: the server draws one.")
    stop: StopString | Annotated[list[StopString], Field(max_length=4)] | None = None
    n: int = Field(1, ge=1, le=8, description="Completions per prompt (choice i: seed + i).")
    stream: bool = False
    logprobs: int | None = Field(None, ge=0, le=5, description="Alternatives per token.")
    unit: Literal["chars", "words", "lines"] | None = Field(
        None, description="What max_tokens counts: the model's own unit by default."
    )
    style: str | None = Field(None, description="The style of a conditioned model.")
    user: str | None = Field(None, description="Accepted for compatibility, unused.")


class Logprobs(BaseModel):
    tokens: list[str]
    token_logprobs: list[float]
    top_logprobs: list[dict[str, float]]
    text_offset: list[int]


class CompletionChoice(BaseModel):
    index: int
    text: str
    logprobs: Logprobs | None
    finish_reason: Literal["stop", "length", "cancelled", "error"] | None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None
    seed: int


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "rnnkit"
    kind: str
    level: str | None
    vocab_size: int | None
    styles: list[str] | None
    training: dict[str, float | int | str | bool | None]


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    status: Literal["ok", "loading"]
    models: dict[str, str]


class ClassifyRequest(_Strict):
    model: str
    input: Text | Texts
    attention: int = Field(10, ge=0, le=100, description="Top attention words to report.")


class Classification(BaseModel):
    index: int
    label: str
    probabilities: dict[str, float]
    attention: list[tuple[str, float]] | None


class ClassifyResponse(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[Classification]


Word = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]  # not blank


class EmbeddingsRequest(_Strict):
    model: str
    input: Word | Annotated[list[Word], Field(min_length=1, max_length=256)] = Field(
        description="Words (a text of several words gets the mean of their vectors)."
    )
    encoding_format: Literal["float", "base64"] = "float"
    user: str | None = None


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingsUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingsResponse(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[Embedding]
    usage: EmbeddingsUsage


class NeighborsRequest(_Strict):
    model: str
    positive: Word | Annotated[list[Word], Field(min_length=1, max_length=10)]
    negative: Annotated[list[Word], Field(max_length=10)] = Field(
        [], description="Analogy a : b :: c : ? is positive [b, c], negative [a]."
    )
    topn: int = Field(10, ge=1, le=100)


class Neighbor(BaseModel):
    word: str
    similarity: float


class NeighborsResponse(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[Neighbor]


class ForecastRequest(_Strict):
    model: str
    horizon: int | None = Field(None, ge=1, le=10_000, description="null: the fitted horizon.")
    level: float = Field(0.8, ge=0.01, le=0.999, allow_inf_nan=False)
    history: int = Field(100, ge=0, le=10_000, description="Observations to return before it.")


class Point(BaseModel):
    date: str
    value: float


class ForecastStep(BaseModel):
    date: str
    forecast: float
    lower: float
    upper: float


class ForecastResponse(BaseModel):
    object: Literal["forecast"] = "forecast"
    model: str
    level: float
    history: list[Point]
    data: list[ForecastStep]


Source = Annotated[str, Field(min_length=1, max_length=1024)]


class TranslateRequest(_Strict):
    model: str
    input: Source | Annotated[list[Source], Field(min_length=1, max_length=64)] = Field(
        description="A source text, or a list of them."
    )
    beam: int | None = Field(None, ge=1, le=16, description="Beam width (1: greedy).")
    max_length: int | None = Field(None, ge=1, le=2048, description="Longest output, in symbols.")
    attention: bool = Field(False, description="Return each output's attention weights.")


class AttentionMap(BaseModel):
    source: list[str]
    output: list[str]
    weights: list[list[float]] = Field(description="[output symbol][source symbol], rows sum to 1")


class Translated(BaseModel):
    index: int
    output: str
    score: float
    attention: AttentionMap | None


class TranslateResponse(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[Translated]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: int


class ErrorResponse(BaseModel):
    error: ErrorDetail
