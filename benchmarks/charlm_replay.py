"""Replay the char LM's 600-s CPU budget on a faster machine, to choose what to verify.

Each variant of the >5-minute default (GRU 512, dropout 0.1, lr 5e-3) trains for the number of
steps the CPU reaches in 600 s (2,041 at its measured 13,927 chars/s), on a GPU, in parallel;
the best is then checked for real with ``benchmarks/charlm.py --budgets 600`` on the CPU.

    python benchmarks/charlm_replay.py NAME '{"weight_decay": 0.1}' --device cuda

Prints one JSON line (collected in benchmarks/results/charlm_600_replay.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit import CharLM
from rnnkit.data.sources import read_corpus

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
BASE = {"cell": "gru", "hidden_size": 512, "dropout": 0.1, "lr": 5e-3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("settings", type=json.loads, help="changes to the base settings, as JSON")
    ap.add_argument("--steps", type=int, default=2041)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    text = read_corpus(args.data).text  # CharLM splits it 90/10, as the benchmark does
    lm = CharLM(**{**BASE, **args.settings}, device=args.device)
    history = lm.fit(text, steps=args.steps, quiet=True).info()["stats"]["history"]
    curve = [round(h["val_loss"], 4) for h in history]
    print(json.dumps({"name": args.name, "best": min(curve), "curve": curve}))


if __name__ == "__main__":
    main()
