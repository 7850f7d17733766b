"""``rnnkit gradcheck``: the NumPy backend's gradients against finite differences.

It lives here, not in :mod:`rnnkit.numpy_rnn`, because that package imports only NumPy and the
standard library (it is teaching code, read and run on its own).
"""

from __future__ import annotations

import click

from rnnkit.core.options import SEED, given
from rnnkit.errors import RnnkitError
from rnnkit.numpy_rnn.cells import CELLS
from rnnkit.numpy_rnn.gradcheck import gradcheck_cell, gradcheck_model

#: Every relative error must be below this for the check to pass.
TOLERANCE = 1e-6


@click.command()
@click.option("--cell", type=click.Choice(list(CELLS)), default="lstm", show_default=True)
@click.option(
    "--whole-model",
    is_flag=True,
    help="Check the whole char model (embedding, 2 layers, head) instead of one cell.",
)
@SEED
def gradcheck(cell: str, whole_model: bool, seed: int | None) -> None:
    """Compare the NumPy backend's analytic gradients with finite differences (float64).

    Prints the max relative error of every parameter; all should be far below 1e-6.
    """
    check = gradcheck_model if whole_model else gradcheck_cell
    errors = check(cell, **given(seed=seed))
    width = max(len(name) for name in errors)
    click.echo(f"{'parameter':<{width}}  max relative error   ({cell}, float64)")
    for name, err in errors.items():
        click.echo(f"{name:<{width}}  {err:.3e}  {'ok' if err < TOLERANCE else 'FAIL'}")
    if max(errors.values()) >= TOLERANCE:
        raise RnnkitError(f"gradient check failed: some relative error is >= {TOLERANCE:g}")
