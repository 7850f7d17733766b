"""Classifier learner: cross-entropy over whole texts, in length-bucketed batches.

The model-kind-specific half of the training loop for :class:`~rnnkit.TextClassifier`:
:class:`BucketBatches` implements the loop's ``Batches`` protocol and :class:`ClassifierLearner`
its ``Learner`` protocol, with the two ULMFiT fine-tuning devices (Howard & Ruder, 2018):
discriminative learning rates (each layer group below the head learns ``lr_decay`` times more
slowly than the one above it) and gradual unfreezing (training starts with the head alone and
unfreezes one more group, from the top, every ``unfreeze_steps`` steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.models.classifier import ClassifierNet
from rnnkit.training.buckets import bucket_order
from rnnkit.training.learner import TorchLearner


@dataclass
class TextBatch:
    """Padded token ids [B, T], their lengths [B] and labels [B] (class indices).

    Example:
        >>> b = TextBatch(torch.zeros(2, 5, dtype=torch.long), torch.tensor([5, 3]),
        ...               torch.tensor([0, 1]))
        >>> len(b), b.to(torch.device("cpu")).ids.shape
        (2, torch.Size([2, 5]))
    """

    ids: Tensor
    lengths: Tensor
    labels: Tensor

    def __len__(self) -> int:
        return len(self.lengths)

    def to(self, device: torch.device) -> TextBatch:
        return TextBatch(self.ids.to(device), self.lengths, self.labels.to(device))


def make_batch(seqs: list[np.ndarray], labels: np.ndarray) -> TextBatch:
    """Pad ``seqs`` (int64 id arrays, each non-empty) at the end with id 0 into one batch.

    Example:
        >>> b = make_batch([np.array([5, 6, 7]), np.array([8])], np.array([1, 0]))
        >>> b.ids.tolist(), b.lengths.tolist()
        ([[5, 6, 7], [8, 0, 0]], [3, 1])
    """
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    ids = np.zeros((len(seqs), int(lengths.max())), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    return TextBatch(torch.from_numpy(ids), torch.from_numpy(lengths), torch.from_numpy(labels))


class BucketBatches:
    """Shuffled, length-bucketed batches addressed by step (the loop's ``Batches`` protocol).

    The order of each epoch is :func:`~rnnkit.training.buckets.bucket_order`'s: a pure function
    of (seed, epoch), so a resumed run reads the same batches.

    Example:
        >>> seqs = [np.arange(1, n + 1) for n in (3, 9, 4, 8, 1, 7)]
        >>> batches = BucketBatches(seqs, np.zeros(6, dtype=np.int64), batch_size=2, seed=0)
        >>> batches.steps_per_epoch, sorted(len(batches.batch(s)) for s in range(3))
        (3, [2, 2, 2])
    """

    def __init__(
        self, seqs: list[np.ndarray], labels: np.ndarray, batch_size: int, seed: int
    ) -> None:
        self.seqs, self.labels, self.batch_size, self.seed = seqs, labels, batch_size, seed
        self.lengths = np.array([len(s) for s in seqs])
        self.steps_per_epoch = math.ceil(len(seqs) / batch_size)
        self._epoch: tuple[int, list[np.ndarray]] | None = None

    def batch(self, step: int) -> TextBatch:
        epoch, k = divmod(step, self.steps_per_epoch)
        rows = self._order(epoch)[k]
        return make_batch([self.seqs[i] for i in rows], self.labels[rows])

    def _order(self, epoch: int) -> list[np.ndarray]:
        if self._epoch is None or self._epoch[0] != epoch:
            self._epoch = (epoch, bucket_order(self.lengths, self.batch_size, self.seed, epoch))
        return self._epoch[1]


@torch.inference_mode()
def predict_logits(net: ClassifierNet, seqs: list[np.ndarray], batch_size: int = 64) -> Tensor:
    """Class logits [N, C] for ``seqs``, computed in batches of similar length (in eval mode)."""
    net.eval()
    device = net.embed.weight.device
    order = np.argsort([len(s) for s in seqs], kind="stable")
    out = torch.empty(len(seqs), net.config.num_classes)
    for start in range(0, len(seqs), batch_size):
        rows = order[start : start + batch_size]
        batch = make_batch([seqs[i] for i in rows], np.zeros(len(rows), dtype=np.int64))
        out[torch.from_numpy(rows)] = net(batch.ids.to(device), batch.lengths).float().cpu()
    return out


@dataclass
class FineTuning:
    """Optimisation settings of a classifier run (the learning rate comes from the schedule).

    Example:
        >>> ulmfit = FineTuning(lr_decay=2.6, unfreeze_steps=100)
        >>> ulmfit.weight_decay, ulmfit.freeze_embeddings
        (0.01, False)
    """

    weight_decay: float = 0.01
    clip: float = 1.0
    lr_decay: float = 1.0  # discriminative learning rates: 2.6 in ULMFiT, 1.0 = one rate
    unfreeze_steps: int | None = None  # gradual unfreezing: one more group every N steps
    freeze_embeddings: bool = False  # keep the embedding fixed for the whole run
    embed_lr_scale: float = 1.0  # the embeddings' share of the rate (n-gram rows: 10)


class ClassifierLearner(TorchLearner):
    """Trains a :class:`~rnnkit.models.classifier.ClassifierNet` with AdamW on cross-entropy;
    validation is the mean cross-entropy on held-out texts (accuracy is shown beside it).

    Example:
        >>> from rnnkit.models.classifier import ClassifierConfig
        >>> net = ClassifierNet(ClassifierConfig(vocab_size=9, num_classes=2, hidden_size=4,
        ...                                      embed_size=4))
        >>> seqs, labels = [np.array([1, 2]), np.array([3])], np.array([0, 1])
        >>> learner = ClassifierLearner(net, seqs, labels, FineTuning())
        >>> learner.train_step(make_batch(seqs, labels), lr=0.01) > 0
        True
    """

    def __init__(
        self,
        net: ClassifierNet,
        val_seqs: list[np.ndarray],
        val_labels: np.ndarray,
        tuning: FineTuning,
    ) -> None:
        self.net, self.val_seqs, self.tuning = net, val_seqs, tuning
        self.val_labels = torch.from_numpy(val_labels)
        self.groups = net.layer_groups()  # bottom (embedding) to top (pooling and head)
        super().__init__(net, torch.optim.AdamW(self._param_groups(), lr=0.0))
        self.steps = 0
        self.val_accuracy: float | None = None

    def _param_groups(self) -> list[dict[str, Any]]:
        """One optimizer group per (layer group, decayed or not): matrices decay, biases and
        the embeddings do not; ``scale`` is the group's share of the scheduled rate (the
        embeddings' also times ``embed_lr_scale``)."""
        top = len(self.groups) - 1
        result = []
        for level, params in enumerate(self.groups):
            scale = self.tuning.lr_decay ** -(top - level)
            if level == 0:
                scale *= self.tuning.embed_lr_scale
            decay = [p for p in params if p.dim() >= 2 and level > 0]
            keep = [p for p in params if not (p.dim() >= 2 and level > 0)]
            for group, wd in ((decay, self.tuning.weight_decay), (keep, 0.0)):
                if group:
                    result.append({"params": group, "weight_decay": wd, "scale": scale})
        return result

    def lowest_trainable(self) -> int:
        """The lowest layer group that trains at this step (gradual unfreezing)."""
        floor = 1 if self.tuning.freeze_embeddings else 0
        every = self.tuning.unfreeze_steps
        if not every:
            return floor
        return max(floor, len(self.groups) - 1 - self.steps // every)

    def train_step(self, batch: TextBatch, lr: float) -> float:
        """One AdamW update on a batch of whole texts."""
        lowest = self.lowest_trainable()
        for level, params in enumerate(self.groups):
            for p in params:
                p.requires_grad_(level >= lowest)
        self.net.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["scale"]
        batch = batch.to(self.net.embed.weight.device)
        loss = F.cross_entropy(self.net(batch.ids, batch.lengths), batch.labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.tuning.clip)
        self.optimizer.step()
        self.steps += 1
        return loss.item()

    def validate(self) -> float:
        logits = predict_logits(self.net, self.val_seqs)
        self.val_accuracy = (logits.argmax(1) == self.val_labels).float().mean().item()
        return F.cross_entropy(logits, self.val_labels).item()

    def rank(self, val_loss: float) -> float:
        """The best weights are those of the highest validation accuracy, not the lowest
        loss: on the works at character level the loss bottoms out early while the accuracy
        still climbs, as the network grows confident on what it gets right."""
        assert self.val_accuracy is not None, "rank follows validate"
        return 1.0 - self.val_accuracy

    def sample(self) -> str:
        """What the loop prints after a validation: the validation accuracy."""
        return "" if self.val_accuracy is None else f"validation accuracy {self.val_accuracy:.4f}"

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """The optimizer and RNG state, and the step count gradual unfreezing follows."""
        tensors, meta = super().train_state()
        return tensors, {**meta, "learner_steps": self.steps}

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        super().load_train_state(tensors, meta)
        self.steps = int(meta["learner_steps"])
