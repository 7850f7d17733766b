"""Pieces every ``rnnkit`` command group shares: the data-mirror option."""

from __future__ import annotations

import os
from pathlib import Path

import click

#: ``--data-dir``: where the dataset registry finds its files (a folder laid out like
#: shared/data); the RNNKIT_DATA environment variable sets it too.
DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="RNNKIT_DATA",
    help="Local mirror of the data sets (a folder laid out like shared/data); or RNNKIT_DATA.",
)


def use_mirror(data_dir: Path | None) -> None:
    """Point the registry at ``data_dir`` for this process (it reads RNNKIT_DATA)."""
    if data_dir is not None:
        os.environ["RNNKIT_DATA"] = str(data_dir)
