"""How WordLM's 10-minute defaults were chosen: replay CPU budgets on a faster machine.

Sweeping recipes at a 10-minute CPU budget costs 10 minutes each. Instead, ``rates`` measures
each candidate's training speed on the CPU (a short run), and ``replay`` trains each candidate
elsewhere (a GPU) for exactly the number of steps that speed reaches in the budget, then reports
validation perplexity: the same optimisation trajectory, minutes instead of hours. The winner
is then checked for real with ``benchmarks/wordlm.py`` on the CPU.

    python benchmarks/wordlm_recipes.py rates --datasets wikitext2 ptb        # on the CPU
    python benchmarks/wordlm_recipes.py replay --datasets wikitext2 ptb --device cuda

Writes benchmarks/results/wordlm_recipe_rates.json and wordlm_recipe_sweep.json.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rnnkit import WordLM

HERE = Path(__file__).resolve().parent
RATES = HERE / "results" / "wordlm_recipe_rates.json"
SWEEP = HERE / "results" / "wordlm_recipe_sweep.json"

BASE = {"cell": "lstm", "hidden_size": 512, "embed_size": 256, "seq_len": 64, "batch_size": 32}
NONE = {"dropout": 0.0, "input_dropout": 0.0, "embed_dropout": 0.0, "weight_drop": 0.0}
LIGHT = {"dropout": 0.1, "input_dropout": 0.1, "embed_dropout": 0.0, "weight_drop": 0.0}
MEDIUM = {"dropout": 0.25, "input_dropout": 0.25, "embed_dropout": 0.05, "weight_drop": 0.2}
HEAVY = {"dropout": 0.4, "input_dropout": 0.4, "embed_dropout": 0.1, "weight_drop": 0.3}
FAST = {"lr": 5e-3, "warmup_steps": 50}
RECIPES: dict[str, dict[str, Any]] = {
    "medium_lr3e-3_w200": {**BASE, **MEDIUM, "lr": 3e-3, "warmup_steps": 200},
    "medium": {**BASE, **MEDIUM, **FAST},
    "light": {**BASE, **LIGHT, **FAST},
    "heavy": {**BASE, **HEAVY, **FAST},
    "none": {**BASE, **NONE, **FAST},
    "light_lr7e-3": {**BASE, **LIGHT, "lr": 7e-3, "warmup_steps": 50},
    "medium_h256": {**BASE, **MEDIUM, **FAST, "hidden_size": 256},
    "light_h256": {**BASE, **LIGHT, **FAST, "hidden_size": 256},
    "light_h384": {**BASE, **LIGHT, **FAST, "hidden_size": 384},
    "medium_b64_lr6e-3": {**BASE, **MEDIUM, "batch_size": 64, "lr": 6e-3, "warmup_steps": 50},
    "medium_seq32_b64": {**BASE, **MEDIUM, **FAST, "seq_len": 32, "batch_size": 64},
    "light_seq32_b64": {**BASE, **LIGHT, **FAST, "seq_len": 32, "batch_size": 64},
    "medium_full_softmax_tied": {**BASE, **MEDIUM, **FAST, "adaptive": False},
}


def rates(datasets: list[str], steps: int = 14) -> dict[str, float]:
    """Training words/s of every recipe on this machine (a short run; the first steps count)."""
    out = {}
    for name in datasets:
        for recipe, cfg in RECIPES.items():
            lm = WordLM(**cfg, evals=1, val_max_chars=500).fit(name, steps=steps, quiet=True)
            stats = lm.info()["stats"]
            out[f"{name}/{recipe}"] = stats["tokens_seen"] / stats["elapsed_s"]
            print(f"{name:<10} {recipe:<26} {out[f'{name}/{recipe}']:>8,.0f} words/s", flush=True)
    return out


def replay(datasets: list[str], budget: float, device: str) -> list[dict[str, Any]]:
    """Train each recipe for the steps its measured speed reaches in ``budget`` seconds."""
    speed = json.loads(RATES.read_text())
    rows = []
    for name in datasets:
        for recipe, cfg in RECIPES.items():
            steps = int(speed[f"{name}/{recipe}"] * budget / (cfg["seq_len"] * cfg["batch_size"]))
            lm = WordLM(**cfg, device=device).fit(name, steps=steps, quiet=True)
            history = lm.info()["stats"]["history"]
            curve = [round(math.exp(h["val_loss"]), 1) for h in history]
            rows.append({"ds": name, "name": recipe, "steps": steps, "val_ppl": min(curve)})
            print(json.dumps({**rows[-1], "curve": curve}), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["rates", "replay"])
    ap.add_argument("--datasets", nargs="*", default=["wikitext2", "ptb"])
    ap.add_argument("--budget", type=float, default=600.0, help="CPU seconds to replay")
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    RATES.parent.mkdir(parents=True, exist_ok=True)
    if args.mode == "rates":
        RATES.write_text(json.dumps(rates(args.datasets), indent=1) + "\n")
    else:
        rows = replay(args.datasets, args.budget, args.device)
        SWEEP.write_text(json.dumps({"budget_s": args.budget, "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
