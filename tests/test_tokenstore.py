"""The token store: streamed tokenization equals the in-memory one, the folder round-trips, and
a truncated, changed or foreign store is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from rnnkit import CharLM, WordLM
from rnnkit.cli import cli
from rnnkit.data import textio, tokenstore
from rnnkit.data.sources import read_corpus
from rnnkit.data.tokenstore import PrepareSettings, TokenStore, prepare
from rnnkit.data.vocab import CharVocab, WordVocab
from rnnkit.errors import RnnkitError
from rnnkit.lm import base
from rnnkit.lm.base import _split_text

#: Multibyte characters of 2, 3 and 4 UTF-8 bytes, CRLF and CR line ends, no final newline.
TRICKY = "héllo wörld\r\nçа va 日本語 ok\r\n\r\nthe 🎉 end\rlast line ünïcode" * 3


def in_memory(path: Path, s: PrepareSettings) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What a language model makes of the file in memory: vocabulary, train and validation ids."""
    text = read_corpus(path).text
    train, val = _split_text(text, s.val_fraction, "chars" if s.level == "char" else "words")
    if s.level == "char":
        vocab: CharVocab | WordVocab = CharVocab.from_text(train + val)
        tokens = vocab.chars
    else:
        vocab = WordVocab.from_text(train, s.min_count, s.max_vocab, s.tokenizer())
        tokens = vocab.tokens
    return tokens, vocab.encode(train), vocab.encode(val)


def stored(store: TokenStore) -> tuple[list[str], np.ndarray, np.ndarray]:
    tokens = store.vocab.chars if isinstance(store.vocab, CharVocab) else store.vocab.tokens
    train = store.train()
    return tokens, train[: len(train)], store.validation()


@pytest.mark.parametrize("level", ["char", "word"])
def test_streamed_equals_in_memory_at_every_chunk_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(TRICKY.encode("utf-8"))
    s = PrepareSettings(level, val_fraction=0.3)
    expected = in_memory(path, s)
    # Every chunk size up to a line and a half: each boundary falls inside a multibyte
    # character, between a CR and its LF, or mid-word somewhere.
    for chunk in range(1, 40):
        monkeypatch.setattr(textio, "CHUNK_BYTES", chunk)
        store = prepare(path, tmp_path / f"{level}{chunk}", s)
        tokens, train, val = stored(store)
        assert tokens == expected[0], chunk
        np.testing.assert_array_equal(train, expected[1])
        np.testing.assert_array_equal(val, expected[2])
        assert store.manifest["source"]["sha256"] == read_corpus(path).sha256


def test_word_options_and_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("The cat, the Dog.\nthe cat sat\n" * 20 + "a rare word\n" * 3)
    s = PrepareSettings("word", val_fraction=0.2, min_count=2, lowercase=True, words_only=True)
    store = prepare(path, tmp_path / "w", s)
    expected = in_memory(path, s)
    assert stored(store)[0] == expected[0]
    np.testing.assert_array_equal(stored(store)[1], expected[1])
    m = json.loads((tmp_path / "w" / "manifest.json").read_text())
    assert m["format"] == "rnnkit-tokens" and m["dtype"] == "uint8" and m["vocab_exact"]
    assert m["train"][1] == m["validation"][0] and m["validation"][1] == m["tokens"]
    assert m["unk_id"] == store.vocab.tokens.index("<unk>")
    assert m["source"]["bytes"] == path.stat().st_size
    assert (tmp_path / "w" / "tokens.bin").stat().st_size == m["tokens"]
    assert WordVocab.from_json(json.loads((tmp_path / "w" / "vocab.json").read_text())) == (
        store.vocab
    )


@pytest.mark.parametrize(
    ("distinct", "dtype"), [(256, "uint8"), (257, "uint16"), (65_536, "uint16"), (65_537, "uint32")]
)
def test_the_dtype_at_the_vocabulary_size_edges(tmp_path: Path, distinct: int, dtype: str) -> None:
    # A corpus of exactly N distinct characters (from U+10000 at the two-byte edge: 4-byte
    # UTF-8, and no surrogates among them).
    first = 0x100 if distinct < 1000 else 0x10000
    chars = "".join(chr(first + i) for i in range(distinct - 1)) + "\n"
    (tmp_path / "c.txt").write_text(chars * 4, encoding="utf-8")
    store = prepare(tmp_path / "c.txt", tmp_path / "s")
    assert len(store.vocab) == distinct and store.manifest["dtype"] == dtype
    ids = store.train()[0:distinct]
    assert ids.max() == distinct - 1
    assert "".join(store.vocab.chars[i] for i in ids) == chars  # type: ignore[union-attr]
    assert str(tokenstore.dtype_for(distinct)) == dtype


def test_word_counts_stay_bounded(tmp_path: Path) -> None:
    words = " ".join(f"w{i}" for i in range(300))
    path = tmp_path / "c.txt"
    path.write_text("the end\n" * 20 + (words + "\n") * 2 + "the end\n" * 5)
    store = prepare(path, tmp_path / "s", PrepareSettings("word", max_distinct=100))
    assert not store.manifest["vocab_exact"]
    assert {"the", "end", "<unk>", "<eos>"} <= set(store.vocab.tokens)  # type: ignore[union-attr]
    assert len(store.vocab) <= 102


def test_the_word_passes_agree_with_the_bounded_counting_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one pass of provisional ids writes the very files of the count-then-write passes
    that bounded counting falls back to (forced here with nothing dropped), whatever the
    chunk size; validation words never seen in training are <unk>; no scratch file stays."""
    path = tmp_path / "c.txt"
    path.write_text(TRICKY + "\nthe cat sat\nthe dog\n" * 9 + "zebra yak the cat\n" * 2)
    s = PrepareSettings("word", val_fraction=0.15)
    for chunk in (7, 23, 1 << 20):
        monkeypatch.setattr(textio, "CHUNK_BYTES", chunk)
        fast = prepare(path, tmp_path / f"fast{chunk}", s)
        with monkeypatch.context() as m:
            m.setattr(tokenstore, "_provisional_ids", lambda *args: None)
            slow = prepare(path, tmp_path / f"slow{chunk}", s)
        names = ["manifest.json", "tokens.bin", "vocab.json"]
        assert sorted(p.name for p in fast.path.iterdir()) == names
        for name in names:
            assert (fast.path / name).read_bytes() == (slow.path / name).read_bytes(), name
        vocab = fast.vocab
        assert isinstance(vocab, WordVocab) and "zebra" not in vocab.tokens
        expected = [vocab.unk_id] * 2 + vocab.ids(["the", "cat", "<eos>"]).tolist()
        assert fast.validation()[-5:].tolist() == expected


def test_truncated_changed_and_foreign_stores_are_refused(tmp_path: Path) -> None:
    prepare("abc\ndef\n" * 50, tmp_path / "s")
    tokens = tmp_path / "s" / "tokens.bin"
    data = tokens.read_bytes()
    tokens.write_bytes(data[:-3])
    with pytest.raises(RnnkitError, match="truncated"):
        TokenStore.open(tmp_path / "s")
    tokens.write_bytes(data[::-1])  # the right size, other content
    store = TokenStore.open(tmp_path / "s")
    with pytest.raises(RnnkitError, match="sha256"):
        store.verify()
    (tmp_path / "s" / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(RnnkitError, match="format"):
        TokenStore.open(tmp_path / "s")
    with pytest.raises(RnnkitError, match="already exists"):
        prepare("abc\ndef\n" * 50, tmp_path / "s")
    with pytest.raises(RnnkitError, match=r"not a token store|manifest.json missing"):
        TokenStore.open(tmp_path)


def test_a_failed_prepare_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="too short"):
        prepare("ab\n", tmp_path / "s")
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------------------------------------
# Training from a store

SMALL = {"hidden_size": 16, "embed_size": 8, "seq_len": 12, "batch_size": 4, "evals": 2}
PROSE = "the cat sat on the mat\nthe dog sat on the log, did it not?\n" * 30


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize(("cls", "level"), [(CharLM, "char"), (WordLM, "word")])
def test_training_on_a_store_equals_training_on_the_text(
    tmp_path: Path, cls: type[CharLM] | type[WordLM], level: str
) -> None:
    (tmp_path / "c.txt").write_text(PROSE)
    prepare(tmp_path / "c.txt", tmp_path / "tokens", PrepareSettings(level))
    options = {**SMALL, "seq_len": 6} if level == "word" else SMALL
    text = cls(**options).fit(str(tmp_path / "c.txt"), steps=8, quiet=True)
    store = cls(**options).fit(str(tmp_path / "tokens"), steps=8, quiet=True)
    assert store.vocab_ == text.vocab_
    assert _same_weights(store.model_, text.model_)  # type: ignore[arg-type]
    assert store.info()["corpus"]["store"]


def test_rnnkit_train_on_a_store_and_resume_checks_it(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text(PROSE)
    runner = CliRunner()
    made = runner.invoke(cli, ["prepare", str(tmp_path / "c.txt"), "--out", str(tmp_path / "t")])
    assert made.exit_code == 0 and "char tokens (uint8" in made.output, made.output
    flags = ["--hidden-size", "16", "--embed-size", "8", "--seq-len", "12", "--batch-size", "4"]
    args = ["train", str(tmp_path / "t"), "--steps", "6", "--out", str(tmp_path / "run")]
    trained = runner.invoke(cli, [*args, *flags, "--quiet"])
    assert trained.exit_code == 0 and "done: 6 steps" in trained.output, trained.output
    more = CharLM.resume(tmp_path / "run", steps=8, quiet=True)
    assert more.info()["stats"]["steps"] == 8
    tokens = tmp_path / "t" / "tokens.bin"
    tokens.write_bytes(tokens.read_bytes()[::-1])  # same size, other tokens
    with pytest.raises(RnnkitError, match="changed after it was prepared"):
        CharLM.resume(tmp_path / "run", steps=10, quiet=True)
    shutil.rmtree(tmp_path / "t")
    prepare(PROSE + "the cat sat on the log\n", tmp_path / "t")  # another store, same place
    with pytest.raises(RnnkitError, match="not the text this run was trained on"):
        CharLM.resume(tmp_path / "run", steps=10, quiet=True)
    with pytest.raises(RnnkitError, match="char-level tokens, not words"):
        WordLM(**SMALL).fit(str(tmp_path / "t"), steps=2, quiet=True)
    with pytest.raises(RnnkitError, match="is a token store"):
        read_corpus(tmp_path / "t")


def test_a_large_file_is_made_a_store_next_to_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "c.txt").write_text(PROSE)
    monkeypatch.setattr(base, "STORE_FROM", 100)  # bytes: this file counts as large
    run = tmp_path / "run"
    lm = CharLM(**SMALL).fit(str(tmp_path / "c.txt"), steps=6, out_dir=run, quiet=True)
    assert TokenStore.open(run / "tokens").manifest["source"]["name"] == str(tmp_path / "c.txt")
    assert lm.info()["corpus"]["store"] and (run / "config.json").is_file()
    alone = CharLM(**SMALL).fit(str(tmp_path / "c.txt"), steps=6, quiet=True)  # in memory
    assert _same_weights(lm.model_, alone.model_)  # type: ignore[arg-type]
    made = (run / "tokens" / "tokens.bin").stat().st_mtime_ns
    again = CharLM(**SMALL).fit(str(tmp_path / "c.txt"), steps=6, out_dir=run, quiet=True)
    assert (run / "tokens" / "tokens.bin").stat().st_mtime_ns == made  # the store is reused
    assert _same_weights(again.model_, lm.model_)  # type: ignore[arg-type]
    assert CharLM.resume(run, steps=8, quiet=True).info()["stats"]["steps"] == 8
