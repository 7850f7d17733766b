"""Corpora larger than memory and training on several processes (issue 18).

Builds a large corpus from the bundled data (the complete Shakespeare's lines, shuffled with a
seed, mixed with multibyte lines, repeated to size), then measures, each in its own process
(peak RSS is the process's own VmHWM):

* ``rnnkit prepare`` at the char and the word level: MB/s of source and peak RSS;
* training a char LM from the large store and from a small one for the same steps: peak RSS
  of each (the issue's target: the large within 64 MB of the small);
* chars/s of 1 process against 2 (``torchrun --standalone``, gloo on the CPU), same global
  batch, and whether 2 launchers on loopback (``--nnodes 2``) train what one launcher with 2
  processes trains (bit-identical weights);
* with ``--gpus N``: chars/s on 1, 2, ... N GPUs (``torchrun``, NCCL), for a machine that has
  them.

    python benchmarks/scale.py --mb 1024 --steps 200      # the issue's size (about 15 minutes)
    python benchmarks/scale.py --mb 64 --steps 40         # what fits a shared 2-core machine
    python benchmarks/scale.py --gpus 8 --mb 1024 --steps 300 --skip-cpu

Prints a table and writes JSON (default benchmarks/results/scale.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import machine, write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

MULTIBYTE = [
    "Größe, Übermut und Äpfel — schön.",
    "Ça va ? Très bien, merci, à bientôt.",
    "Москва не сразу строилась.",
    "東京は日本の首都です。",
    "Καλημέρα κόσμε · ευχαριστώ.",
    "emoji 🎉 and 🚀 too",
]
MODEL = ["--hidden-size", "128", "--embed-size", "32", "--seq-len", "64", "--batch-size", "16"]


def build_corpus(path: Path, megabytes: int, seed: int = 0) -> None:
    """About ``megabytes`` MB of shuffled Shakespeare lines, one in ten multibyte."""
    if path.exists() and path.stat().st_size >= megabytes << 20:
        return
    from rnnkit.data.sources import read_corpus

    lines = read_corpus("shakespeare").text.splitlines()  # the bundled complete works
    rng = random.Random(seed)
    target, written = megabytes << 20, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            rng.shuffle(lines)
            block = "\n".join(
                rng.choice(MULTIBYTE) if i % 10 == 0 else line for i, line in enumerate(lines)
            )
            data = block[: target - written] + "\n"
            fh.write(data)
            written += len(data.encode("utf-8"))


def measured(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh process of this script; its seconds and peak RSS (MB)."""
    out = subprocess.run(
        [sys.executable, __file__, "--job", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise SystemExit(f"job {job['kind']} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_job(job: dict[str, Any]) -> None:
    """The child's side of :func:`measured`: do the job, print seconds and VmHWM as JSON."""
    from rnnkit import CharLM
    from rnnkit.data.tokenstore import PrepareSettings, prepare

    t0 = time.perf_counter()
    if job["kind"] == "prepare":
        prepare(job["source"], job["out"], PrepareSettings(job["level"]))
    else:
        lm = CharLM(hidden_size=128, embed_size=32, seq_len=64, batch_size=16, evals=1)
        lm.fit(job["store"], steps=job["steps"], quiet=True, out_dir=job["out"])
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _vm_hwm_mb()}))


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare_rows(corpus: Path, work: Path) -> list[dict[str, Any]]:
    rows = []
    mb = corpus.stat().st_size / (1 << 20)
    for level in ("char", "word"):
        out = work / f"tokens-{level}"
        shutil.rmtree(out, ignore_errors=True)
        r = measured({"kind": "prepare", "source": str(corpus), "out": str(out), "level": level})
        manifest = json.loads((out / "manifest.json").read_text())
        rows.append(
            {
                "what": f"prepare {level}",
                "source_mb": round(mb, 1),
                "mb_per_s": round(mb / r["seconds"], 1),
                "peak_rss_mb": round(r["peak_rss_mb"], 1),
                "tokens": manifest["tokens"],
                "dtype": manifest["dtype"],
            }
        )
    return rows


def training_rss_rows(big: Path, small: Path, work: Path, steps: int) -> list[dict[str, Any]]:
    rows = []
    for name, store in (("big", big), ("small", small)):
        out = work / f"run-{name}"
        shutil.rmtree(out, ignore_errors=True)
        r = measured({"kind": "train", "store": str(store), "out": str(out), "steps": steps})
        tokens = json.loads((store / "manifest.json").read_text())["tokens"]
        rows.append(
            {
                "what": f"train char LM, {name} store",
                "store_tokens": tokens,
                "steps": steps,
                "peak_rss_mb": round(r["peak_rss_mb"], 1),
            }
        )
    return rows


def _train_command(
    store: Path, out: Path, steps: int, launcher: list[str], device: str
) -> list[str]:
    args = ["train", str(store), "--steps", str(steps), "--out", str(out), "--quiet"]
    args += [*MODEL, "--evals", "1", "--device", device]
    if not launcher:
        return [sys.executable, "-m", "rnnkit", *args]
    return [sys.executable, "-m", "torch.distributed.run", *launcher, "-m", "rnnkit", *args]


def throughput(
    store: Path, out: Path, steps: int, launcher: list[str], device: str, threads: int = 0
) -> float:
    """Training chars/s of one run (the loop's own clock: validation and saves excluded);
    ``threads`` > 0 sets OMP_NUM_THREADS (torchrun sets 1 for each of several workers)."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = _train_command(store, out, steps, launcher, device)
    subprocess.run(command, check=True, env=env, capture_output=True)
    stats = json.loads((out / "config.json").read_text())["stats"]
    return float(stats["steps"] * 16 * 64 / stats["elapsed_s"])


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def two_launchers_agree(store: Path, work: Path, steps: int) -> bool:
    """2 launchers of 1 process each (--nnodes 2 on loopback) == 1 launcher of 2 processes."""
    one = work / "launch-one"
    throughput(store, one, steps, ["--standalone", "--nproc_per_node=2"], "cpu")
    two = work / "launch-two"
    shutil.rmtree(two, ignore_errors=True)
    port, env = _port(), {**os.environ, "PYTHONPATH": str(ROOT)}
    launchers = [
        subprocess.Popen(
            _train_command(
                store,
                two,
                steps,
                [
                    "--nnodes=2",
                    f"--node_rank={rank}",
                    "--nproc_per_node=1",
                    "--rdzv_backend=c10d",
                    f"--rdzv_endpoint=127.0.0.1:{port}",
                    "--rdzv_id=scale",
                ],
                "cpu",
            ),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for rank in (0, 1)
    ]
    if any(p.wait() != 0 for p in launchers):
        return False
    from safetensors.torch import load_file

    a = load_file(str(one / "training" / "state.safetensors"))
    b = load_file(str(two / "training" / "state.safetensors"))
    return a.keys() == b.keys() and all(bool((a[k] == b[k]).all()) for k in a)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mb", type=int, default=64, help="Size of the large corpus (issue: 1024).")
    p.add_argument("--small-mb", type=int, default=4, help="Size of the small corpus.")
    p.add_argument("--steps", type=int, default=40, help="Training steps of each run.")
    p.add_argument("--work", type=Path, default=Path("/tmp/rnnkit-scale"), help="Scratch folder.")
    p.add_argument("--gpus", type=int, default=0, help="Also time 1..N GPUs (torchrun, NCCL).")
    p.add_argument("--skip-cpu", action="store_true", help="Only the GPU figures.")
    p.add_argument(
        "--parts",
        nargs="+",
        default=["prepare", "rss", "rate"],
        choices=["prepare", "rss", "rate"],
        help="Which CPU figures: prepare speed and RSS, training RSS, 1 vs 2 processes.",
    )
    p.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    p.add_argument("--job", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.job:
        run_job(json.loads(a.job))
        return
    big, small = a.work / f"corpus-{a.mb}mb.txt", a.work / f"corpus-{a.small_mb}mb.txt"
    build_corpus(big, a.mb)
    build_corpus(small, a.small_mb)
    rows: list[dict[str, Any]] = []
    parts = set() if a.skip_cpu else set(a.parts)
    if "prepare" in parts or not (a.work / "tokens-char").exists():
        rows += prepare_rows(big, a.work)  # the GPU runs train on the char store too
    small_store = a.work / "tokens-small"
    if parts - {"prepare"}:
        shutil.rmtree(small_store, ignore_errors=True)
        job = {"kind": "prepare", "source": str(small), "out": str(small_store), "level": "char"}
        measured(job)
    if "rss" in parts:
        rows += training_rss_rows(a.work / "tokens-char", small_store, a.work, a.steps)
    if "rate" in parts:
        for n, threads in ((1, 0), (1, 1), (2, 0)):
            launcher = [] if n == 1 else ["--standalone", f"--nproc_per_node={n}"]
            rate = throughput(small_store, a.work / f"rate-{n}", a.steps, launcher, "cpu", threads)
            shown = f"OMP_NUM_THREADS={threads}" if threads else "default threads"
            what = f"train, {n} process, {shown}" if n == 1 else f"train, {n} processes, gloo"
            rows.append({"what": what, "chars_per_s": round(rate)})
        agree = two_launchers_agree(small_store, a.work, min(a.steps, 10))
        rows.append({"what": "2 launchers (--nnodes 2) == 1 launcher of 2", "identical": agree})
    for n in range(1, a.gpus + 1):
        launcher = ["--standalone", f"--nproc_per_node={n}"]
        rate = throughput(a.work / "tokens-char", a.work / f"gpu-{n}", a.steps, launcher, "cuda")
        rows.append({"what": f"train, {n} GPU(s), nccl", "chars_per_s": round(rate)})
    for row in rows:
        print("  ".join(f"{k} {v}" for k, v in row.items()))
    write_report(
        {"machine": machine(), "args": {k: str(v) for k, v in vars(a).items()}, "rows": rows}, a.out
    )


if __name__ == "__main__":
    main()
