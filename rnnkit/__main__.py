"""``python -m rnnkit``: the ``rnnkit`` command."""

from rnnkit.cli import main

main()
