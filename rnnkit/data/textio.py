"""Reading text files: plain or gzipped, whole or in chunks, always normalised the same way.

Every capability reads its files through here, so that a model trained on a Windows file and
one trained on a Unix file see the same characters: a leading BOM is dropped and CRLF / CR
line endings become LF (also where a CRLF straddles two chunks). A file is gunzipped when its
name ends in ``.gz`` or its content starts with the gzip magic bytes. Every problem (a missing
or unreadable file, a corrupt gzip stream, another encoding, a NUL byte in what should be text)
is a one-line :class:`~rnnkit.errors.RnnkitError` naming the file.

Example:
    >>> import gzip, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt.gz"
    >>> _ = path.write_bytes(gzip.compress(b"\\xef\\xbb\\xbfone\\r\\ntwo\\r\\n"))
    >>> read_text(path)
    'one\\ntwo\\n'
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from rnnkit.errors import RnnkitError, one_line

#: Bytes read from a file at a time: a chunk of text is about this many characters.
CHUNK_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def normalise(text: str) -> str:
    """Strip a leading BOM and turn CRLF / CR line endings into LF.

    Example:
        >>> normalise("\\ufeffa\\r\\nb\\rc")
        'a\\nb\\nc'
    """
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def normalised(pieces: Iterable[str]) -> Iterator[str]:
    """:func:`normalise` applied to a text given in pieces, as if to their concatenation.

    Example:
        >>> list(normalised(["\\ufeffa\\r", "\\nb\\r"]))
        ['a', '\\nb', '\\n']
    """
    carry, first = "", True
    for piece in pieces:
        text = carry + piece
        if first and text:
            text, first = text.removeprefix("\ufeff"), False
        # A CR at the end may be the first half of a CRLF: decide once the next piece is seen.
        carry = "\r" if text.endswith("\r") else ""
        text = text[: len(text) - len(carry)]
        # Most text has no CR at all: one scan for it beats two replace passes over a chunk.
        yield text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    if carry:
        yield "\n"


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The whole normalised text of the file ``path`` (see :func:`text_chunks`)."""
    return "".join(text_chunks(path, encoding))


def text_chunks(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The normalised text of the file ``path`` in chunks of about a megabyte, gunzipped when
    it is a gzip file, so a file of any size is read in bounded memory."""
    decoder = _decoder(encoding)  # an unknown encoding fails before the file is opened
    chunks = _raw_chunks(path)
    if not _wide(encoding):  # in UTF-16 and UTF-32 text, NUL bytes are normal
        chunks = _without_nul(chunks, path)
    return normalised(_decoded(chunks, decoder, encoding, path))


def folder_files(folder: Path) -> list[Path]:
    """The files below ``folder``, sorted by path, hidden files and folders (``.name``) left
    out; a folder with none is an error."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    if not files:
        raise RnnkitError(f"folder {folder} contains no files")
    return files


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _raw_chunks(path: Path) -> Iterator[bytes]:
    try:
        with _open(path) as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise RnnkitError(
            f"cannot read {path}: a truncated or corrupt gzip file ({one_line(err)})"
        ) from None
    except OSError as err:
        raise RnnkitError(f"cannot read {path} ({one_line(err)})") from None


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as fh:
        gzipped = fh.read(2) == _GZIP_MAGIC
    if gzipped or path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _without_nul(chunks: Iterable[bytes], path: Path) -> Iterator[bytes]:
    """The chunks, refusing a NUL byte: text never holds one, binary files usually do."""
    seen = 0
    for chunk in chunks:
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise RnnkitError(
                f"{path} looks binary (NUL byte at offset {seen + nul}); give a text file"
            )
        seen += len(chunk)
        yield chunk


def _decoded(
    chunks: Iterable[bytes], decoder: codecs.IncrementalDecoder, encoding: str, path: Path
) -> Iterator[str]:
    """The chunks decoded incrementally (a character may straddle two chunks); a decoding
    error names the byte and line where it happened in the whole file."""
    offset = lines = 0  # bytes and line breaks in the chunks already given to the decoder
    for chunk in _with_end(chunks):
        pending = decoder.getstate()[0]  # bytes of a character the last chunk cut in two
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as err:
            data = pending + chunk
            at = offset - len(pending) + err.start
            line = lines - pending.count(b"\n") + data.count(b"\n", 0, err.start) + 1
            raise RnnkitError(
                f"{path} is not valid {encoding} at byte {at} (line {line}); pass encoding= "
                "(--encoding on the command line), e.g. latin-1, if it uses another one"
            ) from None
        offset += len(chunk)
        lines += chunk.count(b"\n")
        yield text


def _with_end(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, then an empty one that tells the decoder the input is complete."""
    yield from chunks
    yield b""


def _decoder(encoding: str) -> codecs.IncrementalDecoder:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise RnnkitError(f"unknown encoding {encoding!r}") from None
    if not info._is_text_encoding:  # e.g. "hex" or "rot13": codecs, but not bytes -> text
        raise RnnkitError(f"unknown encoding {encoding!r} (not a text encoding)")
    return info.incrementaldecoder()


def _wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
