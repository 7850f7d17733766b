"""What a tabular model plugs into the one training loop: shuffled row batches addressed by
step (the loop's ``Batches``) and an AdamW learner on cross-entropy or mean squared error (its
``Learner``); the loop brings the budget, schedule, validation, best weights, Ctrl-C and exact
resume."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.models.tabular import TabularNet
from rnnkit.training.learner import TorchLearner


@dataclass
class Encoded:
    """Rows as the network reads them: embedding rows [N, C], continuous inputs [N, K] and
    the target [N] (class indices, or standardised numbers; empty when predicting)."""

    ids: Tensor
    cont: Tensor
    y: Tensor

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, index: np.ndarray) -> Encoded:
        at = torch.from_numpy(index)
        return Encoded(self.ids[at], self.cont[at], self.y[at] if len(self.y) else self.y)


class RowBatches:
    """Batches of ``batch_size`` rows, a seeded shuffle per epoch (a pure function of seed and
    epoch, so a resumed run reads the same batches). The rows left over after the last whole
    batch wait for another epoch: a batch of one row would break batch norm.

    Example:
        >>> data = Encoded(torch.zeros(10, 1, dtype=torch.long), torch.zeros(10, 0),
        ...                torch.zeros(10))
        >>> batches = RowBatches(data, batch_size=4, seed=0)
        >>> batches.steps_per_epoch, len(batches.batch(0)), len(batches.batch(1))
        (2, 4, 4)
    """

    def __init__(self, data: Encoded, batch_size: int, seed: int) -> None:
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.steps_per_epoch = max(1, len(data) // batch_size)
        self._epoch: tuple[int, np.ndarray] | None = None

    def batch(self, step: int) -> Encoded:
        epoch, k = divmod(step, self.steps_per_epoch)
        if self._epoch is None or self._epoch[0] != epoch:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.data))
            self._epoch = (epoch, order)
        return self.data.rows(self._epoch[1][k * self.batch_size : (k + 1) * self.batch_size])


@torch.inference_mode()
def outputs(net: TabularNet, data: Encoded, batch_size: int = 8192) -> Tensor:
    """The network's outputs [N, out] for ``data``, in eval mode (no dropout, running norms)."""
    net.eval()
    device = next(net.parameters()).device
    parts = [
        net(data.ids[i : i + batch_size].to(device), data.cont[i : i + batch_size].to(device))
        for i in range(0, len(data), batch_size)
    ]
    return torch.cat(parts).float().cpu() if parts else torch.empty(0, net.config.out)


def loss_of(out: Tensor, y: Tensor, classification: bool) -> Tensor:
    """Cross-entropy over classes, or the mean squared error of a single output."""
    return F.cross_entropy(out, y) if classification else F.mse_loss(out[:, 0], y)


class TabularLearner(TorchLearner):
    """AdamW on a :class:`~rnnkit.models.tabular.TabularNet`; validation is the same loss on
    held-out rows (and the accuracy of a classifier, shown beside it). Weight decay applies to
    the linear layers' matrices only, not to embeddings, norms or biases.

    Example:
        >>> from rnnkit.models.tabular import TabularConfig
        >>> net = TabularNet(TabularConfig([3], [2], n_continuous=0, out=2, layers=[4]))
        >>> data = Encoded(torch.tensor([[1], [2], [1], [2]]), torch.zeros(4, 0),
        ...                torch.tensor([0, 1, 0, 1]))
        >>> learner = TabularLearner(net, data, classification=True, weight_decay=0.01)
        >>> learner.train_step(data, lr=0.01) > 0
        True
    """

    def __init__(
        self,
        net: TabularNet,
        val: Encoded,
        classification: bool,
        weight_decay: float,
        clip: float = 1.0,
    ) -> None:
        self.net, self.val, self.classification, self.clip = net, val, classification, clip
        matrices = [m.weight for m in net.head if isinstance(m, torch.nn.Linear)]
        chosen = {id(p) for p in matrices}
        rest = [p for p in net.parameters() if id(p) not in chosen]
        groups = [
            {"params": matrices, "weight_decay": weight_decay},
            {"params": rest, "weight_decay": 0.0},
        ]
        super().__init__(net, torch.optim.AdamW(groups, lr=0.0))
        self.val_accuracy: float | None = None

    def train_step(self, batch: Encoded, lr: float) -> float:
        """One AdamW update on a batch of rows."""
        self.net.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        device = self.device
        out = self.net(batch.ids.to(device), batch.cont.to(device))
        loss = loss_of(out, batch.y.to(device), self.classification)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.clip)
        self.optimizer.step()
        return loss.item()

    def validate(self) -> float:
        out = outputs(self.net, self.val)
        if self.classification:
            self.val_accuracy = (out.argmax(1) == self.val.y).float().mean().item()
        return loss_of(out, self.val.y, self.classification).item()

    def sample(self) -> str:
        """What the loop prints after a validation: a classifier's validation accuracy."""
        return "" if self.val_accuracy is None else f"validation accuracy {self.val_accuracy:.4f}"
