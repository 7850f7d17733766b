"""The NumPy backend inside the one training loop.

:class:`NumpyLMLearner` trains a :class:`~rnnkit.numpy_rnn.NumpyCharModel` (hand-written
forward and backward, NumPy Adam) on the same TBPTT batches as the torch backend. Its parameters
carry the torch names, so they are mirrored into the torch :class:`RecurrentLM` for validation,
sampling and saving: a NumPy-trained checkpoint is an ordinary checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnkit.errors import RnnkitError
from rnnkit.lm.learner import OptimSettings, stream_loss
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM, state_from_tensors, state_tensors
from rnnkit.numpy_rnn import Adam, NumpyCharModel, clip_grad_norm
from rnnkit.training.streams import Batch


class NumpyLMLearner:
    """Trains in NumPy; ``mirror`` (a torch model with the same names) serves everything else.

    Example:
        >>> from rnnkit.models.recurrent_lm import ModelConfig
        >>> from rnnkit.training.streams import TokenStreams
        >>> m = RecurrentLM(ModelConfig(vocab_size=5, hidden_size=8, embed_size=4))
        >>> ids = np.arange(200) % 5
        >>> learner = NumpyLMLearner(m, ids, OptimSettings(), eval_seq_len=16)
        >>> loss = learner.train_step(TokenStreams(ids, 4, 8, 0).batch(0), lr=1e-2)
        >>> 1.0 < loss < 2.5
        True
    """

    def __init__(
        self,
        mirror: RecurrentLM,
        val_ids: np.ndarray,
        opt: OptimSettings,
        eval_seq_len: int,
        sampler: Callable[[], str] | None = None,
    ) -> None:
        c = mirror.config
        if ModelConfig(c.vocab_size, c.cell, c.embed_size, c.hidden_size, c.num_layers) != c:
            raise RnnkitError(
                "the numpy backend trains the plain model only: no dropout, tied weights, "
                "weight drop or adaptive softmax"
            )
        self.mirror, self.val_ids, self.opt, self.eval_seq_len = mirror, val_ids, opt, eval_seq_len
        self.sampler = sampler
        self.model = NumpyCharModel(
            c.vocab_size, c.cell, c.hidden_size, c.embed_size, c.num_layers, dtype=np.float32
        )
        # Start from the torch initialisation, so both backends begin from the same weights.
        self.model.params = {k: v.detach().numpy().copy() for k, v in mirror.state_dict().items()}
        self.optimizer = Adam(betas=(opt.beta1, opt.beta2))
        # AdamW's decoupled decay, on the same parameters as the torch learner (matrices only).
        self.decayed = [
            k for k, v in self.model.params.items() if v.ndim >= 2 and k[:6] != "embed."
        ]
        self.state: Any = None

    def train_step(self, batch: Batch, lr: float) -> float:
        """One Adam update on a TBPTT window, with hand-written backprop through time."""
        if batch.reset or self.state is None:
            self.state = self.model.init_state(batch.inputs.shape[0])
        loss, grads, self.state = self.model.loss_and_grads(
            batch.inputs.numpy(), batch.targets.numpy(), self.state
        )
        clip_grad_norm(grads, self.opt.clip)
        for name in self.decayed:
            self.model.params[name] *= 1.0 - lr * self.opt.weight_decay
        self.optimizer.lr = lr
        self.optimizer.step(self.model.params, grads)
        return loss

    def validate(self) -> float:
        self._sync_mirror()
        return stream_loss(self.mirror, self.val_ids, self.eval_seq_len)

    def rank(self, val_loss: float) -> float:
        """The best weights are those of the lowest validation loss."""
        return val_loss

    def sample(self) -> str:
        self._sync_mirror()
        return self.sampler() if self.sampler is not None else ""

    def weights(self) -> dict[str, Tensor]:
        return {k: torch.from_numpy(v) for k, v in self.model.params.items()}

    def load_weights(self, weights: dict[str, Tensor]) -> None:
        self.model.params = {k: v.numpy().copy() for k, v in weights.items()}
        self._sync_mirror()

    def train_state(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        tensors = {
            f"npoptim.{k}": torch.from_numpy(np.asarray(v))
            for k, v in self.optimizer.state_dict().items()
        }
        if self.state is not None:
            arrays = state_tensors(_to_torch(self.state))
            tensors.update({f"hidden.{k}": v for k, v in arrays.items()})
        return tensors, {}

    def load_train_state(self, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(
            {
                k.removeprefix("npoptim."): v.numpy()
                for k, v in tensors.items()
                if k.startswith("npoptim.")
            }
        )
        hidden = {k.removeprefix("hidden."): v for k, v in tensors.items() if k[:7] == "hidden."}
        self.state = _to_numpy(state_from_tensors(hidden)) if hidden else None

    def _sync_mirror(self) -> None:
        self.mirror.load_state_dict(self.weights())


def _to_torch(state: Any) -> Any:
    if isinstance(state, tuple):
        return tuple(torch.from_numpy(s) for s in state)
    return torch.from_numpy(state)


def _to_numpy(state: Any) -> Any:
    if isinstance(state, tuple):
        return tuple(s.numpy().copy() for s in state)
    return state.numpy().copy()
