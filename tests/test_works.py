"""The ``shakespeare-works`` data set: the 44 works, the clean view, splits that cannot leak."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner

from rnnkit import RnnkitError, TextClassifier
from rnnkit.data import catalog, works
from rnnkit.data.cli import data
from rnnkit.data.labelled import read_labelled
from rnnkit.data.sources import read_corpus

#: A speaker's name at the start of a line, inline (``  KING JOHN. Now, say``) or alone on
#: its line (``HAMLET.``, ``2. QUEEN``): a capital word of two letters or more, optionally
#: numbered, more capital words after it, then a full stop or the end of the line.
SPEAKER = re.compile(r"^\s*(?:\d+\.\s*)?[A-Z][A-Z'’-]*[A-Z](?:\s+[A-Z][A-Z'’-]*)*(?:\.|\s*$)")
#: A speaker's name in the corpus (either layout), to find every name the plays use.
NAME_IN_CORPUS = re.compile(r"^ {0,6}((?:\d\. ?)?[A-Z][A-Z'’-]+(?: [A-Z][A-Z'’-]+)*)\.(?: |$)")


@pytest.fixture(scope="module")
def corpus() -> str:
    return read_corpus("shakespeare").text


def _contents(corpus: str) -> list[str]:
    """The titles of the Contents list, read here independently of the parser."""
    listed = corpus.split("Contents", 1)[1].split("\n\n\nTHE SONNETS", 1)[0]
    return [line.strip() for line in listed.splitlines() if line.strip()]


def _words(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# The 44 works


def test_all_44_titles_in_contents_order_with_their_genres(corpus: str) -> None:
    titles = [w.title for w in works.works()]
    assert titles == _contents(corpus)
    assert len(titles) == 44
    genres = Counter(w.genre for w in works.works())
    assert genres == {
        "comedy": 12,
        "history": 10,
        "tragedy": 11,
        "romance": 5,
        "sonnets": 1,
        "poem": 5,
    }
    genre = {w.title: w.genre for w in works.works()}
    assert genre["THE TEMPEST"] == genre["CYMBELINE"] == genre["THE TWO NOBLE KINSMEN"] == "romance"
    assert genre["THE HISTORY OF TROILUS AND CRESSIDA"] == "tragedy"
    assert genre["KING JOHN"] == "history"
    assert genre["TWELFTH NIGHT; OR, WHAT YOU WILL"] == "comedy"
    assert genre["VENUS AND ADONIS"] == genre["A LOVER’S COMPLAINT"] == "poem"


def test_the_works_cover_the_corpus_after_its_contents_list(corpus: str) -> None:
    """Cover: the works' texts, in order, are the corpus from the first work on, character for
    character, so every line after the Contents list is in exactly one work; only the front
    matter (title, author, Contents list) is in none."""
    whole = "".join(w.text for w in works.works())
    front = corpus[: len(corpus) - len(whole)]
    assert corpus.endswith(whole)
    assert front.rstrip().endswith("VENUS AND ADONIS")  # the last entry of the Contents list
    assert len(front.splitlines()) < 100


def test_each_work_starts_at_its_heading_or_the_year_above_it() -> None:
    for w in works.works():
        head = [line for line in w.text.splitlines() if line.strip()][:2]
        title_line = head[1] if re.fullmatch(r"\d{4}", head[0]) else head[0]
        assert title_line.strip().startswith(w.title), w.title


def test_the_pitfalls_of_the_headings() -> None:
    by_title = {w.title: w for w in works.works()}
    assert by_title["THE TWO NOBLE KINSMEN"].text.startswith("THE TWO NOBLE KINSMEN:\n")
    # The Tempest's act heading runs into its title, inside the work, not a new one.
    assert "\nTHE TEMPEST ACT I. SCENE 1\n" in by_title["THE TEMPEST"].text
    # A title repeated as the first cast entry starts no work: the play is whole.
    for title in ("KING HENRY THE EIGHTH", "KING JOHN", "KING RICHARD THE SECOND"):
        assert re.search(rf"\n +{title}\n", by_title[title].text[:500])
        assert len(by_title[title].text) > 100_000
    # THE END / FINIS stay with the work they end; the year above a play belongs to it.
    assert by_title["ALL’S WELL THAT ENDS WELL"].text.rstrip().endswith("THE END")
    assert by_title["VENUS AND ADONIS"].text.rstrip().endswith("FINIS")
    assert by_title["THE TRAGEDY OF ANTONY AND CLEOPATRA"].text.startswith("1607\n")


def test_a_corpus_without_its_contents_list_is_one_line_error() -> None:
    with pytest.raises(RnnkitError, match="no Contents list"):
        works.split_works("The Complete Works\n\nTHE SONNETS\n")
    with pytest.raises(RnnkitError, match="not the 44 works"):
        works.split_works("Contents\n\n   THE SONNETS\n\nTHE SONNETS\n")


# ---------------------------------------------------------------------------------------------
# The clean view


def _speaker_names(corpus: str) -> set[str]:
    names = {m.group(1) for line in corpus.splitlines() if (m := NAME_IN_CORPUS.match(line))}
    return {n for n in names if not n.startswith(("ACT", "SCENE", "THE END"))}


def test_no_clean_text_or_passage_holds_a_speaker_prefix(corpus: str) -> None:
    clean = [w.clean for w in works.works()]
    passages = [r["text"] for s in works.SPLITS for r in works.records(s, 200)]
    for text in [*clean, *passages]:
        found = [line for line in text.splitlines() if SPEAKER.match(line)]
        assert not found, found[:3]
    # Nor a speaker's name with its full stop anywhere inside a line (a name run into a line).
    names = _speaker_names(corpus)
    assert {"HAMLET", "KING JOHN", "2. QUEEN", "ANTIPHOLUS OF SYRACUSE"} <= names
    capitals = re.compile(r"(?:\d\.\s?)?[A-Z][A-Z'’-]+(?:\s[A-Z][A-Z'’-]+)*\.")
    plays = [w.clean for w in works.works() if w.genre not in ("sonnets", "poem")]
    assert not [m for text in plays for m in capitals.findall(text) if m[:-1] in names]


def test_the_clean_view_has_no_directions_headings_numbers_or_typography() -> None:
    for w in works.works():
        lines = w.clean.splitlines()
        assert all(line and line == line.strip() and "  " not in line for line in lines)
        assert not re.search(r"[’‘“”—–_\[]", w.clean), w.title
        assert not [
            line for line in lines if re.match(r"(?:Enter|Exit|Exeunt|ACT|SCENE)\b(?!,)", line)
        ]
        assert not [line for line in lines if re.search(r"\s(?:Exit|Exeunt)$|\d\s*$", line)]
        assert not [line for line in lines if re.fullmatch(r"(?:[IVXLC]{2,}|[VXLC]|\d+)\.?", line)]


def test_the_clean_view_keeps_the_words_and_the_line_breaks() -> None:
    by_title = {w.title: w for w in works.works()}
    hamlet = by_title["THE TRAGEDY OF HAMLET, PRINCE OF DENMARK"].clean
    assert "To be, or not to be, that is the question:\nWhether 'tis nobler" in hamlet
    assert "Shall I compare thee to a summer's day?" in by_title["THE SONNETS"].clean
    # Both layouts: inline names (King John) and names on their own line (Hamlet).
    assert "Now, say, Chatillon, what would France with us?" in by_title["KING JOHN"].clean
    assert "Who's there?\nNay, answer me. Stand and unfold yourself." in hamlet
    for w in works.works():  # the clean view is most of each work, not a remnant
        assert len(w.clean) > 0.7 * len(w.text), w.title


# ---------------------------------------------------------------------------------------------
# Blocks and passages


def test_no_passage_crosses_a_block_or_reaches_into_its_gap() -> None:
    for w in works.works()[:12]:
        for split in works.SPLITS:
            for block in works.blocks(w, split):
                for text in works.cut(block, 500):
                    at = block.find(text)
                    assert at >= 0 and at + len(text) <= len(block) - works.GAP_CHARS


def test_the_splits_share_no_text_and_every_work_is_cut_in_cycles_of_ten() -> None:
    for w in works.works():
        parts = {s: works.blocks(w, s) for s in works.SPLITS}
        counts = {s: len(b) for s, b in parts.items()}
        assert counts["train"] == 8 * counts["validation"] == 8 * counts["test"] > 0
        lines = {
            s: {line for b in blocks for line in b.splitlines() if len(line) > 30}
            for s, blocks in parts.items()
        }
        # Long lines hardly ever repeat across a play: a shared one would be a leak.
        shared = (lines["train"] & lines["test"]) | (lines["train"] & lines["validation"])
        assert len(shared) <= 3, (w.title, sorted(shared)[:3])


def test_both_views_cut_the_same_blocks() -> None:
    w = works.works()[15]  # King John, names inline
    for clean, raw in zip(
        works.blocks(w, "test"), works.blocks(w, "test", clean=False), strict=True
    ):
        assert _words(clean.splitlines()[0]) in _words(raw.replace("’", "'"))
        assert _words(clean.splitlines()[-1]) in _words(raw.replace("’", "'"))
    assert "KING JOHN." in "".join(works.blocks(w, "train", clean=False))


@pytest.mark.parametrize("n", [37, 200, 500, 2000])
def test_passages_have_the_requested_length(n: int) -> None:
    """Tolerance: a passage ends at whitespace in its last tenth, so it holds between 90 %
    and 100 % of passage_chars characters, and starts at a non-space."""
    texts = [r["text"] for s in works.SPLITS for r in works.records(s, n)]
    assert texts
    assert all(math.ceil(0.9 * n) <= len(t) <= n and not t[0].isspace() for t in texts)


def test_passages_and_records_are_deterministic_and_labelled() -> None:
    first = works.passages("validation", 500, target="genre")
    assert first == works.passages("validation", 500, target="genre")
    assert set(first.labels) == {"comedy", "history", "tragedy", "romance", "sonnets", "poem"}
    by_work = works.passages("validation", 500)
    assert by_work.texts == first.texts
    assert set(by_work.labels) <= set(works.GENRES)
    records = works.records("test", 2000)
    assert records == works.records("test", 2000)
    assert all(r["label"] == r["title"] and r["genre"] == works.GENRES[r["title"]] for r in records)
    raw = works.passages("test", 500, clean=False)
    assert any(SPEAKER.match(line) for t in raw.texts for line in t.splitlines())


def test_split_works_is_a_pure_function_of_the_text(corpus: str) -> None:
    again = works.split_works(corpus)
    assert [(w.title, w.text, w.clean) for w in again] == [
        (w.title, w.text, w.clean) for w in works.works()
    ]


# ---------------------------------------------------------------------------------------------
# Folds of whole works, and other editions


@pytest.mark.parametrize(("k", "genres"), [(5, works.DRAMA), (4, None), (2, ("poem",))])
def test_folds_hold_out_whole_works_and_spread_every_genre(k: int, genres: Any) -> None:
    parts = works.folds(k, genres)
    titles = [t for part in parts for t in part]
    chosen = [w.title for w in works.works() if genres is None or w.genre in genres]
    assert sorted(titles) == sorted(chosen)  # every work once: none in two folds
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    for genre in {works.GENRES[t] for t in titles}:
        per_fold = [sum(works.GENRES[t] == genre for t in part) for part in parts]
        assert max(per_fold) - min(per_fold) <= 1, genre  # a genre never piles up in one fold
    assert works.folds(k, genres) == parts


def test_verse_is_the_sonnets_and_poems() -> None:
    verse = [w.title for w in works.works() if works.form(w.genre) == "verse"]
    assert len(verse) == 6 and "THE SONNETS" in verse and "VENUS AND ADONIS" in verse


def test_a_retypeset_passage_keeps_its_words_in_another_typography() -> None:
    text = works.passages("test", 500).texts[7]
    every = works.retypeset(text, "all")
    assert every == every.lower() and every.isascii() and not re.search(r"[;:\"]", every)
    assert all(len(line) <= works.EDITION_WIDTH for line in every.splitlines())
    lines = works.retypeset(text, "lines")
    assert lines.split() == text.split() and lines.splitlines() != text.splitlines()
    assert works.retypeset(text, "lowercase") == text.lower()
    # Hyphens become spaces, the rest of the words stay as they were.
    modern = works.retypeset(text, "punctuation")
    assert re.sub(r"\W", "", modern) == re.sub(r"\W", "", text.replace("’", "'"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: works.folds(1), "folds must be a whole number from 2 to 44"),
        (lambda: works.folds(7, ("sonnets",)), "from 2 to 1"),
        (lambda: works.retypeset("text", "modern"), "edition must be one of"),
        (lambda: works.passages("dev"), "no split 'dev'"),
        (lambda: works.passages("train", 0), "positive integer"),
        (lambda: works.passages("train", 2.5), "positive integer"),  # type: ignore[arg-type]
        (lambda: works.passages("train", target="author"), "target must be"),
        (lambda: works.blocks(works.works()[0], "tests"), "no split 'tests'"),
    ],
)
def test_bad_input_is_a_one_line_error(call: Any, message: str) -> None:
    with pytest.raises(RnnkitError, match=message) as err:
        call()
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# Through the registry and the classifier


def test_the_registry_name_gives_the_records_of_500_characters() -> None:
    splits = catalog.load("shakespeare-works")
    assert sorted(splits) == sorted(works.SPLITS)
    assert splits["test"] == works.records("test", works.DEFAULT_PASSAGE_CHARS)
    assert set(splits["train"][0]) == {"text", "label", "title", "genre"}
    labelled = read_labelled("shakespeare-works:validation")
    assert labelled.texts == [r["text"] for r in splits["validation"]]
    assert labelled.labels[0] == "THE SONNETS"
    with pytest.raises(RnnkitError, match="no split"):
        catalog.load("shakespeare-works", "dev")


def test_data_info_describes_it() -> None:
    result = CliRunner().invoke(data, ["info", "shakespeare-works"])
    assert result.exit_code == 0, result.output
    assert "public domain" in result.output
    assert "['train', 'validation', 'test']" in result.output
    assert "shakespeare-works" in CliRunner().invoke(data, ["list"]).output


def test_a_classifier_reads_the_registry_name() -> None:
    settings = {"hidden_size": 8, "embed_size": 8, "batch_size": 8, "max_vocab": 2000}
    clf = TextClassifier(**settings).fit("shakespeare-works", steps=2, quiet=True)
    assert set(clf.classes_) <= set(works.GENRES)
    assert len(clf.classes_) >= 40  # the shortest poems give no 500-character passages
    assert clf.predict(["Shall I compare thee to a summer's day?"])[0] in clf.classes_
