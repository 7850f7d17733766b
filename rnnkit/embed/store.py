"""The word-vectors folder: saving and loading it (nothing is pickled, so a folder from
someone else is safe to load)::

    card.json              format "rnnkit-wordvectors" v1, corpus, settings, sizes, timings
    vocab.json             {"words": [...]}: the vocabulary, most frequent first
    vectors.safetensors    "vectors" float32 [words, dim] and "counts" int64 [words]

A folder is built aside and renamed into place (:func:`rnnkit.core.files.atomic_folder`), so a
crash never leaves a half-written one; a missing, corrupt or foreign file is a one-line
:class:`~rnnkit.errors.RnnkitError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.core.files import atomic_folder, check_format, read_json, resolve_folder, write_json
from rnnkit.errors import RnnkitError

FORMAT = "rnnkit-wordvectors"
FORMAT_VERSION = 1
CARD, VOCAB, VECTORS = "card.json", "vocab.json", "vectors.safetensors"


def save(path: str | Path, keyed_vectors: Any, card: dict[str, Any]) -> Path:
    """Write gensim ``KeyedVectors`` and their ``card`` as the folder ``path``.

    Example:
        >>> import tempfile
        >>> from gensim.models import KeyedVectors
        >>> kv = KeyedVectors(2)
        >>> kv.add_vectors(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
        >>> folder = save(tempfile.mkdtemp() + "/v", kv, {"note": "hi"})
        >>> loaded, card = load(folder)
        >>> loaded.index_to_key, card["note"], card["dim"]
        (['a', 'b'], 'hi', 2)
    """
    from safetensors.numpy import save_file

    path = Path(path)
    _check_overwrite(path)
    counts = keyed_vectors.expandos.get("count", np.zeros(len(keyed_vectors), dtype=np.int64))
    tensors: dict[str, np.ndarray] = {
        "vectors": np.ascontiguousarray(keyed_vectors.vectors, dtype=np.float32),
        "counts": np.ascontiguousarray(counts, dtype=np.int64),
    }
    card = {k: v for k, v in card.items() if k not in ("format", "format_version")}
    sizes = {"vocab_size": len(keyed_vectors), "dim": int(keyed_vectors.vector_size)}
    with atomic_folder(path) as tmp:
        save_file(tensors, str(tmp / VECTORS))
        write_json(tmp / VOCAB, {"words": list(keyed_vectors.index_to_key)})
        write_json(
            tmp / CARD, {"format": FORMAT, "format_version": FORMAT_VERSION, **card, **sizes}
        )
    return path


def load(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """The gensim ``KeyedVectors`` (word counts included) and the card of the folder ``path``."""
    from gensim.models import KeyedVectors

    folder = resolve_folder(path, "word-vectors folder")
    card = _read_json(folder / CARD)
    what = f"{folder} (rnnkit word vectors?)"
    check_format(card, what, ("format", FORMAT), ("format_version", FORMAT_VERSION))
    words = _read_words(folder / VOCAB)
    vectors, counts = _read_vectors(folder / VECTORS, len(words))
    kv = KeyedVectors(vectors.shape[1], count=0)
    kv.add_vectors(words, vectors)
    kv.allocate_vecattrs(["count"], [np.int64])
    kv.expandos["count"][:] = counts
    return kv, card


def _check_overwrite(path: Path) -> None:
    """Refuse to replace a file, or a folder that is not word vectors (its content would be
    swept into the new folder)."""
    if path.exists() and not path.is_dir():
        raise RnnkitError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / CARD).is_file():
        raise RnnkitError(f"refusing to write into {path}: it holds other files, not word vectors")


def _read_json(path: Path) -> dict[str, Any]:
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
