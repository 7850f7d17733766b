"""The bundled complete works split into its 44 works: the ``shakespeare-works`` data set.

Each :class:`Work` has its ``title`` (as in the corpus's Contents list), its ``genre``, its
``text`` as in the corpus, and a ``clean`` view for classification.

**Genres** follow the First Folio's grouping (comedy, history, tragedy), with the late plays
taken out as **romance** (The Tempest, The Winter's Tale, Cymbeline; Pericles and The Two Noble
Kinsmen, which the Folio leaves out), Troilus and Cressida with the tragedies (where the Folio
prints it), **sonnets** for The Sonnets and **poem** for the other five poems.

**Finding the works.** The titles are read from the Contents list; each work starts at the
first line after the previous work's start that is its title (at most one space of indent,
a trailing colon allowed: The Two Noble Kinsmen; or running into ``ACT I``: The Tempest), so
a title repeated as the first cast entry (Henry VIII, King John, Richard II) or as a speaker
(CYMBELINE.) is never taken for a heading. A four-digit year just above a title (the
edition's date of the play) belongs to that work. The works together hold the corpus from the
first work on, character for character; only the front matter (title, author, Contents) is in
none. ``THE END`` / ``FINIS`` stay with the work they end.

**The clean view** keeps what is spoken (plays) or the verse and its dedications (poems),
one line per line, stripped and with inner runs of spaces single: speaker prefixes (inline
``  NAME. text`` and ``NAME.`` on its own line), stage directions (``[...]``, ``Enter`` /
``Exit`` lines, a trailing ``Exit``), act and scene headings, cast lists and front matter
(never inside a speech), lines of a play with a word in capitals (a stage direction, or a
speaker's name run into the text), a poem's all-capital lines (titles, ``THE END``, sonnet
and section numbers), line numbers, ``_`` italics and blank lines go; curly quotes become
straight ones and dashes ``-``, so neither edition's typography gives a work away. Text
printed outside every speech (a few prologues, choruses and songs) is left out with it.

**Splits that cannot leak.** Each work's clean text is cut at line ends into blocks of about
:data:`BLOCK_CHARS` characters, a multiple of 10 of them; of every 10 consecutive blocks the
5th is ``validation``, the 10th ``test`` and the rest ``train``. Passages are cut from within
one block, never across, leaving the last :data:`GAP_CHARS` of every block unused; a passage
ends at whitespace where one lies in its last tenth, so it holds between 90 % and 100 % of
``passage_chars`` characters (a block's rest shorter than that is left out). The raw view is
cut from the same lines, block for block. Everything is deterministic.

Example:
    >>> hamlet = next(w for w in works() if "HAMLET" in w.title)
    >>> hamlet.genre, "HAMLET." in hamlet.text, "HAMLET." in hamlet.clean
    ('tragedy', True, False)
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, NamedTuple

from rnnkit.data.textio import read_text
from rnnkit.errors import RnnkitError

SPLITS = ("train", "validation", "test")
TARGETS = ("work", "genre")
#: The passage length ``load("shakespeare-works")`` gives (characters).
DEFAULT_PASSAGE_CHARS = 500
#: About how long a block is (characters of clean text); a work has a multiple of 10 blocks.
BLOCK_CHARS = 10_000
#: Characters left unused at the end of every block, so that no passage runs on into another.
GAP_CHARS = 200
#: Of every 10 blocks, which split each is.
_CYCLE = ("train",) * 4 + ("validation",) + ("train",) * 4 + ("test",)
#: The shortest share of ``passage_chars`` a passage may hold (it ends at whitespace).
_MIN_SHARE = 0.9

_COMEDY = (
    "ALL’S WELL THAT ENDS WELL",
    "AS YOU LIKE IT",
    "THE COMEDY OF ERRORS",
    "LOVE’S LABOUR’S LOST",
    "MEASURE FOR MEASURE",
    "THE MERCHANT OF VENICE",
    "THE MERRY WIVES OF WINDSOR",
    "A MIDSUMMER NIGHT’S DREAM",
    "MUCH ADO ABOUT NOTHING",
    "THE TAMING OF THE SHREW",
    "TWELFTH NIGHT; OR, WHAT YOU WILL",
    "THE TWO GENTLEMEN OF VERONA",
)
_HISTORY = (
    "THE FIRST PART OF KING HENRY THE FOURTH",
    "THE SECOND PART OF KING HENRY THE FOURTH",
    "THE LIFE OF KING HENRY THE FIFTH",
    "THE FIRST PART OF HENRY THE SIXTH",
    "THE SECOND PART OF KING HENRY THE SIXTH",
    "THE THIRD PART OF KING HENRY THE SIXTH",
    "KING HENRY THE EIGHTH",
    "KING JOHN",
    "KING RICHARD THE SECOND",
    "KING RICHARD THE THIRD",
)
_TRAGEDY = (
    "THE TRAGEDY OF ANTONY AND CLEOPATRA",
    "THE TRAGEDY OF CORIOLANUS",
    "THE TRAGEDY OF HAMLET, PRINCE OF DENMARK",
    "THE TRAGEDY OF JULIUS CAESAR",
    "THE TRAGEDY OF KING LEAR",
    "THE TRAGEDY OF MACBETH",
    "THE TRAGEDY OF OTHELLO, MOOR OF VENICE",
    "THE TRAGEDY OF ROMEO AND JULIET",
    "THE LIFE OF TIMON OF ATHENS",
    "THE TRAGEDY OF TITUS ANDRONICUS",
    "THE HISTORY OF TROILUS AND CRESSIDA",
)
_ROMANCE = (
    "CYMBELINE",
    "PERICLES, PRINCE OF TYRE",
    "THE TEMPEST",
    "THE TWO NOBLE KINSMEN",
    "THE WINTER’S TALE",
)
_POEM = (
    "A LOVER’S COMPLAINT",
    "THE PASSIONATE PILGRIM",
    "THE PHOENIX AND THE TURTLE",
    "THE RAPE OF LUCRECE",
    "VENUS AND ADONIS",
)
#: Every work's genre, by its title as in the Contents list.
GENRES: dict[str, str] = {
    "THE SONNETS": "sonnets",
    **dict.fromkeys(_COMEDY, "comedy"),
    **dict.fromkeys(_HISTORY, "history"),
    **dict.fromkeys(_TRAGEDY, "tragedy"),
    **dict.fromkeys(_ROMANCE, "romance"),
    **dict.fromkeys(_POEM, "poem"),
}
_VERSE = ("sonnets", "poem")
#: The form of a genre's works (any other genre: ``play``).
FORMS = {"sonnets": "sonnet", "poem": "poem"}
#: What a conditioned language model can be conditioned on (:func:`documents`).
CONDITIONS = ("genre", "work", "form")
#: The four dramatic genres (protocol b of the works benchmark: genre with works held out).
DRAMA = ("comedy", "history", "romance", "tragedy")
#: How a passage may be re-typeset, as another edition would print it (:func:`retypeset`).
EDITIONS = ("lowercase", "punctuation", "lines", "all")
#: The line width of a re-broken passage (``retypeset(text, "lines")``).
EDITION_WIDTH = 60


@dataclass(frozen=True)
class Work:
    """One work: its title (as in the Contents list), genre, text as in the corpus, and the
    clean view (see the module docstring), with the raw line each clean line comes from.

    Example:
        >>> w = works()[0]
        >>> w.title, w.genre, w.clean.splitlines()[0]
        ('THE SONNETS', 'sonnets', 'From fairest creatures we desire increase,')
    """

    title: str
    genre: str
    text: str
    clean_lines: tuple[tuple[int, str], ...]
    #: Where a speaker's turn starts in ``clean_lines`` (a position), and the name (``NAME.``).
    turns: tuple[tuple[int, str], ...] = ()

    @property
    def clean(self) -> str:
        """The clean view: the kept lines, one a line."""
        return "\n".join(line for _, line in self.clean_lines)

    @property
    def form(self) -> str:
        """``sonnet`` (The Sonnets), ``poem`` or ``play``."""
        return FORMS.get(self.genre, "play")

    def generation_lines(self) -> list[tuple[int, str]]:
        """The generation view: the clean lines with each speaker's turn opened by the name on
        its own line (``HAMLET.``), so that every play is in one layout; a poem's lines are
        its clean lines. Each with the raw line it comes from.

        Example:
            >>> hamlet = next(w for w in works() if "HAMLET" in w.title)
            >>> [line for _, line in hamlet.generation_lines()[:2]]
            ['BARNARDO.', "Who's there?"]
        """
        names = dict(self.turns)
        lines: list[tuple[int, str]] = []
        for k, (i, line) in enumerate(self.clean_lines):
            if k in names:
                lines.append((i, names[k]))
            lines.append((i, line))
        return lines


class Passages(NamedTuple):
    """Passages and their labels: ``TextClassifier().fit(*passages("train"))``.

    (Not a :class:`~rnnkit.data.labelled.Labelled`: that module reads the catalog, which
    reads this one.)

    Example:
        >>> p = Passages(["To be, or not to be"], ["HAMLET"])
        >>> texts, labels = p
        >>> len(p.texts), labels
        (1, ['HAMLET'])
    """

    texts: list[str]
    labels: list[str]


# ---------------------------------------------------------------------------------------------
# Public API


@lru_cache(maxsize=1)
def works() -> tuple[Work, ...]:
    """The 44 works of the bundled corpus, in the Contents list's order (parsed once).

    Example:
        >>> len(works()), works()[-1].title
        (44, 'VENUS AND ADONIS')
    """
    ref = resources.files("rnnkit.data") / "corpora" / "shakespeare.txt.gz"
    with resources.as_file(ref) as path:
        return tuple(split_works(read_text(path)))


def split_works(text: str) -> list[Work]:
    """The works of a complete-works ``text`` laid out like the bundled corpus: a Contents
    list of the 44 titles of :data:`GENRES`, then each work under its title.

    Example:
        >>> split_works("no contents here\\n")
        Traceback (most recent call last):
        ...
        rnnkit.errors.RnnkitError: the corpus has no Contents list (a line 'Contents')
    """
    lines = text.split("\n")
    titles, first = _contents(lines)
    starts = _starts(lines, titles, first)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    ends = [*starts[1:], len(lines)]
    return [
        _work(title, lines[a:b], text[offsets[a] : min(offsets[b], len(text))])
        for title, a, b in zip(titles, starts, ends, strict=True)
    ]


def passages(
    split: str = "train",
    passage_chars: int = DEFAULT_PASSAGE_CHARS,
    target: str = "work",
    clean: bool = True,
) -> Passages:
    """Passages of ``split`` labelled by ``target`` (the work's title or its genre), ready
    for :class:`~rnnkit.TextClassifier` (``fit(*passages())``); ``clean=False`` cuts them
    from the corpus's text of the same blocks (speaker names and all).

    Example:
        >>> test = passages("test", 2000, target="genre")
        >>> len(test.texts) > 100, sorted(set(test.labels))[:2]
        (True, ['comedy', 'history'])
    """
    key = _target(target)
    rows = records(split, passage_chars, clean)
    return Passages([r["text"] for r in rows], [r[key] for r in rows])


def records(
    split: str, passage_chars: int = DEFAULT_PASSAGE_CHARS, clean: bool = True
) -> list[dict[str, Any]]:
    """The ``{"text", "label", "title", "genre"}`` records of ``split`` (label: the title),
    work by work and block by block.

    Example:
        >>> r = records("validation", 200)[0]
        >>> sorted(r), r["label"] == r["title"], len(r["text"]) <= 200
        (['genre', 'label', 'text', 'title'], True, True)
    """
    _split(split)
    if isinstance(passage_chars, bool) or not isinstance(passage_chars, int) or passage_chars < 1:
        raise RnnkitError(f"passage_chars must be a positive integer, not {passage_chars!r}")
    return [
        {"text": text, "label": work.title, "title": work.title, "genre": work.genre}
        for work in works()
        for block in blocks(work, split, clean)
        for text in cut(block, passage_chars)
    ]


def blocks(work: Work, split: str, clean: bool = True) -> list[str]:
    """The text of each of ``work``'s blocks that belong to ``split`` (clean or raw view).

    Example:
        >>> len(blocks(works()[0], "train")) == 8 * len(blocks(works()[0], "test"))
        True
    """
    chosen = _chosen_spans(work, split)
    if clean:
        return _cut_lines(work.clean_lines, chosen)
    raw = work.text.split("\n")
    return ["\n".join(raw[a:b]) for a, b in chosen]


def documents(split: str, condition: str) -> Passages:
    """Every block of ``split`` in the generation view (see :meth:`Work.generation_lines`),
    one text a block, labelled by ``condition``: the work's ``genre``, its title (``work``)
    or its ``form``. What a language model conditioned on a style trains on.

    Example:
        >>> docs = documents("validation", "form")
        >>> sorted(set(docs.labels)), docs.texts[0].count("\\n") > 100
        (['play', 'poem', 'sonnet'], True)
    """
    if condition not in CONDITIONS:
        raise RnnkitError(
            f"shakespeare-works is conditioned on {', '.join(CONDITIONS)}, not {condition!r}"
        )
    texts: list[str] = []
    labels: list[str] = []
    for work in works():
        label = {"genre": work.genre, "work": work.title, "form": work.form}[condition]
        found = _cut_lines(work.generation_lines(), _chosen_spans(work, split))
        texts += found
        labels += [label] * len(found)
    return Passages(texts, labels)


def _chosen_spans(work: Work, split: str) -> list[tuple[int, int]]:
    """The line ranges of ``work``'s blocks that belong to ``split``."""
    _split(split)
    spans = _block_spans(work)
    return [span for i, span in enumerate(spans) if _CYCLE[i % len(_CYCLE)] == split]


def _cut_lines(lines: Sequence[tuple[int, str]], spans: list[tuple[int, int]]) -> list[str]:
    """The text of ``lines`` (with their raw line numbers) within each span."""
    return ["\n".join(t for i, t in lines if a <= i < b) for a, b in spans]


def cut(block: str, passage_chars: int) -> Iterator[str]:
    """Consecutive passages of ``block`` (its last :data:`GAP_CHARS` left out): each starts
    at a non-space, ends at whitespace where one lies in its last tenth, and holds between
    90 % and 100 % of ``passage_chars`` characters.

    Example:
        >>> list(cut("to be or not to be " * 40, 20))[:2]
        ['to be or not to be', 'to be or not to be']
    """
    usable = block[: max(0, len(block) - GAP_CHARS)]
    shortest = math.ceil(_MIN_SHARE * passage_chars)
    start = _skip_space(usable, 0)
    while len(usable) - start >= shortest:
        end = _end(usable, start, passage_chars, shortest)
        yield usable[start:end]
        start = _skip_space(usable, end)


def load_records(paths: object = None) -> dict[str, list[dict[str, Any]]]:
    """The registry loader: every split's records at :data:`DEFAULT_PASSAGE_CHARS`.

    Example:
        >>> sorted(load_records())
        ['test', 'train', 'validation']
    """
    return {split: records(split) for split in SPLITS}


def form(genre: str) -> str:
    """``"verse"`` for the sonnets and poems, ``"drama"`` for the plays.

    Example:
        >>> form("sonnets"), form("romance")
        ('verse', 'drama')
    """
    return "verse" if genre in _VERSE else "drama"


def folds(k: int, genres: Sequence[str] | None = None) -> list[list[str]]:
    """The titles of the works (of ``genres``; None: all) dealt into ``k`` folds for grouped
    cross-validation: each work lies wholly in one fold, and each genre's works, in the
    Contents list's order, go round the folds in turn (one count over all genres, so the
    folds differ in size by one at most). Deterministic.

    Example:
        >>> parts = folds(5, DRAMA)
        >>> [len(p) for p in parts], len({t for p in parts for t in p})
        ([8, 8, 8, 7, 7], 38)
    """
    chosen = [w for w in works() if genres is None or w.genre in genres]
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= len(chosen):
        raise RnnkitError(f"folds must be a whole number from 2 to {len(chosen)}, not {k!r}")
    dealt: list[list[str]] = [[] for _ in range(k)]
    order = sorted(chosen, key=lambda w: w.genre)  # stable: Contents order within a genre
    for i, work in enumerate(order):
        dealt[i % k].append(work.title)
    return dealt


def retypeset(text: str, edition: str) -> str:
    """``text`` as another edition might print it: ``lowercase``; ``punctuation`` folded
    to ASCII (accents dropped, ``;`` and ``:`` as commas, hyphens as spaces, no double
    quotes); its ``lines`` rejoined and broken again at :data:`EDITION_WIDTH` columns; or
    ``all`` three. Speaker names are already gone from the clean view.

    Example:
        >>> retypeset("O Romeo, Romeo;\\nwherefore art thou Romeo?", "all")
        'o romeo, romeo, wherefore art thou romeo?'
        >>> retypeset("Naïve — \\"well-met\\": so", "punctuation")
        'Naive - well met, so'
    """
    if edition not in EDITIONS:
        raise RnnkitError(f"edition must be one of {', '.join(EDITIONS)}, not {edition!r}")
    if edition in ("lowercase", "all"):
        text = text.lower()
    if edition in ("punctuation", "all"):
        folded = unicodedata.normalize("NFKD", text.translate(_MODERN))
        text = re.sub(r"(?<=\w)-(?=\w)", " ", folded.encode("ascii", "ignore").decode())
    if edition in ("lines", "all"):
        text = textwrap.fill(" ".join(text.split()), EDITION_WIDTH, break_long_words=False)
    return text


def folded(text: str) -> str:
    """``text`` as every edition of it folds to: lowercase, punctuation as :func:`retypeset`
    modernises it, and every run of whitespace (line breaks too) one space. A classifier that
    reads text folded (``TextClassifier(fold_editions=True)``) reads every re-typesetting of a
    passage alike.

    Example:
        >>> folded("O Romeo;\\n  Wherefore?") == folded(retypeset("O Romeo;\\nWherefore?", "all"))
        True
    """
    return " ".join(retypeset(retypeset(text, "lowercase"), "punctuation").split())


# ---------------------------------------------------------------------------------------------
# Finding the works


def _contents(lines: list[str]) -> tuple[list[str], int]:
    """The Contents list's titles and the index of the first line after it."""
    try:
        i = next(n for n, line in enumerate(lines) if line.strip() == "Contents") + 1
    except StopIteration:
        raise RnnkitError("the corpus has no Contents list (a line 'Contents')") from None
    titles: list[str] = []
    # The list is indented; the first unindented line is the first work's heading.
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("  ")):
        titles += [lines[i].strip()] if lines[i].strip() else []
        i += 1
    if sorted(titles) != sorted(GENRES):
        unknown = sorted(set(titles) ^ set(GENRES))
        raise RnnkitError(f"the Contents list is not the 44 works (differs in: {unknown[:3]})")
    return titles, i


def _starts(lines: list[str], titles: list[str], first: int) -> list[int]:
    """Each work's first line, searching for the titles in order."""
    starts, i = [], first
    for title in titles:
        heading = re.compile(rf" ?{re.escape(title)}:?(?: ACT .*)?")
        while i < len(lines) and not heading.fullmatch(lines[i].rstrip()):
            i += 1
        if i == len(lines):
            raise RnnkitError(f"the corpus has no heading for {title}")
        starts.append(_with_year(lines, i))
        i += 1
    return starts


def _with_year(lines: list[str], heading: int) -> int:
    """The heading's line, or the line of the year just above it (the play's date)."""
    above = heading - 1
    while above > 0 and not lines[above].strip():
        above -= 1
    return above if re.fullmatch(r"\d{4}", lines[above].strip()) else heading


def _work(title: str, lines: list[str], text: str) -> Work:
    genre = GENRES[title]
    kept, turns = (_verse(lines), []) if genre in _VERSE else _speeches(lines)
    return Work(title, genre, text, tuple(kept), tuple(turns))


# ---------------------------------------------------------------------------------------------
# The clean view

#: A speaker's name: capital words (``KING JOHN``, ``MRS. PAGE``, ``2. QUEEN``,
#: ``DROMIO OF EPHESUS``), its first word at least two letters long.
_NAME = r"(?:\d\.\s?)?(?:MRS?\.\s)?[A-Z][A-Z'’&-]+(?:\s(?:[A-Z][A-Z'’&-]*|of|and|de))*"
_INLINE = re.compile(rf"( *)({_NAME})\.\s+(\S.*)")
_OWN_LINE = re.compile(rf"\s*({_NAME})\.?\s*")
#: First words of headings that look like speaker names.
_HEADINGS = ("ACT", "SCENE", "DRAMATIS", "THE END", "FINIS")
_HEADING = re.compile(r"\s*(?:ACT|SCENE|Scene)\b")
_DIRECTION = re.compile(
    r"\s*_?(?:Enter|Re-enter|Exit|Exeunt|Flourish|Alarums?|A sennet|Sennet|Excursions)\b"
    r"|\s*\d+\.\s"  # a numbered item of a procession (Henry VIII)
)
#: A word of two or more capitals: in the spoken text only a name (a direction, a run-in).
_CAPITALS = re.compile(r"\b[A-Z][A-Z'’]*[A-Z]\b")
#: A stage direction at the end of a spoken line: set off by spaces, or after the sentence.
_TRAILING = re.compile(
    r"\S(?:\s{2,}(?:Exit|Exeunt|Dies|Flourish|Re-enter|Enter|Trumpets|Sound)\b.*"
    r"|(?<=[.!?])\s(?:Exit|Exeunt)\.?)$"
)
_BRACKETS = re.compile(r"\[[^\[\]]{0,1000}\]")
#: What is left of a bracket the edition never closes (or never opened) on a line.
_HALF_BRACKET = re.compile(r"\[.*$|^[^\[\]]*\](?=\s)")
_LINE_NUMBER = re.compile(r"\s\d+\s*$")
#: Punctuation as a modern edition (in ASCII) might print it (:func:`retypeset`).
_MODERN = str.maketrans({";": ",", ":": ",", '"': None, "—": "-", "–": "-", "’": "'", "‘": "'"})
_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "_": "", "}": ""}
)


#: (the text after the name, the name's indent, the name) of a line that opens a speech.
Speaker = tuple[str, int, str]


def _speaker(line: str) -> Speaker | None:
    """(the text after the name, the name's indent, the name) when ``line`` opens a speech,
    else None."""
    inline = _INLINE.fullmatch(line.rstrip())
    if inline and not inline.group(2).startswith(_HEADINGS):
        return inline.group(3), len(inline.group(1)), inline.group(2)
    own = _OWN_LINE.fullmatch(line)
    if own and not own.group(1).startswith(_HEADINGS):
        return "", _indent(line), own.group(1)
    return None


def _speeches(lines: list[str]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The spoken lines of a play, with their line numbers, speaker names removed; and the
    turns: (the position in those lines where a speech's first kept line is, ``NAME.``).

    A speech opens at a speaker and runs on (over blank lines and stage directions) to the
    next speaker or heading; in the inline layout also to a location or stage direction at
    the margin. Text outside every speech (cast lists, prologues or songs printed without a
    speaker) is left out. A stage direction is a line that
    opens with ``Enter``, ``Exit``... and the lines right below it indented otherwise than
    the dialogue. A line with a word in capitals (a name: a stage direction or a speaker run
    into the text) is left out.
    """
    text = _BRACKETS.sub(lambda m: "\n" * m.group().count("\n"), "\n".join(lines))
    lines = text.split("\n")
    speakers = [_speaker(line) for line in lines]
    margin, dialogue = _layout(lines, speakers)
    kept: list[tuple[int, str]] = []
    turns: list[tuple[int, str]] = []
    open_ = direction = False
    name: str | None = None  # the speaker whose first kept line is still to come
    for i, (line, speaker) in enumerate(zip(lines, speakers, strict=True)):
        if speaker is not None:
            open_, direction, line, name = True, False, speaker[0], _name(speaker[2])
        elif not line.strip():
            direction = False
            continue
        elif _HEADING.match(line) or _at_margin(line, margin):
            open_ = False
            continue
        elif _DIRECTION.match(line) or (direction and _indent(line) != dialogue):
            direction = True
            continue
        direction = False
        line = _HALF_BRACKET.sub("", _TRAILING.sub(_first, line))
        if open_ and not _CAPITALS.search(line):
            line_kept = _kept(i, line)
            if line_kept and name is not None:
                turns.append((len(kept), name))
                name = None
            kept += line_kept
    return kept, turns


def _name(name: str) -> str:
    """A speaker's name as the generation view writes it on its own line: ``KING HENRY.``"""
    return " ".join(name.translate(_TYPOGRAPHY).split()) + "."


def _layout(lines: list[str], speakers: list[Speaker | None]) -> tuple[int | None, int]:
    """The indent of inline speaker names (None when names stand on their own lines) and
    the indent of the dialogue, each the most common one in the play."""
    inline = Counter(s[1] for s in speakers if s is not None and s[0])
    alone = sum(1 for s in speakers if s is not None and not s[0])
    plain = Counter(_indent(t) for t, s in zip(lines, speakers, strict=True) if t.strip() and not s)
    margin = inline.most_common(1)[0][0] if sum(inline.values()) > alone else None
    return margin, plain.most_common(1)[0][0]


def _at_margin(line: str, margin: int | None) -> bool:
    """Whether ``line`` is a location or stage direction at the margin of the inline layout
    (left of the names, or at column 0; capitalised: a wrapped word of a speech is not)."""
    if margin is None or not line.lstrip()[:1].isupper():
        return False
    return _indent(line) < max(margin, 1)


def _first(match: re.Match[str]) -> str:
    return match.group()[0]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _verse(lines: list[str]) -> list[tuple[int, str]]:
    """The lines of a poem, without headings, numbers, bylines and line numbers."""
    kept: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if any(c.islower() for c in line) and line.strip() != "by William Shakespeare":
            kept += _kept(i, _LINE_NUMBER.sub("", line))
    return kept


def _kept(i: int, line: str) -> list[tuple[int, str]]:
    """``[(i, line)]`` normalised (typography, spaces), or nothing for a blank line."""
    words = line.translate(_TYPOGRAPHY).split()
    return [(i, " ".join(words))] if words else []


# ---------------------------------------------------------------------------------------------
# Blocks and passages


def _block_spans(work: Work) -> list[tuple[int, int]]:
    """Line ranges ``[a, b)`` of the raw text, cut where the clean text reaches each block's
    share, so that both views cut the same blocks."""
    sizes = [len(line) + 1 for _, line in work.clean_lines]
    total = sum(sizes)
    count = len(_CYCLE) * max(1, round(total / (BLOCK_CHARS * len(_CYCLE))))
    bounds, done, edge = [0], 0, 1
    for (i, _), size in zip(work.clean_lines, sizes, strict=True):
        if done >= edge * total / count and edge < count:
            bounds.append(i)
            edge += 1
        done += size
    bounds += [len(work.text.split("\n"))] * (count + 1 - len(bounds))
    return list(pairwise(bounds))


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _end(text: str, start: int, passage_chars: int, shortest: int) -> int:
    """Where a passage from ``start`` ends: at whitespace in its last tenth, else hard."""
    end = start + passage_chars
    if end >= len(text) or text[end].isspace():
        return min(end, len(text))
    space = max(text.rfind(" ", start + shortest, end), text.rfind("\n", start + shortest, end))
    return space if space > 0 else end


def _split(split: str) -> None:
    if split not in SPLITS:
        raise RnnkitError(f"shakespeare-works has no split {split!r} (splits: {', '.join(SPLITS)})")


def _target(target: str) -> str:
    if target not in TARGETS:
        raise RnnkitError(f"target must be 'work' or 'genre', not {target!r}")
    return "title" if target == "work" else "genre"
