"""The models a server holds: each folder loaded by its kind (:func:`rnnkit.cli.kinds.load`),
named by its folder, described for ``/v1/models``, and used by the endpoints of its kind.

A folder that fails to load is reported by ``/health`` and left out; the others are served.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.cli import kinds
from rnnkit.errors import RnnkitError
from rnnkit.serve.batch import DecodeWorker

logger = logging.getLogger(__name__)

LANGUAGE_MODELS = ("char_lm", "word_lm")
WORD_VECTORS = kinds.WORD_VECTORS
#: Statistics of a run that /v1/models shows (from the checkpoint's ``stats``).
TRAINING_FIGURES = ("steps", "elapsed_s", "best_val_loss", "best_step", "tokens_seen")


class NotFoundError(RnnkitError):
    """No model of that name (the message lists the ones there are)."""


class WrongKindError(RnnkitError):
    """The model is of a kind this endpoint does not serve."""


@dataclass
class Served:
    """One folder: the loaded model (or why it failed), its decode worker if it generates."""

    name: str
    folder: Path
    kind: str = ""
    model: Any = None
    error: str | None = None
    worker: DecodeWorker | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    lock: threading.Lock = field(default_factory=threading.Lock)  # one call at a time

    def need(self, *kinds_: str) -> Any:
        """The model, if it is of one of ``kinds_``."""
        if self.kind not in kinds_:
            raise WrongKindError(
                f"{self.name} is a {self.kind}; this endpoint serves {' or '.join(kinds_)}"
            )
        return self.model


class Models:
    """The served models by name, loaded in the background (``ready`` says when done)."""

    def __init__(self, folders: list[Path], slots: int, queue: int, stall_s: float) -> None:
        self.slots, self.queue, self.stall_s = slots, queue, stall_s
        self.served: dict[str, Served] = {}
        for folder in folders:
            name = folder.resolve().name
            if name in self.served:
                raise RnnkitError(f"two folders are named {name}: give each model its own name")
            self.served[name] = Served(name, folder)
        self.ready = threading.Event()

    def load_all(self) -> None:
        """Load every folder; one that fails is reported, not fatal."""
        for served in self.served.values():
            try:
                served.kind, served.model = kinds.load(served.folder)
                if served.kind in LANGUAGE_MODELS and not styles(served.model):
                    net = served.model.model_.cpu()  # token by token, a GPU only adds latency
                    served.worker = DecodeWorker(
                        net, self.slots, self.queue, served.name, self.stall_s
                    )
            except Exception as err:  # any failure: this model is out, the server stays up
                served.error = str(err) or type(err).__name__
                logger.warning("cannot serve %s: %s", served.folder, served.error)
        self.ready.set()

    def close(self) -> None:
        for served in self.served.values():
            if served.worker is not None:
                served.worker.close()

    def get(self, name: str) -> Served:
        served = self.served.get(name)
        if served is None or served.model is None:
            have = ", ".join(self.names()) or "none"
            raise NotFoundError(f"no model named {name!r}; the models are: {have}")
        return served

    def names(self) -> list[str]:
        return [n for n, s in self.served.items() if s.model is not None]

    def status(self) -> dict[str, str]:
        return {
            n: "loading"
            if not self.ready.is_set() and s.model is None and s.error is None
            else f"failed: {s.error}"
            if s.error
            else "ready"
            for n, s in self.served.items()
        }

    def card(self, served: Served) -> dict[str, Any]:
        """The OpenAI model object, with rnnkit's metadata."""
        info = served.model.info()
        stats = info.get("stats") or {}
        return {
            "id": served.name,
            "created": served.created,
            "kind": served.kind,
            "level": _level(served.kind, info),
            "vocab_size": info.get("vocab_size"),
            "styles": styles(served.model) or None,
            "training": {k: stats[k] for k in TRAINING_FIGURES if k in stats},
        }


def _level(kind: str, info: dict[str, Any]) -> str | None:
    if kind == "char_lm":
        return "char"
    if kind in ("word_lm", kinds.WORD_VECTORS):
        return "word"
    return info.get("level")


def styles(model: Any) -> list[str]:
    """The styles of a conditioned language model (none for others)."""
    return list(getattr(model, "styles", None) or [])


# ---------------------------------------------------------------------------- other kinds
def classify(served: Served, texts: list[str], attention: int) -> list[dict[str, Any]]:
    """Label probabilities of each text, and the words attention pooling weighted most."""
    clf = served.need("classifier")
    with served.lock:
        probs = clf.predict_proba(texts)
        explains = "attention" in clf.model_.config.poolings and attention > 0
        words = [clf.explain(t, top=attention) for t in texts] if explains else None
    classes = [str(c) for c in clf.classes_]
    return [
        {
            "index": i,
            "label": classes[int(np.argmax(row))],
            "probabilities": dict(zip(classes, map(float, row), strict=True)),
            "attention": [(w, float(a)) for w, a in words[i]] if words is not None else None,
        }
        for i, row in enumerate(probs)
    ]


def embeddings(served: Served, inputs: list[str], encoding: str) -> list[Any]:
    """A vector for each input: a word's own, or the mean of a text's words."""
    vectors = served.need(kinds.WORD_VECTORS)
    with served.lock:
        found = [np.mean([vectors.vector(w) for w in text.split()], axis=0) for text in inputs]
    if encoding == "base64":  # as OpenAI sends them: little-endian float32
        return [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in found]
    return [v.astype(float).tolist() for v in found]


def neighbors(
    served: Served, positive: list[str], negative: list[str], topn: int
) -> list[dict[str, Any]]:
    vectors = served.need(kinds.WORD_VECTORS)
    with served.lock:
        found = vectors.most_similar(positive, negative, topn=topn)
    return [{"word": w, "similarity": s} for w, s in found]


def forecast(served: Served, horizon: int | None, level: float, history: int) -> dict[str, Any]:
    """The forecast with its interval, and the last ``history`` observations before it."""
    f = served.need("forecaster")
    with served.lock:
        frame = f.predict(horizon, level=level)
    y = f.series_.y.iloc[len(f.series_.y) - history :] if history else f.series_.y.iloc[:0]
    return {
        "history": [{"date": str(d), "value": float(v)} for d, v in y.items()],
        "data": [
            {
                "date": str(d),
                "forecast": float(r.forecast),
                "lower": float(r.lower),
                "upper": float(r.upper),
            }
            for d, r in frame.iterrows()
        ],
    }


def translate(
    served: Served, texts: list[str], beam: int | None, max_length: int | None, attention: bool
) -> list[dict[str, Any]]:
    """Each text's translation and its score, with its attention map when asked for."""
    model = served.need("seq2seq")
    with served.lock:
        found = model.translate(texts, beam=beam, max_length=max_length, return_attention=True)
    return [
        {
            "index": i,
            "output": t.text,
            "score": t.score,
            "attention": {"source": t.source, "output": t.output, "weights": t.attention.tolist()}
            if attention and t.attention is not None
            else None,
        }
        for i, t in enumerate(found)
    ]
