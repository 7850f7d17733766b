"""The dataset registry and catalog: mirror, cache, download, verification, and error messages.

Everything runs on tiny files made in tmp_path; the network is never used (urlopen is replaced).
Two checks read the real shared mirror when it exists.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import re
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rnnkit.data import catalog, registry
from rnnkit.data.registry import DataFile, Dataset
from rnnkit.data.textio import normalise
from rnnkit.errors import RnnkitError

SHARED = Path("/work/shared/data")
TEXT = "one two three four five six seven eight nine ten.\n" * 20  # 1,000 characters
SHA = hashlib.sha256(TEXT.encode()).hexdigest()
URL = "https://example.invalid/toy.txt"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty cache, no mirror from the environment, no memoised hashes, no network."""
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNKIT_DATA", raising=False)
    monkeypatch.setattr(registry, "_HASHES", {})
    offline(monkeypatch)


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str, timeout: float = 0) -> None:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def serve(monkeypatch: pytest.MonkeyPatch, payload: bytes, fail_after: int | None = None) -> None:
    """Make urlopen return ``payload``; with ``fail_after``, time out after that many bytes."""

    class Response(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if fail_after is not None:
                if self.tell() >= fail_after:
                    raise TimeoutError("timed out")
                size = fail_after - self.tell()
            return super().read(size)

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=0: Response(payload))


def register_toy(
    monkeypatch: pytest.MonkeyPatch, sha: str | None = SHA, gz_ok: bool = True
) -> Dataset:
    toy = Dataset(
        name="toy",
        description="a tiny test set",
        license="CC0",
        files=(DataFile("toy/toy.txt", URL, sha, gz_ok=gz_ok),),
        splits=("train", "validation"),
        loader=catalog._load_text_90_10,
    )
    monkeypatch.setitem(catalog.DATASETS, "toy", toy)
    return toy


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_registry_is_complete() -> None:
    assert catalog.names() == [
        "alice",
        "cmudict",
        "co2",
        "dates",
        "elec_equip",
        "etth1",
        "gas_furnace",
        "ice_cream_heater",
        "ili",
        "imdb",
        "imdb-unsup",
        "macrodata",
        "melbourne_temp",
        "milk",
        "nile",
        "nycflights13",
        "ptb",
        "reverse",
        "shakespeare",
        "shakespeare-works",
        "sunspots",
        "tinyshakespeare",
        "us_employment",
        "us_gasoline",
        "visnights",
        "wikitext2",
    ]
    for ds in catalog.DATASETS.values():
        assert ds.description and ds.license and ds.splits
        for f in (*ds.files, *([ds.fallback] if ds.fallback else [])):
            assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256), f.name
            assert f.url is None or f.url.startswith("https://"), f.name
    assert catalog.DATASETS["imdb"].fallback is not None


def test_mirror_file_is_verified_and_read_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_toy(monkeypatch)
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "toy.txt").write_text(TEXT)
    assert catalog.fetch("toy", data_dir=mirror) == [mirror / "toy" / "toy.txt"]
    splits = catalog.load("toy", data_dir=mirror)
    assert (len(splits["train"]), len(splits["validation"])) == (900, 100)
    assert splits["train"] + splits["validation"] == TEXT
    monkeypatch.setenv("RNNKIT_DATA", str(mirror))  # the environment variable works too
    assert catalog.load("toy", split="validation") == TEXT[900:]
    assert files_under(tmp_path / "cache") == []  # nothing copied


def test_gzipped_mirror_file_is_checked_on_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_toy(monkeypatch)
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "toy.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    assert catalog.load("toy", split="train", data_dir=tmp_path) == TEXT[:900]


def test_checksum_mismatch_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_toy(monkeypatch)
    (tmp_path / "toy").mkdir()
    bad = TEXT.replace("ten", "TEN")
    (tmp_path / "toy" / "toy.txt").write_text(bad)
    with pytest.raises(RnnkitError) as err:
        catalog.load("toy", data_dir=tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / "toy" / "toy.txt") in message
    assert SHA in message and hashlib.sha256(bad.encode()).hexdigest() in message


def test_offline_with_nothing_local_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_toy(monkeypatch)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RnnkitError) as err:
        catalog.load("toy", data_dir=tmp_path / "empty")
    message = str(err.value)
    assert "\n" not in message
    assert f"cannot download toy file toy.txt from {URL}" in message
    assert "no network?" in message
    assert str(tmp_path / "cache" / "toy" / "toy.txt") in message
    assert "RNNKIT_DATA (or --data-dir) at a folder holding toy/toy.txt[.gz]" in message


def test_download_goes_to_cache_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_toy(monkeypatch)
    serve(monkeypatch, TEXT.encode())
    cached = tmp_path / "cache" / "toy" / "toy.txt"
    assert catalog.fetch("toy") == [cached]
    assert files_under(tmp_path / "cache") == [cached]
    offline(monkeypatch)
    assert catalog.load("toy", split="validation") == TEXT[900:]  # from the cache, no network
    assert catalog.info("toy")["files"][0]["where"] == str(cached)


def test_corrupt_download_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_toy(monkeypatch)
    serve(monkeypatch, b"<html>captive portal</html>")
    with pytest.raises(RnnkitError, match=f"expected sha256 {SHA}, got [0-9a-f]{{64}}"):
        catalog.fetch("toy")
    assert files_under(tmp_path / "cache") == []


def test_interrupted_download_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_toy(monkeypatch)
    serve(monkeypatch, TEXT.encode(), fail_after=300)
    with pytest.raises(RnnkitError, match="TimeoutError: timed out; no network"):
        catalog.fetch("toy")
    assert files_under(tmp_path / "cache") == []


def test_bad_cache_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_toy(monkeypatch)
    cached = tmp_path / "cache" / "toy" / "toy.txt"
    cached.parent.mkdir(parents=True)
    cached.write_text("truncated")
    with pytest.raises(RnnkitError, match=f"checksum mismatch for {re.escape(str(cached))}"):
        catalog.load("toy")


def test_unknown_names_and_splits() -> None:
    with pytest.raises(RnnkitError, match=r"unknown dataset 'ptbb' \(known: alice, cmudict, co2, "):
        catalog.load("ptbb")
    with pytest.raises(RnnkitError, match="unknown dataset"):
        catalog.info("nope")
    # An unknown split fails before anything is fetched (no network is touched).
    with pytest.raises(RnnkitError, match=r"no split 'valid' \(splits: train, validation, test\)"):
        catalog.load("wikitext2", split="valid")


def test_missing_mirror_folder(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="does not exist"):
        catalog.fetch("ptb", data_dir=tmp_path / "absent")


def test_info_reports_files_and_unpinned_checksums(tmp_path: Path) -> None:
    d = catalog.info("imdb", data_dir=tmp_path)
    assert d["splits"] == ["train", "test"] and "Maas" in d["description"]
    assert [f["where"] for f in d["files"]] == ["not present"] * 3
    tarball = d["files"][-1]
    assert tarball["url"].endswith("aclImdb_v1.tar.gz") and tarball["sha256"] is None
    assert tarball["sha256_of"].startswith("not pinned")
    wiki = catalog.info("wikitext2")["files"][0]
    assert wiki["name"] == "wikitext-2/wiki.train.tokens" and wiki["url"].endswith("/train.txt")
    assert wiki["sha256_of"] == "decompressed content"


def test_shakespeare_is_bundled_and_split_90_10() -> None:
    assert catalog.fetch("shakespeare") == []
    splits = catalog.load("shakespeare")
    total = len(splits["train"]) + len(splits["validation"])
    assert len(splits["train"]) == int(total * 0.9)


def test_gutenberg_header_and_footer_are_stripped() -> None:
    raw = (
        "\ufeffThe Project Gutenberg EBook\r\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\r\n"
        "\r\nCHAPTER I\r\nText.\r\n\r\nEnd of Project Gutenberg's X\r\n\r\n"
        "*** END OF THIS PROJECT GUTENBERG EBOOK X ***\r\nlicense\r\n"
    )
    assert catalog._strip_gutenberg(normalise(raw)) == "CHAPTER I\nText.\n"
    with pytest.raises(RnnkitError, match="START/END"):
        catalog._strip_gutenberg("no markers\n")


REVIEWS = {
    "aclImdb/train/pos/10_9.txt": "Great <br /><br />film.",
    "aclImdb/train/pos/2_7.txt": "Good.",
    "aclImdb/train/neg/0_3.txt": "Bad \u2013 really.",
    "aclImdb/train/unsup/0_0.txt": "unlabelled",
    "aclImdb/test/neg/1_1.txt": "Awful.",
    "aclImdb/README": "readme",
}


def make_aclimdb(path: Path, reviews: dict[str, str]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reviews.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_imdb_tarball_becomes_the_jsonl_records(tmp_path: Path) -> None:
    make_aclimdb(tmp_path / "a.tar.gz", REVIEWS)
    splits = catalog._imdb_from_tarball(tmp_path / "a.tar.gz")
    assert splits["train"] == [
        {"text": "Bad \u2013 really.", "label": 0, "rating": 3, "id": 0},
        {"text": "Good.", "label": 1, "rating": 7, "id": 2},
        {"text": "Great <br /><br />film.", "label": 1, "rating": 9, "id": 10},
    ]
    assert splits["test"] == [{"text": "Awful.", "label": 0, "rating": 1, "id": 1}]
    (tmp_path / "bad.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(RnnkitError, match="not a readable aclImdb tarball"):
        catalog._imdb_from_tarball(tmp_path / "bad.tar.gz")


def test_imdb_falls_back_to_the_tarball(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    balanced = {
        f"aclImdb/{s}/{p}/{i}_{r}.txt": f"{s} {p}"
        for s in ("train", "test")
        for i, (p, r) in enumerate((("neg", 2), ("pos", 8)))
    }
    tarball = tmp_path / "imdb" / "aclImdb_v1.tar.gz"
    tarball.parent.mkdir()
    make_aclimdb(tarball, balanced)
    assert catalog.fetch("imdb", data_dir=tmp_path) == [tarball]  # the jsonl files are absent
    with pytest.raises(RnnkitError, match=r"holds 2 train reviews \(1 positive\), expected 25000"):
        catalog.load("imdb", data_dir=tmp_path)  # the count check stands in for a pinned sha256
    monkeypatch.setattr(catalog, "_IMDB_REVIEWS", 2)
    test = catalog.load("imdb", split="test", data_dir=tmp_path)
    assert [(r["text"], r["label"], r["rating"]) for r in test] == [
        ("test neg", 0, 2),
        ("test pos", 1, 8),
    ]


def test_imdb_jsonl_and_offline_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"text": "Fine.", "label": 1, "rating": 8, "id": 0}]
    (tmp_path / "imdb").mkdir()
    shas = []
    for part in ("train", "test"):
        blob = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
        (tmp_path / "imdb" / f"{part}.jsonl.gz").write_bytes(blob)
        shas.append(hashlib.sha256(blob).hexdigest())
    real = catalog.DATASETS["imdb"]
    files = tuple(
        DataFile(f.name, None, s, gz_ok=False) for f, s in zip(real.files, shas, strict=True)
    )
    monkeypatch.setitem(catalog.DATASETS, "imdb", dataclasses.replace(real, files=files))
    assert catalog.load("imdb", split="test", data_dir=tmp_path) == rows
    with pytest.raises(RnnkitError) as err:
        catalog.load("imdb")  # no mirror, empty cache, offline: the tarball cannot be had
    assert "from https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz" in str(err.value)
    assert "holding imdb/train.jsonl.gz and imdb/test.jsonl.gz" in str(err.value)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_real_tinyshakespeare_split() -> None:
    splits = catalog.load("tinyshakespeare", data_dir=SHARED)
    assert (len(splits["train"]), len(splits["validation"])) == (1_003_854, 111_540)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_real_ptb_validation_and_gzipped_wikitext() -> None:
    assert catalog.load("ptb", split="validation", data_dir=SHARED).count("\n") == 3_370
    valid = catalog.DATASETS["wikitext2"].files[1]  # stored gzipped; pinned on its content
    assert registry._local(valid, SHARED) == SHARED / "wikitext-2" / "wiki.valid.tokens.gz"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_real_nycflights13_tables() -> None:
    tables = catalog.load("nycflights13", data_dir=SHARED)
    assert tables["flights"].shape == (336_776, 19) and tables["airports"].shape == (1_458, 8)
    assert tables["flights"]["arr_delay"].isna().sum() > 0  # cancelled flights
