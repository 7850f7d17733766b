"""``rnnkit data``: the dataset registry from the command line (list, info, fetch)."""

from __future__ import annotations

from pathlib import Path

import click

from rnnkit.core.options import DATA_DIR
from rnnkit.data import catalog


@click.group()
def data() -> None:
    """The dataset registry: list, describe and fetch (verified by sha256) named data sets."""


@data.command("list")
def data_list() -> None:
    """Name and description of every registered data set."""
    for name in catalog.names():
        click.echo(f"{name:<16} {catalog.get(name).description}")


@data.command("info")
@click.argument("name")
@DATA_DIR
def data_info(name: str, data_dir: Path | None) -> None:
    """Licence, splits, URLs, checksums, and where each file of NAME is found."""
    details = catalog.info(name, data_dir=data_dir)
    for key in ("name", "description", "license", "splits"):
        click.echo(f"{key:>12}: {details[key]}")
    for f in details["files"]:
        click.echo(
            f"{'file':>12}: {f['name']}  ({f['where']})\n{'':>14}url {f['url']}"
            f"\n{'':>14}sha256 {f['sha256']} ({f['sha256_of']})"
        )


@data.command("fetch")
@click.argument("name")
@DATA_DIR
def data_fetch(name: str, data_dir: Path | None) -> None:
    """Make every file of NAME available locally, verified; print the paths."""
    for path in catalog.fetch(name, data_dir=data_dir):
        click.echo(str(path))
