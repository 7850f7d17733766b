"""Word embeddings: train word2vec with gensim, query, evaluate, plot, and reuse the vectors.

rnnkit does not implement word2vec: :meth:`WordVectors.train` prepares the corpus and calls
gensim's ``Word2Vec`` through its fast ``corpus_file`` path (C++ reader, no Python per word).

Tokenisation (documented, deliberately simple):
    the text is decoded (UTF-8 by default; ``.gz`` files are read directly), a BOM is dropped,
    CRLF / CR become LF, everything is lowercased unless ``lowercase=False``, and tokens are the
    runs of non-whitespace characters (``str.split()``). Each line is one sentence; lines longer
    than 10,000 words are cut into 10,000-word sentences, exactly as gensim cuts them. The result
    is written to a temporary file in gensim's LineSentence format (one sentence a line, tokens
    separated by single spaces), which is what gensim then trains on.

Reproducibility:
    the same corpus, settings and ``seed`` with ``workers=1`` give bit-identical vectors, in this
    process or another (gensim seeds from ``numpy.random.default_rng(seed)``, not from Python's
    randomised ``hash``). With several workers the threads race over the shared weights, so runs
    differ slightly; that is the price of parallel training.

Saved folder (nothing is pickled, so a folder from someone else is safe to load)::

    card.json              format "rnnkit-wordvectors" v1, corpus, settings, sizes, timings
    vocab.json             {"words": [...]}: the vocabulary, most frequent first
    vectors.safetensors    "vectors" float32 [words, dim] and "counts" int64 [words]

Reuse in a model (the caller owns the freeze decision)::

    matrix, oov = wv.embedding_matrix(vocab.tokens, dim=model.embedding.embedding_dim)
    model.embedding.weight.data.copy_(torch.from_numpy(matrix))
    model.embedding.weight.requires_grad_(not freeze)     # frozen or fine-tuned
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from rnnkit.data.sources import normalise
from rnnkit.errors import RnnkitError

FORMAT = "rnnkit-wordvectors"
FORMAT_VERSION = 1
CARD, VOCAB, VECTORS = "card.json", "vocab.json", "vectors.safetensors"
ARCHITECTURES = ("skipgram", "cbow")
#: gensim cuts longer sentences into pieces of this many words (its MAX_WORDS_IN_BATCH). Writing
#: lines no longer than that trains identically, and gensim's Python vocabulary scan never has to
#: hold a whole one-line corpus (text8 is one 100 MB line) as a list of strings.
LINE_WORDS = 10_000
_CHUNK_CHARS = 1 << 20
#: A "word" this long means the input is not text; refusing it keeps the reader's memory bounded.
_MAX_TOKEN_CHARS = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

#: A corpus: a file or folder path, a dataset registry name, or sentences (token lists or lines).
CorpusSource = str | os.PathLike[str] | Iterable[str | Sequence[str]]


# ---------------------------------------------------------------------------------------------
# Settings and corpus preparation


@dataclass(frozen=True)
class Settings:
    """word2vec settings (gensim's names differ: ``dim`` is ``vector_size``, ``sg`` is derived).
    ``workers`` defaults to the CPU count, at most 8.

    Example:
        >>> Settings(architecture="cbow", dim=50).gensim_kwargs()["sg"]
        0
    """

    architecture: str = "skipgram"
    dim: int = 100
    window: int = 5
    min_count: int = 5
    negative: int = 5
    epochs: int = 5
    workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 8))
    seed: int = 1
    sample: float = 1e-3
    lowercase: bool = True

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise RnnkitError(
                f"unknown architecture {self.architecture!r} (choose {' or '.join(ARCHITECTURES)})"
            )
        for name in ("dim", "window", "min_count", "negative", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise RnnkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.sample < 0:
            raise RnnkitError(f"sample must be >= 0 (0 turns downsampling off), got {self.sample}")

    def gensim_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``gensim.models.Word2Vec`` (negative sampling, no softmax)."""
        return {
            "vector_size": self.dim,
            "window": self.window,
            "min_count": self.min_count,
            "sg": int(self.architecture == "skipgram"),
            "hs": 0,
            "negative": self.negative,
            "epochs": self.epochs,
            "workers": self.workers,
            "seed": self.seed,
            "sample": self.sample,
        }


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`write_sentences` wrote: sentences (lines), words, sha256 of the file, time."""

    source: str
    lines: int
    words: int
    sha256: str
    seconds: float


def write_sentences(
    corpus: CorpusSource,
    out: str | Path,
    lowercase: bool = True,
    encoding: str = "utf-8",
    max_words: int | None = None,
    data_dir: str | Path | None = None,
) -> CorpusStats:
    """Stream ``corpus`` into ``out`` in gensim's LineSentence format (see the module docstring).

    ``corpus`` is a text file (``.gz`` allowed), a folder (its files, sorted), a dataset
    registry name (its train split, or ``"name:split"``), or an iterable of sentences (token
    lists or lines of text).
    ``max_words`` keeps only the first that many words.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.txt"
        >>> write_sentences(["The cat\\tsat.", ["a", "Dog"]], out).words
        5
        >>> out.read_text()
        'the cat sat.\\na dog\\n'
    """
    start = time.perf_counter()
    source, chunks = _open_source(corpus, encoding, data_dir)
    with Path(out).open("wb") as fh:
        writer = _SentenceWriter(fh, max_words)
        for text in _whole_tokens(chunks, lowercase, source):
            writer.add(text)
            if writer.full:
                break
        writer.finish()
    if writer.words == 0:
        raise RnnkitError(f"{source} holds no words (nothing to learn from)")
    return CorpusStats(
        source, writer.lines, writer.words, writer.digest.hexdigest(), time.perf_counter() - start
    )


def _open_source(
    corpus: CorpusSource, encoding: str, data_dir: str | Path | None = None
) -> tuple[str, Iterator[str]]:
    """A description of ``corpus`` and its text, in chunks of about a megabyte."""
    if not isinstance(corpus, str | os.PathLike):
        return "<sentences>", _sentence_chunks(corpus)
    from rnnkit.data import (
        registry as datasets,  # local import: only path-like sources need the registry
    )

    name = os.fspath(corpus)
    dataset, _, split = name.partition(":")
    if isinstance(corpus, str) and dataset in datasets.REGISTRY:
        # The train split by default, so that vectors used to initialise a model never saw its
        # test text; "name:split" picks another.
        return f"{dataset}:{split or 'train'}", _dataset_chunks(dataset, split or "train", data_dir)
    path = Path(name)
    if path.is_dir():
        return name, _folder_chunks(path, encoding)
    if path.is_file():
        return name, _file_chunks(path, encoding)
    known = ", ".join(datasets.names())
    raise RnnkitError(f"no such file, folder or dataset: {name!r} (datasets: {known})")


def _sentence_chunks(sentences: Iterable[str | Sequence[str]]) -> Iterator[str]:
    batch: list[str] = []
    for sentence in sentences:
        batch.append(sentence if isinstance(sentence, str) else " ".join(sentence))
        if len(batch) == 1000:  # normalising many short strings one by one would be slow
            yield "\n".join(batch) + "\n"
            batch = []
    yield "\n".join(batch) + "\n"


def _dataset_chunks(name: str, split: str, data_dir: str | Path | None) -> Iterator[str]:
    from rnnkit.data.registry import load

    data = load(name, split=split, mirror=data_dir)
    if isinstance(data, str):
        for i in range(0, len(data), _CHUNK_CHARS):
            yield data[i : i + _CHUNK_CHARS]
    elif isinstance(data, list) and all(isinstance(r, dict) and "text" in r for r in data):
        for record in data:  # labelled records (imdb): one review a line
            yield record["text"] + "\n"
    else:
        raise RnnkitError(f"{name}:{split} holds no text to learn word vectors from")


def _folder_chunks(folder: Path, encoding: str) -> Iterator[str]:
    from rnnkit.data.sources import _hidden  # the same file selection as read_corpus

    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    if not files:
        raise RnnkitError(f"folder {folder} contains no files")
    for path in files:
        yield from _file_chunks(path, encoding)
        yield "\n"  # a file's last line never runs into the next file's first


def _file_chunks(path: Path, encoding: str) -> Iterator[str]:
    try:
        with _open_text(path, encoding) as fh:
            while chunk := fh.read(_CHUNK_CHARS):
                if "\x00" in chunk:
                    raise RnnkitError(f"{path} looks binary (it holds NUL bytes); give a text file")
                yield chunk
    except UnicodeDecodeError:
        raise RnnkitError(
            f"{path} is not valid {encoding} text; pass --encoding if it uses another encoding"
        ) from None
    except LookupError:
        raise RnnkitError(f"unknown encoding {encoding!r}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise RnnkitError(f"{path} is a truncated or corrupt gzip file ({err})") from None


def _open_text(path: Path, encoding: str) -> IO[str]:
    with path.open("rb") as fh:
        gzipped = fh.read(2) == _GZIP_MAGIC  # by content, not by name
    if gzipped:
        return gzip.open(path, "rt", encoding=encoding)
    return path.open(encoding=encoding)


def _whole_tokens(chunks: Iterable[str], lowercase: bool, source: str) -> Iterator[str]:
    """Normalised text pieces that each end at whitespace, so no token straddles two pieces."""
    carry = ""
    for chunk in chunks:
        text = normalise(carry + chunk)
        if lowercase:
            text = text.lower()
        cut = _last_token_start(text)
        carry = text[cut:]
        if len(carry) > _MAX_TOKEN_CHARS:
            raise RnnkitError(f"{source} has a 'word' of over a million characters: not text")
        yield text[:cut]
    yield carry


def _last_token_start(text: str) -> int:
    """Where the token that ``text`` ends in starts (``len(text)`` if it ends in whitespace)."""
    if not text or text[-1].isspace():
        return len(text)
    parts = text.rsplit(None, 1)  # scans from the right: cost is the last token's length
    return len(text) - len(parts[-1]) if len(parts) == 2 else 0


class _SentenceWriter:
    """Writes tokens as LineSentence lines: single spaces, at most LINE_WORDS words a line."""

    def __init__(self, out: IO[bytes], max_words: int | None) -> None:
        self.out, self.max_words = out, max_words
        self.digest = hashlib.sha256()
        self.words = self.lines = self._in_line = 0
        self._parts: list[str] = []

    @property
    def full(self) -> bool:
        return self.max_words is not None and self.words >= self.max_words

    def add(self, text: str) -> None:
        """Append text whose last token is complete; each LF ends a sentence."""
        for i, line in enumerate(text.split("\n")):
            if i:
                self._end_line()
            self._add_tokens(line.split())
        self._flush()

    def finish(self) -> None:
        self._end_line()
        self._flush()

    def _add_tokens(self, tokens: list[str]) -> None:
        if self.max_words is not None:
            tokens = tokens[: self.max_words - self.words]
        start = 0
        while start < len(tokens):
            piece = tokens[start : start + LINE_WORDS - self._in_line]
            self._parts.append((" " if self._in_line else "") + " ".join(piece))
            start += len(piece)
            self._in_line += len(piece)
            self.words += len(piece)
            if self._in_line == LINE_WORDS:
                self._end_line()

    def _end_line(self) -> None:
        if self._in_line:  # empty lines are dropped: they hold no sentence
            self._parts.append("\n")
            self.lines += 1
            self._in_line = 0

    def _flush(self) -> None:
        data = "".join(self._parts).encode("utf-8")
        self._parts = []
        self.digest.update(data)
        self.out.write(data)


# ---------------------------------------------------------------------------------------------
# Training with progress


def _fit(
    sentences: Path, corpus_words: int, settings: Settings, quiet: bool
) -> tuple[Any, float, float]:
    """Build the vocabulary and train; returns the gensim model and both phases' seconds."""
    from gensim.models import Word2Vec

    model = Word2Vec(**settings.gensim_kwargs())
    start = time.perf_counter()
    model.build_vocab(corpus_file=str(sentences))
    vocab_s = time.perf_counter() - start
    if len(model.wv) == 0:
        raise RnnkitError(
            f"no word occurs min_count={settings.min_count} times or more; lower --min-count"
        )
    with _progress(settings.epochs, corpus_words, quiet) as callbacks:
        start = time.perf_counter()
        model.train(
            corpus_file=str(sentences),
            total_examples=model.corpus_count,
            total_words=model.corpus_total_words,
            epochs=settings.epochs,
            callbacks=callbacks,
        )
    return model, vocab_s, time.perf_counter() - start


@contextmanager
def _progress(epochs: int, corpus_words: int, quiet: bool) -> Iterator[list[Any]]:
    """A tqdm bar that moves at each epoch end (gensim's corpus_file path reports nothing finer)
    and shows corpus words per second, the rate the card records."""
    if quiet:
        yield []
        return
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm.auto import tqdm

    bar = tqdm(total=epochs, desc="word2vec", unit="epoch")

    class EpochEnd(CallbackAny2Vec):
        def on_epoch_end(self, model: Any) -> None:
            bar.update(1)
            rate = bar.n * corpus_words / max(bar.format_dict["elapsed"], 1e-9)
            bar.set_postfix_str(f"{rate:,.0f} words/s")

    try:
        yield [EpochEnd()]
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------------
# The public class


class Alignment(NamedTuple):
    """Vectors aligned to a model's vocabulary: ``matrix`` row i is token i; ``oov`` are the
    tokens that had no vector (their rows are random, see :meth:`WordVectors.embedding_matrix`).
    """

    matrix: np.ndarray
    oov: list[str]

    @property
    def oov_ratio(self) -> float:
        """Fraction of the tokens without a trained vector."""
        return len(self.oov) / max(len(self.matrix), 1)


class WordVectors:
    """Trained word vectors (gensim ``KeyedVectors``) with queries, evaluation, plots and reuse.

    Queries lowercase their words when the vectors were trained lowercased. A word that is not in
    the vocabulary raises :class:`~rnnkit.errors.RnnkitError` naming it.

    Example:
        >>> corpus = [["cat", "dog", "pet"], ["car", "bus", "road"]] * 50
        >>> wv = WordVectors.train(corpus, dim=8, min_count=1, workers=1, epochs=2, quiet=True)
        >>> len(wv), wv.dim, "Cat" in wv
        (6, 8, True)
        >>> -1.0 <= wv.similarity("cat", "car") <= 1.0
        True
        >>> wv.most_similar("nope")
        Traceback (most recent call last):
        ...
        rnnkit.errors.RnnkitError: not in the vocabulary of 6 words: 'nope'
    """

    def __init__(self, keyed_vectors: Any, card: dict[str, Any] | None = None) -> None:
        """Wrap gensim ``KeyedVectors`` (e.g. ones you loaded yourself) with an optional card."""
        self.keyed_vectors = keyed_vectors
        self.card: dict[str, Any] = dict(card or {})
        self.lowercase = bool(self.card.get("settings", {}).get("lowercase", False))

    # -- training -------------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        corpus: CorpusSource,
        *,
        architecture: str = "skipgram",
        dim: int = 100,
        window: int = 5,
        min_count: int = 5,
        negative: int = 5,
        epochs: int = 5,
        workers: int | None = None,
        seed: int = 1,
        sample: float = 1e-3,
        lowercase: bool = True,
        encoding: str = "utf-8",
        max_words: int | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
    ) -> WordVectors:
        """Train word2vec (skip-gram or CBOW, negative sampling) on ``corpus`` with gensim.

        ``corpus`` is anything :func:`write_sentences` reads. ``workers`` defaults to the CPU
        count (at most 8); use ``workers=1`` for bit-identical repeats with the same ``seed``.
        ``sample`` is gensim's downsampling of frequent words (0 turns it off).
        """
        settings = Settings(
            architecture=architecture,
            dim=dim,
            window=window,
            min_count=min_count,
            negative=negative,
            epochs=epochs,
            workers=workers or Settings().workers,
            seed=seed,
            sample=sample,
            lowercase=lowercase,
        )
        with tempfile.TemporaryDirectory(prefix="rnnkit-w2v-") as tmp:
            sentences = Path(tmp) / "sentences.txt"
            stats = write_sentences(corpus, sentences, lowercase, encoding, max_words, data_dir)
            model, vocab_s, train_s = _fit(sentences, stats.words, settings, quiet)
        return cls(model.wv, _card(stats, settings, len(model.wv), vocab_s, train_s))

    # -- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keyed_vectors)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._key(word) in self.keyed_vectors.key_to_index

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.keyed_vectors.vector_size)

    @property
    def words(self) -> list[str]:
        """The vocabulary, most frequent first."""
        return list(self.keyed_vectors.index_to_key)

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word`` (a copy)."""
        return np.array(self.keyed_vectors[self._known([word])[0]])

    def most_similar(
        self,
        positive: str | Sequence[str],
        negative: str | Sequence[str] = (),
        topn: int = 10,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words nearest (cosine) to the mean of ``positive`` minus ``negative``;
        the query words themselves are left out."""
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive:
            raise RnnkitError("most_similar needs at least one positive word")
        _check_topn(topn)
        keys = self._known([*positive, *negative])
        found = self.keyed_vectors.most_similar(
            positive=keys[: len(positive)], negative=keys[len(positive) :], topn=topn
        )
        return [(word, float(score)) for word, score in found]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words, in [-1, 1]."""
        ka, kb = self._known([a, b])
        return float(self.keyed_vectors.similarity(ka, kb))

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest from the mean of ``words`` (at least three words)."""
        if len(words) < 3:
            raise RnnkitError(f"doesnt_match needs at least 3 words, got {len(words)}")
        return str(self.keyed_vectors.doesnt_match(self._known(words)))

    def analogy(self, a: str, b: str, c: str) -> str:
        """Solve ``a : b :: c : ?`` by vector offset (3CosAdd): the word nearest to
        ``b - a + c``, e.g. ``analogy("man", "king", "woman")`` -> ``"queen"``. For more
        candidates ask ``most_similar([b, c], [a], topn)``."""
        return self.most_similar([b, c], [a], topn=1)[0][0]

    def neighbours(self, words: Sequence[str], topn: int = 5) -> dict[str, list[tuple[str, float]]]:
        """A nearest-neighbour table: for each word, its ``topn`` most similar words."""
        self._known(words)  # report every unknown word at once
        return {word: self.most_similar(word, topn=topn) for word in words}

    def _key(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def _known(self, words: Iterable[str]) -> list[str]:
        """The vocabulary keys of ``words``; an error naming every word that has none."""
        words = list(words)
        keys = [self._key(w) for w in words]
        index = self.keyed_vectors.key_to_index
        missing = [w for w, k in zip(words, keys, strict=True) if k not in index]
        if missing:
            names = ", ".join(repr(w) for w in dict.fromkeys(missing))
            raise RnnkitError(f"not in the vocabulary of {len(index):,} words: {names}")
        return keys

    # -- evaluation and plots -------------------------------------------------------------------

    def evaluate(
        self,
        analogies: str | Path | None = None,
        pairs: str | Path | None = None,
        restrict_vocab: int = 30_000,
    ) -> dict[str, Any]:
        """Analogy accuracy per section (default: gensim's questions-words.txt) and Spearman
        correlation with human similarity judgements (default: gensim's WordSim-353).

        Questions and pairs with a word outside the ``restrict_vocab`` most frequent words are
        skipped, as in word2vec's compute-accuracy (30,000); ``coverage`` says how many were
        answered and ``accuracy_all`` counts the skipped ones as wrong. Case is ignored.
        """
        from gensim.test.utils import datapath

        analogies = Path(analogies or datapath("questions-words.txt"))
        pairs = Path(pairs or datapath("wordsim353.tsv"))
        for path in (analogies, pairs):
            if not path.is_file():
                raise RnnkitError(f"evaluation file {path} not found")
        return {
            "analogies": self._analogies(analogies, restrict_vocab),
            "word_pairs": self._word_pairs(pairs, restrict_vocab),
        }

    def _analogies(self, path: Path, restrict_vocab: int) -> dict[str, Any]:
        questions = _count_questions(path)
        if questions == 0:
            raise RnnkitError(f"{path} holds no analogy questions (lines 'a b c d' under ': name')")
        _, sections = self.keyed_vectors.evaluate_word_analogies(
            str(path), restrict_vocab=restrict_vocab
        )
        *parts, total = (_score(s) for s in sections)
        semantic = [s for s in parts if not s["section"].startswith("gram")]
        syntactic = [s for s in parts if s["section"].startswith("gram")]
        return {
            "file": str(path),
            "restrict_vocab": restrict_vocab,
            "questions": questions,
            "answered": total["total"],
            "coverage": total["total"] / questions,
            "accuracy": total["accuracy"],
            "accuracy_all": total["correct"] / questions,
            "semantic": _pooled("semantic", semantic),
            "syntactic": _pooled("syntactic", syntactic),
            "sections": parts,
        }

    def _word_pairs(self, path: Path, restrict_vocab: int) -> dict[str, Any]:
        try:
            pearson, spearman, oov_percent = self.keyed_vectors.evaluate_word_pairs(
                str(path), restrict_vocab=restrict_vocab
            )
        except ValueError:  # gensim: no pair had both words in the vocabulary
            return {"file": str(path), "spearman": None, "pearson": None, "oov_percent": 100.0}
        return {
            "file": str(path),
            "spearman": float(spearman[0]),
            "pearson": float(pearson[0]),
            "oov_percent": float(oov_percent),
        }

    def plot(self, out: str | Path, words: Sequence[str] | None = None, top: int = 50) -> Path:
        """Project ``words`` (default: the ``top`` most frequent) to 2-D with PCA and save a
        labelled scatter plot as PNG; returns the path."""
        from rnnkit.core.figures import new_figure, save_png

        chosen = list(dict.fromkeys(words)) if words else self.words[:top]
        if len(chosen) < 2:
            raise RnnkitError(f"a plot needs at least 2 distinct words, got {len(chosen)}")
        coords, explained = _pca_2d(self.keyed_vectors[self._known(chosen)])
        fig = new_figure(8, 7)
        ax = fig.subplots()
        ax.scatter(coords[:, 0], coords[:, 1], s=12, alpha=0.7)
        for word, (x, y) in zip(chosen, coords, strict=True):
            ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
        ax.set_title(f"PCA of {len(chosen)} word vectors ({explained:.0%} of their variance)")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return save_png(fig, out)

    # -- reuse ----------------------------------------------------------------------------------

    def embedding_matrix(
        self, tokens: Sequence[str], dim: int | None = None, seed: int = 0
    ) -> Alignment:
        """Rows for a model's vocabulary ``tokens`` (row i = token i), to initialise its
        embedding layer.

        Tokens without a vector (special tokens, rare words) get draws from a normal
        distribution with the known vectors' standard deviation, so they start at the same scale;
        the draw depends only on ``seed`` and the row. ``dim``, if given, must equal the vectors'
        dimension (a clear error instead of a shape mismatch later). Lowercased vectors serve
        "The" and "the" alike. Freezing or fine-tuning is the caller's choice.
        """
        if dim is not None and dim != self.dim:
            raise RnnkitError(f"the word vectors have dimension {self.dim}, the model wants {dim}")
        vectors = self.keyed_vectors.vectors
        rng = np.random.default_rng(seed)
        matrix = rng.normal(0.0, float(vectors.std()), (len(tokens), self.dim)).astype(np.float32)
        index = self.keyed_vectors.key_to_index
        rows = np.array([index.get(self._key(t), -1) for t in tokens], dtype=np.int64)
        known = rows >= 0
        matrix[known] = vectors[rows[known]]
        oov = [t for t, ok in zip(tokens, known, strict=True) if not ok]
        return Alignment(matrix, oov)

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the folder ``path`` (card.json, vocab.json, vectors.safetensors) atomically:
        it is built aside and renamed into place, so a crash never leaves a half-written one."""
        from safetensors.numpy import save_file

        from rnnkit.core.files import atomic_folder, write_json

        path = Path(path)
        _check_overwrite(path)
        kv = self.keyed_vectors
        counts = kv.expandos.get("count", np.zeros(len(kv), dtype=np.int64))
        tensors: dict[str, np.ndarray] = {
            "vectors": np.ascontiguousarray(kv.vectors, dtype=np.float32),
            "counts": np.ascontiguousarray(counts, dtype=np.int64),
        }
        with atomic_folder(path) as tmp:
            save_file(tensors, str(tmp / VECTORS))
            write_json(tmp / VOCAB, {"words": self.words})
            write_json(tmp / CARD, self._card_to_save())
        return path

    def _card_to_save(self) -> dict[str, Any]:
        card = {k: v for k, v in self.card.items() if k not in ("format", "format_version")}
        sizes = {"vocab_size": len(self), "dim": self.dim}
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **card, **sizes}

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read a folder written by :meth:`save`; a missing, corrupt or foreign file is a one-line
        :class:`~rnnkit.errors.RnnkitError`. Nothing is unpickled."""
        from gensim.models import KeyedVectors

        from rnnkit.core.files import resolve_folder

        folder = resolve_folder(path, "word-vectors folder")
        card = _read_json(folder / CARD)
        if card.get("format") != FORMAT:
            raise RnnkitError(f"{folder} is not an rnnkit word-vectors folder ({CARD} is foreign)")
        if card.get("format_version") != FORMAT_VERSION:
            raise RnnkitError(
                f"{folder} has word-vectors format version {card.get('format_version')}; "
                f"this rnnkit reads version {FORMAT_VERSION}"
            )
        words = _read_words(folder / VOCAB)
        vectors, counts = _read_vectors(folder / VECTORS, len(words))
        kv = KeyedVectors(vectors.shape[1], count=0)
        kv.add_vectors(words, vectors)
        kv.allocate_vecattrs(["count"], [np.int64])
        kv.expandos["count"][:] = counts
        return cls(kv, card)

    def export_word2vec(self, path: str | Path, binary: bool = True) -> Path:
        """Write the vectors in the original C word2vec format (binary or text), which gensim's
        ``KeyedVectors.load_word2vec_format`` and most other tools read."""
        self.keyed_vectors.save_word2vec_format(str(path), binary=binary)
        return Path(path)


# ---------------------------------------------------------------------------------------------
# Helpers


def _card(
    stats: CorpusStats, settings: Settings, vocab_size: int, vocab_s: float, train_s: float
) -> dict[str, Any]:
    import gensim

    from rnnkit import __version__

    return {
        "corpus": {
            "source": stats.source,
            "sentences": stats.lines,
            "words": stats.words,
            "sha256": stats.sha256,
        },
        "settings": asdict(settings),
        "vocab_size": vocab_size,
        "dim": settings.dim,
        "prepare_seconds": round(stats.seconds, 3),
        "vocab_seconds": round(vocab_s, 3),
        "training_seconds": round(train_s, 3),
        "words_per_second": round(stats.words * settings.epochs / train_s),
        "gensim_version": gensim.__version__,
        "rnnkit_version": __version__,
    }


def _check_topn(topn: int) -> None:
    if topn < 1:
        raise RnnkitError(f"topn must be at least 1, got {topn}")


def _count_questions(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if len(line.split()) == 4 and not line.startswith(":"))


def _score(section: dict[str, Any]) -> dict[str, Any]:
    correct, wrong = len(section["correct"]), len(section["incorrect"])
    total = correct + wrong
    return {
        "section": section["section"],
        "correct": correct,
        "total": total,
        "accuracy": correct / total if total else None,
    }


def _pooled(name: str, sections: list[dict[str, Any]]) -> dict[str, Any]:
    correct = sum(s["correct"] for s in sections)
    total = sum(s["total"] for s in sections)
    return {
        "section": name,
        "correct": correct,
        "total": total,
        "accuracy": correct / total if total else None,
    }


def _pca_2d(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Coordinates on the first two principal axes, and the share of variance they explain."""
    centred = x - x.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # Fix each axis's sign (its largest entry positive) so that a run draws the same picture.
    axes = axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    coords = centred @ axes.T
    if coords.shape[1] < 2:  # fewer dimensions than two: pad with a flat axis
        coords = np.hstack([coords, np.zeros((len(coords), 1))])
    variance = float((sv**2).sum())
    return coords, float((sv[:2] ** 2).sum()) / variance if variance else 1.0


def _check_overwrite(path: Path) -> None:
    """Refuse to replace a file, or a folder that is not word vectors (its content would be
    swept into the new folder)."""
    if path.exists() and not path.is_dir():
        raise RnnkitError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / CARD).is_file():
        raise RnnkitError(f"refusing to write into {path}: it holds other files, not word vectors")


def _read_json(path: Path) -> dict[str, Any]:
    from rnnkit.core.files import read_json

    return read_json(path, "a word-vectors folder", "an rnnkit word-vectors file")


def _read_words(path: Path) -> list[str]:
    words = _read_json(path).get("words")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise RnnkitError(f"{path} is corrupt: 'words' must be a list of strings")
    if len(set(words)) != len(words):
        raise RnnkitError(f"{path} is corrupt: it lists a word twice")
    return words


def _read_vectors(path: Path, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not path.is_file():
        raise RnnkitError(
            f"{path.parent} is not a complete word-vectors folder: {path.name} missing"
        )
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise RnnkitError(f"{path} is truncated or corrupt ({err})") from None
    vectors, counts = tensors.get("vectors"), tensors.get("counts")
    if (
        vectors is None
        or counts is None
        or vectors.dtype != np.float32
        or vectors.ndim != 2
        or vectors.shape[0] != n_words
        or counts.shape != (n_words,)
    ):
        raise RnnkitError(f"{path} does not hold float32 vectors for the {n_words:,} listed words")
    return vectors, counts
