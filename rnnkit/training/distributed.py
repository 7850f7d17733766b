"""Training on several processes with PyTorch's own engine: ``torch.distributed`` and DDP.

A run launched by ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) joins the process group
the first time it trains: gloo on the CPU, NCCL on CUDA (each rank on ``cuda:LOCAL_RANK``),
with a timeout, so that a rank that crashed or hangs makes the others stop with a clear error
instead of waiting for ever. A process not launched that way is a :class:`World` of one, and
nothing here does anything.

What the ranks agree on, so that they take the same decisions at the same step: the loss
(averaged, so a NaN stops every rank), the elapsed time and a stop request (the largest: Ctrl-C
or SIGTERM on any rank stops them all after the same step), the validation loss (sums of loss
and token counts). The data split is :mod:`rnnkit.training.shards`'s; gradients are averaged by
:class:`~torch.nn.parallel.DistributedDataParallel`.

Example:
    >>> world = current()  # not launched by torchrun: one process
    >>> world.size, world.is_main, world.mean(2.5), world.agree(False, 1.0)
    (1, True, 2.5, (False, 1.0))
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import Tensor

from rnnkit.errors import RnnkitError, one_line

#: Seconds a rank waits for the others in a collective before it gives up (a crashed rank).
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class World:
    """This process's place in a run: its rank, the number of ranks, its rank on its node.

    Example:
        >>> World(1, 2).is_main, World(1, 2).rows(8)
        (False, range(4, 8))
    """

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this rank writes checkpoints, logs, bars and samples (rank 0 alone)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def rows(self, streams: int) -> range:
        """This rank's contiguous block of ``streams`` streams (some may get none)."""
        per, extra = divmod(streams, self.size)
        start = self.rank * per + min(self.rank, extra)
        return range(start, start + per + (self.rank < extra))

    def device(self, device: torch.device) -> torch.device:
        """The device of this rank: ``cuda`` means ``cuda:LOCAL_RANK`` in a distributed run."""
        if self.distributed and device.type == "cuda" and device.index is None:
            return torch.device("cuda", self.local_rank)
        return device

    def mean(self, value: float) -> float:
        """``value`` averaged over the ranks."""
        return self._reduce([value], dist.ReduceOp.SUM)[0] / self.size

    def sum(self, value: float) -> float:
        """``value`` summed over the ranks."""
        return self._reduce([value], dist.ReduceOp.SUM)[0]

    def agree(self, stop: bool, elapsed: float) -> tuple[bool, float]:
        """Stop if any rank was asked to; the longest elapsed time of any rank."""
        stopped, longest = self._reduce([float(stop), elapsed], dist.ReduceOp.MAX)
        return bool(stopped), longest

    def _reduce(self, values: list[float], op: dist.ReduceOp.RedOpType) -> list[float]:
        if not self.distributed:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=_comm_device(self))
        dist.all_reduce(t, op)
        return [float(v) for v in t.tolist()]

    def gather_rows(self, tensor: Tensor) -> Tensor:
        """Every rank's ``tensor`` [L, b, H] laid side by side along dim 1 (rank order)."""
        if not self.distributed:
            return tensor
        parts = [torch.empty_like(tensor) for _ in range(self.size)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, dim=1)

    def gather(self, tensor: Tensor) -> list[Tensor]:
        """Every rank's ``tensor`` (same shape on each), in rank order, on the CPU."""
        if not self.distributed:
            return [tensor]
        local = tensor.to(_comm_device(self))
        parts = [torch.empty_like(local) for _ in range(self.size)]
        dist.all_gather(parts, local)
        return [p.cpu() for p in parts]

    def barrier(self) -> None:
        """Wait until every rank is here (after a save, so none reads a half-written one)."""
        if self.distributed:
            dist.barrier()


SINGLE = World()


def _comm_device(world: World) -> torch.device:
    return (
        torch.device("cuda", world.local_rank)
        if dist.get_backend() == "nccl"
        else torch.device("cpu")
    )


def launched() -> bool:
    """Whether ``torchrun`` (or a launcher like it) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def current(device: str = "cpu", timeout: float = DEFAULT_TIMEOUT) -> World:
    """The world this process trains in: the process group if one is set up (by the caller,
    or here, the first time, for a process that ``torchrun`` launched), else one process."""
    if dist.is_available() and dist.is_initialized():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        return World(dist.get_rank(), dist.get_world_size(), local)
    if not launched():
        return SINGLE
    backend = "nccl" if device.startswith("cuda") or (device == "auto" and _cuda()) else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    try:
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout))
    except (RuntimeError, ValueError) as err:
        raise RnnkitError(f"cannot join the distributed run ({one_line(err)})") from None
    return current(device, timeout)


def _cuda() -> bool:
    return torch.cuda.is_available()


@contextmanager
def failing_clearly(world: World) -> Iterator[None]:
    """Turn a collective that failed (a rank crashed, was killed, or timed out) into a
    one-line error naming this rank, so that every rank exits instead of hanging."""
    if not world.distributed:
        yield
        return
    try:
        yield
    except (RuntimeError, dist.DistError) as err:
        raise RnnkitError(
            f"rank {world.rank} of {world.size}: another rank failed or stopped answering, so "
            f"this one stops too ({one_line(err)[:300]})"
        ) from None


def fork_rank_rng(seed: int, world: World) -> None:
    """Give each rank its own dropout stream (after the weights were drawn alike on all)."""
    if world.distributed:
        torch.manual_seed(seed * 1_000_003 + world.rank)


def torchrun(nproc: int, args: list[str]) -> int:
    """Run ``rnnkit ARGS`` on ``nproc`` processes of this machine under ``torchrun
    --standalone``; its exit code. A Ctrl-C reaches the workers too (they save and stop), so
    this launcher waits for them rather than leave them behind."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += [f"--nproc_per_node={nproc}", "-m", "rnnkit", *args]
    proc = subprocess.Popen(command)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def without_option(args: list[str], name: str) -> list[str]:
    """``args`` without the option ``name`` and its value (``--nproc 2`` or ``--nproc=2``).

    Example:
        >>> without_option(["train", "x", "--nproc", "2", "--steps=5"], "--nproc")
        ['train', 'x', '--steps=5']
    """
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(name + "="):
            kept.append(arg)
    return kept
