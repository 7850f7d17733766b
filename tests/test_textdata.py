"""Labelled texts: every source kind, every user error, the LM corpus and the validation split.

All data is written into tmp_path; registry datasets are faked with a tiny mirror (the real
records' shape, our own checksums) and the network is never used.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import tarfile
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from rnnkit.data import catalog, registry
from rnnkit.data.labelled import Labelled, read_labelled, split_validation
from rnnkit.data.registry import DataFile, Dataset
from rnnkit.errors import RnnkitError


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty cache, no mirror from the environment, no memoised hashes, no network."""
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNKIT_DATA", raising=False)
    monkeypatch.setattr(registry, "_HASHES", {})

    def refuse(url: str, timeout: float = 0) -> None:
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(source: str | Path, **kwargs: str) -> str:
    """The one-line message that reading ``source`` raises."""
    with pytest.raises(RnnkitError) as err:
        read_labelled(source, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------
# Files and folders


def test_csv_with_detected_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.csv",
        '\ufeffid,Review,Sentiment\n1,"Loved it, truly.",pos\n2,"Two\nlines",neg \n3,NA,1\n',
    )
    data = read_labelled(path)
    assert data.texts == ["Loved it, truly.", "Two\nlines", "NA"]  # "NA" is text, not missing
    assert data.labels == ["pos", "neg", "1"]  # strings, spaces stripped
    assert data.source == str(path) and len(data) == 3


def test_csv_with_explicit_columns_and_tsv(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "body,stars,text\nGood.,5,ignored\nBad.,1,ignored\n")
    data = read_labelled(path, text_column="BODY", label_column="stars")  # case-insensitive
    assert (data.texts, data.labels) == (["Good.", "Bad."], ["5", "1"])
    tsv = write(tmp_path / "r.tsv", "sentence\tlabel\nit's, fine\t1\nmeh\t0\n")
    assert read_labelled(tsv).texts == ["it's, fine", "meh"]
    gz = tmp_path / "r.tsv.gz"
    gz.write_bytes(gzip.compress(tsv.read_bytes()))
    assert read_labelled(gz).labels == ["1", "0"]


def test_jsonl_keeps_int_labels_and_reads_gzip(tmp_path: Path) -> None:
    rows = [{"text": "Fine\u2028film.", "label": 1}, {"text": "Poor.", "label": 0, "x": 2}]
    lines = "\n\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"  # blank lines
    data = read_labelled(write(tmp_path / "r.jsonl", lines))
    assert (data.texts, data.labels) == (["Fine\u2028film.", "Poor."], [1, 0])
    (tmp_path / "r.json.gz").write_bytes(gzip.compress(lines.encode()))
    assert read_labelled(tmp_path / "r.json.gz").labels == [1, 0]
    named = write(tmp_path / "n.jsonl", '{"Content": "Hi", "Category": "greet"}\n')
    assert read_labelled(named).labels == ["greet"]


def test_folder_per_class(tmp_path: Path) -> None:
    write(tmp_path / "pos" / "b.txt", "Great!")
    write(tmp_path / "pos" / "a.txt", "\ufeffSuperb.\r\n")
    write(tmp_path / "neg" / "1.txt", "Awful.")
    write(tmp_path / "neg" / "notes.md", "not a text")
    write(tmp_path / ".hidden" / "x.txt", "skipped")
    write(tmp_path / "top.txt", "not in a class folder")
    data = read_labelled(tmp_path)
    assert data.texts == ["Awful.", "Superb.\n", "Great!"]
    assert data.labels == ["neg", "pos", "pos"]


def test_folder_errors(tmp_path: Path) -> None:
    write(tmp_path / "only" / "neg" / "1.txt", "A single class is the caller's to refuse.")
    assert read_labelled(tmp_path / "only").labels == ["neg"]
    write(tmp_path / "flat" / "a.txt", "no class folders")
    assert "no .txt files in class subfolders" in error_of(tmp_path / "flat")
    write(tmp_path / "blank" / "pos" / "a.txt", "Good.")
    write(tmp_path / "blank" / "neg" / "b.txt", "  \n")
    message = error_of(tmp_path / "blank")
    assert "has 1 empty or whitespace-only text: neg/b.txt" in message


# ---------------------------------------------------------------------------------------------
# Registry datasets


def fake_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, splits: dict[str, list[dict]]
) -> Path:
    """Register ``name`` as a jsonl dataset served by a tiny mirror (our own sha256s)."""
    mirror = tmp_path / "mirror"
    files = []
    for split, rows in splits.items():
        blob = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
        path = mirror / name / f"{split}.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        sha = hashlib.sha256(blob).hexdigest()
        files.append(DataFile(f"{name}/{split}.jsonl.gz", None, sha, gz_ok=False))

    def load(paths: list[Path]) -> dict[str, list[dict]]:
        return {split: catalog._read_jsonl(p) for split, p in zip(splits, paths, strict=True)}

    fake = Dataset(name, "fake", "CC0", tuple(files), tuple(splits), load)
    monkeypatch.setitem(catalog.DATASETS, name, fake)
    monkeypatch.setenv("RNNKIT_DATA", str(mirror))
    return mirror


def test_imdb_labels_become_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train = [{"text": "Bad.", "label": 0, "rating": 2, "id": 0}]
    test = [{"text": "Good.", "label": 1, "rating": 9, "id": 0}]
    fake_dataset(tmp_path, monkeypatch, "imdb", {"train": train, "test": test})
    for source, texts, labels in (
        ("imdb", ["Bad."], ["neg"]),  # the train split by default
        ("imdb:train", ["Bad."], ["neg"]),
        ("imdb:test", ["Good."], ["pos"]),
    ):
        data = read_labelled(source)
        assert (data.texts, data.labels) == (texts, labels)
    assert read_labelled("imdb:test").source == "imdb:test"
    assert "no split 'valid'" in error_of("imdb:valid")


def test_registry_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_of("imbd").startswith(
        "no such file, folder or dataset: 'imbd' (did you mean 'imdb'?) (datasets: alice, "
    )
    assert "Text(" not in error_of("imbd")  # labelled data is never a bare text
    assert error_of("imdb\n").startswith("got a text (a string with a line break)")
    fake_dataset(tmp_path, monkeypatch, "unlabelled", {"unsup": [{"text": "x", "id": 0}]})
    assert error_of("unlabelled").startswith("dataset unlabelled has no labels")
    toy = dataclasses.replace(
        catalog.DATASETS["unlabelled"], splits=("train",), loader=lambda paths: {"train": "x"}
    )
    monkeypatch.setitem(catalog.DATASETS, "toytext", toy)
    assert "dataset toytext has no labels" in error_of("toytext")
    blank = [{"text": "ok", "label": 1}, {"text": " ", "label": 0}]
    fake_dataset(tmp_path, monkeypatch, "blanky", {"train": blank})
    assert "blanky:train has 1 empty or whitespace-only text: record 2" in error_of("blanky")


# ---------------------------------------------------------------------------------------------
# User errors in files


def test_missing_path_and_unsupported_file(tmp_path: Path) -> None:
    assert error_of(tmp_path / "absent.csv") == f"no such file or folder: '{tmp_path}/absent.csv'"
    assert error_of("reviews.csv").startswith("no such file, folder or dataset: 'reviews.csv'")
    write(tmp_path / "notes.txt", "a\tb\n")
    assert "give a .csv, .tsv, .jsonl or .json file" in error_of(tmp_path / "notes.txt")


def test_missing_columns_name_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "body,stars\nGood.,5\n")
    message = error_of(path)
    assert "has no text column (looked for text, review, sentence, content, document" in message
    assert "its columns: 'body', 'stars'" in message and "text_column=" in message
    message = error_of(path, text_column="body")
    assert "has no label column" in message and "'body', 'stars'" in message
    message = error_of(path, text_column="body", label_column="grade")
    assert "has no column 'grade' for the label (its columns: 'body', 'stars')" in message
    jsonl = write(tmp_path / "r.jsonl", '{"review": "Good."}\n')
    assert "no label column" in error_of(jsonl) and "its columns: 'review'" in error_of(jsonl)


def test_empty_texts_are_named_by_row(tmp_path: Path) -> None:
    rows = ["ok,1"] + [",1"] * 3 + ["ok,0", " ,0", '"\n",0', "  ,1"]
    path = write(tmp_path / "r.csv", "text,label\n" + "\n".join(rows) + "\n")
    message = error_of(path)
    assert message == (
        f"{path} has 6 empty or whitespace-only texts: data row 2, data row 3, data row 4, "
        "data row 6, data row 7 and 1 more (remove or fix them)"
    )
    lines = '{"text": "ok", "label": 1}\n{"text": "", "label": 1}\n\n{"label": 0}\n'
    message = error_of(write(tmp_path / "r.jsonl", lines))
    assert "has 2 empty or whitespace-only texts: line 2, line 4 (" in message


def test_missing_labels_and_zero_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "text,label\nGood.,pos\nBad., \n")
    assert "has 1 missing or empty label: data row 2" in error_of(path)
    lines = '{"text": "a", "label": 1}\n{"text": "b"}\n{"text": "c", "label": null}\n'
    message = error_of(write(tmp_path / "r.jsonl", lines))
    assert "2 missing or empty labels: line 2, line 3" in message
    assert "has no rows" in error_of(write(tmp_path / "h.csv", "text,label\n"))
    assert "is empty" in error_of(write(tmp_path / "e.csv", ""))
    assert "has no rows" in error_of(write(tmp_path / "e.jsonl", "\n\n"))


def test_bad_json_lines(tmp_path: Path) -> None:
    lines = '{"text": "a", "label": 1}\n{"text": "b", "label": 0,}\n'
    message = error_of(write(tmp_path / "r.jsonl", lines))
    assert message.startswith(f"{tmp_path}/r.jsonl line 2 is not valid JSON")
    assert "line 1 holds a list" in error_of(write(tmp_path / "l.jsonl", '["a", 1]\n'))
    bad = '{"text": "a", "label": 1.5}\n'
    assert "line 1: a label must be a string or an integer, not 1.5" in error_of(
        write(tmp_path / "f.jsonl", bad)
    )
    assert "line 1: the text must be a string" in error_of(
        write(tmp_path / "t.jsonl", '{"text": 3, "label": 1}\n')
    )
    mixed = '{"text": "a", "label": 1}\n{"text": "b", "label": "1"}\n'
    assert "mixes integer and string labels (1 in line 1, '1' in line 2)" in error_of(
        write(tmp_path / "m.jsonl", mixed)
    )


def test_other_encodings_are_named(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("text,label\nCafé,pos\n".encode("latin-1"))
    message = error_of(path)
    assert message.startswith(f"{path} is not valid utf-8 at byte 14 (line 2)")
    assert "encoding=" in message
    assert read_labelled(path, encoding="latin-1").texts == ["Café"]
    (tmp_path / "pos").mkdir()
    (tmp_path / "pos" / "a.txt").write_bytes(b"\xff\xfe")
    assert f"{tmp_path}/pos/a.txt is not valid utf-8" in error_of(tmp_path)
    assert "unknown encoding 'klingon'" in error_of(path, encoding="klingon")
    (tmp_path / "z.jsonl.gz").write_bytes(b"not gzip")
    assert error_of(tmp_path / "z.jsonl.gz").startswith(f"cannot read {tmp_path}/z.jsonl.gz")


def test_malformed_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "text,label\na,1\nb,2,3\n")
    assert "cannot read" in error_of(path) and "Expected 2 fields in line 3" in error_of(path)


def test_labelled_checks_lengths() -> None:
    with pytest.raises(RnnkitError, match="2 texts but 1 labels"):
        Labelled(["a", "b"], ["x"], "here")


# ---------------------------------------------------------------------------------------------
# Validation split


def sample(n_pos: int, n_neg: int) -> Labelled:
    labels = ["pos"] * n_pos + ["neg"] * n_neg
    return Labelled([f"review {i}" for i in range(len(labels))], labels, "sample")


def test_split_is_stratified_and_deterministic() -> None:
    data = sample(80, 20)
    train, valid = split_validation(data, 0.1, seed=3)
    assert (len(train), len(valid)) == (90, 10)
    assert Counter(valid.labels) == {"pos": 8, "neg": 2}
    assert sorted(train.texts + valid.texts) == sorted(data.texts)
    assert (
        dict(zip(valid.texts, valid.labels, strict=True)).items()
        <= dict(zip(data.texts, data.labels, strict=True)).items()
    )  # each text keeps its label
    again = split_validation(data, 0.1, seed=3)
    assert (again[0].texts, again[1].texts) == (train.texts, valid.texts)
    assert split_validation(data, 0.1, seed=4)[1].texts != valid.texts
    assert valid.source == "sample (validation part)"


def test_split_falls_back_when_stratifying_is_impossible() -> None:
    train, valid = split_validation(sample(9, 1), 0.2, seed=0)  # one "neg": cannot stratify
    assert (len(train), len(valid)) == (8, 2)
    three = Labelled(["a", "b", "c", "d"], ["x", "x", "y", "z"], "three classes")
    assert len(split_validation(three, 0.25, seed=0)[1]) == 1  # fewer rows than classes


def test_split_sizes_and_errors() -> None:
    assert [len(part) for part in split_validation(sample(5, 5), 0.001, seed=0)] == [9, 1]
    assert [len(part) for part in split_validation(sample(1, 1), 0.99, seed=0)] == [1, 1]
    for fraction in (0, 1, 1.5, -0.1, float("nan")):
        with pytest.raises(RnnkitError, match="fraction must be between 0 and 1"):
            split_validation(sample(5, 5), fraction, seed=0)
    with pytest.raises(RnnkitError, match="sample has 1 row"):
        split_validation(sample(1, 0), 0.5, seed=0)


# ---------------------------------------------------------------------------------------------
# The imdb-unsup registry entry


def test_imdb_unsup_entry_reads_jsonl_and_tarball(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = catalog.DATASETS["imdb-unsup"]
    assert entry.splits == ("unsup",) and entry.files[0].name == "imdb/unsup.jsonl.gz"
    assert entry.fallback is not None and entry.fallback.url == (
        "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    )
    rows = [{"text": "Unlabelled.", "id": 0}]
    jsonl = tmp_path / "unsup.jsonl.gz"
    jsonl.write_bytes(gzip.compress(json.dumps(rows[0]).encode() + b"\n"))
    assert catalog._load_imdb_unsup([jsonl]) == {"unsup": rows}
    tarball = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, text in (
            ("aclImdb/train/unsup/10_0.txt", "ten"),
            ("aclImdb/train/unsup/2_0.txt", "two"),
            ("aclImdb/train/pos/0_9.txt", "labelled"),
        ):
            member = tarfile.TarInfo(name)
            member.size = len(text)
            tar.addfile(member, io.BytesIO(text.encode()))
    with pytest.raises(RnnkitError, match="holds 2 unlabelled reviews, expected 50000"):
        catalog._load_imdb_unsup([tarball])
    monkeypatch.setattr(catalog, "_IMDB_UNSUP_REVIEWS", 2)
    assert catalog._load_imdb_unsup([tarball]) == {
        "unsup": [{"text": "two", "id": 2}, {"text": "ten", "id": 10}]
    }
