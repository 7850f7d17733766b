"""``rnnkit prepare``: tokenize a corpus once into a token store on disk (see
:mod:`rnnkit.data.tokenstore`), with a progress bar per pass (MB/s, ETA)."""

from __future__ import annotations

from pathlib import Path

import click

from rnnkit.core.options import DATA_DIR, ENCODING, QUIET, source_argument
from rnnkit.data.tokenstore import LEVELS, PrepareSettings, ProgressBars, prepare


@click.command("prepare")
@source_argument("corpus")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The store folder to create (it must not exist yet).",
)
@click.option(
    "--level", type=click.Choice(LEVELS), default="char", show_default=True, help="Tokens."
)
@click.option(
    "--val-fraction", type=float, default=0.1, show_default=True, help="Held-out tail fraction."
)
@click.option(
    "--min-count", type=int, default=1, show_default=True, help="[word] Rarer words become <unk>."
)
@click.option("--max-vocab", type=int, help="[word] Vocabulary size cap. [default: no cap]")
@click.option(
    "--lowercase/--keep-case", default=None, help="[word] Lowercase the text, or keep its case."
)
@click.option("--words-only/--no-words-only", default=None, help="[word] Drop punctuation.")
@click.option(
    "--max-distinct",
    type=int,
    default=PrepareSettings.max_distinct,
    show_default=True,
    help="[word] Distinct words counted before the rarest are dropped (bounded memory).",
)
@ENCODING
@QUIET
@DATA_DIR
def prepare_command(
    corpus: str,
    out_dir: Path,
    level: str,
    val_fraction: float,
    min_count: int,
    max_vocab: int | None,
    lowercase: bool | None,
    words_only: bool | None,
    max_distinct: int,
    encoding: str,
    quiet: bool,
    data_dir: Path | None,
) -> None:
    """Tokenize CORPUS (a file, .gz too, a folder, or a registry name) into a token store at
    --out: manifest.json, vocab.json and tokens.bin, which `rnnkit train` trains on without
    loading it."""
    settings = PrepareSettings(
        level, val_fraction, min_count, max_vocab, bool(lowercase), bool(words_only), max_distinct
    )
    with ProgressBars(quiet) as bars:
        store = prepare(corpus, out_dir, settings, encoding, data_dir, bars.update)
    m = store.manifest
    click.echo(
        f"{m['tokens']:,} {level} tokens ({m['dtype']}, vocabulary {m['vocab_size']:,}; "
        f"train {m['train'][1]:,}, validation {m['tokens'] - m['train'][1]:,}) in {out_dir}"
    )
