"""The classifier's baseline beside the network: TF-IDF + logistic regression trained on the
same split, scored side by side, and optionally blended into the predictions with a weight
chosen on the validation data (a normalised geometric mix of the two distributions)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.classify.baseline import TfidfLogReg


@dataclass
class Blend:
    """A fitted baseline, and the network's share of a blended prediction (None: the
    network's prediction alone).

    Example:
        >>> net = torch.log(torch.tensor([[0.9, 0.1], [0.4, 0.6]]))
        >>> base = torch.log(torch.tensor([[0.6, 0.4], [0.8, 0.2]]))
        >>> # p ~ sqrt(0.9 * 0.6) : sqrt(0.1 * 0.4), normalised
        >>> [round(p, 3) for p in mix(net, base, 0.5).exp()[0].tolist()]
        [0.786, 0.214]
    """

    baseline: TfidfLogReg
    weight: float | None = None
    scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        train: tuple[list[str], np.ndarray],
        val: tuple[list[str], np.ndarray],
        net_val_logp: Tensor,
        blend: bool,
        analyzer: str = "word",
    ) -> Blend:
        """Train the baseline (n-grams of ``analyzer``) on ``train`` (documents, class
        indices), score it and the network (its validation log-probabilities) on ``val``, and
        with ``blend`` choose the weight."""
        base = TfidfLogReg(analyzer=analyzer)
        base.fit(train[0], list(train[1]), val[0], list(val[1]))
        out = cls(base)
        base_logp = out.log_proba(val[0], net_val_logp.shape[1])
        truth = torch.from_numpy(val[1])
        out.scores = {
            "network": accuracy(net_val_logp, truth),
            "baseline": accuracy(base_logp, truth),
        }
        if blend:
            out.weight = blend_weight(net_val_logp, base_logp, truth)
            out.scores["blend"] = accuracy(mix(net_val_logp, base_logp, out.weight), truth)
        return out

    def log_proba(self, docs: list[str], num_classes: int) -> Tensor:
        """The baseline's log-probabilities [N, C] in the network's class order; a class the
        baseline never saw in training (possible with one example of it) gets log(1e-12)."""
        assert self.baseline.classes_ is not None
        out = torch.full((len(docs), num_classes), math.log(1e-12))
        columns = torch.from_numpy(np.asarray(self.baseline.classes_, dtype=np.int64))
        out[:, columns] = torch.from_numpy(self.baseline.decision_function(docs)).float()
        return out

    def combine(self, net_logp: Tensor, docs: list[str]) -> Tensor:
        """The prediction: the network's, blended with the baseline's if a weight was chosen."""
        if self.weight is None:
            return net_logp
        return mix(net_logp, self.log_proba(docs, net_logp.shape[1]), self.weight)


def accuracy(logp: Tensor, truth: Tensor) -> float:
    """The share of rows whose most likely class is the true one."""
    return int((logp.argmax(dim=1) == truth).sum()) / max(len(truth), 1)


def mix(net_logp: Tensor, base_logp: Tensor, weight: float) -> Tensor:
    """Log-probabilities of the normalised geometric mix ``p_net^w * p_base^(1-w)``."""
    return F.log_softmax(weight * net_logp + (1.0 - weight) * base_logp, dim=1)


def blend_weight(net_logp: Tensor, base_logp: Tensor, truth: Tensor) -> float:
    """The network's weight (0, 0.05, ..., 1) with the best validation accuracy, ties broken
    by the lower cross-entropy. Both ends are on the grid, so the blend is never less accurate
    on validation than either part alone; chosen by cross-entropy alone it could be (on the
    works at 2,000 characters it let an over-confident network outvote a better baseline).

    Example:
        >>> truth = torch.tensor([0, 1, 1])
        >>> net = torch.log(torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1]]))
        >>> base = torch.log(torch.tensor([[0.6, 0.4], [0.4, 0.6], [0.4, 0.6]]))
        >>> blend_weight(net, base, truth)  # the network is wrong twice: trust the baseline
        0.0
    """
    grid = [i / 20 for i in range(21)]
    scores = [
        (accuracy(mixed, truth), -F.nll_loss(mixed, truth).item())
        for mixed in (mix(net_logp, base_logp, w) for w in grid)
    ]
    return grid[max(range(len(grid)), key=scores.__getitem__)]
