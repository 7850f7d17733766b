"""Word embeddings: train word2vec with gensim, query the vectors, and reuse them in a model.

rnnkit does not implement word2vec: :meth:`WordVectors.train` writes the corpus as one
LineSentence file (:mod:`rnnkit.embed.sentences`) and calls gensim's ``Word2Vec`` through its
fast ``corpus_file`` path (C++ reader, no Python per word), with :class:`Settings`. Evaluation,
the word map and the saved folder have modules of their own (:mod:`rnnkit.embed.evaluate`,
:mod:`rnnkit.embed.plots`, :mod:`rnnkit.embed.store`); the methods here delegate to them.

Reproducibility:
    the same corpus, settings and ``seed`` with ``workers=1`` give bit-identical vectors, in this
    process or another (gensim seeds from ``numpy.random.default_rng(seed)``, not from Python's
    randomised ``hash``). With several workers the threads race over the shared weights, so runs
    differ slightly; that is the price of parallel training.

Reuse in a model (the caller owns the freeze decision)::

    matrix, oov = wv.embedding_matrix(vocab.tokens, dim=model.embed.embedding_dim)
    model.embed.weight.data.copy_(torch.from_numpy(matrix))
    model.embed.weight.requires_grad_(not freeze)     # frozen or fine-tuned
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rnnkit.embed import store
from rnnkit.embed.sentences import CorpusSource, CorpusStats, write_sentences
from rnnkit.embed.settings import Settings
from rnnkit.errors import RnnkitError

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
        settings: Settings | None = None,
        *,
        encoding: str = "utf-8",
        max_words: int | None = None,
        quiet: bool = False,
        data_dir: str | Path | None = None,
        **overrides: Any,
    ) -> WordVectors:
        """Train word2vec (skip-gram or CBOW, negative sampling) on ``corpus`` with gensim.

        ``corpus`` is anything :func:`~rnnkit.embed.sentences.write_sentences` reads. The
        settings are ``settings`` (default :class:`Settings`) with ``overrides`` of its fields,
        e.g. ``train(corpus, dim=50)``; use ``workers=1`` for bit-identical repeats with the same
        ``seed``. ``max_words`` trains on the first that many words only.
        """
        settings = (settings or Settings()).updated(**overrides)
        with tempfile.TemporaryDirectory(prefix="rnnkit-w2v-") as tmp:
            sentences = Path(tmp) / "sentences.txt"
            stats = write_sentences(
                corpus, sentences, settings.lowercase, encoding, max_words, data_dir
            )
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
        correlation with human similarity judgements (default: gensim's WordSim-353); see
        :func:`rnnkit.embed.evaluate.evaluate`."""
        from rnnkit.embed.evaluate import evaluate

        return evaluate(self.keyed_vectors, analogies, pairs, restrict_vocab)

    def plot(self, out: str | Path, words: Sequence[str] | None = None, top: int = 50) -> Path:
        """Project ``words`` (default: the ``top`` most frequent) to 2-D with PCA and save a
        labelled scatter plot as PNG; returns the path."""
        from rnnkit.embed.plots import plot_words

        chosen = list(dict.fromkeys(words)) if words else self.words[:top]
        return plot_words(chosen, self.keyed_vectors[self._known(chosen)], out)

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
        """Write the folder ``path`` (card.json, vocab.json, vectors.safetensors) atomically;
        see :mod:`rnnkit.embed.store`."""
        return store.save(path, self.keyed_vectors, self.card)

    def info(self) -> dict[str, Any]:
        """The card: corpus, settings, vocabulary size, width and training speed."""
        return {**self.card, "vocab_size": len(self), "dim": self.dim}

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read a folder written by :meth:`save`; a missing, corrupt or foreign file is a one-line
        :class:`~rnnkit.errors.RnnkitError`. Nothing is unpickled."""
        return cls(*store.load(path))

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
