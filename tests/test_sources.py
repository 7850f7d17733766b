"""The one rule for what a source is (rnnkit.data.sources), at its edges, and the same answer
from every capability that reads sources."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from rnnkit.data import catalog
from rnnkit.data.labelled import read_labelled
from rnnkit.data.registry import Dataset
from rnnkit.data.sources import Source, Text, read_chunks, read_corpus, read_splits, resolve
from rnnkit.embed.sentences import write_sentences
from rnnkit.errors import RnnkitError
from rnnkit.timeseries.data import load_series


def error_of(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(RnnkitError) as err:
        call(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_line_break_or_text_makes_a_text() -> None:
    assert resolve("one\ntwo") == Source("text", "<string>", text="one\ntwo")
    assert resolve("old mac\rline").kind == "text"  # a CR is a line break too
    assert resolve(Text("one line")).text == "one line"
    assert resolve(Text("ptb")).kind == "text"  # Text wins even over a dataset name
    assert resolve(Text("")).kind == "text"
    assert error_of(read_corpus, Text("  ")) == "the given string is empty (no text to learn from)"


def test_other_strings_are_names_or_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve("ptb") == Source("dataset", "ptb")
    assert resolve("ptb:test") == Source("dataset", "ptb", "test")
    assert resolve("ptb:") == Source("dataset", "ptb")
    assert "no split 'dev' (splits: train, validation, test)" in error_of(resolve, "ptb:dev")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ptb").mkdir()
    (tmp_path / "notes.txt").write_text("hi\n")
    (tmp_path / "a:b.txt").write_text("colon\n")
    assert resolve("ptb").kind == "dataset"  # a name beats a same-named folder...
    assert resolve("./ptb") == Source("folder", "./ptb", path=Path("ptb"))  # ...unless ./
    assert resolve("notes.txt") == Source("file", "notes.txt", path=Path("notes.txt"))
    assert resolve("a:b.txt").kind == "file"  # a colon after no dataset name is a path
    assert resolve(str(tmp_path / "notes.txt")).path == tmp_path / "notes.txt"


def test_a_pathlike_is_always_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert error_of(resolve, Path("ptb")) == "no such file or folder: 'ptb'"
    (tmp_path / "ptb").mkdir()
    assert resolve(Path("ptb")).kind == "folder"

    class Custom(os.PathLike):  # any os.PathLike, not only pathlib
        def __fspath__(self) -> str:
            return "ptb"

    assert resolve(Custom()).kind == "folder"


def test_what_is_neither_is_a_one_line_error_naming_it() -> None:
    message = error_of(resolve, "my corpus.txt")
    assert message.startswith("no such file, folder or dataset: 'my corpus.txt' (datasets: ")
    assert ", ".join(catalog.names()) in message
    assert message.endswith("a one-line text is passed as rnnkit.Text(...))")
    assert "did you mean 'wikitext2'?" in error_of(resolve, "wikitext")
    assert "Text(" not in error_of(resolve, "nope", texts=False)
    assert error_of(resolve, "") == "an empty string names no file, folder or dataset"
    assert error_of(resolve, "x" * 5000).startswith("no such file")  # too long for a path
    not_a_source = "a source is a dataset name, a path or a text, not a bytes"
    assert error_of(resolve, b"bytes") == not_a_source
    assert error_of(resolve, "a\nb", texts=False).startswith("got a text")


def test_training_split() -> None:
    assert resolve("ptb").training() == Source("dataset", "ptb", "train")
    assert resolve("ptb:test").training().split == "test"
    assert resolve("imdb-unsup").training().split == "unsup"  # no train split: the first one
    assert resolve("imdb-unsup").training().label == "imdb-unsup:unsup"
    assert resolve("a\n").training().kind == "text"


def test_readers_on_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"text": "first review", "label": 1}, {"text": "second", "label": 0}]
    toy = Dataset("toyrev", "toy", "CC0", (), ("train",), lambda paths: {"train": rows})
    monkeypatch.setitem(catalog.DATASETS, "toyrev", toy)
    assert "".join(read_chunks(resolve("toyrev"))) == "first review\nsecond\n"
    assert "holds records or tables" in error_of(read_corpus, "toyrev")
    assert read_splits("toyrev:train") is None and read_splits("a\nb") is None
    splits = read_splits("shakespeare")
    assert splits is not None and splits["validation"].source == "shakespeare:validation"
    assert "holds no text (it is a table)" in error_of(lambda: list(read_chunks(resolve("nile"))))


def test_folders_skip_hidden_files_and_keep_files_apart(tmp_path: Path) -> None:
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"second"))
    (tmp_path / "a.txt").write_text("first")  # no final newline
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("never read")
    assert "".join(read_chunks(resolve(tmp_path))) == "first\nsecond"


def test_every_capability_names_a_missing_source_the_same_way(tmp_path: Path) -> None:
    expected = "no such file, folder or dataset: 'nope.csv' (datasets: "
    messages = [
        error_of(read_corpus, "nope.csv"),
        error_of(write_sentences, "nope.csv", tmp_path / "s.txt"),
        error_of(read_labelled, "nope.csv"),
        error_of(load_series, "nope.csv"),
    ]
    assert all(m.startswith(expected) for m in messages), messages
    gone = tmp_path / "gone"
    paths = [
        error_of(read_corpus, gone),
        error_of(write_sentences, gone, tmp_path / "s.txt"),
        error_of(read_labelled, gone),
        error_of(load_series, gone),
    ]
    assert paths == [f"no such file or folder: '{gone}'"] * 4


def test_every_capability_reads_gzip(tmp_path: Path) -> None:
    text = tmp_path / "t.txt.gz"
    text.write_bytes(gzip.compress(b"the cat sat\n"))
    assert read_corpus(text).text == "the cat sat\n"
    assert write_sentences(text, tmp_path / "s.txt").words == 3
    labelled = tmp_path / "r.jsonl.gz"
    labelled.write_bytes(gzip.compress(json.dumps({"text": "ok", "label": 1}).encode()))
    assert read_labelled(labelled).labels == [1]
    series = tmp_path / "s.csv.gz"
    series.write_bytes(gzip.compress(b"t,v\n1,1\n2,2\n3,3\n"))
    assert len(load_series(series, season=1)) == 3
