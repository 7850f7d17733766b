"""Continuous batching: one decode worker per language model steps every active generation of
every request together, one batched recurrent step at a time.

A generation joins at the next step (its prompt was read on its own beforehand, by
:func:`~rnnkit.decoding.sampling.prime`) and leaves the step it is done, so a long request
never holds up a short one. The batch has a fixed number of slots: the matrix products always
have the same shape whatever number of slots is busy, and a row's numbers never depend on the
other rows (the products are row by row for a fixed shape; the sampling is row-wise, each row
with its own settings and :class:`torch.Generator`). So a request with a seed gets the same
text alone or in a full batch.

The worker is a thread (PyTorch releases the GIL in its kernels); it hands text to the
request's :class:`Inbox`, which wakes the request's coroutine on the server's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import torch
from torch import Tensor

from rnnkit.core import rng
from rnnkit.decoding.sampling import (
    Counter,
    Sample,
    SamplingConfig,
    Stepper,
    Writing,
    next_tokens_per_row,
    prime,
)
from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import RecurrentLM

logger = logging.getLogger(__name__)


class BusyError(RnnkitError):
    """Every slot and every place in the queue is taken: try again shortly."""


@dataclass(frozen=True)
class Spec:
    """What one generation asks for (a request with ``n`` > 1 is ``n`` of them)."""

    index: int  # the choice's index in the response
    prompt_ids: Tensor  # [P]
    cfg: SamplingConfig
    seed: int
    size: int  # how many units (characters, words or lines) to write
    stops: tuple[str, ...]
    logprobs: int | None  # how many alternatives to report per token (None: no logprobs)
    writing: Writing


@dataclass
class TokenLogprob:
    """A generated token: its text, log-probability under the model, the most likely
    alternatives, and where its text starts among the generated pieces."""

    token: str
    logprob: float
    top: dict[str, float]
    offset: int


@dataclass
class Output:
    """What a generation adds to its response since the last one: new text (and the tokens it
    came from, with logprobs when asked for); the last one says why it ended."""

    index: int
    text: str
    tokens: list[TokenLogprob] = field(default_factory=list)
    finish_reason: str | None = None
    error: str | None = None
    status: int = 500  # the HTTP status of the error


class Inbox:
    """Where the worker leaves a request's outputs, read by the request's coroutine.

    Thread-safe without a lock: ``deque.append`` / ``popleft`` are atomic, and the event is set
    on the event loop's own thread. A streamed request is woken when text comes, at most every
    :attr:`interval` (it takes everything that came since: a chunk holds a few characters); a
    whole one only when a generation ends."""

    #: Seconds between two wake-ups of a streamed request (its first text and its end come at
    #: once): waking the event loop at every step would have the worker thread and the loop
    #: hand the GIL back and forth, each wait up to the interpreter's switch interval.
    interval = 0.02

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: bool) -> None:
        self.loop, self.stream = loop, stream
        self.items: deque[Output] = deque()
        self.event = asyncio.Event()
        self.last_read = time.monotonic()
        self.writing_since: float | None = None  # when the reader began a write not yet taken
        self._signalled = False
        self._woken = 0.0  # when the worker last woke the reader

    def push(self, output: Output) -> None:
        self.items.append(output)
        now = time.monotonic()
        due = output.finish_reason is not None or (
            self.stream and now - self._woken >= self.interval
        )
        if due and not self._signalled:
            self._signalled, self._woken = True, now
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody reads any more
                self.loop.call_soon_threadsafe(self.event.set)

    async def take(self, timeout: float | None = None) -> list[Output]:
        """Wait (up to ``timeout`` seconds) for outputs, then take all that are there."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return []
        self.event.clear()
        self._signalled = False  # before draining: a push from now on wakes us again
        taken = []
        while self.items:
            taken.append(self.items.popleft())
        self.last_read = time.monotonic()
        return taken

    def writing(self) -> None:
        """The reader hands text to its client: until :meth:`written`, it waits on a full
        connection (the ASGI server's send waits while the socket's buffers are full)."""
        self.writing_since = time.monotonic()

    def written(self) -> None:
        """The client took the text the reader handed it."""
        self.writing_since = None

    def stalled(self, blocked: float, unread: float) -> bool:
        """A streamed request's client stopped reading (or went away) while text waits: one
        write has waited ``blocked`` seconds for the client to take it, or nothing was taken
        from the inbox for ``unread`` seconds (a reader that never came back)."""
        if not (self.stream and self.items):
            return False
        now, since = time.monotonic(), self.writing_since
        return (since is not None and now - since > blocked) or now - self.last_read > unread


class Generation:
    """One sample in the batch: its settings, generator, text so far and what was sent."""

    def __init__(self, spec: Spec, inbox: Inbox, logits: Tensor, state: list[Tensor]) -> None:
        self.spec, self.inbox = spec, inbox
        self.logits, self.state = logits, state  # [1, V] and per layer [1, W], after the prompt
        self.generator = rng.generator(spec.seed)
        self.sample = Sample(Counter(spec.size, spec.writing.counts), spec.stops)
        self.cancelled = False
        self.made = 0  # tokens sampled
        self._sent = 0  # characters of the tidied text already handed out
        self._raw = 0  # characters of the raw pieces so far
        self._tokens: deque[tuple[TokenLogprob, int]] = deque()  # with the raw end of each

    def cancel(self) -> None:
        """Leave the batch at the next step (the client went away)."""
        self.cancelled = True

    def add(self, token: int, logprobs: Tensor | None) -> bool:
        """Write one sampled token; hand out the text no stop string can still cut. True when
        the sample is done."""
        piece = self.spec.writing.piece(token)
        if logprobs is not None:
            self._tokens.append((self._logprob(token, piece, logprobs), self._raw + len(piece)))
        self._raw += len(piece)
        self.sample.add(piece)
        self.made += 1
        if not self.sample.done:
            self._publish(None)
        return self.sample.done

    def finish(self) -> None:
        """Hand out the rest of the text, and why it ended (a stop string, or its size)."""
        self._publish("stop" if self.sample.stopped else "length")

    def _logprob(self, token: int, piece: str, logprobs: Tensor) -> TokenLogprob:
        k = self.spec.logprobs or 0
        top = torch.topk(logprobs, k) if k else None
        alternatives = (
            {self.spec.writing.piece(int(i)): float(v) for v, i in zip(*top, strict=True)}
            if top is not None
            else {}
        )
        return TokenLogprob(piece, float(logprobs[token]), alternatives, self._raw)

    def _publish(self, finish_reason: str | None) -> None:
        raw = self.sample.settled()
        text = self.spec.writing.finish(raw)[self._sent :]
        self._sent += len(text)
        tokens = []
        while self._tokens and self._tokens[0][1] <= len(raw):
            tokens.append(self._tokens.popleft()[0])
        if finish_reason is not None:
            self._tokens.clear()  # tokens a stop string cut off
        if text or tokens or finish_reason is not None:
            self.inbox.push(Output(self.spec.index, text, tokens, finish_reason))

    def end(self, finish_reason: str, error: str | None = None, status: int = 500) -> None:
        """Finish without more text (cancelled, or failed with ``error``)."""
        self.inbox.push(Output(self.spec.index, "", [], finish_reason, error, status))


class DecodeWorker:
    """The batch of one language model: ``slots`` generations stepped together, up to
    ``queue`` more waiting for a slot; more than that is :class:`BusyError`.

    A streamed request whose client stops reading is dropped (the stream's own close drops it
    at once): ``stall_s`` after a write of its text began waiting for the client to take it,
    or ``unread_s`` after its reader last took text (see :meth:`Inbox.stalled`).
    """

    #: A burst of requests is taken in before the batch steps (see :meth:`_gather`).
    gather_s, gather_max_s = 0.003, 0.05

    def __init__(
        self,
        model: RecurrentLM,
        slots: int,
        queue: int,
        name: str,
        stall_s: float = 0.5,
        unread_s: float = 10.0,
    ) -> None:
        self.model = model.eval()
        self.stepper = Stepper(self.model)
        self.slots, self.queue = slots, queue
        self.stall_s, self.unread_s = stall_s, unread_s
        self.vocab_size = model.config.vocab_size
        self._waiting: deque[Generation] = deque()
        self._active: dict[int, Generation] = {}
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"decode-{name}", daemon=True)
        self._thread.start()

    @property
    def active(self) -> int:
        """Generations in the batch now."""
        return len(self._active)

    @property
    def waiting(self) -> int:
        """Generations waiting for a slot."""
        return len(self._waiting)

    def check_room(self, n: int) -> None:
        """Raise :class:`BusyError` unless ``n`` more generations fit in the batch or the queue."""
        if len(self._active) + len(self._waiting) + n > self.slots + self.queue:
            raise BusyError(
                f"the server is busy ({self.slots} generations running, {self.queue} waiting "
                "at most): try again shortly"
            )

    def start(self, specs: list[Spec], inbox: Inbox) -> list[Generation]:
        """Read each prompt (once per distinct prompt) and queue the generations; this runs
        in the request's thread, not the worker's, so a long prompt never stalls the batch."""
        self.check_room(len(specs))
        primed: dict[int, tuple[Tensor, list[Tensor]]] = {}
        gens = []
        for spec in specs:
            key = id(spec.prompt_ids)
            if key not in primed:
                logits, model_state = prime(self.model, spec.prompt_ids, 1)
                primed[key] = (logits, self.stepper.from_model_state(model_state))
            gens.append(Generation(spec, inbox, *primed[key]))
        with self._wake:
            self.check_room(len(gens))
            self._waiting.extend(gens)
            self._wake.notify()
        return gens

    def close(self) -> None:
        """Stop the worker thread; generations still running end as cancelled."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------------- the thread
    @torch.inference_mode()
    def _run(self) -> None:
        S, V = self.slots, self.vocab_size
        logits, state = torch.zeros(S, V), self.stepper.init_state(S)
        tokens = torch.zeros(S, dtype=torch.long)
        while True:
            with self._wake:
                while not (self._waiting or self._active or self._closed):
                    self._wake.wait()
                if self._closed:
                    break
            try:
                with self._wake:
                    self._gather()
                    self._admit(logits, state)
                self._sample(logits, tokens)
                logits, state = self.stepper.step(tokens, state)
            except Exception as err:  # one bad step fails its generations, not the server
                logger.exception("decoding failed")
                self._drop_all("error", f"decoding failed: {err}")
                logits, state = torch.zeros(S, V), self.stepper.init_state(S)
        self._drop_all("cancelled")

    def _gather(self) -> None:
        """While requests keep arriving (each within :attr:`gather_s` of the last), wait for
        them before stepping, up to :attr:`gather_max_s` in all: the event loop that takes
        them in then has the GIL to itself, instead of trading it with a worker stepping the
        first ones."""
        if not self._waiting:
            return
        began = time.monotonic()
        while time.monotonic() - began < self.gather_max_s:
            known = len(self._waiting)
            self._wake.wait(self.gather_s)
            if len(self._waiting) == known:
                return

    def _admit(self, logits: Tensor, state: list[Tensor]) -> None:
        """Move waiting generations into free slots: their logits and state become the slot's
        row (the batch's tensors are written in place, the shape never changes)."""
        free = (slot for slot in range(self.slots) if slot not in self._active)
        for slot in free:
            if not self._waiting:
                return
            gen = self._waiting.popleft()
            if gen.cancelled:
                gen.end("cancelled")
                continue
            logits[slot] = gen.logits[0]
            for layer, s in zip(state, gen.state, strict=True):
                layer[slot] = s[0]
            self._active[slot] = gen

    def _sample(self, logits: Tensor, tokens: Tensor) -> None:
        """Pick every active row's next token, hand out its text, free the rows that are
        done; ``tokens`` holds what each slot reads at the next step."""
        for slot, gen in list(self._active.items()):
            if gen.cancelled or gen.inbox.stalled(self.stall_s, self.unread_s):
                del self._active[slot]
                gen.end("cancelled")
        if not self._active:
            return
        slots = sorted(self._active)
        gens = [self._active[s] for s in slots]
        rows = logits[slots]  # [A, V]
        chosen = next_tokens_per_row(rows, [g.spec.cfg for g in gens], [g.generator for g in gens])
        wants = any(g.spec.logprobs is not None for g in gens)
        logprobs = torch.log_softmax(rows, dim=-1) if wants else None
        for i, (slot, gen, token) in enumerate(zip(slots, gens, chosen.tolist(), strict=True)):
            tokens[slot] = token
            row = logprobs[i] if logprobs is not None and gen.spec.logprobs is not None else None
            try:
                if gen.add(token, row):
                    del self._active[slot]  # before the last output: the slot is free then
                    gen.finish()
            except RnnkitError as err:  # e.g. no line break in 10,000 characters
                del self._active[slot]
                gen.end("error", str(err), 422)

    def _drop_all(self, reason: str, error: str | None = None) -> None:
        with self._wake:
            for gen in [*self._active.values(), *self._waiting]:
                gen.end(reason, error)
            self._active.clear()
            self._waiting.clear()
