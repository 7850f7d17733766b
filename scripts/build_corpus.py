"""Build the bundled corpus ``rnnkit/data/corpora/shakespeare.txt.gz`` from Gutenberg eBook #100.

Run once by maintainers (the output is committed):

    python scripts/build_corpus.py ../shared/data/shakespeare_complete.txt

The source must be the exact 2018 ``100-0.txt`` (sha256 checked). Cleaning: strip the BOM,
CRLF -> LF, drop the Project Gutenberg header (through the ``*** START`` line) and everything
from the 2017 content note / ``*** END`` marker on, strip trailing spaces, collapse runs of
blank lines to at most two. The gzip is written with mtime 0 so rebuilds are byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sys
from pathlib import Path

SOURCE_SHA256 = "17d47ae375676f7576feb3d931784223865403a18537707f9a567247015d6781"
OUT = Path(__file__).resolve().parent.parent / "rnnkit" / "data" / "corpora" / "shakespeare.txt.gz"


def clean(raw: bytes) -> str:
    """Return the plays, sonnets and poems with the Gutenberg wrapper removed."""
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    start = text.index("\n", text.index("*** START OF THIS PROJECT GUTENBERG EBOOK")) + 1
    end = text.index("* CONTENT NOTE (added in 2017) *", start)
    body = "\n".join(line.rstrip() for line in text[start:end].split("\n"))
    return re.sub(r"\n{4,}", "\n\n\n", body).strip("\n") + "\n"


def main(src: str) -> None:
    raw = Path(src).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"unexpected source sha256 {digest}; expected Gutenberg #100 (2018) 100-0.txt")
    text = clean(raw)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode("utf-8"))
    print(f"{OUT}: {len(text):,} chars, {len(set(text))} distinct, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/shakespeare_complete.txt")
