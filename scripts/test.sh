#!/usr/bin/env bash
# The test command: set up, then lint (ruff), type-check (mypy), and run the tests (pytest,
# including the runnable examples in docstrings). All on CPU, in a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check --no-cache rnnkit tests benchmarks scripts conftest.py
.venv/bin/ruff format --check --no-cache rnnkit tests benchmarks scripts conftest.py
.venv/bin/mypy
.venv/bin/python -m pytest --doctest-modules rnnkit tests "$@"
