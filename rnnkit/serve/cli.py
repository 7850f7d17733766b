"""``rnnkit serve DIR [DIR ...]``: serve saved folders over HTTP with uvicorn.

FastAPI and uvicorn come with the ``serve`` extra (``pip install 'rnnkit[serve]'``); they are
imported only when the command runs, so ``rnnkit --help`` never loads them.
"""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import click

from rnnkit.errors import RnnkitError


@click.command()
@click.argument(
    "folders", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False)
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--api-key",
    envvar="RNNKIT_API_KEY",
    help="Require 'Authorization: Bearer KEY' on every route but /health and the page; "
    "or RNNKIT_API_KEY.",
)
@click.option(
    "--max-concurrent",
    type=click.IntRange(1, 1024),
    default=32,
    show_default=True,
    help="Generations stepped together per language model (the batch's slots).",
)
@click.option(
    "--max-queue",
    type=click.IntRange(0, 100_000),
    default=64,
    show_default=True,
    help="Generations that may wait for a slot; beyond, 503 with Retry-After.",
)
@click.option(
    "--max-request-tokens",
    type=click.IntRange(1, 1_000_000),
    default=8192,
    show_default=True,
    help="Cap on max_tokens x n x prompts of one completions request.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 1024),
    default=1,
    show_default=True,
    help="PyTorch threads of the server process: the batched steps are small, and on a busy "
    "CPU more threads wait on each other.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="An origin allowed to call the API from a browser (repeatable; none: CORS off).",
)
def serve(
    folders: tuple[Path, ...],
    host: str,
    port: int,
    api_key: str | None,
    max_concurrent: int,
    max_queue: int,
    max_request_tokens: int,
    threads: int,
    cors_origins: tuple[str, ...],
) -> None:
    """Serve saved models (language models, classifiers, word vectors, forecasters) over
    HTTP: OpenAI-style /v1/completions, /v1/classify, /v1/embeddings, /v1/neighbors,
    /v1/forecast, and a playground page at /. The API is described at /docs."""
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise RnnkitError(
            f"rnnkit serve needs {' and '.join(missing)}: pip install 'rnnkit[serve]'"
        )
    import torch
    import uvicorn

    from rnnkit.serve.app import ServerSettings, create_app

    settings = ServerSettings(
        api_key or None, max_concurrent, max_queue, max_request_tokens, cors_origins
    )
    # This command is the server's whole process, so it may choose the process's threads (a
    # library call never does): measured on a loaded 2-core CPU, a batched step of 32 took
    # 34 ms with 2 threads and 0.8 ms with 1.
    torch.set_num_threads(threads)
    app = create_app(list(folders), settings)
    click.echo(f"serving {len(folders)} folder(s) at http://{host}:{port}/", err=True)
    # The objects made so far (PyTorch's, FastAPI's: most of the process) live as long as it:
    # frozen, a full garbage collection no longer walks them all, which took every request
    # in flight ~150 ms now and then when 32 arrived at once.
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning")
