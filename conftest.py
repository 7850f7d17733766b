"""Pytest setup shared by the tests and the docstring examples in rnnkit/."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread() -> None:
    # Tests compare floats exactly; one thread keeps reductions in a fixed order (and keeps
    # small doctests fast on a busy machine).
    torch.set_num_threads(1)
