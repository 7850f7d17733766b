#!/usr/bin/env bash
# Create .venv and install rnnkit with its test tools. Idempotent; safe to run again.
#
# torch is installed first, on its own: with no torch present, a bare "torch" requirement pulls
# the CUDA build (several GB). "pip install torch==$TORCH_VERSION" takes a local CPU wheel where
# pip is configured with one (find-links) and the normal build elsewhere; set TORCH_SPEC to
# choose another (e.g. TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip -q --disable-pip-version-check)
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # shellcheck disable=SC2086
    "${PIP[@]}" install ${TORCH_SPEC:-torch==$TORCH_VERSION}
fi
"${PIP[@]}" install -e ".[dev,serve]"
