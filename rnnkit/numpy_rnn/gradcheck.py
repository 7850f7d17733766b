"""Check the hand-written backward passes against central finite differences, in float64.

For a scalar loss L and every entry w of every array, the numeric derivative is
the fourth-order central difference (Richardson extrapolation of the usual
two-point one)::

    n = (8 (L(w + h) - L(w - h)) - (L(w + 2h) - L(w - 2h))) / (12 h)

whose error is O(h^4) from truncation plus ~1e-16 |L| / h from rounding.  With
h = 1e-3 both are ~1e-13, so even gradient entries as small as 1e-6 (common
in saturated LSTM gates) are checked to ~1e-7 relative.  (The plain two-point
formula's best total error is ~1e-10, too coarse for such entries.)  A correct
backward pass agrees to ~1e-8; a wrong one is off by O(1).

The error reported per array is max |a - n| / max(|a| + |n|, TINY) over its
entries (a analytic, n numeric); TINY only guards entries whose gradient is
exactly zero both ways (e.g. embedding rows of tokens absent from the batch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .cells import CELLS, Array
from .model import NumpyCharModel, State

STEP = 1e-3
TINY = 1e-30


def relative_error(analytic: Array, numeric: Array) -> float:
    """max |a - n| / max(|a| + |n|, TINY) over all entries."""
    denom = np.maximum(np.abs(analytic) + np.abs(numeric), TINY)
    return float(np.max(np.abs(analytic - numeric) / denom))


def numeric_grad(loss: Callable[[], float], array: Array) -> Array:
    """Fourth-order central differences of ``loss()`` w.r.t. each entry of ``array``.

    Entries are perturbed in place (and restored), so ``loss`` must read ``array``.
    """
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        values = []
        for k in (1, -1, 2, -2):
            array[idx] = old + k * STEP
            values.append(loss())
        array[idx] = old
        up1, down1, up2, down2 = values
        grad[idx] = (8.0 * (up1 - down1) - (up2 - down2)) / (12.0 * STEP)
    return grad


def _compare(
    loss: Callable[[], float], arrays: dict[str, Array], analytic: dict[str, Array]
) -> dict[str, float]:
    """Relative error of each analytic gradient against the numeric one of the same array."""
    return {k: relative_error(analytic[k], numeric_grad(loss, a)) for k, a in arrays.items()}


def gradcheck_cell(
    cell: str,
    *,
    batch: int = 2,
    steps: int = 4,
    input_size: int = 3,
    hidden_size: int = 5,
    seed: int = 0,
) -> dict[str, float]:
    """Max relative error per parameter of one layer, plus "x", "h0" (and "c0" for the LSTM).

    The loss sum(out * R) + sum(final_state * R2) with random R, R2 sends a
    distinct, nonzero gradient into every output and into the final state, so
    both backward inputs (dout and dhT) are exercised.
    """
    rng = np.random.default_rng(seed)
    layer = CELLS[cell].create(input_size, hidden_size, rng, np.float64)
    x = rng.standard_normal((batch, steps, input_size))  # [B, T, In]
    names = ("h0", "c0") if cell == "lstm" else ("h0",)
    h0 = {k: rng.standard_normal((batch, hidden_size)) for k in names}  # [B, H] each
    R = rng.standard_normal((batch, steps, hidden_size))  # [B, T, H]
    R2 = [rng.standard_normal((batch, hidden_size)) for _ in names]  # [B, H] each

    def loss() -> float:
        out, hT, _ = layer.forward(x, _as_state(list(h0.values())))
        finals = _as_list(hT)
        return float(np.sum(out * R) + sum(np.sum(f * r) for f, r in zip(finals, R2, strict=True)))

    _, _, cache = layer.forward(x, _as_state(list(h0.values())))
    dx, grads, dh0 = layer.backward(R, _as_state(R2), cache)
    arrays = {**layer.params(), "x": x, **h0}
    analytic = {**grads, "x": dx, **dict(zip(names, _as_list(dh0), strict=True))}
    return _compare(loss, arrays, analytic)


def _as_state(arrays: list[Array]) -> Any:
    """[h] -> h and [h, c] -> (h, c): a layer's state from a list of arrays."""
    return tuple(arrays) if len(arrays) == 2 else arrays[0]


def _as_list(state: Any) -> list[Array]:
    """Inverse of _as_state."""
    return list(state) if isinstance(state, tuple) else [state]


def gradcheck_model(
    cell: str,
    *,
    batch: int = 2,
    steps: int = 4,
    vocab_size: int = 7,
    embed_size: int = 4,
    hidden_size: int = 5,
    num_layers: int = 2,
    seed: int = 0,
) -> dict[str, float]:
    """Max relative error per parameter of ``NumpyCharModel.loss_and_grads`` (float64).

    Starts from a random (not zero) state so that the recurrent weights' gradients
    at the first step are exercised too.
    """
    model = NumpyCharModel(
        vocab_size, cell, hidden_size, embed_size, num_layers, seed=seed, dtype=np.float64
    )
    rng = np.random.default_rng(seed + 1)
    tokens = rng.integers(0, vocab_size, (batch, steps))  # [B, T]
    targets = rng.integers(0, vocab_size, (batch, steps))  # [B, T]
    shape = (num_layers, batch, hidden_size)
    h0 = rng.standard_normal(shape)  # [L, B, H]
    state: State = (h0, rng.standard_normal(shape)) if cell == "lstm" else h0

    def loss() -> float:
        return model.loss(tokens, targets, state)[0]

    _, grads, _ = model.loss_and_grads(tokens, targets, state)
    return _compare(loss, model.params, grads)
