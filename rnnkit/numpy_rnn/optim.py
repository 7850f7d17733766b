"""Gradient clipping and optimizers (Adagrad, Adam/AdamW) over dicts of NumPy arrays.

Each mirrors the update of its ``torch.optim`` / ``torch.nn.utils`` namesake
line for line, so a NumPy run and a PyTorch run from the same weights follow
the same trajectory.  Updates are in place: the model's arrays (and any layer
viewing them) see the new values without being rebuilt.

``state_dict()`` holds the per-parameter buffers and the step count, flat as
``{"step": ..., "<buffer>.<param name>": ...}``; hyperparameters are not part of
it (pass the same ones to the constructor when resuming).
"""

from __future__ import annotations

import math

import numpy as np

from .cells import Array


def clip_grad_norm(grads: dict[str, Array], max_norm: float) -> float:
    """Scale all gradients in place so their global L2 norm is at most ``max_norm``.

    Like ``torch.nn.utils.clip_grad_norm_``: one norm over all parameters
    (clipping each separately would change the update's direction), the same
    1e-6 guard in the scale factor, and the norm *before* clipping is returned.
    """
    total = float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads.values())))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return total


class _Optimizer:
    """Step counter and named per-parameter buffers, created lazily as zeros on first use."""

    buffer_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.steps = 0
        self.buffers: dict[str, dict[str, Array]] = {b: {} for b in self.buffer_names}

    def _buffer(self, buffer: str, name: str, like: Array) -> Array:
        return self.buffers[buffer].setdefault(name, np.zeros_like(like))

    def state_dict(self) -> dict[str, Array]:
        """Copies of the step count and every buffer, enough to resume training exactly."""
        state = {"step": np.array(self.steps)}
        for b, named in self.buffers.items():
            state.update({f"{b}.{name}": a.copy() for name, a in named.items()})
        return state

    def load_state_dict(self, state: dict[str, Array]) -> None:
        """Restore what ``state_dict`` returned (copied, so the source may be reused)."""
        self.steps = int(state["step"])
        self.buffers = {b: {} for b in self.buffer_names}
        for key, a in state.items():
            if key != "step":
                b, name = key.split(".", 1)
                self.buffers[b][name] = a.copy()


class Adagrad(_Optimizer):
    """Adagrad as in ``torch.optim.Adagrad`` (no lr decay, no weight decay, zero initial sum).

    Per parameter: sum += g^2;  p -= lr * g / (sqrt(sum) + eps).  Each weight's
    step shrinks with the total gradient it has seen, which is what made the
    original min-char-rnn train stably with a large lr.
    """

    buffer_names = ("sum",)

    def __init__(self, lr: float = 1e-2, eps: float = 1e-10):
        super().__init__()
        self.lr, self.eps = lr, eps

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update every parameter named in ``grads`` in place."""
        self.steps += 1
        for name, g in grads.items():
            acc = self._buffer("sum", name, g)
            acc += g * g
            params[name] -= self.lr * g / (np.sqrt(acc) + self.eps)


class Adam(_Optimizer):
    """Adam with optional *decoupled* weight decay: ``torch.optim.AdamW`` semantics.

    With weight_decay = 0 this is exactly ``torch.optim.Adam``; otherwise each
    step first shrinks p by (1 - lr * weight_decay), independently of the
    gradient statistics, as AdamW does (note the default here is 0, not
    AdamW's 0.01).  Then, at step t::

        m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    buffer_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__()
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update every parameter named in ``grads`` in place."""
        self.steps += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1**self.steps)
        bias_correction2 = math.sqrt(1.0 - b2**self.steps)
        for name, g in grads.items():
            p = params[name]
            if self.weight_decay:
                p *= 1.0 - self.lr * self.weight_decay
            m = self._buffer("exp_avg", name, g)
            v = self._buffer("exp_avg_sq", name, g)
            m += (1.0 - b1) * (g - m)  # == b1 m + (1 - b1) g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= step_size * m / (np.sqrt(v) / bias_correction2 + self.eps)
