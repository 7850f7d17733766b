"""Learned embeddings of categorical values (entity embeddings, Guo & Berkhahn 2016): one table
per categorical column, the rows of each looked up and concatenated into one vector."""

from __future__ import annotations

import torch
from torch import Tensor, nn

#: Widest embedding the size rule gives.
MAX_EMBED = 50


def embedding_size(levels: int, most: int = MAX_EMBED) -> int:
    """fastai's rule of thumb, ``round(1.6 * levels ** 0.56)``, capped at ``most``.

    Example:
        >>> embedding_size(2), embedding_size(20), embedding_size(148), embedding_size(10**6)
        (2, 9, 26, 50)
    """
    return max(1, min(most, round(1.6 * levels**0.56)))


class Embeddings(nn.Module):
    """One ``nn.Embedding`` per categorical column, outputs concatenated.

    Example:
        >>> emb = Embeddings([3, 5], [2, 4])
        >>> emb(torch.tensor([[0, 4], [2, 1]])).shape, emb.width
        (torch.Size([2, 6]), 6)
    """

    def __init__(self, levels: list[int], sizes: list[int]) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(n, d) for n, d in zip(levels, sizes, strict=True))
        self.width = sum(sizes)

    def forward(self, codes: Tensor) -> Tensor:
        """``codes`` [B, columns] (int64) -> [B, sum of sizes]."""
        return torch.cat([table(codes[:, i]) for i, table in enumerate(self.tables)], dim=1)
