"""Tokenizers: the three readings of text, their options, and saving them with a vocabulary."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from rnnkit.data.labelled import write_lm_corpus
from rnnkit.data.tokenize import CHARS, EOS, WORDS, Tokenizer
from rnnkit.data.vocab import CharVocab, WordVocab
from rnnkit.errors import RnnkitError

TEXT = Tokenizer("text", lowercase=True)  # the classifier's default reading


def test_words_read_token_files_like_the_benchmarks() -> None:
    text = " = Valkyria = \n\n Senjō no Valkyria 3 : <unk> Chronicles \n"
    expected = []
    for line in text.split("\n")[:-1]:  # what pytorch/examples and AWD-LSTM do per file line
        expected += [*line.split(), EOS]
    assert WORDS.split(text) == expected
    assert WORDS.split("no final newline") == ["no", "final", "newline", EOS]
    assert WORDS.split("") == [] and WORDS.split("\n") == [EOS]


def test_words_options_for_raw_prose() -> None:
    prose = "Alice said: 'Curiouser!' don’t\n"
    assert Tokenizer("words", lowercase=True).split(prose) == [
        "alice", "said:", "'curiouser!'", "don’t", EOS
    ]  # fmt: skip
    assert Tokenizer("words", words_only=True).split(prose) == [
        "Alice", "said", "Curiouser", "don’t", EOS
    ]  # fmt: skip


def test_chars_keep_every_character() -> None:
    assert CHARS.split("a b\n") == ["a", " ", "b", "\n"]


def test_text_reads_html_apostrophes_and_punctuation() -> None:
    assert TEXT.split("Great movie!<br /><br />Don't miss it...") == [
        "great", "movie", "!", "don't", "miss", "it", ".", ".", ".", EOS
    ]  # fmt: skip
    assert TEXT.split("It<br>was <i>SO</i> bad?!") == ["it", "was", "so", "bad", "?", "!", EOS]
    assert Tokenizer("text").split("Rock &amp; roll &lt;br&gt; 10/10") == [
        "Rock", "&", "roll", "<", "br", ">", "10", "/", "10", EOS
    ]  # fmt: skip
    assert TEXT.split("a < b and c>d") == ["a", "<", "b", "and", "c", ">", "d", EOS]
    assert TEXT.split("'Twas the 80's, isn’t it? James' car") == [
        "'", "twas", "the", "80's", ",", "isn't", "it", "?", "james", "'", "car", EOS
    ]  # fmt: skip
    assert TEXT.split("") == []
    assert TEXT.split("One.\nTwo<br\n/>three") == ["one", ".", EOS, "two", "three", EOS]


def test_text_unicode() -> None:
    decomposed = unicodedata.normalize("NFD", "Café naïve")
    assert TEXT.split(decomposed) == ["café", "naïve", EOS]
    assert TEXT.split("Ünïcödé—ok 東京 😀!") == ["ünïcödé", "—", "ok", "東京", "😀", "!", EOS]


def test_json_round_trip_and_bad_values() -> None:
    for tokenizer in (CHARS, WORDS, TEXT, Tokenizer("words", lowercase=True, words_only=True)):
        data = json.loads(json.dumps(tokenizer.to_json()))
        assert Tokenizer.from_json(data) == tokenizer
    assert CHARS.to_json() == {"name": "chars"}
    assert TEXT.to_json() == {"name": "text", "lowercase": True}
    for bad, message in (
        ({"name": "bpe"}, "unknown tokenizer 'bpe' \\(tokenizers: chars, words, text\\)"),
        ({"name": "text", "words_only": True}, "words_only is an option of the words"),
        ({"name": "chars", "lowercase": True}, "lowercase is not for it"),
        ({"name": "words", "lowercase": "yes"}, "must be true or false"),
        (["words"], "not a saved tokenizer"),
    ):
        with pytest.raises(RnnkitError, match=message):
            Tokenizer.from_json(bad)


def test_word_vocab_saves_and_reads_with_its_tokenizer() -> None:
    vocab = WordVocab.from_text("It's <b>GOOD</b>\nit's good\n", tokenizer=TEXT)
    assert vocab.tokens == ["<eos>", "good", "it's", "<unk>"]
    saved = json.loads(json.dumps(vocab.to_json()))
    assert saved["tokenizer"] == {"name": "text", "lowercase": True}
    again = WordVocab.from_json(saved)
    assert again == vocab and again.tokenizer == TEXT
    assert again.decode(again.encode("<i>Good</i>, it's")) == "good <unk> it's <eos>"
    assert again != WordVocab(vocab.tokens)  # same words, another reading: not the same vocab
    with pytest.raises(RnnkitError, match="needs a word tokenizer"):
        WordVocab(vocab.tokens, CHARS)
    assert CharVocab.from_text("ab").tokenizer == CHARS


def test_old_word_vocab_files_keep_their_reading() -> None:
    """vocab.json written before tokenizers were saved: benchmark words with the old flags."""
    old = {"type": "word", "tokens": ["<eos>", "alice", "<unk>"], "lowercase": True}
    vocab = WordVocab.from_json({**old, "words_only": True})
    assert vocab.tokenizer == Tokenizer("words", lowercase=True, words_only=True)
    assert vocab.tokenize("Alice, SAID\n") == ["alice", "said", EOS]
    plain = WordVocab.from_json({"type": "word", "tokens": ["<eos>", "<unk>"]})
    assert plain.tokenizer == WORDS
    assert WordVocab.from_json(old, default=TEXT).tokenizer == TEXT  # e.g. an old classifier


def test_lm_corpus_and_text_tokenizer_agree(tmp_path: Path) -> None:
    """A words LM on write_lm_corpus output and the text tokenizer on the raw reviews read the
    same tokens: one text a line, closed by <eos>."""
    reviews = ["Great film!<br />Loved it.", "Dull &amp; long…", "Two\nlines"]
    corpus = write_lm_corpus(reviews, tmp_path / "lm.txt").read_text(encoding="utf-8")
    assert corpus == "great film ! loved it .\ndull & long …\ntwo lines\n"
    raw = [TEXT.split(r) for r in reviews[:2]]
    assert WORDS.split(corpus)[: sum(map(len, raw))] == raw[0] + raw[1]


def _per_line(tokenizer: Tokenizer, text: str) -> list[str]:
    """The reference reading: each line on its own (as the tokenizers were first written)."""
    import re

    from rnnkit.data.tokenize import _clean

    if tokenizer.name == "text":
        text = _clean(text)
    if tokenizer.lowercase:
        text = text.lower()
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if tokenizer.name == "text":
        split = re.compile(r"\w+(?:'\w+)*|\S").findall
    else:
        split = re.compile(r"\w+(?:['’]\w+)*").findall if tokenizer.words_only else str.split
    return [t for line in lines for t in [*split(line), EOS]]


def test_one_pass_readings_equal_reading_line_by_line() -> None:
    """The tokenizers scan a text once; every piece that could trip that (blank lines, a
    literal <eos>, other whitespace such as U+2028 / U+0085, apostrophes at line ends, no
    final newline) gives what reading each line on its own gives."""
    import random

    pieces = [
        "a",
        "Bé",
        "<eos>",
        " ",
        "\n",
        "\n\n",
        "\t",
        "\u2028",
        "\x85",
        "'",
        "’",
        "don't",
        "x.",
        "<br />",
        "&amp;",
        "東京",
        "😀",
        "\x0c",
        "  ",
    ]
    rng = random.Random(0)
    texts = [
        "",
        "\n",
        " ",
        "\n \n",
        "a",
        "a\n",
        *("".join(rng.choices(pieces, k=rng.randrange(30))) for _ in range(300)),
    ]
    tokenizers = [
        WORDS,
        Tokenizer("words", lowercase=True),
        Tokenizer("words", words_only=True),
        Tokenizer("words", True, True),
        TEXT,
        Tokenizer("text"),
    ]
    for tokenizer in tokenizers:
        for text in texts:
            assert tokenizer.split(text) == _per_line(tokenizer, text), (tokenizer, text)
