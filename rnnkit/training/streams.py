"""Contiguous token streams for truncated backpropagation through time (TBPTT).

The corpus is cut into ``B`` equal streams laid side by side, and step ``j`` of an epoch reads
the ``j``-th window of ``T`` tokens of every stream::

    corpus: a b c d e f g h i j k l m n o p q r s t u v w x   (B = 3 streams, T = 2)
    stream 0: a b | c d | e f | g h     step 0 reads [a b], [i j], [q r]
    stream 1: i j | k l | m n | o p     step 1 reads [c d], [k l], [s t]  <- continues each
    stream 2: q r | s t | u v | w x                                         stream, so the
                                                                             hidden state carries
Each epoch starts at a random offset in ``[0, T)`` (seeded by ``(seed, epoch)``), so window
boundaries move between epochs. A batch is a pure function of the step number, which makes
resuming exact: the data position is just the step.

A conditioned language model reads a label id beside every token (``labels``, parallel to the
ids); its streams are cut the same way and each batch carries the inputs' labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from rnnkit.errors import RnnkitError


def stream_geometry(tokens: int, batch_size: int, seq_len: int) -> tuple[int, int]:
    """The number of streams (``batch_size``, fewer for a short text) and the length of each
    for ``tokens`` tokens read in windows of ``seq_len``.

    Example:
        >>> stream_geometry(100, batch_size=4, seq_len=5)
        (4, 23)
    """
    if seq_len < 1 or batch_size < 1:
        raise RnnkitError("seq_len and batch_size must be at least 1")
    # Leave room for the largest offset (T - 1) and the one-token target shift.
    usable = tokens - seq_len
    if usable < seq_len:
        raise RnnkitError(
            f"the training text has {tokens} tokens, too short for seq_len {seq_len}: "
            f"give at least {2 * seq_len} tokens or a smaller --seq-len"
        )
    streams = min(batch_size, usable // seq_len)
    return streams, usable // streams


@dataclass(frozen=True)
class Batch:
    """Inputs and next-token targets [B, T]; ``reset`` marks the first window of an epoch;
    ``labels`` [B, T], the inputs' label ids, for conditioned streams."""

    inputs: Tensor
    targets: Tensor
    reset: bool
    labels: Tensor | None = None


class TokenStreams:
    """Deterministic TBPTT batches over a token array.

    Example:
        >>> s = TokenStreams(np.arange(100), batch_size=4, seq_len=5, seed=0)
        >>> b = s.batch(0)
        >>> tuple(b.inputs.shape), bool((b.targets == b.inputs + 1).all()), b.reset
        ((4, 5), True, True)
    """

    def __init__(
        self,
        ids: np.ndarray,
        batch_size: int,
        seq_len: int,
        seed: int,
        labels: np.ndarray | None = None,
    ) -> None:
        self.batch_size, self.stream_len = stream_geometry(len(ids), batch_size, seq_len)
        self.seq_len = seq_len
        self.seed = seed
        self.steps_per_epoch = self.stream_len // seq_len
        self._ids = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64))
        self._labels = None if labels is None else torch.from_numpy(labels.astype(np.int64))

    def offset(self, epoch: int) -> int:
        """Where epoch ``epoch`` starts reading (a seeded random shift in [0, T))."""
        return int(np.random.default_rng([self.seed, epoch]).integers(self.seq_len))

    @lru_cache(maxsize=2)  # noqa: B019 - two epochs at most are live; the cache dies with self
    def _epoch(self, epoch: int) -> tuple[Tensor, Tensor, Tensor | None]:
        start, n = self.offset(epoch), self.batch_size * self.stream_len
        x = self._ids[start : start + n].view(self.batch_size, self.stream_len)
        y = self._ids[start + 1 : start + 1 + n].view(self.batch_size, self.stream_len)
        labels = self._labels
        if labels is not None:
            labels = labels[start : start + n].view(self.batch_size, self.stream_len)
        return x, y, labels

    def batch(self, step: int) -> Batch:
        """The batch trained at global step ``step`` (0-based)."""
        epoch, j = divmod(step, self.steps_per_epoch)
        x, y, labels = self._epoch(epoch)
        window = slice(j * self.seq_len, (j + 1) * self.seq_len)
        labelled = None if labels is None else labels[:, window]
        return Batch(x[:, window], y[:, window], reset=j == 0, labels=labelled)
