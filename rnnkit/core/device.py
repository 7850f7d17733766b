"""Choosing the device a model trains on."""

from __future__ import annotations

import torch

from rnnkit.errors import RnnkitError


def device_for(name: str, backend: str = "torch") -> torch.device:
    """The device to train on; "auto" picks CUDA (or Apple MPS) when present.

    Example:
        >>> device_for("cpu")
        device(type='cpu')
    """
    if name == "auto":
        mps = getattr(torch.backends, "mps", None)
        name = (
            "cuda" if torch.cuda.is_available() else "mps" if mps and mps.is_available() else "cpu"
        )
    try:
        device = torch.device(name)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as err:
        raise RnnkitError(f"cannot train on device {name!r}: {str(err).splitlines()[0]}") from None
    if device.type != "cpu" and backend != "torch":
        raise RnnkitError(f"the {backend} backend trains on the CPU only")
    return device
