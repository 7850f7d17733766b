"""The window network of the recurrent forecasters (:mod:`rnnkit.timeseries.recurrent`).

An LSTM or GRU reads a window of past values (and the covariates one step later), a linear head
gives each output step and quantile, a linear "highway" from the window's values makes it never
worse at linear autoregression than least squares (as in LSTNet, Lai et al. 2018), and each
output step gets a linear term in its own covariates. A forecaster over many series (a panel)
adds learned embeddings of the series id and of static categorical columns
(:mod:`rnnkit.models.categorical`), read at every step of the window and by the head, so one
network can forecast each series in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from rnnkit.models.categorical import Embeddings


@dataclass
class WindowConfig:
    """Shape of a :class:`WindowNet` (stored in the checkpoint's config).

    Example:
        >>> WindowConfig(cell="gru", window=12).quantiles
        [0.5]
    """

    cell: str = "lstm"
    covariates: int = 0
    hidden_size: int = 32
    num_layers: int = 1
    window: int = 24
    outputs: int = 1
    quantiles: list[float] = field(default_factory=lambda: [0.5])
    highway: bool = True
    #: Levels of each categorical input (series id, static columns) and its embedding width.
    categories: list[int] = field(default_factory=list)
    embed_sizes: list[int] = field(default_factory=list)


class WindowNet(nn.Module):
    """LSTM / GRU over a window, a linear head per output step and quantile, a linear highway
    from the window's values, and a linear term in each output step's covariates.

    Example:
        >>> import torch
        >>> net = WindowNet(WindowConfig(window=6, outputs=3, quantiles=[0.1, 0.5, 0.9]))
        >>> net(torch.zeros(2, 6, 1), torch.zeros(2, 3, 0)).shape
        torch.Size([2, 3, 3])
        >>> panel = WindowNet(WindowConfig(window=6, categories=[4], embed_sizes=[3]))
        >>> panel(torch.zeros(2, 6, 1), torch.zeros(2, 1, 0), torch.tensor([[0], [3]])).shape
        torch.Size([2, 1, 1])
    """

    def __init__(self, cfg: WindowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        rnn = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.embed = Embeddings(cfg.categories, cfg.embed_sizes) if cfg.categories else None
        extra = self.embed.width if self.embed is not None else 0
        self.rnn = rnn(
            1 + cfg.covariates + extra, cfg.hidden_size, cfg.num_layers, batch_first=True
        )
        width = cfg.outputs * len(cfg.quantiles)
        self.head = nn.Linear(cfg.hidden_size + extra, width)
        self.highway = nn.Linear(cfg.window, width) if cfg.highway else None
        self.cov_head = nn.Linear(cfg.covariates, len(cfg.quantiles)) if cfg.covariates else None

    def forward(self, inputs: Tensor, future: Tensor, codes: Tensor | None = None) -> Tensor:
        """``inputs`` [B, window, 1 + covariates], ``future`` [B, outputs, covariates] and, with
        categories, their ``codes`` [B, categories] -> [B, outputs, quantiles]."""
        values = inputs[:, :, 0]
        if self.embed is not None:
            assert codes is not None, "a network with categories needs their codes"
            e = self.embed(codes)  # [B, E]
            inputs = torch.cat([inputs, e[:, None, :].expand(-1, inputs.shape[1], -1)], dim=2)
        out, _ = self.rnn(inputs)
        last = out[:, -1] if self.embed is None else torch.cat([out[:, -1], e], dim=1)
        y = self.head(last)
        if self.highway is not None:
            y = y + self.highway(values)
        y = y.view(len(inputs), self.cfg.outputs, len(self.cfg.quantiles))
        if self.cov_head is not None:
            y = y + self.cov_head(future)
        return y
