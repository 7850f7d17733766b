"""The server under load, on loopback: ``rnnkit serve`` in its own process, clients here.

1. one streamed request at a time: chars/s of a single stream;
2. ``--concurrent`` (32) streamed requests at once: their chars/s in all (the batched decode
   worker steps them together), and the time to the first chunk of text, p50 / p99;
3. ``--requests`` (200) requests from ``--clients`` (64) clients, half of them streamed: how
   many were answered, refused with 503 + Retry-After (the bounded queue) or failed otherwise,
   whether every accepted one came back complete, and the server's RSS before and after;
4. the same seed through the server and through ``CharLM.generate`` alone (batch of one):
   how many of ``--seeds`` texts are equal (the batch's matrix products may differ from a batch
   of one's in a last bit, which can flip a draw);
5. ``schemathesis`` over the OpenAPI schema (``--schema-examples`` per operation; skipped with
   0): its failures.

The model is the default char model (GRU 256) after a few training steps on the bundled
Shakespeare (speed does not depend on what it learned), or ``--model DIR``.

    python benchmarks/serve_load.py --concurrent 32 --requests 200 --clients 64

Prints a table and writes JSON (default benchmarks/results/serve_load.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from rnnkit import CharLM

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

KEY = "benchmark-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(folder: Path, port: int, slots: int, queue: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "rnnkit", "serve", str(folder), "--port", str(port)]
    command += ["--api-key", KEY, "--max-concurrent", str(slots), "--max-queue", str(queue)]
    root = str(HERE.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not come up")


async def stream_one(
    client: httpx.AsyncClient, url: str, body: dict[str, Any]
) -> tuple[str, float | None, int]:
    """One streamed completion: its text, seconds to the first text, and its HTTP status."""
    started, first, text = time.perf_counter(), None, []
    async with client.stream("POST", f"{url}/v1/completions", json=body, headers=AUTH) as r:
        if r.status_code != 200:
            await r.aread()
            return "", None, r.status_code
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            piece = json.loads(line[6:])["choices"][0]["text"]
            if piece and first is None:
                first = time.perf_counter() - started
            text.append(piece)
    return "".join(text), first, 200


def body(model: str, tokens: int, seed: int, stream: bool) -> dict[str, Any]:
    return {"model": model, "max_tokens": tokens, "seed": seed, "stream": stream}


async def single(url: str, model: str, tokens: int, repeats: int) -> dict[str, Any]:
    rates = []
    async with httpx.AsyncClient(timeout=300) as client:
        for seed in range(repeats):
            started = time.perf_counter()
            text, _, _ = await stream_one(client, url, body(model, tokens, seed, True))
            rates.append(len(text) / (time.perf_counter() - started))
    return {"chars_per_s": statistics.median(rates), "runs": [round(r) for r in rates]}


async def concurrent(url: str, model: str, tokens: int, n: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=n + 8)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        runs = await asyncio.gather(
            *(stream_one(client, url, body(model, tokens, 100 + i, True)) for i in range(n))
        )
        seconds = time.perf_counter() - started
    ttft = sorted(t for _, t, _ in runs if t is not None)
    chars = sum(len(text) for text, _, _ in runs)
    return {
        "streams": n,
        "chars": chars,
        "seconds": round(seconds, 2),
        "chars_per_s": chars / seconds,
        "ttft_p50_ms": 1000 * ttft[len(ttft) // 2],
        "ttft_p99_ms": 1000 * ttft[min(len(ttft) - 1, int(0.99 * len(ttft)))],
        "complete": sum(len(text) == tokens for text, _, _ in runs),
    }


async def crowd(
    url: str, model: str, tokens: int, requests: int, clients: int, pid: int
) -> dict[str, Any]:
    """``requests`` requests from ``clients`` clients: outcomes and the server's RSS."""
    rss_before = psutil.Process(pid).memory_info().rss
    todo = iter(range(requests))
    counts = {"ok": 0, "busy_503": 0, "busy_without_retry_after": 0, "errors": 0}
    incomplete = 0
    limits = httpx.Limits(max_connections=clients + 8)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal incomplete
        stream = i % 2 == 0
        try:
            if stream:
                text, _, status = await stream_one(client, url, body(model, tokens, i, True))
                retry = True  # a refused stream's headers are checked below when not streamed
            else:
                r = await client.post(
                    f"{url}/v1/completions", json=body(model, tokens, i, False), headers=AUTH
                )
                status, retry = r.status_code, "retry-after" in r.headers
                text = r.json()["choices"][0]["text"] if status == 200 else ""
        except httpx.HTTPError:
            counts["errors"] += 1
            return
        if status == 200:
            counts["ok"] += 1
            incomplete += len(text) != tokens
        elif status == 503:
            counts["busy_503" if retry else "busy_without_retry_after"] += 1
        else:
            counts["errors"] += 1

    async def client_loop(client: httpx.AsyncClient) -> None:
        for i in todo:
            await one(client, i)

    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        seconds = time.perf_counter() - started
    rss_after = psutil.Process(pid).memory_info().rss
    return {
        **counts,
        "accepted_incomplete": incomplete,
        "seconds": round(seconds, 2),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
    }


def same_as_generate(url: str, model: str, folder: Path, seeds: int, tokens: int) -> dict:
    lm = CharLM.load(folder)
    equal = 0
    for seed in range(seeds):
        r = httpx.post(f"{url}/v1/completions", json=body(model, tokens, seed, False), headers=AUTH)
        equal += r.json()["choices"][0]["text"] == lm.generate(n_chars=tokens, seed=seed)
    return {"seeds": seeds, "chars": tokens, "equal": equal}


#: schemathesis' settings: a body over 64 KiB answered 413 is a rejection too (a list of
#: texts each one character too long can be that large).
SCHEMATHESIS_CONFIG = """[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422",
                     "428", "429", "5xx"]
"""


def schemathesis(url: str, examples: int, tmp: Path) -> dict[str, Any]:
    """Run schemathesis' command line over the schema, every check but
    positive_data_acceptance (a body the schema allows may still be refused with 422: a prompt
    character the model never saw, an unknown word, max_tokens x n over the cap); its exit
    code, test cases and failures."""
    config = tmp / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", f"{url}/openapi.json", "--max-examples", str(examples),
        "-H", f"Authorization: Bearer {KEY}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    out = done.stdout + done.stderr
    failures = re.findall(r"(\d+) failures?", out)
    cases = re.findall(r"(\d+) generated", out)
    print("\n".join(line[:200] for line in out.splitlines()[-12:]))
    return {
        "exit_code": done.returncode,
        "test_cases": int(cases[-1]) if cases else 0,
        "failures": int(failures[-1]) if failures else 0,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, help="a saved char model (default: train one briefly)")
    p.add_argument("--tokens", type=int, default=2000, help="characters per timed stream")
    p.add_argument("--concurrent", type=int, default=32)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--crowd-tokens", type=int, default=200, help="characters per crowd request")
    p.add_argument("--seeds", type=int, default=20, help="texts compared with generate()")
    p.add_argument("--schema-examples", type=int, default=20, help="0: no schemathesis run")
    p.add_argument("--out", type=Path, default=HERE / "results" / "serve_load.json")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model
        if folder is None:
            folder = Path(tmp) / "shakespeare"
            lm = CharLM(evals=1, val_max_chars=5000)  # the default model: GRU 256
            lm.fit("shakespeare", steps=3, quiet=True).save(folder)
        port = free_port()
        server = start_server(folder, port, args.concurrent, 2 * args.concurrent)
        url, model = f"http://127.0.0.1:{port}", folder.name
        try:
            report: dict[str, Any] = {"machine": machine(), "args": {
                k: str(v) for k, v in vars(args).items()}}  # fmt: skip
            report["single"] = asyncio.run(single(url, model, args.tokens, 3))
            report["concurrent"] = asyncio.run(concurrent(url, model, args.tokens, args.concurrent))
            report["speedup"] = (
                report["concurrent"]["chars_per_s"] / report["single"]["chars_per_s"]
            )
            report["crowd"] = asyncio.run(
                crowd(url, model, args.crowd_tokens, args.requests, args.clients, server.pid)
            )
            report["same_as_generate"] = same_as_generate(url, model, folder, args.seeds, 500)
            if args.schema_examples:
                report["schemathesis"] = schemathesis(url, args.schema_examples, Path(tmp))
        finally:
            server.terminate()
            server.wait(10)
    show(report)
    write_report(report, args.out)


def show(r: dict[str, Any]) -> None:
    c, crowd_ = r["concurrent"], r["crowd"]
    rows = [
        ("single stream, chars/s", f"{r['single']['chars_per_s']:,.0f}"),
        (f"{c['streams']} streams at once, chars/s in all", f"{c['chars_per_s']:,.0f}"),
        ("speedup", f"{r['speedup']:.1f}x"),
        ("time to first text p50 / p99 (ms)", f"{c['ttft_p50_ms']:.0f} / {c['ttft_p99_ms']:.0f}"),
        ("complete streams", f"{c['complete']} / {c['streams']}"),
        (
            "crowd: ok / 503+Retry-After / errors",
            f"{crowd_['ok']} / {crowd_['busy_503']} / "
            f"{crowd_['errors'] + crowd_['busy_without_retry_after']}",
        ),
        ("crowd: accepted but incomplete", str(crowd_["accepted_incomplete"])),
        ("server RSS before / after (MB)", f"{crowd_['rss_before_mb']} / {crowd_['rss_after_mb']}"),
        (
            "same text as generate() alone",
            f"{r['same_as_generate']['equal']} / {r['same_as_generate']['seeds']}",
        ),
    ]
    if "schemathesis" in r:
        rows.append(("schemathesis failures", str(r["schemathesis"]["failures"])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
