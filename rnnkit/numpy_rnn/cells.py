"""Recurrent layers (tanh RNN, LSTM, GRU) in plain NumPy, with exact backprop through time.

Every layer processes a whole batch of sequences at once (batch-first, like
``nn.RNN(batch_first=True)``) and keeps its parameters under PyTorch's names and
shapes, so a ``state_dict`` can be copied across in either direction:

=============  ==========  ====================================================
name           shape       meaning
=============  ==========  ====================================================
``weight_ih``  [G*H, In]   input-to-hidden weights of the G gates, stacked
``weight_hh``  [G*H, H]    hidden-to-hidden weights of the G gates, stacked
``bias_ih``    [G*H]       bias added to the input projection
``bias_hh``    [G*H]       bias added to the hidden projection
=============  ==========  ====================================================

PyTorch keeps two biases where one would do (their sum is all that matters,
except inside the GRU's candidate gate); we keep both so weights interchange.

Speed trick shared by all layers: the input projection ``x @ weight_ih.T`` does
not depend on the recurrence, so it is computed for all timesteps in a single
matmul; only the ``h @ weight_hh.T`` part runs inside the Python time loop.
Likewise, the weight gradients are accumulated over all timesteps in one matmul
after the backward time loop.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
"""A floating-point array; its dtype (float64 for checks, float32 for training) is the params'."""
Cache = dict[str, Array]
"""Whatever a forward pass saves for its backward pass."""
LSTMState = tuple[Array, Array]
"""LSTM state: (h, c), each [B, H]."""
S = TypeVar("S", Array, LSTMState)

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def sigmoid(a: Array) -> Array:
    """Logistic function written via tanh: exact, and never overflows in exp()."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _shifted(h0: Array, hs: Array) -> Array:
    """The state entering each step: h0 followed by hs[:, :-1]; [B, H], [B, T, H] -> [B, T, H]."""
    return np.concatenate([h0[:, None], hs[:, :-1]], axis=1)


class Recurrent(Generic[S]):
    """Parameters and gradient bookkeeping common to RNN, LSTM and GRU.

    Subclasses set ``gates`` (G) and implement ``forward``/``backward``.  The
    arrays are held by reference, so updating them in place (as the optimizers
    do) updates the layer.
    """

    gates: ClassVar[int]

    def __init__(self, weight_ih: Array, weight_hh: Array, bias_ih: Array, bias_hh: Array):
        self.weight_ih = weight_ih  # [G*H, In]
        self.weight_hh = weight_hh  # [G*H, H]
        self.bias_ih = bias_ih  # [G*H]
        self.bias_hh = bias_hh  # [G*H]

    @classmethod
    def create(
        cls, input_size: int, hidden_size: int, rng: np.random.Generator, dtype: npt.DTypeLike
    ) -> Self:
        """New layer initialised like PyTorch: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / np.sqrt(hidden_size)
        gh = cls.gates * hidden_size
        shapes = [(gh, input_size), (gh, hidden_size), (gh,), (gh,)]
        return cls(*(rng.uniform(-bound, bound, s).astype(dtype) for s in shapes))

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[1]

    def params(self) -> dict[str, Array]:
        """Parameters by their PyTorch names (the arrays themselves, not copies)."""
        return {name: getattr(self, name) for name in PARAM_NAMES}

    def _param_grads(
        self, x: Array, h_prev: Array, dxp: Array, dhp: Array
    ) -> tuple[Array, dict[str, Array]]:
        """Gradients of x and of the parameters, summed over batch and time in one matmul each.

        x [B, T, In] and h_prev [B, T, H] are the inputs of each step; dxp and dhp
        [B, T, G*H] are the gradients w.r.t. the input projection
        ``x W_ih^T + b_ih`` and the hidden projection ``h W_hh^T + b_hh``.
        """
        gh = dxp.shape[-1]
        grads = {
            "weight_ih": dxp.reshape(-1, gh).T @ x.reshape(-1, x.shape[-1]),  # [G*H, In]
            "weight_hh": dhp.reshape(-1, gh).T @ h_prev.reshape(-1, h_prev.shape[-1]),  # [G*H, H]
            "bias_ih": dxp.sum(axis=(0, 1)),  # [G*H]
            "bias_hh": dhp.sum(axis=(0, 1)),  # [G*H]
        }
        return dxp @ self.weight_ih, grads  # dx [B, T, In]

    def forward(self, x: Array, h0: S) -> tuple[Array, S, Cache]:
        """x [B, T, In], h0 [B, H] -> (out [B, T, H], hT [B, H], cache)."""
        raise NotImplementedError

    def backward(self, dout: Array, dhT: S, cache: Cache) -> tuple[Array, dict[str, Array], S]:
        """dout [B, T, H], dhT [B, H] -> (dx [B, T, In], grads by param name, dh0 [B, H])."""
        raise NotImplementedError


class RNN(Recurrent[Array]):
    """Elman RNN with tanh, one gate (G = 1), like ``torch.nn.RNN(nonlinearity="tanh")``.

    Forward, per step::

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

    Backward: with dh the gradient reaching h_t (from the output at t and from
    step t+1), da = dh * (1 - h_t^2) is the gradient of the pre-activation, and
    da W_hh flows on to h_{t-1}.
    """

    gates = 1

    def forward(self, x: Array, h0: Array) -> tuple[Array, Array, Cache]:
        pre = x @ self.weight_ih.T + (self.bias_ih + self.bias_hh)  # [B, T, H]
        hs = np.empty(pre.shape, dtype=pre.dtype)  # [B, T, H]
        h = h0  # [B, H]
        for t in range(x.shape[1]):
            h = np.tanh(pre[:, t] + h @ self.weight_hh.T)
            hs[:, t] = h
        return hs, h, {"x": x, "h0": h0, "hs": hs}

    def backward(
        self, dout: Array, dhT: Array, cache: Cache
    ) -> tuple[Array, dict[str, Array], Array]:
        hs = cache["hs"]  # [B, T, H]
        da = np.empty_like(hs)  # gradient of the pre-activation, [B, T, H]
        dh = dhT  # [B, H]
        for t in reversed(range(hs.shape[1])):
            da[:, t] = (dh + dout[:, t]) * (1.0 - hs[:, t] ** 2)
            dh = da[:, t] @ self.weight_hh
        dx, grads = self._param_grads(cache["x"], _shifted(cache["h0"], hs), da, da)
        return dx, grads, dh


class LSTM(Recurrent[LSTMState]):
    """LSTM like ``torch.nn.LSTM``: G = 4 gates stacked in the order (i, f, g, o).

    Forward, per step, with a = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh split in four::

        i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The state is the tuple (h, c).  Backward runs the chain rule through these
    five lines in reverse; the cell state's gradient is carried to the previous
    step multiplied by f (the "constant error carousel").
    """

    gates = 4

    def forward(self, x: Array, h0: LSTMState) -> tuple[Array, LSTMState, Cache]:
        h, c = h0  # [B, H] each
        H = h.shape[1]
        pre = x @ self.weight_ih.T + (self.bias_ih + self.bias_hh)  # [B, T, 4H]
        acts = np.empty_like(pre)  # activated gates i, f, g, o: [B, T, 4H]
        hs = np.empty((*pre.shape[:2], H), dtype=pre.dtype)  # [B, T, H]
        cs = np.empty_like(hs)  # [B, T, H]
        for t in range(x.shape[1]):
            a = pre[:, t] + h @ self.weight_hh.T  # [B, 4H]
            acts[:, t, : 2 * H] = sigmoid(a[:, : 2 * H])
            acts[:, t, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])
            acts[:, t, 3 * H :] = sigmoid(a[:, 3 * H :])
            i, f, g, o = np.split(acts[:, t], 4, axis=1)
            c = f * c + i * g
            h = o * np.tanh(c)
            hs[:, t], cs[:, t] = h, c
        cache = {"x": x, "h0": h0[0], "c0": h0[1], "acts": acts, "hs": hs, "cs": cs}
        return hs, (h, c), cache

    def backward(
        self, dout: Array, dhT: LSTMState, cache: Cache
    ) -> tuple[Array, dict[str, Array], LSTMState]:
        acts, cs = cache["acts"], cache["cs"]
        c_prev = _shifted(cache["c0"], cs)  # [B, T, H]
        da = np.empty_like(acts)  # gradient of the pre-activations, [B, T, 4H]
        dh, dc = dhT  # [B, H] each
        for t in reversed(range(acts.shape[1])):
            i, f, g, o = np.split(acts[:, t], 4, axis=1)
            tc = np.tanh(cs[:, t])
            dh = dh + dout[:, t]
            dc = dc + dh * o * (1.0 - tc**2)
            di = dc * g * i * (1.0 - i)
            df = dc * c_prev[:, t] * f * (1.0 - f)
            dg = dc * i * (1.0 - g**2)
            do = dh * tc * o * (1.0 - o)
            da[:, t] = np.concatenate([di, df, dg, do], axis=1)
            dh, dc = da[:, t] @ self.weight_hh, dc * f
        dx, grads = self._param_grads(cache["x"], _shifted(cache["h0"], cache["hs"]), da, da)
        return dx, grads, (dh, dc)


class GRU(Recurrent[Array]):
    """GRU like ``torch.nn.GRU``: G = 3 gates stacked in the order (r, z, n).

    Forward, per step, with xp = x_t W_ih^T + b_ih and hp = h_{t-1} W_hh^T + b_hh split in three::

        r = sigmoid(xp_r + hp_r)          reset gate
        z = sigmoid(xp_z + hp_z)          update gate
        n = tanh(xp_n + r * hp_n)         candidate; note b_hn sits *inside* r * (...)
        h_t = (1 - z) * n + z * h_{t-1}

    Because r multiplies only the hidden part of the candidate, the two
    projections get different gradients in the n block (dhp_n = dxp_n * r),
    which is why this is the one cell where b_ih and b_hh are not interchangeable.
    """

    gates = 3

    def forward(self, x: Array, h0: Array) -> tuple[Array, Array, Cache]:
        H = h0.shape[1]
        xp = x @ self.weight_ih.T + self.bias_ih  # [B, T, 3H]
        acts = np.empty_like(xp)  # activated gates r, z, n: [B, T, 3H]
        hpn = np.empty((*xp.shape[:2], H), dtype=xp.dtype)  # hp_n per step: [B, T, H]
        hs = np.empty_like(hpn)  # [B, T, H]
        h = h0  # [B, H]
        for t in range(x.shape[1]):
            hp = h @ self.weight_hh.T + self.bias_hh  # [B, 3H]
            acts[:, t, : 2 * H] = sigmoid(xp[:, t, : 2 * H] + hp[:, : 2 * H])
            r, z = acts[:, t, :H], acts[:, t, H : 2 * H]
            acts[:, t, 2 * H :] = n = np.tanh(xp[:, t, 2 * H :] + r * hp[:, 2 * H :])
            h = (1.0 - z) * n + z * h
            hs[:, t], hpn[:, t] = h, hp[:, 2 * H :]
        return hs, h, {"x": x, "h0": h0, "acts": acts, "hpn": hpn, "hs": hs}

    def backward(
        self, dout: Array, dhT: Array, cache: Cache
    ) -> tuple[Array, dict[str, Array], Array]:
        acts, hpn = cache["acts"], cache["hpn"]
        h_prev = _shifted(cache["h0"], cache["hs"])  # [B, T, H]
        dxp = np.empty_like(acts)  # gradient of the input projection, [B, T, 3H]
        dhp = np.empty_like(acts)  # gradient of the hidden projection, [B, T, 3H]
        dh = dhT  # [B, H]
        for t in reversed(range(acts.shape[1])):
            r, z, n = np.split(acts[:, t], 3, axis=1)
            dh = dh + dout[:, t]
            dn = dh * (1.0 - z) * (1.0 - n**2)  # w.r.t. the candidate's pre-activation
            dr = dn * hpn[:, t] * r * (1.0 - r)
            dz = dh * (h_prev[:, t] - n) * z * (1.0 - z)
            dxp[:, t] = np.concatenate([dr, dz, dn], axis=1)
            dhp[:, t] = np.concatenate([dr, dz, dn * r], axis=1)
            dh = dh * z + dhp[:, t] @ self.weight_hh
        dx, grads = self._param_grads(cache["x"], h_prev, dxp, dhp)
        return dx, grads, dh


CELLS: dict[str, type[Recurrent[Any]]] = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
"""Layer classes by the names used throughout rnnkit."""
