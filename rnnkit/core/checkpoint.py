"""The one checkpoint format, shared by every model kind and backend.

A checkpoint is a folder::

    config.json            format name + version, model kind, architecture, training settings,
                           corpus description, statistics (steps, best validation loss)
    vocab.json             the tokenizer (a classifier's also holds its TF-IDF baseline's terms)
    model.safetensors      the weights to use (the best by validation loss)
    training/state.json    loop position for exact resume (step, time used, best loss, ...)
    training/state.safetensors
                           latest weights, optimizer moments, RNG state, carried hidden state

Nothing is ever unpickled: JSON and safetensors only. A save builds the whole folder next to the
target and swaps it in with renames, so a crash leaves either the old checkpoint or the new one,
never a mix (:func:`rnnkit.core.files.atomic_folder`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from rnnkit.core.files import (
    atomic_folder,
    check_format,
    read_json,
    resolve_folder,
    write_json,
)
from rnnkit.errors import RnnkitError

FORMAT = "rnnkit-checkpoint"
FORMAT_VERSION = 1
CPU = torch.device("cpu")
CONFIG, VOCAB, WEIGHTS = "config.json", "vocab.json", "model.safetensors"
TRAIN_JSON, TRAIN_TENSORS = "training/state.json", "training/state.safetensors"


@dataclass
class Checkpoint:
    """Everything in a checkpoint folder, in memory.

    Example:
        >>> import tempfile, torch
        >>> ck = Checkpoint({"kind": "demo"}, {"type": "char", "tokens": ["a"]},
        ...                 {"w": torch.ones(2)})
        >>> d = tempfile.mkdtemp() + "/ck"
        >>> save(ck, d); load(d).config["kind"]
        'demo'
    """

    config: dict[str, Any]
    vocab: dict[str, Any]
    weights: dict[str, Tensor]
    train_state: dict[str, Any] | None = None
    train_tensors: dict[str, Tensor] = field(default_factory=dict)


def save(ck: Checkpoint, path: str | Path) -> None:
    """Write ``ck`` to the folder ``path`` atomically (build aside, then rename into place)."""
    with atomic_folder(path) as tmp:
        (tmp / "training").mkdir()
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, **ck.config}
        write_json(tmp / CONFIG, config)
        write_json(tmp / VOCAB, ck.vocab)
        save_file(_plain(ck.weights), str(tmp / WEIGHTS))
        if ck.train_state is not None:
            save_file(_plain(ck.train_tensors), str(tmp / TRAIN_TENSORS))
            write_json(tmp / TRAIN_JSON, ck.train_state)


def load(path: str | Path, with_training: bool = False) -> Checkpoint:
    """Read a checkpoint folder; any missing, truncated or foreign file is a one-line error."""
    path = resolve_folder(path)
    ck = Checkpoint(load_config(path), read_json(path / VOCAB), _read_tensors(path / WEIGHTS))
    if with_training:
        if not (path / TRAIN_JSON).is_file():
            raise RnnkitError(f"{path} holds no training state, so it cannot be resumed")
        ck.train_state = read_json(path / TRAIN_JSON)
        ck.train_tensors = _read_tensors(path / TRAIN_TENSORS)
    return ck


def expect_kind(config: dict[str, Any], kind: str, name: str | None = None) -> None:
    """Refuse a checkpoint whose config holds another kind of model than ``kind`` (called
    ``name`` in the message, ``kind`` quoted by default)."""
    if config.get("kind") != kind:
        raise RnnkitError(
            f"this checkpoint holds a {config.get('kind')!r} model, not a {name or repr(kind)}"
        )


def load_config(path: str | Path) -> dict[str, Any]:
    """The checked ``config.json`` of a checkpoint folder, without reading its tensors."""
    path = resolve_folder(path)
    config = read_json(path / CONFIG)
    what = f"{path} (an rnnkit checkpoint?)"
    check_format(config, what, ("format", FORMAT), ("format_version", FORMAT_VERSION))
    return config


def _plain(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    # safetensors refuses shared storage (tied weights) and non-contiguous views: copy each.
    return {k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()}


def _read_tensors(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise RnnkitError(f"{path.parent} is not a complete checkpoint: {path.name} missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise RnnkitError(f"{path} is truncated or corrupt ({err})") from None


def optimizer_to_tensors(state: dict[str, Any]) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split a ``torch.optim`` state dict into named tensors and a JSON-ready remainder."""
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, per_param in state["state"].items():
        for key, value in per_param.items():
            if isinstance(value, Tensor):
                tensors[f"optim.{pid}.{key}"] = value
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_tensors(tensors: dict[str, Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`optimizer_to_tensors`: a state dict for ``optimizer.load_state_dict``."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = value
    for pid, extra in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(extra)
    # JSON has no tuples; torch optimizers expect betas as one.
    groups = [{**g, **_tuples(g)} for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def _tuples(group: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) for k, v in group.items() if k == "betas"}


def rng_tensors(device: torch.device = CPU) -> dict[str, Tensor]:
    """The torch RNG states that drive dropout, as tensors to save: the CPU one, and the
    device's own when training runs on a GPU (CUDA kernels draw from it)."""
    tensors = {"rng.torch": torch.get_rng_state()}
    if device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    return tensors


def restore_rng(tensors: dict[str, Tensor], device: torch.device = CPU) -> None:
    """Set the RNG states saved by :func:`rng_tensors`. A run saved on a GPU and resumed on
    the CPU (or the reverse) continues with the CPU state only, so it is not bit-exact."""
    torch.set_rng_state(tensors["rng.torch"])
    if device.type == "cuda" and "rng.cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)
