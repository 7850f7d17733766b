"""The window network of the recurrent forecasters (:mod:`rnnkit.timeseries.recurrent`).

An LSTM or GRU reads a window of past values (and the covariates one step later), a linear head
gives each output step and quantile, a linear "highway" from the window's values makes it never
worse at linear autoregression than least squares (as in LSTNet, Lai et al. 2018), and each
output step gets a linear term in its own covariates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn


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


class WindowNet(nn.Module):
    """LSTM / GRU over a window, a linear head per output step and quantile, a linear highway
    from the window's values, and a linear term in each output step's covariates.

    Example:
        >>> import torch
        >>> net = WindowNet(WindowConfig(window=6, outputs=3, quantiles=[0.1, 0.5, 0.9]))
        >>> net(torch.zeros(2, 6, 1), torch.zeros(2, 3, 0)).shape
        torch.Size([2, 3, 3])
    """

    def __init__(self, cfg: WindowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        rnn = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.rnn = rnn(1 + cfg.covariates, cfg.hidden_size, cfg.num_layers, batch_first=True)
        width = cfg.outputs * len(cfg.quantiles)
        self.head = nn.Linear(cfg.hidden_size, width)
        self.highway = nn.Linear(cfg.window, width) if cfg.highway else None
        self.cov_head = nn.Linear(cfg.covariates, len(cfg.quantiles)) if cfg.covariates else None

    def forward(self, inputs: Tensor, future: Tensor) -> Tensor:
        """``inputs`` [B, window, 1 + covariates], ``future`` [B, outputs, covariates] ->
        [B, outputs, quantiles]."""
        out, _ = self.rnn(inputs)
        y = self.head(out[:, -1])
        if self.highway is not None:
            y = y + self.highway(inputs[:, :, 0])
        y = y.view(len(inputs), self.cfg.outputs, len(self.cfg.quantiles))
        if self.cov_head is not None:
            y = y + self.cov_head(future)
        return y
