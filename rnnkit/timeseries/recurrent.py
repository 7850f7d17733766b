"""Recurrent forecasters: an LSTM or GRU reads a window of past values and forecasts the next ones.

How the data is shaped (all of it fitted on the training part only):

* **windows**: for each origin ``t`` the network reads ``y[t-L+1..t]`` and learns
  ``y[t+1..t+H]`` (``direct``: all H steps at once) or ``y[t+1]`` (``recursive``: one step,
  then the forecast is fed back as the newest observation);
* **scaling**: each window is expressed relative to its last value and divided by one number,
  the mean absolute one-step change of the training part. Level shifts and trends therefore
  cost the network nothing to extrapolate;
* **covariates** (known in advance, like calendar effects or a planned input): at step ``j``
  of the window the network also reads the covariates of step ``j + 1``, and each output step
  gets a linear term in its own covariates; they are standardised by the training mean / std;
* **validation**: the last ``val_fraction`` of the origins; the training targets all end before
  the first validation target, so the best-weights choice never sees trained-on values;
* **intervals**: trained quantiles (pinball loss; ``direct`` only), or else the validation
  error's spread at each horizon step (Gaussian).

The network (:class:`~rnnkit.models.window.WindowNet`) adds a linear "highway" from the window
values to the outputs (as in LSTNet, Lai et al. 2018), so it is never worse at linear
autoregression than plain least squares can be. Training goes through rnnkit's one loop
(:class:`~rnnkit.training.loop.Trainer`), with :class:`WindowLearner` and :class:`WindowBatches`
implementing its protocols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnnkit.core.rng import seeded
from rnnkit.errors import RnnkitError
from rnnkit.models.window import WindowConfig, WindowNet
from rnnkit.timeseries.base import Prediction
from rnnkit.timeseries.data import TimeSeries
from rnnkit.training.learner import TorchLearner
from rnnkit.training.loop import LoopSettings, LoopState, SaveFn, Trainer
from rnnkit.training.schedule import Budget

CELLS = ("lstm", "gru")
STRATEGIES = ("direct", "recursive")
#: Fewest training windows a recurrent model accepts.
MIN_WINDOWS = 8


@dataclass
class Windows:
    """Network inputs, the covariates of the output steps, and targets (all scaled); over a
    panel, also the categorical codes of each window's series (series id, static columns)."""

    inputs: Tensor
    future: Tensor
    targets: Tensor
    codes: Tensor | None = None

    def __len__(self) -> int:
        return len(self.inputs)

    def take(self, rows: np.ndarray) -> Windows:
        """The windows at positions ``rows``."""
        idx = torch.from_numpy(rows)
        codes = None if self.codes is None else self.codes[idx]
        return Windows(self.inputs[idx], self.future[idx], self.targets[idx], codes)

    def forecast(self, net: WindowNet) -> Tensor:
        """The network's output for these windows."""
        return net(self.inputs, self.future, self.codes)


class WindowBatches:
    """Shuffled mini-batches of windows addressed by step (one permutation per epoch, seeded),
    the :class:`~rnnkit.training.loop.Batches` protocol.

    Example:
        >>> w = Windows(torch.zeros(10, 4, 1), torch.zeros(10, 1, 0), torch.zeros(10, 1))
        >>> b = WindowBatches(w, batch_size=4, seed=0)
        >>> b.steps_per_epoch, len(b.batch(2))  # 4 + 4 + 2
        (3, 2)
    """

    def __init__(self, windows: Windows, batch_size: int, seed: int) -> None:
        self.windows, self.batch_size, self.seed = windows, batch_size, seed
        self.steps_per_epoch = math.ceil(len(windows) / batch_size)

    def batch(self, step: int) -> Windows:
        epoch, k = divmod(step, self.steps_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.windows))
        return self.windows.take(order[k * self.batch_size : (k + 1) * self.batch_size])


def pinball(pred: Tensor, target: Tensor, quantiles: Tensor) -> Tensor:
    """Mean quantile (pinball) loss of ``pred`` [B, S, Q] for ``target`` [B, S]; at the
    median it is half the absolute error."""
    diff = target.unsqueeze(-1) - pred
    return torch.maximum(quantiles * diff, (quantiles - 1.0) * diff).mean()


class WindowLearner(TorchLearner):
    """Trains a :class:`WindowNet` with AdamW on the pinball loss; validation is the same loss
    on held-out windows. The :class:`~rnnkit.training.loop.Learner` protocol.

    Example:
        >>> net = WindowNet(WindowConfig(window=4))
        >>> w = Windows(torch.zeros(8, 4, 1), torch.zeros(8, 1, 0), torch.ones(8, 1))
        >>> learner = WindowLearner(net, w)
        >>> learner.train_step(w, lr=0.01) > 0
        True
    """

    def __init__(self, net: WindowNet, val: Windows, clip: float = 1.0) -> None:
        super().__init__(net, torch.optim.AdamW(net.parameters(), lr=0.0, weight_decay=0.0))
        self.net, self.val, self.clip = net, val, clip
        self.quantiles = torch.tensor(net.cfg.quantiles)

    def train_step(self, batch: Windows, lr: float) -> float:
        self.net.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        loss = pinball(batch.forecast(self.net), batch.targets, self.quantiles)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), self.clip)
        self.optimizer.step()
        return loss.item()

    @torch.inference_mode()
    def validate(self) -> float:
        self.net.eval()
        return pinball(self.val.forecast(self.net), self.val.targets, self.quantiles).item()

    def sample(self) -> str:
        return ""


@dataclass
class Scaling:
    """Window scaling and covariate standardisation, fitted on the training part only."""

    scale: float
    cov_mean: list[float]
    cov_std: list[float]

    @classmethod
    def fit(cls, y: np.ndarray, cov: np.ndarray | None) -> Scaling:
        step = float(np.mean(np.abs(np.diff(y)))) if len(y) > 1 else 0.0
        scale = step if step > 0 else float(np.abs(y).mean()) or 1.0
        if cov is None:
            return cls(scale, [], [])
        std = cov.std(axis=0)
        return cls(scale, cov.mean(axis=0).tolist(), np.where(std > 0, std, 1.0).tolist())

    def covariates(self, cov: np.ndarray | None, length: int) -> np.ndarray:
        """Standardised covariates, or an empty [length, 0] array."""
        if cov is None:
            return np.zeros((length, 0))
        return (cov - np.asarray(self.cov_mean)) / np.asarray(self.cov_std)


def make_windows(
    y: np.ndarray,
    cov: np.ndarray,
    origins: np.ndarray,
    window: int,
    outputs: int,
    scale: float,
    anchor: int = 1,
) -> Windows:
    """The windows ending at each origin ``t``: inputs ``y[t-window+1..t]`` relative to ``y[t]``
    (or to the mean of the last ``anchor`` values) with the covariates one step later, and
    targets ``y[t+1..t+outputs]`` (``y`` and ``cov`` must reach that far; forecasting pads
    them)."""
    back = origins[:, None] + np.arange(1 - window, 1)[None, :]
    ahead = origins[:, None] + np.arange(1, outputs + 1)[None, :]
    level = y[back[:, window - anchor :]].mean(axis=1, keepdims=True)
    rel = (y[back] - level) / scale
    inputs = np.concatenate([rel[:, :, None], cov[back + 1]], axis=2)
    targets = (y[ahead] - level) / scale
    return Windows(
        torch.from_numpy(inputs).float(),
        torch.from_numpy(cov[ahead]).float(),
        torch.from_numpy(np.ascontiguousarray(targets)).float(),
    )


@dataclass
class RecurrentForecaster:
    """An LSTM / GRU window forecaster trained with rnnkit's shared training loop.

    Example:
        >>> import pandas as pd
        >>> from rnnkit.timeseries.data import load_series
        >>> ts = load_series(pd.Series(np.sin(np.arange(120) * 2 * np.pi / 12)), season=12)
        >>> model = RecurrentForecaster(horizon=3, steps=10, hidden_size=8).fit(ts)
        >>> model.predict(3, None).mean.shape
        (3,)
    """

    horizon: int = 1
    cell: str = "lstm"
    strategy: str = "direct"
    window: int | None = None
    hidden_size: int = 32
    num_layers: int = 1
    highway: bool = True
    steps: int = 400
    seconds: float | None = None
    batch_size: int = 32
    lr: float = 5e-3
    quantiles: list[float] | tuple[float, ...] = ()
    val_fraction: float = 0.2
    seed: int = 0
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS or self.strategy not in STRATEGIES:
            raise RnnkitError(
                f"cell must be one of {', '.join(CELLS)} and strategy one of "
                f"{', '.join(STRATEGIES)}; got {self.cell!r}, {self.strategy!r}"
            )
        if self.quantiles and self.strategy != "direct":
            raise RnnkitError("quantile intervals need strategy='direct'")
        if any(not 0.0 < q < 1.0 for q in self.quantiles):
            raise RnnkitError(f"quantiles must lie strictly between 0 and 1: {self.quantiles}")
        if not 0.0 < self.val_fraction < 1.0:
            raise RnnkitError(f"val_fraction must be in (0, 1), got {self.val_fraction}")

    @property
    def name(self) -> str:
        return self.cell

    @property
    def _keep_best(self) -> bool:
        """Whether the weights of the best validation loss are kept (else the last ones)."""
        return True

    @property
    def _outputs(self) -> int:
        return self.horizon if self.strategy == "direct" else 1

    # ----------------------------------------------------------------------------- fitting
    def fit(self, ts: TimeSeries) -> RecurrentForecaster:
        y, cov = ts.values, _raw_covariates(ts)
        window = self._window(ts)
        origins = np.arange(window - 1, len(y) - self._outputs)
        n_val = max(1, int(len(origins) * self.val_fraction))
        first_val = origins[-n_val]
        train = origins[origins + self._outputs <= first_val]  # targets end before validation
        if len(train) < MIN_WINDOWS:
            need = window + 2 * self._outputs + MIN_WINDOWS + n_val
            raise RnnkitError(
                f"{self.cell} needs about {need} observations for window {window} and horizon "
                f"{self._outputs}, got {len(y)}: use a shorter window or horizon"
            )
        self.scaling = Scaling.fit(
            y[: first_val + 1], None if cov is None else cov[: first_val + 1]
        )
        self._ts, self._window_len = ts, window
        full = self._windows(y, cov, origins)
        rows = np.arange(len(origins))
        # The initial weights come from torch's global RNG: a fork of it, seeded, keeps runs
        # repeatable without touching the caller's random state.
        with seeded(self.seed):
            self.net = self._new_net(0 if cov is None else cov.shape[1])
            trainer = self._train(full.take(rows[: len(train)]), full.take(rows[-n_val:]))
        self.stats = self._stats(trainer.state, len(train), n_val)
        self._sd = self._validation_sd(self.net, full.take(rows[-n_val:]), self.scaling.scale)
        return self

    def _window(self, ts: TimeSeries) -> int:
        return self._window_for(ts.season, len(ts))

    def _window_for(self, season: int, length: int) -> int:
        """The window: as given, else two seasons (or horizons) that a series of ``length``
        still has enough windows for."""
        if self.window is not None:
            if self.window < 2:
                raise RnnkitError(f"window must be at least 2, got {self.window}")
            return self.window
        wanted = max(2 * season, 2 * self.horizon, 8)
        fits = (length - 2 * self._outputs - MIN_WINDOWS) // 2
        return max(2, min(wanted, 200, fits))

    def _windows(self, y: np.ndarray, cov: np.ndarray | None, origins: np.ndarray) -> Windows:
        scaled = self.scaling.covariates(cov, len(y))
        return make_windows(y, scaled, origins, self._window_len, self._outputs, self.scaling.scale)

    def _new_net(
        self, covariates: int, categories: list[int] | None = None, sizes: list[int] | None = None
    ) -> WindowNet:
        return WindowNet(
            WindowConfig(
                cell=self.cell,
                covariates=covariates,
                hidden_size=self.hidden_size,
                num_layers=self.num_layers,
                window=self._window_len,
                outputs=self._outputs,
                quantiles=sorted({0.5, *self.quantiles}),
                highway=self.highway,
                categories=categories or [],
                embed_sizes=sizes or [],
            )
        )

    def _train(
        self,
        train: Windows,
        val: Windows,
        save: SaveFn | None = None,
        resume: tuple[dict[str, Tensor], dict[str, Any], dict[str, Tensor]] | None = None,
    ) -> Trainer:
        """Train :attr:`net` on ``train`` (choosing the best weights on ``val``) and return the
        trainer; ``save`` writes a checkpoint at each validation and on Ctrl-C, ``resume`` (a
        checkpoint's training tensors, training state and best weights) continues a run."""
        learner = WindowLearner(self.net, val)
        batches = WindowBatches(train, self.batch_size, self.seed)
        settings = LoopSettings(
            lr=self.lr,
            warmup_steps=min(20, self.steps // 10),
            evals=10,
            log_every=max(1, self.steps // 10),
            tokens_per_step=self.batch_size,
            token_name="windows",
        )
        trainer = Trainer(learner, batches, settings, log_dir=None)
        if resume is not None:
            trainer.restore(*resume)
        budget = Budget(steps=self.steps, seconds=self.seconds)
        trainer.run(budget, save=save, quiet=not self.verbose)
        if trainer.interrupted:  # a half-trained model must not be scored or kept
            raise KeyboardInterrupt
        self.snapshot = trainer.snapshot()  # the latest state, for a save that can resume
        if trainer.best_weights is not None and self._keep_best:
            self.net.load_state_dict(trainer.best_weights)
        return trainer

    @staticmethod
    def _stats(state: LoopState, train: int, val: int) -> dict[str, Any]:
        """The run's steps, time and best validation loss, and its numbers of windows."""
        return {
            "steps": state.step,
            "elapsed_s": round(state.elapsed, 3),
            "best_val_loss": state.best_val if math.isfinite(state.best_val) else None,
            "best_step": state.best_step,
            "train_windows": train,
            "val_windows": val,
        }

    @staticmethod
    @torch.inference_mode()
    def _validation_sd(net: WindowNet, val: Windows, scale: float) -> list[float]:
        """Root mean squared validation error of ``net``'s median forecast at each output
        step, times ``scale``."""
        net.eval()
        median = val.forecast(net)[:, :, net.cfg.quantiles.index(0.5)]
        err = (median - val.targets).double().numpy() * scale
        return np.sqrt(np.mean(err**2, axis=0)).tolist()

    # ----------------------------------------------------------------------------- forecasting
    @torch.inference_mode()
    def predict(self, horizon: int, future: np.ndarray | None) -> Prediction:
        if self.strategy == "direct" and horizon > self.horizon:
            raise RnnkitError(
                f"this {self.cell} was trained to forecast {self.horizon} steps (direct); refit "
                f"it with horizon={horizon} or strategy='recursive'"
            )
        self.net.eval()
        y, cov = self._ts.values, _raw_covariates(self._ts)
        if cov is not None:
            assert future is not None  # the Forecaster checks that future covariates are given
            cov = np.concatenate([cov, future, np.repeat(future[-1:], self._outputs, axis=0)])
        if self.strategy == "direct":
            return self._direct(y, cov, horizon)
        return self._recursive(y, cov, horizon)

    def _direct(self, y: np.ndarray, cov: np.ndarray | None, horizon: int) -> Prediction:
        # Sorting the quantiles (monotone rearrangement) undoes crossings of separately
        # trained heads; it never moves the median away from being a median.
        out = np.sort(self._forecast_from(y, cov)[0], axis=1)  # [outputs, quantiles]
        level, scale = y[-1], self.scaling.scale
        values = {
            q: (out[:horizon, i] * scale + level) for i, q in enumerate(self.net.cfg.quantiles)
        }
        return Prediction(values[0.5], np.asarray(self._sd[:horizon]), values)

    def _recursive(self, y: np.ndarray, cov: np.ndarray | None, horizon: int) -> Prediction:
        n = len(y)
        y = np.concatenate([y, np.zeros(horizon)])
        for step in range(horizon):
            seen = y[: n + step]
            out = self._forecast_from(seen, cov)
            y[n + step] = (
                out[0, 0, self.net.cfg.quantiles.index(0.5)] * self.scaling.scale + seen[-1]
            )
        sd = self._sd[0] * np.sqrt(np.arange(1, horizon + 1))
        return Prediction(y[n:], sd)

    def _forecast_from(self, y: np.ndarray, cov: np.ndarray | None) -> np.ndarray:
        """The network's scaled output for the window ending at the last value of ``y``."""
        if cov is not None:
            cov = cov[: len(y) + self._outputs]
        scaled = self.scaling.covariates(cov, len(y) + self._outputs)
        padded = np.concatenate([y, np.zeros(self._outputs)])
        origin = np.array([len(y) - 1])
        w = make_windows(
            padded, scaled, origin, self._window_len, self._outputs, self.scaling.scale
        )
        return self.net(w.inputs, w.future).double().numpy()

    # ----------------------------------------------------------------------------- saving
    def state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        params = {
            "net": self.net.cfg.__dict__,
            "scaling": self.scaling.__dict__,
            "sd": self._sd,
            "stats": self.stats,
        }
        return params, dict(self.net.state_dict())

    def restore(
        self, ts: TimeSeries, params: dict[str, Any], arrays: dict[str, Tensor]
    ) -> RecurrentForecaster:
        cfg = self._load_net(params, arrays)
        self._ts, self._window_len = ts, cfg.window
        self.scaling = Scaling(**params["scaling"])
        self._sd, self.stats = params["sd"], params["stats"]
        return self

    def _load_net(self, params: dict[str, Any], arrays: dict[str, Tensor]) -> WindowConfig:
        """:attr:`net` rebuilt from saved ``params`` and weights ``arrays``; its config."""
        cfg = WindowConfig(**params["net"])
        with seeded(self.seed):  # initial weights, replaced below: the caller's RNG stays put
            self.net = WindowNet(cfg)
        try:
            self.net.load_state_dict(arrays)
        except RuntimeError:
            raise RnnkitError(
                "the weights do not match the network described in config.json"
            ) from None
        return cfg


def _raw_covariates(ts: TimeSeries) -> np.ndarray | None:
    return None if ts.covariates is None else ts.covariates.to_numpy(dtype=np.float64)


RECURRENT: dict[str, tuple[type, dict[str, Any]]] = {
    cell: (RecurrentForecaster, {"cell": cell}) for cell in CELLS
}
