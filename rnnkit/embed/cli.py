"""``rnnkit embed``: word2vec word vectors (trained by gensim): train, query, evaluate, plot.

Every command but ``train`` takes the vectors folder first, e.g.::

    rnnkit embed train text8_head.txt.gz --out vectors/text8 --dim 100 --epochs 5
    rnnkit embed similar vectors/text8 king queen --minus man
    rnnkit embed analogy vectors/text8 man king woman

User errors raise :class:`~rnnkit.errors.RnnkitError`; the top-level ``rnnkit`` group turns them
into one ``error: ...`` line and exit code 2.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from rnnkit.core.options import (
    DATA_DIR,
    ENCODING,
    JSON,
    QUIET,
    dataclass_settings,
    folder_name,
    out_option,
    settings_options,
    show,
    source_argument,
)
from rnnkit.embed.settings import ARCHITECTURES, Settings
from rnnkit.embed.vectors import WordVectors

_VECTORS = click.argument("vectors_dir", type=click.Path(path_type=Path))
_TOPN = click.option("--topn", default=10, show_default=True, type=int, help="Words to list.")
#: The help of each option: the text each field of :class:`~rnnkit.embed.settings.Settings`
#: carries beside its default.
_HELP = {f.name: f.metadata["help"] for f in dataclasses.fields(Settings)}


@click.group()
def embed() -> None:
    """Word vectors (word2vec via gensim): train, query, evaluate, plot and export."""


@embed.command()
@source_argument("corpus")
@out_option("the vectors and their card.json", "vectors/NAME of the corpus")
@settings_options(
    dataclass_settings({"": Settings}), _HELP, choices={"architecture": ARCHITECTURES}
)
@click.option("--max-words", type=int, help="Train on the first N words only (a quick run).")
@ENCODING
@QUIET
@DATA_DIR
def train(corpus: str, out_dir: Path | None, settings: dict[str, Any], **reading: Any) -> None:
    """Train word vectors on CORPUS: a text file (.gz too), a folder of text files, or a registry
    data set such as 'wikitext2' (its train split; 'wikitext2:test' picks a split). Saves the
    vectors and a card.json."""
    wv = WordVectors.train(corpus, **settings, **reading)
    out = wv.save(out_dir or Path("vectors") / folder_name(corpus))
    card = wv.card
    click.echo(
        f"{card['vocab_size']:,} words x {wv.dim} dims from {card['corpus']['words']:,} words "
        f"({card['settings']['epochs']} epochs) in {card['training_seconds']:.1f} s "
        f"({card['words_per_second']:,} words/s); saved to {out}"
    )


@embed.command()
@_VECTORS
@click.argument("words", nargs=-1, required=True)
@click.option("--minus", multiple=True, help="A word to subtract (repeatable).")
@_TOPN
def similar(vectors_dir: Path, words: tuple[str, ...], minus: tuple[str, ...], topn: int) -> None:
    """The words nearest to the sum of WORDS minus the --minus words."""
    _print_scores(WordVectors.load(vectors_dir).most_similar(words, minus, topn))


@embed.command()
@_VECTORS
@click.argument("a")
@click.argument("b")
def similarity(vectors_dir: Path, a: str, b: str) -> None:
    """Cosine similarity of words A and B."""
    click.echo(f"{WordVectors.load(vectors_dir).similarity(a, b):.4f}")


@embed.command("doesnt-match")
@_VECTORS
@click.argument("words", nargs=-1, required=True)
def doesnt_match(vectors_dir: Path, words: tuple[str, ...]) -> None:
    """The one of WORDS (at least three) that fits least with the others."""
    click.echo(WordVectors.load(vectors_dir).doesnt_match(words))


@embed.command()
@_VECTORS
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("--topn", default=5, show_default=True, type=int, help="Candidates to list.")
def analogy(vectors_dir: Path, a: str, b: str, c: str, topn: int) -> None:
    """Solve A : B :: C : ? (e.g. man king woman -> queen) by vector offset."""
    candidates = WordVectors.load(vectors_dir).most_similar([b, c], [a], topn)
    click.echo(f"{a} : {b} :: {c} : {candidates[0][0]}")
    _print_scores(candidates)


@embed.command()
@_VECTORS
@click.argument("words", nargs=-1, required=True)
@click.option("--topn", default=5, show_default=True, type=int, help="Neighbours per word.")
def neighbours(vectors_dir: Path, words: tuple[str, ...], topn: int) -> None:
    """A table of each word's nearest neighbours."""
    table = WordVectors.load(vectors_dir).neighbours(words, topn)
    width = max(len(w) for w in words)
    for word, found in table.items():
        click.echo(f"{word:<{width}}  " + "  ".join(f"{w} ({s:.2f})" for w, s in found))


@embed.command()
@_VECTORS
@click.option("--analogies", type=click.Path(path_type=Path), help="[gensim questions-words]")
@click.option("--pairs", type=click.Path(path_type=Path), help="[gensim wordsim353.tsv]")
@click.option("--restrict-vocab", default=30_000, show_default=True, type=int)
@JSON
def evaluate(
    vectors_dir: Path,
    analogies: Path | None,
    pairs: Path | None,
    restrict_vocab: int,
    as_json: bool,
) -> None:
    """Analogy accuracy per section and word-similarity Spearman correlation."""
    result = WordVectors.load(vectors_dir).evaluate(analogies, pairs, restrict_vocab)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    a = result["analogies"]
    click.echo(f"{'section':<28}{'correct':>9}{'answered':>10}{'accuracy':>10}")
    for s in [*a["sections"], a["semantic"], a["syntactic"]]:
        click.echo(f"{s['section']:<28}{s['correct']:>9}{s['total']:>10}{_pct(s['accuracy']):>10}")
    click.echo(
        f"analogies: {_pct(a['accuracy'])} of {a['answered']:,} answered "
        f"({_pct(a['coverage'])} of {a['questions']:,} questions in the top {restrict_vocab:,} "
        f"words; {_pct(a['accuracy_all'])} counting the rest as wrong)"
    )
    p = result["word_pairs"]
    rho = "n/a" if p["spearman"] is None else f"{p['spearman']:.4f}"
    click.echo(f"word pairs: Spearman {rho} ({p['oov_percent']:.1f}% of pairs out of vocabulary)")


@embed.command()
@_VECTORS
@click.argument("words", nargs=-1)
@click.option(
    "--top", default=50, show_default=True, type=int, help="Without WORDS: most frequent."
)
@out_option("pca.png", "VECTORS_DIR")
def plot(vectors_dir: Path, words: tuple[str, ...], top: int, out_dir: Path | None) -> None:
    """2-D PCA scatter plot of WORDS (or the --top most frequent words), labelled, drawn to
    pca.png; prints the PNG's path."""
    wv = WordVectors.load(vectors_dir)
    click.echo(str(wv.plot((out_dir or vectors_dir) / "pca.png", words or None, top)))


@embed.command()
@_VECTORS
@JSON
def info(vectors_dir: Path, as_json: bool) -> None:
    """The card: corpus, settings, vocabulary size, training time and speed (as `rnnkit info`
    shows it)."""
    show(WordVectors.load(vectors_dir).card, as_json)


@embed.command()
@_VECTORS
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--text", is_flag=True, help="Text format instead of binary.")
def export(vectors_dir: Path, file: Path, text: bool) -> None:
    """Write the vectors to FILE in the C word2vec format (for gensim.load_word2vec_format and
    others)."""
    click.echo(str(WordVectors.load(vectors_dir).export_word2vec(file, binary=not text)))


def _print_scores(pairs: list[tuple[str, float]]) -> None:
    for word, score in pairs:
        click.echo(f"{score:7.4f}  {word}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
