"""The classical text-classification baseline: TF-IDF over word unigrams and bigrams (or
character 1- to 5-grams), then logistic regression (scikit-learn), plus the metrics every
classifier in rnnkit reports.

Documents arrive already tokenized and normalised: for word n-grams each is its tokens joined by
single spaces, so the vectorizer splits on whitespace and changes nothing else; for character
n-grams each is the characters the recurrent model read. That keeps the baseline and the
recurrent models on exactly the same text.

The fitted model is saved without pickle: :meth:`TfidfLogReg.to_state` gives a JSON-ready dict
(settings, classes, vocabulary in column order) and float64 tensors (idf, weights), and
:meth:`TfidfLogReg.from_state` rebuilds a model whose predictions are bit-for-bit the same.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from scipy.special import log_softmax, softmax

from rnnkit.core.files import check_format
from rnnkit.errors import RnnkitError

STATE_KIND = "tfidf-logreg"
STATE_VERSION = 2
#: The state versions :meth:`TfidfLogReg.from_state` reads: 1 (word n-grams only, before the
#: analyzer setting) and 2.
READABLE_VERSIONS = (1, 2)
#: What the n-grams are made of: words, characters within words (padded by a space, as
#: scikit-learn's ``char_wb``), or characters across words.
ANALYZERS = ("word", "char_wb", "char")
#: The n-gram lengths and feature cap when not given, by analyzer. Character 1- to 5-grams are
#: the usual authorship baseline; their cap (the most frequent 100,000, to keep a checkpoint of
#: dozens of classes tens of MB) is a modest guess, not a measured best.
_DEFAULT_NGRAMS = {"word": (1, 2), "char_wb": (1, 5), "char": (1, 5)}
_DEFAULT_MAX_FEATURES = {"word": None, "char_wb": 100_000, "char": 100_000}

#: Inverse regularisation strengths tried on the validation set, a factor of 2 apart (IMDB's
#: validation accuracy peaks at 8-32 and falls 1.2 points by C=1).
DEFAULT_CS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class TfidfLogReg:
    """TF-IDF (word unigrams + bigrams by default, or ``analyzer="char_wb"`` / ``"char"``:
    character 1- to 5-grams; sublinear tf) and logistic regression on whitespace-tokenized
    documents (or, for characters, the text); any number of classes, labelled by all-str or
    all-int values.

    Example:
        >>> docs = ["good fun film", "great fun", "good great cast", "bad dull film",
        ...         "awful dull", "bad awful cast"] * 2
        >>> labels = ["pos", "pos", "pos", "neg", "neg", "neg"] * 2
        >>> clf = TfidfLogReg().fit(docs, labels, val_docs=docs[:6], val_labels=labels[:6])
        >>> clf.predict(["good fun", "dull awful film"]).tolist(), clf.val_accuracy_
        (['pos', 'neg'], 1.0)
        >>> meta, tensors = clf.to_state()
        >>> TfidfLogReg.from_state(meta, tensors).predict(["great cast"]).tolist()
        ['pos']
        >>> chars = TfidfLogReg(analyzer="char_wb", min_df=1).fit(docs, labels)
        >>> chars.ngram_range, chars.predict(["so good!", "awfully dull"]).tolist()
        ((1, 5), ['pos', 'neg'])
    """

    def __init__(
        self,
        *,
        analyzer: str = "word",
        ngram_range: tuple[int, int] | None = None,
        min_df: int = 2,
        max_df: float = 1.0,
        max_features: int | Literal["auto"] | None = "auto",
        sublinear_tf: bool = True,
        C: float = 8.0,
        Cs: Sequence[float] = DEFAULT_CS,
        max_iter: int = 1000,
        class_weight: Literal["balanced"] | None = None,
    ) -> None:
        if analyzer not in ANALYZERS:
            raise RnnkitError(f"unknown analyzer {analyzer!r} (analyzers: {', '.join(ANALYZERS)})")
        self.analyzer = analyzer
        ngram_range = ngram_range or _DEFAULT_NGRAMS[analyzer]
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.min_df = min_df
        self.max_df = max_df
        # "auto": the analyzer's default cap (None already means no cap).
        if isinstance(max_features, str):
            max_features = _DEFAULT_MAX_FEATURES[analyzer]
        self.max_features: int | None = max_features
        self.sublinear_tf = sublinear_tf
        self.C = C  # used when fit() gets no validation set
        self.Cs = tuple(float(c) for c in Cs)
        self.max_iter = max_iter
        self.class_weight = class_weight  # "balanced": each class weighs as much in the loss
        self._check_settings()
        self.vectorizer_: Any = None
        self.model_: Any = None
        self.classes_: np.ndarray | None = None
        self.C_: float | None = None
        self.val_accuracy_: float | None = None
        self.val_scores_: dict[float, float] = {}
        self.fit_seconds_: float | None = None

    def settings(self) -> dict[str, Any]:
        """The constructor arguments, JSON-ready."""
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_df": self.max_df,
            "max_features": self.max_features,
            "sublinear_tf": self.sublinear_tf,
            "C": self.C,
            "Cs": list(self.Cs),
            "max_iter": self.max_iter,
            # Only when set, so that a state without it is the same as before it existed.
            **({"class_weight": self.class_weight} if self.class_weight else {}),
        }

    def fit(
        self,
        docs: list[str],
        labels: Sequence[Any],
        val_docs: list[str] | None = None,
        val_labels: Sequence[Any] | None = None,
    ) -> TfidfLogReg:
        """Learn the vocabulary and weights on ``docs``; with a validation set, pick ``C`` from
        ``Cs`` by validation accuracy (ties go to the smaller C, the stronger prior)."""
        start = time.perf_counter()
        _check_pairs(docs, labels, "training")
        _check_label_types(labels)
        if (val_docs is None) != (val_labels is None):
            raise RnnkitError("give both val_docs and val_labels, or neither")
        if val_docs is not None and val_labels is not None:
            _check_pairs(val_docs, val_labels, "validation")
        if len(set(labels)) < 2:
            raise RnnkitError("the training labels hold a single class: a classifier needs two")
        self.vectorizer_ = self._new_vectorizer()
        try:
            X = self.vectorizer_.fit_transform(docs)
        except ValueError as err:  # empty vocabulary, or min_df/max_df leave no term
            raise RnnkitError(f"no TF-IDF vocabulary: {_one_line(err)}") from None
        self._drop_pruned_terms()
        y = np.asarray(labels)
        if val_docs is None or val_labels is None:
            self.model_, self.C_ = self._fit_one(X, y, self.C), self.C
            self.val_accuracy_, self.val_scores_ = None, {}
        else:
            self._choose_c(X, y, self.vectorizer_.transform(val_docs), np.asarray(val_labels))
        self.classes_ = self.model_.classes_
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def decision_function(self, docs: list[str]) -> np.ndarray:
        """Log-probabilities, float64 ``[N, classes]`` (columns in ``classes_`` order), computed
        stably from the logits, ready to be added to another model's log-probabilities."""
        return log_softmax(self._logits(docs), axis=1)

    def predict_proba(self, docs: list[str]) -> np.ndarray:
        """Class probabilities, float64 ``[N, classes]``; each row sums to 1."""
        return softmax(self._logits(docs), axis=1)

    def predict(self, docs: list[str]) -> np.ndarray:
        """The most probable class of each document (values from ``classes_``)."""
        classes = self._fitted_classes()
        return classes[np.argmax(self._logits(docs), axis=1)]

    def score(self, docs: list[str], labels: Sequence[Any]) -> float:
        """Accuracy on ``docs`` against ``labels``."""
        _check_pairs(docs, labels, "scored")
        return float(np.mean(self.predict(docs) == np.asarray(labels)))

    @property
    def vocabulary_size(self) -> int:
        """Number of TF-IDF features (terms) the model uses."""
        return len(self._fitted().vocabulary_)

    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """A JSON-ready description and float64 tensors from which :meth:`from_state` rebuilds
        this model exactly (no pickle)."""
        vec = self._fitted()
        vocab = [""] * len(vec.vocabulary_)
        for term, col in vec.vocabulary_.items():
            vocab[col] = term
        settings = self.settings()
        # Word n-grams are saved exactly as version 1 saved them, so that earlier releases
        # still read a word-level baseline; only character n-grams need version 2.
        version = 1 if settings.pop("analyzer") == "word" else STATE_VERSION
        meta = {
            "kind": STATE_KIND,
            "version": version,
            "settings": settings | ({} if version == 1 else {"analyzer": self.analyzer}),
            "classes": self._fitted_classes().tolist(),  # numpy scalars -> plain int / str
            "vocabulary": vocab,
            "C": self.C_,
            "val_accuracy": self.val_accuracy_,
            "val_scores": [[c, acc] for c, acc in self.val_scores_.items()],
            "fit_seconds": self.fit_seconds_,
        }
        tensors = {
            "idf": torch.from_numpy(np.ascontiguousarray(vec.idf_, dtype=np.float64)),
            "coef": torch.from_numpy(np.ascontiguousarray(self.model_.coef_, dtype=np.float64)),
            "intercept": torch.from_numpy(
                np.ascontiguousarray(self.model_.intercept_, dtype=np.float64)
            ),
        }
        return meta, tensors

    @classmethod
    def from_state(cls, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> TfidfLogReg:
        """Rebuild a model saved with :meth:`to_state`; damaged state is a :class:`RnnkitError`."""
        _check_state_header(meta)
        try:
            clf = cls(**meta["settings"])
            classes, vocab = _state_classes(meta["classes"]), _state_vocab(meta["vocabulary"])
            idf, coef, intercept = (_array(tensors, name) for name in ("idf", "coef", "intercept"))
            C = float(meta.get("C") or clf.C)
            clf.val_scores_ = {float(c): float(a) for c, a in meta.get("val_scores") or []}
        except (KeyError, TypeError, ValueError) as err:
            raise RnnkitError(f"saved {STATE_KIND} model is damaged ({_one_line(err)})") from None
        _check_state_shapes(len(classes), len(vocab), idf, coef, intercept)
        clf._restore(classes, vocab, idf, coef, intercept, C)
        clf.val_accuracy_ = meta.get("val_accuracy")
        clf.fit_seconds_ = meta.get("fit_seconds")
        return clf

    def _restore(
        self,
        classes: np.ndarray,
        vocab: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        C: float,
    ) -> None:
        """Set up the fitted vectorizer and logistic regression from checked saved parts."""
        from sklearn.linear_model import LogisticRegression

        self.vectorizer_ = self._new_vectorizer(vocabulary={t: i for i, t in enumerate(vocab)})
        self.vectorizer_.idf_ = idf
        self.model_ = LogisticRegression(C=C)
        self.model_.coef_, self.model_.intercept_ = coef, intercept
        self.model_.classes_ = self.classes_ = classes
        self.model_.n_features_in_ = len(vocab)
        self.C_ = C

    # -- internals -------------------------------------------------------------------------

    def _check_settings(self) -> None:
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise RnnkitError(f"ngram_range must be (low, high) with 1 <= low <= high: {lo, hi}")
        if not self.Cs or min(self.Cs) <= 0 or self.C <= 0:
            raise RnnkitError("C and every value of Cs must be positive")
        if self.class_weight not in (None, "balanced"):
            raise RnnkitError(f"class_weight must be None or 'balanced', not {self.class_weight!r}")
        if self.max_features is not None and self.max_features < 1:
            raise RnnkitError(f"max_features must be at least 1, not {self.max_features}")

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        words = self.analyzer == "word"  # documents are pre-tokenized: split on whitespace only
        return TfidfVectorizer(
            analyzer=self.analyzer,
            tokenizer=str.split if words else None,
            token_pattern=None,
            lowercase=False,  # the documents are as the network read them
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            vocabulary=vocabulary,
            dtype=np.float64,
        )

    def _drop_pruned_terms(self) -> None:
        # Older scikit-learn keeps every pruned term in stop_words_ (millions of bigrams on
        # IMDB): it is only for inspection, so free the memory.
        if hasattr(self.vectorizer_, "stop_words_"):
            del self.vectorizer_.stop_words_

    def _fit_one(self, X: Any, y: np.ndarray, C: float) -> Any:
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y)) > 2:
            # liblinear cannot fit a multinomial model: lbfgs fits one softmax over all classes.
            model = LogisticRegression(
                C=C, solver="lbfgs", max_iter=self.max_iter, class_weight=self.class_weight
            )
        else:
            # Two classes: liblinear, in the dual when terms outnumber documents (as with
            # bigrams), fitted IMDB 3-10 times faster than lbfgs, to the same accuracy.
            dual = X.shape[1] > X.shape[0]
            model = LogisticRegression(
                C=C,
                solver="liblinear",
                dual=dual,
                max_iter=self.max_iter,
                random_state=0,
                class_weight=self.class_weight,
            )  # liblinear shuffles with this seed: the same fit every time
        return model.fit(X, y)

    def _choose_c(self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray) -> None:
        fit = functools.partial(self._fit_one, X, y)
        self.val_accuracy_, self.C_, self.model_, self.val_scores_ = choose_c(
            fit, self.Cs, X_val, y_val
        )

    def _logits(self, docs: list[str]) -> np.ndarray:
        if isinstance(docs, str):
            raise RnnkitError("docs must be a list of documents, not one string")
        X = self._fitted().transform(docs)
        scores = np.asarray(self.model_.decision_function(X), dtype=np.float64)
        # Binary logistic regression keeps one score, the logit of classes_[1]: the pair
        # (0, logit) gives the same probabilities through a softmax.
        return np.column_stack([np.zeros_like(scores), scores]) if scores.ndim == 1 else scores

    def _fitted(self) -> Any:
        if self.vectorizer_ is None or self.model_ is None:
            raise RnnkitError("this TfidfLogReg is not fitted: call fit() or from_state() first")
        return self.vectorizer_

    def _fitted_classes(self) -> np.ndarray:
        self._fitted()
        assert self.classes_ is not None
        return self.classes_


def choose_c(
    fit: Callable[[float], Any], Cs: Sequence[float], X_val: Any, y_val: np.ndarray
) -> tuple[float, float, Any, dict[float, float]]:
    """``fit(C)`` for each of ``Cs`` (non-empty), keeping the model most accurate on the
    validation set, ties going to the smaller C (the stronger prior): its accuracy, its C,
    the model, and the accuracy of every C.

    Example:
        >>> class Const:  # a "model" that always predicts round(C)
        ...     def __init__(self, C): self.C = C
        ...     def predict(self, X): return np.full(len(X), round(self.C))
        >>> truth = np.array([1, 1, 1, 2])
        >>> acc, C, _, scores = choose_c(Const, [2.0, 1.0, 1.2], np.zeros(4), truth)
        >>> acc, C, scores
        (0.75, 1.0, {1.0: 0.75, 1.2: 0.75, 2.0: 0.25})
    """
    best: tuple[float, float, Any] | None = None
    scores: dict[float, float] = {}
    for C in sorted(Cs):
        model = fit(C)
        scores[C] = float(np.mean(model.predict(X_val) == y_val))
        if best is None or scores[C] > best[0]:
            best = (scores[C], C, model)
    assert best is not None, "Cs is empty"
    return (*best, scores)


def _check_pairs(docs: Sequence[str], labels: Sequence[Any], what: str) -> None:
    if isinstance(docs, str):
        raise RnnkitError(f"the {what} docs must be a list of documents, not one string")
    if len(docs) != len(labels):
        raise RnnkitError(f"{len(docs)} {what} docs but {len(labels)} labels")
    if not docs:
        raise RnnkitError(f"no {what} docs")


def _check_label_types(labels: Sequence[Any]) -> None:
    # Classes are saved as JSON, so they must be all text or all whole numbers.
    if not (
        all(isinstance(v, str) for v in labels)
        or all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in labels)
    ):
        raise RnnkitError("labels must be all str or all int values")


def _check_state_header(meta: Any) -> None:
    found = meta.get("version") if isinstance(meta, dict) else None
    readable = found if found in READABLE_VERSIONS else STATE_VERSION
    check_format(meta, "the saved baseline", ("kind", STATE_KIND), ("version", readable))


def _check_state_shapes(
    n_classes: int, n_terms: int, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray
) -> None:
    rows = 1 if n_classes == 2 else n_classes  # binary LR keeps one weight row
    if idf.shape != (n_terms,) or coef.shape != (rows, n_terms) or intercept.shape != (rows,):
        raise RnnkitError(
            f"saved {STATE_KIND} model is damaged: idf {idf.shape}, coef {coef.shape} and "
            f"intercept {intercept.shape} do not fit {n_terms} terms and {n_classes} classes"
        )


def _state_classes(classes: Any) -> np.ndarray:
    ok = isinstance(classes, list) and len(classes) >= 2 and len(set(classes)) == len(classes)
    if not ok or not (
        all(isinstance(c, str) for c in classes)
        or all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    ):
        raise TypeError("'classes' must be two or more distinct str or int labels")
    return np.array(classes)


def _state_vocab(vocab: Any) -> list[str]:
    if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
        raise TypeError("'vocabulary' must be a list of terms")
    if not vocab or len(set(vocab)) != len(vocab):
        raise TypeError("'vocabulary' must hold distinct terms")
    return vocab


def _array(tensors: dict[str, torch.Tensor], name: str) -> np.ndarray:
    if not isinstance(tensors.get(name), torch.Tensor):
        raise KeyError(f"tensor {name!r} missing")
    return tensors[name].detach().cpu().to(torch.float64).numpy().copy()


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
