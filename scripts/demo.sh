#!/usr/bin/env bash
# The main job: train a character LSTM on the bundled complete works of Shakespeare for a short
# budget, then print generated text. MINUTES (default 3) sets the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/rnnkit train shakespeare --minutes "${MINUTES:-3}" --out runs/shakespeare
.venv/bin/rnnkit info runs/shakespeare
echo
echo "=== 600 characters after 'ROMEO:' (temperature 0.8) ==="
.venv/bin/rnnkit generate runs/shakespeare --chars 600 --prompt "ROMEO:" --temperature 0.8 --seed 1
echo
echo "=== 14 lines (temperature 0.7) ==="
.venv/bin/rnnkit generate runs/shakespeare --lines 14 --temperature 0.7 --seed 2
