"""Reading corpora: a bundled name, a UTF-8 file, a folder of files, or a literal string.

Everything is normalised the same way (BOM stripped, CRLF/CR -> LF) so that a model trained on a
Windows file and one trained on a Unix file see the same characters.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rnnkit.errors import RnnkitError

#: Corpora that ship inside the package (public domain), by name.
BUNDLED: dict[str, str] = {"shakespeare": "shakespeare.txt.gz"}


class Text(str):
    """A string that is the text itself, never a name or a path (for a one-line text).

    Example:
        >>> read_corpus(Text("hello world")).source
        '<string>'
    """


@dataclass(frozen=True)
class Corpus:
    """A loaded text with a short description of where it came from.

    Example:
        >>> c = read_corpus("to be or not to be\\n")
        >>> c.source, len(c.text)
        ('<string>', 19)
    """

    text: str
    source: str

    @property
    def sha256(self) -> str:
        """Hash of the normalised text, stored in checkpoints to identify the training data."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_corpus(
    source: str | Path, encoding: str = "utf-8", data_dir: str | Path | None = None
) -> Corpus:
    """Load ``source``: a bundled corpus or registry dataset name (see :mod:`rnnkit.data.registry`;
    its splits joined in order), one split of a registry dataset (``"wikitext2:test"``), a
    file, a folder (all files, sorted), or text.

    A ``str`` that names no bundled corpus and no existing path is taken as literal text when it
    contains whitespace; otherwise it is reported as a missing path (a likely typo).
    """
    if isinstance(source, Text):
        return Corpus(_check_nonempty(normalise(source), "the given string"), "<string>")
    if isinstance(source, str) and source in BUNDLED:
        return Corpus(_read_bundled(source), source)
    splits = read_splits(source.partition(":")[0], data_dir) if isinstance(source, str) else None
    if splits is not None:
        assert isinstance(source, str)
        name, _, split = source.partition(":")
        if not split:
            return Corpus("".join(part.text for part in splits.values()), name)
        if split not in splits:
            raise RnnkitError(
                f"dataset {name} has no split {split!r} (splits: {', '.join(splits)})"
            )
        return splits[split]
    if isinstance(source, str) and "\n" in source:  # no real path holds a newline
        return Corpus(_check_nonempty(normalise(source), "the given string"), "<string>")
    path = Path(source)
    if _is(path, Path.is_dir):
        return Corpus(_read_folder(path, encoding), str(path))
    if _is(path, Path.is_file):
        return Corpus(_read_file(path, encoding), str(path))
    if isinstance(source, str) and any(ch.isspace() for ch in source):
        return Corpus(_check_nonempty(normalise(source), "the given string"), "<string>")
    names = ", ".join(sorted(BUNDLED))
    raise RnnkitError(f"no such file, folder or bundled corpus: {str(source)!r} (bundled: {names})")


def read_splits(source: str | Path, data_dir: str | Path | None = None) -> dict[str, Corpus] | None:
    """The standard splits of a registry text dataset (``"wikitext2"`` -> train, validation,
    test), each named ``"name:split"``; None when ``source`` names no registry dataset."""
    from rnnkit.data.registry import REGISTRY, load  # local import: the registry reads corpora

    if not isinstance(source, str) or source not in REGISTRY:
        return None
    splits = load(source, mirror=data_dir)
    if not all(isinstance(part, str) for part in splits.values()):
        raise RnnkitError(
            f"{source} holds records (e.g. reviews), not one text corpus; to train a language "
            "model on them, write them out with rnnkit.data.labelled.write_lm_corpus"
        )
    return {k: Corpus(normalise(v), f"{source}:{k}") for k, v in splits.items()}


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    try:
        return test(path)
    except OSError:  # e.g. a name too long to be a path: then it is not one
        return False


def normalise(text: str) -> str:
    """Strip a leading BOM and turn CRLF / CR line endings into LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _read_bundled(name: str) -> str:
    ref = resources.files("rnnkit.data") / "corpora" / BUNDLED[name]
    with ref.open("rb") as fh, gzip.open(fh, "rt", encoding="utf-8") as text:
        return text.read()


def _read_folder(folder: Path, encoding: str) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    if not files:
        raise RnnkitError(f"folder {folder} contains no files")
    return "\n".join(_read_file(p, encoding) for p in files)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _read_file(path: Path, encoding: str) -> str:
    raw = path.read_bytes()
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise RnnkitError(f"{path} looks binary (NUL byte at offset {nul}); give a text file")
    return _check_nonempty(decode(raw, encoding, path), str(path))


def decode(raw: bytes, encoding: str, path: Path) -> str:
    """The bytes of the file ``path`` as normalised text; a wrong or unknown encoding is a
    one-line error naming the byte and line where decoding failed."""
    try:
        return normalise(raw.decode(encoding))
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise RnnkitError(
            f"{path} is not valid {encoding} at byte {err.start} (line {line}); pass "
            "encoding= (--encoding on the command line), e.g. latin-1, if it uses another one"
        ) from None
    except LookupError:
        raise RnnkitError(f"unknown encoding {encoding!r}") from None


def _check_nonempty(text: str, what: str) -> str:
    if not text.strip():
        raise RnnkitError(f"{what} is empty (no text to learn from)")
    return text
