"""A token store: a corpus tokenized once into a folder on disk, read back window by window.

A store is an immutable folder (built aside and renamed into place, see
:func:`rnnkit.core.files.atomic_folder`)::

    manifest.json   format name and version, dtype, token count, train / validation ranges,
                    tokenizer settings, <unk> / <eos> ids, the source, its size and the sha256
                    of its normalised text, the sha256 of tokens.bin
    vocab.json      the vocabulary, in the format of :mod:`rnnkit.data.vocab`
    tokens.bin      the token ids, raw little-endian with no header: uint8 when the vocabulary
                    has at most 256 tokens, uint16 up to 65,536, else uint32 (nanoGPT's .bin,
                    readable with ``np.memmap``)

:func:`prepare` streams the source in chunks of about a megabyte (the chunks of
:mod:`rnnkit.data.textio`, so UTF-8 characters cut by a chunk and CRLF line ends are handled as
when the file is read whole): a first pass hashes the text (and finds its characters, at the
char level), a second writes the ids (characters through a table indexed by code point; at
the word level, words numbered as first seen while the training words are counted, then
renumbered into the vocabulary's ids by a table, without reading the text a third time; the
numbers wait in a scratch file of 4 bytes a token in the folder being built). The
ids, the vocabulary and the train / validation cut are the ones :class:`~rnnkit.CharLM` and
:class:`~rnnkit.WordLM` make from the text in memory.

Word counts stay bounded: when more than ``max_distinct`` distinct words are being counted,
the words seen least often are dropped from the count (all those seen once, then twice, ...),
and the manifest says ``"vocab_exact": false`` (the words are then counted in a pass of their
own and the ids written in another). Below that many distinct words (5 million by default: a
few hundred megabytes of counts) the vocabulary is exact.

Example:
    >>> import tempfile
    >>> from rnnkit.data.sources import Text
    >>> out = Path(tempfile.mkdtemp()) / "tokens"
    >>> store = prepare(Text("to be or not to be\\n" * 10), out, PrepareSettings("word", 0.25))
    >>> store.manifest["dtype"], len(store.train()), store.vocab.tokens[:3]
    ('uint8', 56, ['be', 'to', '<eos>'])
    >>> TokenStore.open(out).train()[0:7].tolist()
    [1, 0, 4, 3, 1, 0, 2]
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import count, repeat
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from tqdm.auto import tqdm

from rnnkit.core.files import atomic_folder, check_format, read_json, write_json
from rnnkit.data.sources import Source, read_chunks, read_splits, resolve
from rnnkit.data.tokenize import Tokenizer
from rnnkit.data.vocab import CharVocab, WordVocab
from rnnkit.errors import RnnkitError

FORMAT = "rnnkit-tokens"
FORMAT_VERSION = 1
MANIFEST, VOCAB, TOKENS = "manifest.json", "vocab.json", "tokens.bin"
LEVELS = ("char", "word")
#: Called with the pass ("hash", then "write" for chars, "tokenize" for words, or "count" and
#: "write" when word counts are bounded) and the characters just read.
Progress = Callable[[str, int], None]
_UNICODE = 0x110000
_CHUNK = 1 << 20  # characters of an in-memory split handed out at a time


def dtype_for(vocab_size: int) -> np.dtype:
    """The narrowest unsigned dtype that holds ids ``0 .. vocab_size - 1``.

    Example:
        >>> [str(dtype_for(n)) for n in (256, 257, 65_536, 65_537)]
        ['uint8', 'uint16', 'uint16', 'uint32']
    """
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype).newbyteorder("<")
    raise RnnkitError(f"a vocabulary of {vocab_size:,} tokens does not fit 32-bit ids")


@dataclass(frozen=True)
class PrepareSettings:
    """How a corpus becomes a store: the level, the vocabulary and the held-out fraction (the
    language models' own settings of the same names).

    Example:
        >>> PrepareSettings("word", min_count=2).tokenizer()
        Tokenizer(name='words', lowercase=False, words_only=False)
    """

    level: str = "char"
    val_fraction: float = 0.1
    min_count: int = 1
    max_vocab: int | None = None
    lowercase: bool = False
    words_only: bool = False
    max_distinct: int = 5_000_000  # distinct words counted before the rarest are dropped

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise RnnkitError(f"unknown level {self.level!r} (levels: {', '.join(LEVELS)})")
        if not 0.0 < self.val_fraction < 1.0:
            raise RnnkitError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.level == "char" and (self.lowercase or self.words_only):
            raise RnnkitError("lowercase and words_only are options of the word level")

    def tokenizer(self) -> Tokenizer:
        """The word level's tokenizer: the benchmarks' words, with its two options."""
        return Tokenizer("words", self.lowercase, self.words_only)


def is_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding a token store's manifest."""
    return (Path(path) / MANIFEST).is_file()


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class _Scan:
    """What the first pass learns: the text's size, hash, characters, and the cut."""

    chars: int
    sha256: str
    seen: np.ndarray  # bool per code point
    cut: int | None  # a dataset's own train/validation boundary, in characters


def prepare(
    source: str | os.PathLike[str],
    out: str | Path,
    settings: PrepareSettings | None = None,
    encoding: str = "utf-8",
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> TokenStore:
    """Tokenize ``source`` (any source of :mod:`rnnkit.data.sources`) into a new store at
    ``out``, in bounded memory; returns the store. ``out`` must not exist yet (a store is
    immutable: prepare a new one rather than change one that runs were trained on)."""
    s = settings or PrepareSettings()
    out = Path(out)
    if out.exists():
        raise RnnkitError(
            f"{out} already exists: a token store is written once; choose a new --out"
        )
    pieces = _pieces(source, encoding, data_dir)
    scan = _scan(pieces, s.level == "char", progress)
    with atomic_folder(out) as tmp:
        if s.level == "char":
            chars = CharVocab(chr(c) for c in np.flatnonzero(scan.seen))
            cut = scan.cut if scan.cut is not None else _char_cut(scan.chars, s.val_fraction)
            written = _write(tmp / TOKENS, _char_ids(pieces(), chars, progress), len(chars))
            vocab: CharVocab | WordVocab = chars
            n_train, exact = cut, True
        else:
            vocab, written, exact = _words(pieces, scan, s, tmp, progress)
            n_train = written.cut
        _check_split(written.tokens, n_train, scan.chars, s.level)
        manifest = _manifest(source, s, scan, vocab, written, n_train, exact)
        write_json(tmp / VOCAB, vocab.to_json())
        write_json(tmp / MANIFEST, manifest)
    return TokenStore.open(out)


def _pieces(
    source: str | os.PathLike[str], encoding: str, data_dir: str | Path | None
) -> Callable[[], Iterator[tuple[str, bool]]]:
    """A way to read the text again and again: (chunk, starts the validation split) pairs. A
    dataset with its own validation split is its train split, then that split."""
    splits = read_splits(source, data_dir)
    if splits is not None and "validation" in splits:
        parts = [(splits["train"].text, False), (splits["validation"].text, True)]

        def dataset() -> Iterator[tuple[str, bool]]:
            for text, is_val in parts:
                for i in range(0, len(text), _CHUNK):
                    yield text[i : i + _CHUNK], is_val and i == 0

        return dataset
    src: Source = resolve(source)

    def text() -> Iterator[tuple[str, bool]]:
        return ((chunk, False) for chunk in read_chunks(src, encoding, data_dir) if chunk)

    return text


def _scan(
    pieces: Callable[[], Iterator[tuple[str, bool]]], chars_seen: bool, progress: Progress | None
) -> _Scan:
    """The first pass; the characters seen are noted only where they make the vocabulary."""
    sha, seen = hashlib.sha256(), np.zeros(_UNICODE if chars_seen else 0, dtype=bool)
    chars, cut = 0, None
    for chunk, starts_val in pieces():
        if starts_val:
            cut = chars
        sha.update(chunk.encode("utf-8"))
        if chars_seen:
            seen[np.frombuffer(chunk.encode("utf-32-le"), dtype=np.uint32)] = True
        chars += len(chunk)
        if progress is not None:
            progress("hash", len(chunk))
    if chars == 0:
        raise RnnkitError("the source is empty (no text to tokenize)")
    return _Scan(chars, sha.hexdigest(), seen, cut)


def _char_cut(chars: int, val_fraction: float) -> int:
    """Where the language models cut a text for validation: the first ``1 - val_fraction``."""
    return int(chars * (1.0 - val_fraction))


def _check_split(tokens: int, n_train: int, chars: int, level: str) -> None:
    if tokens - n_train < 2 or n_train < 2:
        raise RnnkitError(
            f"the corpus ({chars} chars) is too short to hold out validation text at the "
            f"{level} level"
        )


def _char_ids(
    pieces: Iterator[tuple[str, bool]], vocab: CharVocab, progress: Progress | None
) -> Iterator[np.ndarray]:
    """Each chunk's character ids, through a table indexed by code point (every character is
    in the vocabulary, which was built from this very text)."""
    table = np.zeros(_UNICODE, dtype=dtype_for(len(vocab)))
    table[[ord(c) for c in vocab.chars]] = np.arange(len(vocab))
    for chunk, _ in pieces:
        # np.take, not table[...]: the same ids, in half the time of fancy indexing.
        yield np.take(table, np.frombuffer(chunk.encode("utf-32-le"), dtype=np.uint32))
        if progress is not None:
            progress("write", len(chunk))


def _lines(pieces: Iterator[tuple[str, bool]]) -> Iterator[tuple[int, str]]:
    """The text as (position, block of whole lines): a word is never cut by a chunk."""
    pos, carry = 0, ""
    for chunk, starts_val in pieces:
        if starts_val and carry:  # a split is tokenized on its own: its last line ends there
            yield pos, carry
            pos, carry = pos + len(carry), ""
        text = carry + chunk
        end = text.rfind("\n") + 1
        if end:
            yield pos, text[:end]
            pos += end
        carry = text[end:]
    if carry:
        yield pos, carry


def _train_and_rest(
    blocks: Iterator[tuple[int, str]], cut: int | None, target: int
) -> Iterator[tuple[bool, str]]:
    """The blocks as (is training text, text), split at the cut: a dataset's own ``cut``, else
    the word level's, the start of the line after the character cut ``target`` (so no word is
    cut in two; all is training text when no line starts after it). A cut is a line start,
    so both halves of the block that holds it are whole lines."""
    for pos, block in blocks:
        if cut is None and pos + len(block) > target:
            end = block.find("\n", max(0, target - pos))
            cut = pos + end + 1 if end >= 0 else None
        if cut is not None and pos < cut < pos + len(block):
            yield True, block[: cut - pos]
            yield False, block[cut - pos :]
        else:
            yield cut is None or pos < cut, block


def _words(
    pieces: Callable[[], Iterator[tuple[str, bool]]],
    scan: _Scan,
    s: PrepareSettings,
    tmp: Path,
    progress: Progress | None,
) -> tuple[WordVocab, _Written, bool]:
    """The word level: the vocabulary, what was written, and whether the counts were exact.

    One pass tokenizes the text, counts the training words and writes provisional ids (words
    numbered as first seen) to a scratch file; the ids are then renumbered into the
    vocabulary's by a table. Only when the training text has more than ``s.max_distinct``
    distinct words are they counted the bounded way, a pass to count and one to write."""
    target = _char_cut(scan.chars, s.val_fraction)

    def blocks() -> Iterator[tuple[bool, str]]:
        return _train_and_rest(_lines(pieces()), scan.cut, target)

    scratch = tmp / "provisional-ids.bin"
    found = _provisional_ids(blocks(), s, scratch, progress)
    if found is None:
        counts, exact = _count_words(blocks(), s, progress)
        vocab = WordVocab.from_counts(counts, s.min_count, s.max_vocab, s.tokenizer())
        ids = _marking(_word_ids(blocks(), vocab, progress))
    else:
        words, word_counts, n_train = found
        counts, exact = Counter(dict(zip(words, word_counts.tolist(), strict=True))), True
        vocab = WordVocab.from_counts(counts, s.min_count, s.max_vocab, s.tokenizer())
        table = np.concatenate([[vocab.unk_id], vocab.ids(words)])  # provisional 0: unseen
        ids = _renumbered(scratch, table, n_train)
    written = _write(tmp / TOKENS, ids, len(vocab))
    scratch.unlink(missing_ok=True)
    return vocab, written, exact


def _provisional_ids(
    blocks: Iterator[tuple[bool, str]], s: PrepareSettings, path: Path, progress: Progress | None
) -> tuple[list[str], np.ndarray, int] | None:
    """Write each token's provisional id to ``path`` (uint32): a training word's number in
    the order first seen, from 1; 0 for a validation word never seen in training. Returns the
    training words in that order, their counts and the number of training tokens; None as
    soon as there are more than ``s.max_distinct`` distinct training words."""
    # A defaultdict numbering its keys, looked up through map(): no Python frame per token.
    number: defaultdict[str, int] = defaultdict(count(1).__next__)
    counts, n, n_train = np.zeros(1, dtype=np.int64), 0, None
    tokenizer = s.tokenizer()
    with path.open("wb") as fh:
        for is_train, block in blocks:
            tokens = tokenizer.split(block)
            if is_train:
                ids = np.fromiter(map(number.__getitem__, tokens), np.uint32, len(tokens))
                if len(number) > s.max_distinct:
                    return None
                more = np.bincount(ids, minlength=len(number) + 1)
                more[: len(counts)] += counts
                counts = more
            else:
                n_train = n if n_train is None else n_train
                ids = np.fromiter(map(number.get, tokens, repeat(0)), np.uint32, len(tokens))
            fh.write(ids.tobytes())
            n += len(ids)
            if progress is not None:
                progress("tokenize", len(block))
    return list(number), counts[1:], n if n_train is None else n_train


def _renumbered(path: Path, table: np.ndarray, n_train: int) -> Iterator[np.ndarray | None]:
    """The provisional ids in ``path`` through ``table``, with the None mark of
    :func:`_marking` where the validation tokens start."""
    total = path.stat().st_size // 4
    with path.open("rb") as fh:
        for part, (start, stop) in enumerate(((0, n_train), (n_train, total))):
            if part:
                yield None
            for lo in range(start, stop, _CHUNK):
                yield np.take(table, np.fromfile(fh, dtype="<u4", count=min(_CHUNK, stop - lo)))


def _count_words(
    blocks: Iterator[tuple[bool, str]], s: PrepareSettings, progress: Progress | None
) -> tuple[Counter[str], bool]:
    """The training text's word counts, bounded by ``s.max_distinct`` (see the module
    docstring); the flag says whether none had to be dropped."""
    counts: Counter[str] = Counter()
    tokenizer, floor, exact = s.tokenizer(), 0, True
    for is_train, block in blocks:
        if is_train:
            counts.update(tokenizer.split(block))
        while len(counts) > s.max_distinct:
            floor, exact = floor + 1, False
            counts = Counter({w: n for w, n in counts.items() if n > floor})
        if progress is not None:
            progress("count", len(block))
    return counts, exact


def _word_ids(
    blocks: Iterator[tuple[bool, str]], vocab: WordVocab, progress: Progress | None
) -> Iterator[tuple[bool, np.ndarray]]:
    for is_train, block in blocks:
        yield is_train, vocab.encode(block)
        if progress is not None:
            progress("write", len(block))


def _marking(ids: Iterator[tuple[bool, np.ndarray]]) -> Iterator[np.ndarray | None]:
    """The ids, with a None where the validation text starts (so the writer notes the count)."""
    marked = False
    for is_train, chunk in ids:
        if not is_train and not marked:
            marked = True
            yield None
        yield chunk


@dataclass
class _Written:
    tokens: int
    sha256: str
    dtype: np.dtype
    cut: int  # tokens written before the None mark (all of them when there was none)


def _write(path: Path, ids: Iterator[np.ndarray | None], vocab_size: int) -> _Written:
    dtype, sha, n, cut = dtype_for(vocab_size), hashlib.sha256(), 0, None
    with path.open("wb") as fh:
        for chunk in ids:
            if chunk is None:
                cut = n
                continue
            data = np.ascontiguousarray(chunk, dtype=dtype).tobytes()
            fh.write(data)
            sha.update(data)
            n += len(chunk)
    return _Written(n, sha.hexdigest(), dtype, n if cut is None else cut)


def _manifest(
    source: str | os.PathLike[str],
    s: PrepareSettings,
    scan: _Scan,
    vocab: CharVocab | WordVocab,
    written: _Written,
    n_train: int,
    exact: bool,
) -> dict[str, Any]:
    src = resolve(source)
    size = src.path.stat().st_size if src.kind == "file" and src.path is not None else None
    special: dict[str, int | None] = {"unk_id": None, "eos_id": None}
    if isinstance(vocab, WordVocab):
        special = {"unk_id": vocab.unk_id, "eos_id": vocab.eos_id}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "level": s.level,
        "dtype": written.dtype.name,
        "tokens": written.tokens,
        "vocab_size": len(vocab),
        "train": [0, n_train],
        "validation": [n_train, written.tokens],
        "settings": asdict(s),
        "tokenizer": vocab.to_json().get("tokenizer", {"name": "chars"}),
        **special,
        "vocab_exact": exact,
        "source": {"name": src.label, "bytes": size, "chars": scan.chars, "sha256": scan.sha256},
        "tokens_sha256": written.sha256,
    }


# ---------------------------------------------------------------------------------------------
# Reading


class TokenSpan:
    """A range of a store's tokens, read from the file on demand (``pread``: nothing is mapped,
    so pages read once do not stay in the process's memory).

    Slicing gives int64 ids, like the arrays the language models make in memory.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "t.bin"
        >>> _ = path.write_bytes(np.arange(10, dtype="<u2").tobytes())
        >>> span = TokenSpan(path, np.dtype("<u2"), 2, 9)
        >>> len(span), span[1:4].tolist(), span[-1:].tolist()
        (7, [3, 4, 5], [8])
    """

    def __init__(self, path: Path, dtype: np.dtype, start: int, stop: int) -> None:
        self.path, self.dtype, self.start, self.stop = path, dtype, start, stop
        self._fh: BinaryIO | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: slice) -> np.ndarray:
        lo, hi, step = index.indices(len(self))
        if step != 1:
            raise RnnkitError("a token span is read in contiguous slices only")
        count = max(0, hi - lo)
        data = self._read((self.start + lo) * self.dtype.itemsize, count * self.dtype.itemsize)
        return np.frombuffer(data, dtype=self.dtype).astype(np.int64)

    def _read(self, offset: int, size: int) -> bytes:
        if self._fh is None:
            self._fh = self.path.open("rb")
        data = os.pread(self._fh.fileno(), size, offset)
        if len(data) != size:
            raise RnnkitError(f"{self.path} is shorter than its manifest says (truncated?)")
        return data

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fh": None}  # an open file does not travel to another process

    def __del__(self) -> None:
        if getattr(self, "_fh", None) is not None:
            self._fh.close()  # type: ignore[union-attr]


class TokenStore:
    """A store folder opened for reading: its manifest, vocabulary and token spans.

    Opening checks the format and that ``tokens.bin`` has the size the manifest gives (a
    truncated or foreign file is refused); :meth:`verify` checks its sha256 too (it reads the
    whole file once).

    Example:
        >>> import tempfile
        >>> from rnnkit.data.sources import Text
        >>> out = Path(tempfile.mkdtemp()) / "tokens"
        >>> store = prepare(Text("abcabd\\n" * 20), out)
        >>> store.verify().level, len(store.vocab), store.manifest["train"]
        ('char', 5, [0, 126])
    """

    def __init__(self, path: Path, manifest: dict[str, Any], vocab: CharVocab | WordVocab) -> None:
        self.path, self.manifest, self.vocab = path, manifest, vocab
        self.level: str = manifest["level"]
        self.dtype = np.dtype(manifest["dtype"]).newbyteorder("<")

    @classmethod
    def open(cls, path: str | Path) -> TokenStore:
        """Read and check the store at ``path``."""
        path = Path(path)
        what = "a token store (rnnkit prepare)"
        manifest = read_json(path / MANIFEST, what, "a token store's manifest")
        check_format(manifest, f"{path} ({what})", ("format", FORMAT), ("format_version", 1))
        data = read_json(path / VOCAB, what, "a token store's vocabulary")
        vocab = (
            CharVocab.from_json(data) if manifest["level"] == "char" else WordVocab.from_json(data)
        )
        store = cls(path, manifest, vocab)
        store._check_size()
        return store

    def _check_size(self) -> None:
        tokens = self.path / TOKENS
        expected = self.manifest["tokens"] * self.dtype.itemsize
        actual = tokens.stat().st_size if tokens.is_file() else None
        if actual != expected:
            raise RnnkitError(
                f"{tokens} holds {actual} bytes where the manifest says {expected}: the store is "
                "truncated or its tokens.bin is foreign; prepare it again"
            )

    def verify(self) -> TokenStore:
        """Check ``tokens.bin`` against the manifest's sha256; returns the store."""
        sha = hashlib.sha256()
        with (self.path / TOKENS).open("rb") as fh:
            while block := fh.read(1 << 24):
                sha.update(block)
        if sha.hexdigest() != self.manifest["tokens_sha256"]:
            raise RnnkitError(
                f"{self.path / TOKENS} does not match its manifest's sha256: the store was "
                "changed after it was prepared; prepare it again"
            )
        return self

    def span(self, part: str) -> TokenSpan:
        """The ``"train"`` or ``"validation"`` tokens."""
        start, stop = self.manifest[part]
        return TokenSpan(self.path / TOKENS, self.dtype, start, stop)

    def train(self) -> TokenSpan:
        """The training tokens."""
        return self.span("train")

    def validation(self, limit: int | None = None) -> np.ndarray:
        """The validation tokens (at most ``limit``), in memory."""
        span = self.span("validation")
        return span[: len(span) if limit is None else limit]

    @property
    def sha256(self) -> str:
        """What identifies the store's content (the sha256 of its tokens)."""
        return str(self.manifest["tokens_sha256"])


class ProgressBars:
    """One progress bar per pass of :func:`prepare` over the text, in characters (MB/s and an
    ETA for ASCII text); ``update`` is the ``progress`` callback.

    Example:
        >>> with ProgressBars(quiet=True) as bars:
        ...     bars.update("hash", 10)
        >>> bars.total
        0
    """

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.phase, self.total = quiet, "", 0
        self.bar: tqdm | None = None

    def update(self, phase: str, chars: int) -> None:
        if phase != self.phase:
            if self.bar is not None:
                self.total = max(self.total, int(self.bar.n))
                self.bar.close()
            self.phase = phase
            self.bar = tqdm(
                total=self.total or None,
                desc=phase,
                unit="B",
                unit_scale=True,
                disable=self.quiet,
                dynamic_ncols=True,
            )
        assert self.bar is not None
        self.bar.update(chars)

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
