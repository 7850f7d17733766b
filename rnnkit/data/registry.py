"""Dataset mechanics: how a named dataset's files are found, checked and downloaded.

The datasets themselves (their files, checksums and loaders) are listed in
:mod:`rnnkit.data.catalog`; this module only knows :class:`DataFile` and :class:`Dataset`, so
that every capability identifies a file the same way: by a mirror-relative name
(``ptb/ptb.train.txt``) and a pinned sha256.

Where a file comes from, in this order:

1. a local mirror folder laid out like the project's shared data folder, given as ``data_dir``
   (``--data-dir`` on the command line) or by the environment variable ``RNNKIT_DATA``; files
   there are verified and read in place;
2. the cache folder, ``RNNKIT_CACHE`` (default ``~/.cache/rnnkit``), which only ever receives
   verified files (it is checked again on use, since someone may have put a file there by hand);
3. a download of the canonical URL into the cache: written to a temporary file next to the
   target, verified, then moved into place with :func:`os.replace`. A failed or corrupt download
   leaves nothing behind.

A file whose sha256 does not match is rejected with a one-line :class:`~rnnkit.errors.RnnkitError`
naming the file, the expected and the actual sha256; it is never used. For text files the sha256
is that of the decompressed content, so a mirror may hold ``NAME`` or ``NAME.gz``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rnnkit.core.files import atomic_file
from rnnkit.errors import RnnkitError, one_line

#: Seconds a download may wait for the server before it counts as "no network".
TIMEOUT_S = 20.0
_CHUNK = 1 << 20
_GZ = ".gz"


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its mirror-relative name, canonical URL and sha256.

    With ``gz_ok`` the sha256 is that of the decompressed content and a mirror may hold ``name``
    or ``name + ".gz"``; otherwise it is the sha256 of the file as stored. ``sha256=None`` means
    "not pinned": no reference checksum is known and the file is used unverified.

    Example:
        >>> f = DataFile("ptb/ptb.valid.txt", "https://example.org/ptb.valid.txt", None)
        >>> f.basename, f.candidates()
        ('ptb.valid.txt', ('ptb/ptb.valid.txt', 'ptb/ptb.valid.txt.gz'))
    """

    name: str
    url: str | None
    sha256: str | None
    gz_ok: bool = True
    note: str = ""

    @property
    def basename(self) -> str:
        """The file name without its folder."""
        return self.name.rsplit("/", 1)[-1]

    def candidates(self) -> tuple[str, ...]:
        """Mirror-relative names under which the file is accepted."""
        return (self.name, self.name + _GZ) if self.gz_ok else (self.name,)


#: Turns the local paths of a dataset's files into its splits, by split name.
Loader = Callable[[list[Path]], dict[str, Any]]


@dataclass(frozen=True)
class Dataset:
    """A named dataset: what it is, its files, and a loader returning its standard splits.

    ``fallback`` is another source, used when ``files`` are not all present locally (for IMDB:
    the Stanford tarball instead of rnnkit's jsonl files); the loader then gets ``[fallback]``.

    Example:
        >>> ds = Dataset("toy", "a toy", "CC0", (), ("train",), lambda paths: {"train": "hi"})
        >>> fetch(ds), ds.loader(fetch(ds))
        ([], {'train': 'hi'})
    """

    name: str
    description: str
    license: str
    files: tuple[DataFile, ...]
    splits: tuple[str, ...]
    loader: Loader
    fallback: DataFile | None = None


# ---------------------------------------------------------------------------------------------
# Public API


def describe(ds: Dataset, data_dir: str | Path | None = None) -> dict[str, Any]:
    """What ``ds`` is: description, license, splits, and each file's URL, sha256 and location.

    ``where`` is the local path found (mirror first, then cache; not re-hashed here) or
    ``"not present"``.
    """
    folder = mirror_dir(data_dir)
    extra = (ds.fallback,) if ds.fallback is not None else ()
    return {
        "name": ds.name,
        "description": ds.description,
        "license": ds.license,
        "splits": list(ds.splits),
        "files": [_file_info(f, folder) for f in ds.files + extra],
    }


def fetch(ds: Dataset, data_dir: str | Path | None = None) -> list[Path]:
    """Make every file of ``ds`` available and verified; return their local paths."""
    folder = mirror_dir(data_dir)
    found = [_local(f, folder) for f in ds.files]
    present = [p for p in found if p is not None]
    if len(present) == len(ds.files):
        return present
    if ds.fallback is not None:
        return [_local(ds.fallback, folder) or _download(ds, ds.fallback)]
    return [p or _download(ds, f) for p, f in zip(found, ds.files, strict=True)]


def cache_dir() -> Path:
    """The download cache: ``$RNNKIT_CACHE``, else ``~/.cache/rnnkit``."""
    env = os.environ.get("RNNKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rnnkit"


def mirror_dir(data_dir: str | Path | None = None) -> Path | None:
    """The local mirror folder: ``data_dir``, else ``$RNNKIT_DATA``, else None (no mirror)."""
    chosen = data_dir or os.environ.get("RNNKIT_DATA")
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        given = "--data-dir, data_dir= or RNNKIT_DATA" if data_dir else "RNNKIT_DATA"
        raise RnnkitError(f"data folder {path} (from {given}) does not exist or is not a folder")
    return path


# ---------------------------------------------------------------------------------------------
# Finding, verifying and downloading files


def _find(folder: Path | None, f: DataFile) -> Path | None:
    if folder is None:
        return None
    return next((folder / rel for rel in f.candidates() if (folder / rel).is_file()), None)


def _local(f: DataFile, mirror: Path | None) -> Path | None:
    """The verified local copy of ``f``, mirror first, then cache; None when neither has one."""
    for folder in (mirror, cache_dir()):
        path = _find(folder, f)
        if path is not None:
            return _verify(path, f)
    return None


def _file_info(f: DataFile, mirror: Path | None) -> dict[str, Any]:
    where = _find(mirror, f) or _find(cache_dir(), f)
    if f.sha256 is None:
        checked = "not pinned: no reference sha256 is known, the file is used unverified"
    else:
        checked = "decompressed content" if f.gz_ok else "file as stored"
    return {
        "name": f.name,
        "url": f.url,
        "sha256": f.sha256,
        "sha256_of": checked,
        "where": str(where) if where else "not present",
        "note": f.note,
    }


#: sha256 already computed in this process, by (path, size, mtime, inode, decompressed).
_HASHES: dict[tuple[str, int, int, int, bool], str] = {}


def _sha256(path: Path, decompress: bool) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, decompress)
    if key not in _HASHES:
        try:
            # GzipFile reads nothing until asked, so it is harmless when not decompressing.
            with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                digest = hashlib.file_digest(unzipped if decompress else raw, "sha256")
            _HASHES[key] = digest.hexdigest()
        except (OSError, EOFError, zlib.error) as err:
            raise RnnkitError(f"cannot read {path} ({one_line(err)})") from None
    return _HASHES[key]


def _verify(path: Path, f: DataFile) -> Path:
    """Return ``path`` if its sha256 is the pinned one; raise (never use it) otherwise."""
    if f.sha256 is None:
        return path
    actual = _sha256(path, decompress=f.gz_ok and path.name.endswith(_GZ))
    if actual != f.sha256:
        raise RnnkitError(
            f"checksum mismatch for {path}: expected sha256 {f.sha256}, got {actual} "
            "(a corrupt file or another version; replace or delete it)"
        )
    return path


def _download(ds: Dataset, f: DataFile) -> Path:
    """Download ``f`` into the cache atomically (temp file, verify, rename) and return its path."""
    target = cache_dir() / f.name
    advice = (
        f"download it yourself and put it at {target}, or point RNNKIT_DATA (or --data-dir) "
        f"at a folder holding {_holding(ds, f)}"
    )
    if f.url is None:
        raise RnnkitError(f"{ds.name} file {f.name} has no download URL: {advice}")
    # Written aside and renamed into place: a failed or corrupt download leaves nothing behind.
    with atomic_file(target, "wb") as out:
        actual = _copy_url(f.url, out, f"cannot download {ds.name} file {f.basename}", advice)
        if f.sha256 is not None and actual != f.sha256:
            raise RnnkitError(
                f"checksum mismatch for {f.basename} downloaded from {f.url}: expected sha256 "
                f"{f.sha256}, got {actual} (nothing was saved)"
            )
    return target


def _copy_url(url: str, out: IO[bytes], what: str, advice: str) -> str:
    """Copy ``url`` into ``out`` and return its sha256; network failures raise one line."""
    # Imported here: urllib.request takes tens of milliseconds to load, and most runs read
    # files already on disk.
    import http.client
    import urllib.error
    import urllib.request

    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                _write(out, chunk)
    except urllib.error.HTTPError as err:
        raise RnnkitError(f"{what} from {url} (HTTP {err.code}): {advice}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise RnnkitError(f"{what} from {url} ({one_line(err)}; no network?): {advice}") from None
    return digest.hexdigest()


def _write(out: IO[bytes], chunk: bytes) -> None:
    try:
        out.write(chunk)
    except OSError as err:  # a full disk, not the network: say so
        raise RnnkitError(f"cannot write into the cache {cache_dir()} ({one_line(err)})") from None


def _holding(ds: Dataset, f: DataFile) -> str:
    """The file(s) a mirror needs so that ``f`` is not downloaded."""
    wanted = ds.files if f is ds.fallback else (f,)
    return " and ".join(w.name + ("[.gz]" if w.gz_ok else "") for w in wanted)
