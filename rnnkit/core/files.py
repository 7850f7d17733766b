"""Atomic writes and JSON reading: the one implementation every saved file goes through.

A reader (or a crash) never sees half a file: a file is written beside its target and renamed
over it (:func:`atomic_file`); a folder is built aside and swapped in (:func:`atomic_folder`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rnnkit.errors import RnnkitError


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on success it is synced and renamed
    onto ``path``, on any error (Ctrl-C included) it is removed and ``path`` is untouched.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
        >>> with atomic_file(out, "w") as fh:
        ...     _ = fh.write("done")
        >>> out.read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)  # mkstemp makes the file private; what we save need not be
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Build the folder ``path`` aside (in the folder yielded), then sync it to disk and rename
    it into place: a crash leaves either the old folder or the new one, never half of one.

    Other files already in ``path`` (logs) are carried over into the new folder; if a crash hit
    mid-swap, :func:`resolve_folder` finds the old one.
    """
    path = save_target(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves nothing behind
        raise
    for f in tmp.rglob("*"):
        if f.is_file():
            _fsync(f)
    _swap_in(tmp, path)


def save_target(path: str | Path) -> Path:
    """``path`` as a folder :func:`atomic_folder` may write: not the current folder or one
    that holds it (a save swaps the folder out and back in).

    Example:
        >>> save_target(".")
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: . is the current folder or holds it: save into a new folder
    """
    path = Path(path)
    if Path.cwd().resolve().is_relative_to(path.resolve()):
        raise RnnkitError(f"{path} is the current folder or holds it: save into a new folder")
    return path


def resolve_folder(path: str | Path, what: str = "checkpoint folder") -> Path:
    """The folder to read: ``path``, or its ``.old`` twin if a save was cut off mid-swap."""
    path = Path(path)
    old = path.with_name(path.name + ".old")
    if not path.exists() and old.is_dir():
        return old
    if not path.is_dir():
        raise RnnkitError(f"no {what} at {path}")
    return path


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as readable UTF-8 JSON into the folder an :func:`atomic_folder` is
    building (which syncs it and swaps the whole folder in: no temporary file of its own)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(
    path: Path, folder: str = "an rnnkit checkpoint", file: str = "an rnnkit checkpoint file"
) -> dict[str, Any]:
    """A JSON object from a saved folder; missing, corrupt or non-object files are one-line
    errors that say what the folder (``folder``) or file (``file``) should have been."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RnnkitError(f"{path.parent} is not {folder}: {path.name} missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RnnkitError(f"{path} is truncated or corrupt (not valid JSON)") from None
    if not isinstance(data, dict):
        raise RnnkitError(f"{path} is not {file}")
    return data


def check_format(
    header: Any, what: str, expected: tuple[str, str], version: tuple[str, int]
) -> None:
    """Refuse a saved header (a dict read from JSON) unless its ``expected[0]`` key holds
    ``expected[1]`` and its ``version[0]`` key holds ``version[1]``; ``what`` names the thing
    (``"runs/x (an rnnkit checkpoint)"``) in the one-line error.

    Example:
        >>> check_format({"format": "f", "format_version": 2}, "x", ("format", "f"),
        ...              ("format_version", 1))
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: x has format version 2; this rnnkit reads version 1
    """
    key, name = expected
    if not isinstance(header, dict) or header.get(key) != name:
        raise RnnkitError(f"{what} is not in the {name} format ({key!r} is missing or foreign)")
    vkey, number = version
    if header.get(vkey) != number:
        raise RnnkitError(
            f"{what} has format version {header.get(vkey)}; this rnnkit reads version {number}"
        )


def _swap_in(tmp: Path, path: Path) -> None:
    old = path.with_name(path.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        # Keep what else lives in the folder (metrics.csv, tensorboard/): a rename keeps the
        # inode, so a log file that is open for appending goes on working.
        for entry in path.iterdir():
            if not (tmp / entry.name).exists():
                os.rename(entry, tmp / entry.name)
        os.rename(path, old)
    os.rename(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
