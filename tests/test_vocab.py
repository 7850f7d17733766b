"""Character vocabulary: exact round trips and named unknown characters."""

from __future__ import annotations

import json

import pytest

from rnnkit.data.sources import read_corpus
from rnnkit.data.vocab import CharVocab
from rnnkit.errors import RnnkitError

UNICODE = "naïve café — “quotes” 日本語 😀 e\u0301 \t\n"


@pytest.mark.parametrize("text", ["", "a", UNICODE, "aaaa\n\n"])
def test_round_trip(text: str) -> None:
    vocab = CharVocab.from_text(text + "a")
    ids = vocab.encode(text)
    assert ids.dtype.name == "int64" and len(ids) == len(text)
    assert vocab.decode(ids) == text


def test_round_trip_whole_corpus() -> None:
    text = read_corpus("shakespeare").text
    vocab = CharVocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab) == len(set(text))


def test_ids_follow_sorted_characters() -> None:
    vocab = CharVocab.from_text("cab")
    assert vocab.encode("abc").tolist() == [0, 1, 2]
    unsorted = CharVocab(["z", "a"])  # a saved vocabulary keeps its own order
    assert unsorted.encode("az").tolist() == [1, 0]


def test_json_round_trip() -> None:
    vocab = CharVocab.from_text(UNICODE)
    again = CharVocab.from_json(json.loads(vocab.dumps()))
    assert again == vocab and again.encode(UNICODE).tolist() == vocab.encode(UNICODE).tolist()


def test_unknown_characters_are_named() -> None:
    vocab = CharVocab.from_text("abc")
    with pytest.raises(
        RnnkitError, match="the prompt has characters the model never saw: 'x', 'é'"
    ):
        vocab.encode("abxcéx", what="the prompt")


def test_rejects_bad_vocabularies() -> None:
    with pytest.raises(RnnkitError):
        CharVocab(["a", "a"])
    with pytest.raises(RnnkitError):
        CharVocab.from_json({"type": "word", "tokens": ["a"]})
