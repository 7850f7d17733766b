"""The entity-embedding network for tables (Guo & Berkhahn 2016; fastai's ``TabularModel``):
one embedding table per categorical column, the standardised continuous columns beside them,
then an MLP head.

::

    ids [B, C] --(one nn.Embedding per column)--> [B, sum(sizes)] --dropout--+
                                                                            +--> MLP --> [B, out]
    cont [B, K] ------------------(batch / layer norm, or none)-------------+

Row 0 of every embedding table is the shared ``<unk>`` row (rare and unseen categories).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.errors import RnnkitError
from rnnkit.models import categorical

NORMS = ("batch", "layer", "none")


def embedding_size(n: int) -> int:
    """fastai's rule (:func:`~rnnkit.models.categorical.embedding_size`) at fastai's cap of 600:
    ``min(600, round(1.6 * n ** 0.56))``.

    Example:
        >>> [embedding_size(n) for n in (2, 4, 13, 106, 4044, 10**6)]
        [2, 3, 7, 22, 167, 600]
    """
    return categorical.embedding_size(n, most=600)


@dataclass
class TabularConfig:
    """Architecture of a :class:`TabularNet`; stored as JSON in the checkpoint.

    ``cardinalities[i]`` rows (``<unk>`` included) of width ``embed_sizes[i]`` for categorical
    column ``i``; ``n_continuous`` continuous inputs; hidden ``layers`` of the MLP, each
    linear -> ReLU -> norm -> dropout; ``out`` outputs (1 for regression, else the classes).

    Example:
        >>> TabularConfig([4, 13], [3, 7], n_continuous=1, out=2).n_inputs
        11
    """

    cardinalities: list[int]
    embed_sizes: list[int]
    n_continuous: int
    out: int
    layers: list[int] = field(default_factory=lambda: [200, 100])
    dropout: float = 0.1
    embed_dropout: float = 0.05
    norm: str = "batch"

    def __post_init__(self) -> None:
        if len(self.cardinalities) != len(self.embed_sizes):
            raise RnnkitError("one embedding size is needed per categorical column")
        if not self.cardinalities and self.n_continuous == 0:
            raise RnnkitError("a tabular model needs at least one categorical or continuous column")
        if any(n < 1 for n in [*self.cardinalities, *self.embed_sizes, *self.layers, self.out]):
            raise RnnkitError("sizes (embedding widths, layers) must be positive")
        for name in ("dropout", "embed_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise RnnkitError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.norm not in NORMS:
            raise RnnkitError(f"norm must be one of {', '.join(NORMS)}, got {self.norm!r}")

    @property
    def n_inputs(self) -> int:
        """Width of the MLP's input: every embedding plus the continuous columns."""
        return sum(self.embed_sizes) + self.n_continuous

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class TabularNet(nn.Module):
    """Embeddings + continuous columns -> MLP.

    Example:
        >>> net = TabularNet(TabularConfig([4, 13], [3, 7], n_continuous=1, out=2))
        >>> net(torch.tensor([[1, 5], [0, 12]]), torch.zeros(2, 1)).shape
        torch.Size([2, 2])
    """

    def __init__(self, config: TabularConfig) -> None:
        super().__init__()
        self.config = config
        sizes = zip(config.cardinalities, config.embed_sizes, strict=True)
        self.embeds = nn.ModuleList(nn.Embedding(n, d) for n, d in sizes)
        for table in self.tables():
            # Small at the start (fastai's std 0.01), so that what the rows hold is what they
            # learned, not the spread of a unit-normal draw (which would swamp a map of them).
            nn.init.trunc_normal_(table.weight, std=0.01, a=-0.02, b=0.02)
        self.embed_drop = nn.Dropout(config.embed_dropout)
        k = config.n_continuous
        self.cont_norm = _norm(config.norm, k) if k else nn.Identity()
        blocks: list[nn.Module] = []
        width = config.n_inputs
        for hidden in config.layers:
            blocks += [nn.Linear(width, hidden), nn.ReLU(), _norm(config.norm, hidden)]
            blocks.append(nn.Dropout(config.dropout))
            width = hidden
        self.head = nn.Sequential(*blocks, nn.Linear(width, config.out))

    def embed(self, ids: Tensor) -> Tensor:
        """The embeddings of ``ids`` [B, C], side by side: [B, sum(embed_sizes)]."""
        parts = [table(ids[:, i]) for i, table in enumerate(self.tables())]
        return torch.cat(parts, dim=1) if parts else ids.new_zeros(len(ids), 0).float()

    def forward(self, ids: Tensor, cont: Tensor) -> Tensor:
        x = self.embed_drop(self.embed(ids))
        if self.config.n_continuous:
            x = torch.cat([x, self.cont_norm(cont)], dim=1)
        out: Tensor = self.head(x)
        return out

    def tables(self) -> list[nn.Embedding]:
        """The embedding table of each categorical column, in column order."""
        return [t for t in self.embeds if isinstance(t, nn.Embedding)]


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()
