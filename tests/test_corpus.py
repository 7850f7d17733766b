"""Corpus reading: the bundled Shakespeare, files, folders, strings, and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnkit.data.sources import read_corpus
from rnnkit.errors import RnnkitError


def test_bundled_shakespeare_is_clean() -> None:
    text = read_corpus("shakespeare").text
    assert len(text) > 5_000_000
    assert "\ufeff" not in text and "\r" not in text
    assert "GUTENBERG" not in text.upper().split("FINIS")[0][:2000]
    assert "START OF THIS PROJECT" not in text and "END OF THIS PROJECT" not in text
    assert text.startswith("The Complete Works of William Shakespeare")
    assert "From fairest creatures we desire increase" in text
    assert text.rstrip().endswith("FINIS")


def test_file_folder_and_string(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbfsecond\r\nfile\r\n")
    (tmp_path / "a.txt").write_text("first file\n", encoding="utf-8")
    (tmp_path / ".hidden").write_text("never read\n", encoding="utf-8")
    assert read_corpus(tmp_path / "b.txt").text == "second\nfile\n"
    assert read_corpus(str(tmp_path)).text == "first file\n\nsecond\nfile\n"
    assert read_corpus("some literal text").text == "some literal text"
    assert read_corpus("line one\r\nline two").source == "<string>"


def test_other_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    with pytest.raises(RnnkitError, match=r"not valid utf-8 at byte 3 \(line 1\).*--encoding"):
        read_corpus(path)
    assert read_corpus(path, encoding="latin-1").text == "café crème\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n ", "is empty"),
        (b"PK\x03\x04\x00\x00binary", "looks binary \\(NUL byte at offset 4\\)"),
        (b"ok\nthen \xff\xfe bad", "not valid utf-8 at byte 8 \\(line 2\\)"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(RnnkitError, match=message):
        read_corpus(path)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match=r"no such file, folder or bundled corpus: 'nope\.txt'"):
        read_corpus("nope.txt")
    with pytest.raises(RnnkitError, match="contains no files"):
        read_corpus(tmp_path)
    with pytest.raises(RnnkitError, match="unknown encoding"):
        (tmp_path / "x.txt").write_text("x\n")
        read_corpus(tmp_path / "x.txt", encoding="klingon")
