"""Random numbers without touching the caller's global state.

Dropout and PyTorch's default weight initialisation draw from the process-wide torch RNG, which
has no per-call generator argument. :func:`seeded` runs such code under a fork of that RNG:
inside, the RNG is seeded as asked (so runs are repeatable); on exit the caller's RNG state is
put back exactly, so ``fit()`` never reseeds a user's program. Sampling draws from an explicit
:class:`torch.Generator` instead (:func:`generator`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def seeded(seed: int, device: torch.device | str = "cpu") -> Iterator[None]:
    """Run the block with torch's global RNG (and the CUDA one for a CUDA ``device``) seeded
    with ``seed``, restoring the caller's RNG state afterwards.

    Example:
        >>> before = torch.get_rng_state()
        >>> with seeded(0):
        ...     a = torch.rand(2)
        >>> with seeded(0):
        ...     b = torch.rand(2)
        >>> bool(torch.equal(a, b)), bool(torch.equal(before, torch.get_rng_state()))
        (True, True)
    """
    device = torch.device(device)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def generator(seed: int | None) -> torch.Generator:
    """A CPU generator seeded with ``seed``, or from the OS's entropy when ``seed`` is None
    (without drawing from, or reseeding, the global RNG).

    Example:
        >>> bool(torch.equal(torch.rand(3, generator=generator(1)),
        ...                  torch.rand(3, generator=generator(1))))
        True
    """
    g = torch.Generator()
    if seed is None:
        g.seed()  # a non-deterministic seed for this generator only
    else:
        g.manual_seed(seed)
    return g
