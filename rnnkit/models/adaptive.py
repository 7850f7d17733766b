"""An adaptive softmax whose word vectors are the input embedding (tied weights).

``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al., 2017) gives each tail cluster its own, narrower
table, so it cannot share the embedding. This head keeps the same factorisation: a head
softmax over the most frequent words plus one entry per tail cluster, then a softmax within
the target's cluster, but scores every word, head or tail, against its own embedding row
(the tying of Press & Wolf, 2017; Inan et al., 2017). It costs a full softmax only over the
head, and over a tail only for the targets that fall in it; a tail-word prediction costs a
``[n_targets_in_tail, E] x [E, tail_size]`` product.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TiedAdaptiveSoftmax(nn.Module):
    """Class-based softmax over word vectors passed in at each call (the embedding table).

    ``cutoffs`` split the vocabulary (ids sorted by frequency) into a head ``[0, cutoffs[0])``
    and tail clusters; only the cluster scores and the word biases are this module's own.

    Example:
        >>> table = torch.randn(10, 4)  # the embedding: 10 words, 4 wide
        >>> head = TiedAdaptiveSoftmax(4, 10, [3, 6])
        >>> logp = head.log_prob(torch.randn(2, 4), table)  # [2, 10]
        >>> torch.allclose(logp.exp().sum(-1), torch.ones(2))
        True
    """

    def __init__(self, in_features: int, vocab_size: int, cutoffs: list[int]) -> None:
        super().__init__()
        self.bounds = [*cutoffs, vocab_size]  # cluster i (0 = head) ends at bounds[i]
        self.bias = nn.Parameter(torch.zeros(vocab_size))  # one per word
        self.cluster = nn.Linear(in_features, len(cutoffs))  # the tails' entries in the head

    def _head(self, x: Tensor, table: Tensor) -> Tensor:
        """Log-probabilities [N, shortlist + clusters] of the head's words and of each tail."""
        short = self.bounds[0]
        words = F.linear(x, table[:short], self.bias[:short])
        return F.log_softmax(torch.cat([words, self.cluster(x)], dim=-1), dim=-1)

    def _tail(self, x: Tensor, table: Tensor, i: int) -> Tensor:
        """Log-probabilities [N, size of tail i] within tail cluster ``i`` (1-based)."""
        lo, hi = self.bounds[i - 1], self.bounds[i]
        return F.log_softmax(F.linear(x, table[lo:hi], self.bias[lo:hi]), dim=-1)

    def log_prob(self, x: Tensor, table: Tensor) -> Tensor:
        """Log-probabilities [N, V] of every word for inputs ``x`` [N, E]."""
        head = self._head(x, table)
        short = self.bounds[0]
        parts = [head[:, :short]]
        for i in range(1, len(self.bounds)):
            parts.append(head[:, short + i - 1 : short + i] + self._tail(x, table, i))
        return torch.cat(parts, dim=-1)

    def target_log_prob(self, x: Tensor, target: Tensor, table: Tensor) -> Tensor:
        """Log-probability [N] of each ``target`` [N]; a tail is scored only where a target
        falls in it (the saving over a full softmax)."""
        head = self._head(x, table)
        short = self.bounds[0]
        out = head.gather(1, target.clamp(max=short - 1).unsqueeze(1)).squeeze(1)
        for i in range(1, len(self.bounds)):
            lo, hi = self.bounds[i - 1], self.bounds[i]
            rows = ((target >= lo) & (target < hi)).nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            within = self._tail(x[rows], table, i).gather(1, (target[rows] - lo).unsqueeze(1))
            out = out.index_copy(0, rows, head[rows, short + i - 1] + within.squeeze(1))
        return out
