"""Length-bucketed batch orders, for models that read whole sequences (not token streams).

Each epoch is a seeded shuffle cut into pools of ``pool`` batches' worth of rows; a pool is
sorted by length and cut into batches (little padding), and the epoch's batches are shuffled
again. The order is a pure function of (seed, epoch), so a resumed run reads the same batches.
"""

from __future__ import annotations

import math

import numpy as np

#: Batches per pool: enough to find rows of similar length, few enough that batches still
#: differ from epoch to epoch.
POOL_BATCHES = 50


def bucket_order(
    lengths: np.ndarray, batch_size: int, seed: int, epoch: int, pool: int = POOL_BATCHES
) -> list[np.ndarray]:
    """The row indices of each batch of ``epoch``, in the order they are trained on.

    Example:
        >>> order = bucket_order(np.array([3, 9, 4, 8, 1, 7]), batch_size=2, seed=0, epoch=0)
        >>> sorted(int(i) for batch in order for i in batch), len(order)
        ([0, 1, 2, 3, 4, 5], 3)
    """
    rng = np.random.default_rng([seed, epoch])
    shuffled = rng.permutation(len(lengths))
    rows = batch_size * pool
    batches: list[np.ndarray] = []
    for start in range(0, len(shuffled), rows):
        part = shuffled[start : start + rows]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(np.array_split(part, math.ceil(len(part) / batch_size)))
    return [batches[i] for i in rng.permutation(len(batches))]
