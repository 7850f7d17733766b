"""A character-level language model in NumPy: embedding -> stacked RNN/LSTM/GRU -> linear head.

The parameter dict is named exactly like the ``state_dict`` of this PyTorch module::

    class CharModel(nn.Module):
        def __init__(self, V, E, H, L):
            super().__init__()
            self.embed = nn.Embedding(V, E)
            self.rnn = nn.LSTM(E, H, num_layers=L, batch_first=True)  # or nn.GRU / nn.RNN
            self.head = nn.Linear(H, V)

so ``{k: torch.from_numpy(v) for k, v in model.params.items()}`` loads straight into it
(and back).  The hidden state is laid out like torch's too: h [L, B, H], or for an
LSTM the tuple (h, c) of two [L, B, H] arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .cells import CELLS, PARAM_NAMES, Array, Cache, Recurrent

State = Array | tuple[Array, Array]
"""Model state: h [L, B, H], or (h, c) for an LSTM."""


def _layer_state(state: State, layer: int) -> Any:
    """The state of one layer: h[l] [B, H], or (h[l], c[l]) for an LSTM."""
    if isinstance(state, tuple):
        return state[0][layer], state[1][layer]
    return state[layer]


def _stack_states(states: list[Any]) -> State:
    """Inverse of _layer_state over all layers: list of per-layer states -> [L, B, H] layout."""
    if isinstance(states[0], tuple):
        return np.stack([h for h, _ in states]), np.stack([c for _, c in states])
    return np.stack(states)


def log_softmax(logits: Array) -> Array:
    """log softmax over the last axis, shifted by the max so exp() cannot overflow."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _target_log_probs(logp: Array, targets: npt.NDArray[np.integer]) -> Array:
    """logp [B, T, V], targets [B, T] -> logp[b, t, targets[b, t]], [B, T]."""
    return np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]


class NumpyCharModel:
    """Embedding [V, E] -> ``num_layers`` recurrent layers of width H -> linear head [V, H].

    ``cell`` is "rnn" (tanh), "lstm" or "gru".  Initialisation follows PyTorch's
    defaults so training curves are comparable: the embedding ~ N(0, 1), the
    recurrent weights and biases ~ U(-1/sqrt(H), 1/sqrt(H)), and the head (like
    ``nn.Linear``) weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(
        self,
        vocab_size: int,
        cell: str = "lstm",
        hidden_size: int = 128,
        embed_size: int = 64,
        num_layers: int = 1,
        seed: int = 0,
        dtype: npt.DTypeLike = np.float32,
    ):
        self.cell = cell.lower()
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        rng = np.random.default_rng(seed)
        params: dict[str, Array] = {
            "embed.weight": rng.standard_normal((vocab_size, embed_size)).astype(dtype)
        }
        for layer in range(num_layers):
            in_size = embed_size if layer == 0 else hidden_size
            rnn = CELLS[self.cell].create(in_size, hidden_size, rng, dtype)
            params.update({f"rnn.{k}_l{layer}": v for k, v in rnn.params().items()})
        bound = 1.0 / np.sqrt(hidden_size)
        params["head.weight"] = rng.uniform(-bound, bound, (vocab_size, hidden_size)).astype(dtype)
        params["head.bias"] = rng.uniform(-bound, bound, vocab_size).astype(dtype)
        self.params = params

    def layer(self, index: int) -> Recurrent[Any]:
        """Recurrent layer ``index``, viewing (not copying) its arrays in ``self.params``."""
        arrays = (self.params[f"rnn.{k}_l{index}"] for k in PARAM_NAMES)
        return CELLS[self.cell](*arrays)

    def init_state(self, batch: int) -> State:
        """All-zero state for a batch: h [L, B, H], or (h, c) for an LSTM."""
        dtype = self.params["head.weight"].dtype
        h = np.zeros((self.num_layers, batch, self.hidden_size), dtype=dtype)
        return (h, h.copy()) if self.cell == "lstm" else h

    def forward(
        self, tokens: npt.NDArray[np.integer], state: State | None = None
    ) -> tuple[Array, State]:
        """tokens [B, T] int, state (zeros if None) -> (logits [B, T, V], final state)."""
        logits, new_state, _, _ = self._forward(tokens, state)
        return logits, new_state

    def loss(
        self,
        tokens: npt.NDArray[np.integer],
        targets: npt.NDArray[np.integer],
        state: State | None = None,
    ) -> tuple[float, State]:
        """Mean cross-entropy (nats per token) of ``targets`` [B, T] and the new state; no grads."""
        logits, new_state = self.forward(tokens, state)
        return -float(_target_log_probs(log_softmax(logits), targets).mean()), new_state

    def loss_and_grads(
        self,
        tokens: npt.NDArray[np.integer],
        targets: npt.NDArray[np.integer],
        state: State | None = None,
    ) -> tuple[float, dict[str, Array], State]:
        """Mean cross-entropy (nats per token) of ``targets`` [B, T], its gradients, the new state.

        Gradients stop at the incoming state (truncated BPTT), as with a detached
        hidden state in PyTorch.
        """
        logits, new_state, caches, top = self._forward(tokens, state)
        logp = log_softmax(logits)  # [B, T, V]
        loss = -float(_target_log_probs(logp, targets).mean())
        # d(mean CE)/d logits = (softmax - onehot(target)) / (B*T)
        dlogits = np.exp(logp).reshape(targets.size, -1)  # [B*T, V]
        dlogits[np.arange(targets.size), targets.ravel()] -= 1.0
        dlogits /= targets.size
        return loss, self._backward(tokens, dlogits.reshape(logp.shape), caches, top), new_state

    def _forward(
        self, tokens: npt.NDArray[np.integer], state: State | None
    ) -> tuple[Array, State, list[Cache], Array]:
        """Forward pass that also returns what backward needs: layer caches, the head's input."""
        if state is None:
            state = self.init_state(tokens.shape[0])
        x = self.params["embed.weight"][tokens]  # [B, T, E]
        caches, finals = [], []
        for layer in range(self.num_layers):
            x, final, cache = self.layer(layer).forward(x, _layer_state(state, layer))
            caches.append(cache)
            finals.append(final)
        logits = x @ self.params["head.weight"].T + self.params["head.bias"]  # [B, T, V]
        return logits, _stack_states(finals), caches, x

    def _backward(
        self, tokens: npt.NDArray[np.integer], dlogits: Array, caches: list[Cache], top: Array
    ) -> dict[str, Array]:
        """Backprop dlogits [B, T, V] through head, layers (top down) and embedding."""
        V, H = self.params["head.weight"].shape
        grads = {
            "head.weight": dlogits.reshape(-1, V).T @ top.reshape(-1, H),  # [V, H]
            "head.bias": dlogits.sum(axis=(0, 1)),  # [V]
        }
        dx = dlogits @ self.params["head.weight"]  # [B, T, H]
        no_grad = self.init_state(tokens.shape[0])  # the loss does not read the final state
        for layer in reversed(range(self.num_layers)):
            dhT = _layer_state(no_grad, layer)
            dx, layer_grads, _ = self.layer(layer).backward(dx, dhT, caches[layer])
            grads.update({f"rnn.{k}_l{layer}": v for k, v in layer_grads.items()})
        dembed = np.zeros_like(self.params["embed.weight"])  # [V, E]
        np.add.at(dembed, tokens, dx)  # scatter-add: a token may occur many times
        grads["embed.weight"] = dembed
        return {k: grads[k] for k in self.params}  # same key order as params
