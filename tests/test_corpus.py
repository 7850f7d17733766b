"""Corpus reading: the bundled Shakespeare, files, folders, .gz, strings, and every bad input.

The rule for what a source is lives in rnnkit.data.sources; tests/test_sources.py tests its
edges, this file what read_corpus makes of each kind.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rnnkit.data.sources import Text, read_corpus
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
    assert read_corpus(Text("some literal text")).text == "some literal text"
    assert read_corpus("line one\r\nline two").source == "<string>"
    assert read_corpus("line one\r\nline two").text == "line one\nline two"


def test_gzipped_file_reads_like_the_plain_one(tmp_path: Path) -> None:
    plain = b"\xef\xbb\xbf" + b"first\r\nsecond line\r\n" * 1000
    (tmp_path / "c.txt").write_bytes(plain)
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(plain))
    (tmp_path / "unnamed").write_bytes(gzip.compress(plain))  # found by its magic bytes
    text = read_corpus(tmp_path / "c.txt").text
    assert text.startswith("first\nsecond line\nfirst") and "\r" not in text
    assert read_corpus(str(tmp_path / "c.txt.gz")).text == text
    assert read_corpus(tmp_path / "unnamed").text == text
    assert read_corpus(tmp_path / "c.txt.gz").source == str(tmp_path / "c.txt.gz")


def test_crlf_and_characters_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnnkit.data import textio

    monkeypatch.setattr(textio, "CHUNK_BYTES", 3)  # every CRLF and "é" straddles some cut
    path = tmp_path / "c.txt"
    path.write_bytes("\ufeffab\r\ncdé\r\n\ré\r".encode())
    assert read_corpus(path).text == "ab\ncdé\n\né\n"
    path.write_bytes(b"ok\r\nthen \xff\xfe bad")
    with pytest.raises(RnnkitError, match=r"not valid utf-8 at byte 9 \(line 2\)"):
        read_corpus(path)


def test_other_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    with pytest.raises(RnnkitError, match=r"not valid utf-8 at byte 3 \(line 1\).*--encoding"):
        read_corpus(path)
    assert read_corpus(path, encoding="latin-1").text == "café crème\n"
    wide = tmp_path / "utf16.txt"
    wide.write_bytes("naïve\r\ntext\r\n".encode("utf-16"))  # NUL bytes, BOM: still text
    assert read_corpus(wide, encoding="utf-16").text == "naïve\ntext\n"
    with pytest.raises(RnnkitError, match="looks binary"):
        read_corpus(wide)


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
    with pytest.raises(RnnkitError, match=r"no such file, folder or dataset: 'nope\.txt' \("):
        read_corpus("nope.txt")
    with pytest.raises(RnnkitError, match=r"no such file, folder or dataset: 'my corpus\.txt'"):
        read_corpus("my corpus.txt")  # a name with a space is no longer taken as the text
    with pytest.raises(RnnkitError, match="contains no files"):
        read_corpus(tmp_path)
    (tmp_path / "x.txt").write_text("x\n")
    with pytest.raises(RnnkitError, match="unknown encoding 'klingon'"):
        read_corpus(tmp_path / "x.txt", encoding="klingon")
    with pytest.raises(RnnkitError, match="unknown encoding 'rot13' \\(not a text encoding\\)"):
        read_corpus(tmp_path / "x.txt", encoding="rot13")


def test_corrupt_gzip_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "c.txt.gz"
    path.write_bytes(gzip.compress(b"some words " * 100)[:30])
    with pytest.raises(RnnkitError, match=r"cannot read .*c\.txt\.gz: a truncated or corrupt gzip"):
        read_corpus(path)
