"""The life of a trainable model, written once for every kind: settings, the training run
(keeping the best weights, saving as it goes), resume, save, load and ``info``.

A kind (language model, classifier, ...) subclasses :class:`Estimator` and says only what is
its own: its network and config classes, how its data becomes batches and a learner, what else
its checkpoint holds. The estimator owns an ``nn.Module`` (it does not subclass one), so
``fit()`` never collides with ``nn.Module.train()``; learned state ends in ``_``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch
from torch import Tensor, nn

from rnnkit import __version__
from rnnkit.core import checkpoint
from rnnkit.core.device import device_for
from rnnkit.core.files import save_target
from rnnkit.core.rng import seeded
from rnnkit.errors import RnnkitError
from rnnkit.training import distributed
from rnnkit.training.loop import Trainer, run_keeping_best
from rnnkit.training.schedule import Budget, budget_for

Self = TypeVar("Self", bound="Estimator")


class Estimator:
    """Base of rnnkit's trainable model kinds (see :class:`~rnnkit.CharLM` for a whole API).

    Example:
        >>> from rnnkit import CharLM
        >>> isinstance(CharLM(), Estimator)
        True
    """

    #: The ``kind`` written in a checkpoint's config.json.
    kind: ClassVar[str]
    #: The dataclass of the run's settings (saved under "training" in config.json).
    settings_type: ClassVar[type[Any]]
    #: The network and its config class, rebuilt from config.json on load.
    net_type: ClassVar[type[nn.Module]]
    config_type: ClassVar[type[Any]]

    def __init__(self, arch: dict[str, Any], settings: dict[str, Any]) -> None:
        self.arch = arch
        known = {f.name for f in fields(self.settings_type)}
        unknown = set(settings) - known
        if unknown:
            name = type(self).__name__
            raise RnnkitError(f"unknown {name} setting(s): {', '.join(sorted(unknown))}")
        self.settings = self.settings_type(**settings)
        self.model_: nn.Module | None = None
        self.vocab_: Any = None
        self.info_: dict[str, Any] = {}
        self._trainer: Trainer | None = None  # the last run's, for inspection
        # The latest training state (not the best weights) for save() after fit.
        self._snapshot: tuple[dict[str, Tensor], dict[str, Any]] | None = None

    # ------------------------------------------------------------------------- per kind
    def _config_json(self) -> dict[str, Any]:
        """What config.json holds beyond kind, version, model and training settings."""
        return {}

    def _vocab_json(self) -> dict[str, Any]:
        return dict(self._require_vocab().to_json())

    def _extra_weights(self) -> dict[str, Tensor]:
        """Tensors saved beside the network's weights (e.g. a baseline's), prefixed."""
        return {}

    def _saved_settings(self) -> Any:
        """The settings written to config.json: those of the last run."""
        return self.settings

    def _training_json(self) -> dict[str, Any]:
        """What config.json's "training" holds beyond the settings and the budget."""
        return {}

    def _restore(self, ck: checkpoint.Checkpoint) -> None:
        """Put back the vocabulary and anything else of a checkpoint beyond the weights."""
        raise NotImplementedError

    @classmethod
    def _arch_of(cls, config: Any) -> dict[str, Any]:
        """The constructor arguments that rebuild the architecture of ``config``."""
        raise NotImplementedError

    def _stats(self, trainer: Trainer) -> dict[str, Any]:
        return trainer.summary()

    # ------------------------------------------------------------------------- training
    def _device(self) -> torch.device:
        device = device_for(self.settings.device, getattr(self.settings, "backend", "torch"))
        return self._world().device(device)

    def _world(self) -> distributed.World:
        """The ranks this process trains with (one, unless torchrun launched it)."""
        timeout = getattr(self.settings, "dist_timeout", distributed.DEFAULT_TIMEOUT)
        return distributed.current(self.settings.device, timeout)

    def _train(
        self,
        start: Callable[[], tuple[Trainer, Budget]],
        out_dir: str | Path | None,
        quiet: bool,
    ) -> None:
        """Run the trainer that ``start`` builds (with its budget), saving the best weights and
        the exact training state to ``out_dir`` at each validation (and on Ctrl-C), then keep
        the best weights.

        Everything runs under a fork of torch's global RNG seeded with the run's seed, which
        weight initialisation and dropout draw from (``start`` builds the network, or restores
        a saved RNG state, inside it), so runs repeat and the caller's RNG is left as it was.
        """
        if out_dir is not None:
            save_target(out_dir)  # refused before the run, not at its first save
        world = self._world()  # with several ranks, rank 0 alone writes and shows progress
        with seeded(self.settings.seed, self._device()), distributed.failing_clearly(world):
            trainer, budget = start()
            trainer.agree = world.agree
            self.info_["budget"] = {"steps": budget.steps, "seconds": budget.seconds}
            save = None
            if out_dir is not None:

                def save(best: dict, tensors: dict, meta: dict) -> None:
                    if world.is_main:
                        self.info_["stats"] = self._stats(trainer)
                        self._write(out_dir, best, tensors, meta)
                    world.barrier()  # no rank goes on (or exits) before the save is complete

            model = self._require_model()
            quiet = quiet or not world.is_main
            self._snapshot = run_keeping_best(trainer, budget, model, save, quiet)
        self.info_["stats"] = self._stats(trainer)

    @classmethod
    def _resume(
        cls: type[Self],
        path: str | Path,
        prepare: Callable[[Self, dict[str, Any]], Trainer],
        minutes: float | None,
        steps: int | None,
        epochs: float | None,
        quiet: bool,
    ) -> Self:
        """Continue the run saved in ``path`` exactly where it stopped; ``prepare`` reads the
        run's data again (checking it is the same) and builds its trainer.

        Without a new budget it runs to the budget it was started with; a new budget replaces
        it (as a total, counted from the start of the run).
        """
        ck = checkpoint.load(path, with_training=True)
        est = cls._from_checkpoint(ck)
        saved = ck.config["training"]["budget"]

        def start() -> tuple[Trainer, Budget]:
            trainer = prepare(est, ck.config)
            trainer.restore(ck.train_tensors, ck.train_state or {}, est._net_weights(ck.weights))
            per_epoch = trainer.batches.steps_per_epoch
            return trainer, budget_for(minutes, steps, epochs, per_epoch, saved)

        est._train(start, path, quiet)
        return est

    # ----------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        """Write the model as a checkpoint folder (with the training state after ``fit``); in
        a distributed run, rank 0 alone writes."""
        if not self._world().is_main:
            return
        tensors, meta = self._snapshot if self._snapshot is not None else ({}, None)
        self._write(path, self._require_model().state_dict(), tensors, meta)

    def _write(
        self, path: str | Path, weights: dict, tensors: dict, meta: dict[str, Any] | None
    ) -> None:
        model = self._require_model()
        config = {
            "kind": self.kind,
            "rnnkit_version": __version__,
            "model": model.config.to_json(),
            "training": {
                **asdict(self._saved_settings()),
                "budget": self.info_.get("budget"),
                **self._training_json(),
            },
            "stats": self.info_.get("stats", {}),
            **self._config_json(),
        }
        weights = {**weights, **self._extra_weights()}
        ck = checkpoint.Checkpoint(config, self._vocab_json(), weights, meta, tensors)
        checkpoint.save(ck, path)

    @classmethod
    def load(cls: type[Self], path: str | Path) -> Self:
        """Load a checkpoint folder written by ``save``, ``fit`` or ``rnnkit train``."""
        return cls._from_checkpoint(checkpoint.load(path))

    @classmethod
    def _from_checkpoint(cls: type[Self], ck: checkpoint.Checkpoint) -> Self:
        checkpoint.expect_kind(ck.config, cls.kind)
        model = dict(ck.config.get("model", {}))
        unknown = sorted(set(model) - {f.name for f in fields(cls.config_type)})
        if unknown:  # a field a newer rnnkit wrote: the weights would not mean the same
            raise RnnkitError(
                f"config.json describes the model with unknown field(s) {', '.join(unknown)}: "
                f"written by a newer rnnkit than {__version__}?"
            )
        cfg = cls.config_type(**model)
        training = ck.config.get("training", {})
        known = {f.name for f in fields(cls.settings_type)}
        est = cls(**cls._arch_of(cfg), **{k: v for k, v in training.items() if k in known})
        est.model_ = cls.net_type(cfg)
        try:
            est.model_.load_state_dict(est._net_weights(ck.weights))
        except RuntimeError:
            raise RnnkitError(
                "the weights do not match the model described in config.json"
            ) from None
        est.info_ = {"budget": training.get("budget"), "stats": ck.config.get("stats", {})}
        est._restore(ck)
        return est

    def _net_weights(self, weights: dict[str, Tensor]) -> dict[str, Tensor]:
        """The network's weights of a checkpoint (others may be stored beside them)."""
        return weights

    # ----------------------------------------------------------------------------- state
    def _info_extra(self) -> dict[str, Any]:
        """What ``info()`` shows beyond kind, architecture, parameters and training."""
        return {}

    def info(self) -> dict[str, Any]:
        """Kind, architecture, sizes, vocabulary, data and training statistics."""
        model = self._require_model()
        return {
            "kind": self.kind,
            **model.config.to_json(),
            "parameters": sum(p.numel() for p in model.parameters()),
            **self._info_extra(),
            **{k: v for k, v in self.info_.items() if k != "budget"},
        }

    def _require_model(self) -> Any:
        if self.model_ is None:
            name = type(self).__name__
            raise RnnkitError(f"this {name} is not trained yet: call fit() or {name}.load()")
        return self.model_

    def _require_vocab(self) -> Any:
        if self.vocab_ is None:
            self._require_model()  # the "not trained yet" error
        assert self.vocab_ is not None
        return self.vocab_
