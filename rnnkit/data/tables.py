"""Readers for the catalogued tables (see :mod:`rnnkit.data.catalog`): each file of a tabular
data set is one split, read into a pandas DataFrame as it is."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnnkit.data.registry import Loader
from rnnkit.errors import RnnkitError, one_line


def table_loader(splits: Sequence[str]) -> Loader:
    """A loader whose splits are the data set's files in order, one DataFrame each.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = path.write_text("a,b\\n1,x\\n")
        >>> table_loader(["t"])([path])["t"].to_dict("records")
        [{'a': 1, 'b': 'x'}]
    """

    def load(paths: list[Path]) -> dict[str, Any]:
        # Imported here: pandas is only needed once a table is actually read.
        import pandas as pd

        tables = {}
        for split, path in zip(splits, paths, strict=True):
            try:
                tables[split] = pd.read_csv(path, low_memory=False)
            except (OSError, ValueError, UnicodeDecodeError) as err:
                raise RnnkitError(f"{path} is not a readable CSV file ({one_line(err)})") from None
        return tables

    return load
