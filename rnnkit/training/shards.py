"""The streams of :mod:`rnnkit.training.streams`, read window by window: from a token store
on disk (nothing loaded whole), and as one rank's share of a distributed run.

The global streams are fixed by ``batch_size`` (never by the number of ranks), and rank ``r``
of ``W`` owns the contiguous block ``[r * B / W, (r + 1) * B / W)`` of them (fairseq's
truncated-BPTT task), so each rank carries the hidden state of its own streams, and the ranks'
batches laid side by side are the batch one process would train on::

    streams 0 1 2 3 | 4 5 6 7      (B = 8, W = 2)
            rank 0  |  rank 1      each reads its rows of every window, at the same offsets
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from rnnkit.errors import RnnkitError
from rnnkit.training.streams import Batch, TokenStreams, stream_geometry


class Tokens(Protocol):
    """Token ids read by contiguous slices: an array, or a store's span read from disk."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice) -> np.ndarray: ...


class StreamShard(TokenStreams):
    """Rows ``[lo, hi)`` of the batches of ``TokenStreams(ids, batch_size, seq_len, seed)``,
    read from ``ids`` one window at a time.

    Example:
        >>> ids = np.arange(200)
        >>> whole = TokenStreams(ids, batch_size=4, seq_len=5, seed=0).batch(7)
        >>> half = StreamShard(ids, 4, 5, seed=0, rank=1, world=2).batch(7)
        >>> bool(torch.equal(half.inputs, whole.inputs[2:])), half.reset == whole.reset
        (True, True)
    """

    def __init__(
        self, ids: Tokens, batch_size: int, seq_len: int, seed: int, rank: int = 0, world: int = 1
    ) -> None:
        self.batch_size, self.stream_len = stream_geometry(len(ids), batch_size, seq_len)
        if self.batch_size % world:
            raise RnnkitError(
                f"{self.batch_size} streams do not split evenly over {world} ranks: choose a "
                f"--batch-size that is a multiple of {world}"
            )
        self.seq_len, self.seed = seq_len, seed
        self.steps_per_epoch = self.stream_len // seq_len
        per = self.batch_size // world
        self.rows = range(rank * per, (rank + 1) * per)
        self._tokens = ids

    def batch(self, step: int) -> Batch:
        """This shard's rows of the batch trained at global step ``step``."""
        epoch, j = divmod(step, self.steps_per_epoch)
        first = self.offset(epoch) + j * self.seq_len
        windows = [
            self._tokens[
                first + r * self.stream_len : first + r * self.stream_len + self.seq_len + 1
            ]
            for r in self.rows
        ]
        data = torch.from_numpy(np.stack(windows).astype(np.int64, copy=False))
        return Batch(data[:, :-1], data[:, 1:], reset=j == 0)


def streams_for(
    ids: Tokens, batch_size: int, seq_len: int, seed: int, rank: int = 0, world: int = 1
) -> TokenStreams:
    """In-memory streams for an array trained in one process; window-by-window streams for a
    store's tokens or a rank's share."""
    if isinstance(ids, np.ndarray) and world == 1:
        return TokenStreams(ids, batch_size, seq_len, seed)
    return StreamShard(ids, batch_size, seq_len, seed, rank, world)
