#!/usr/bin/env bash
# Sets everything up, then runs the main job: the default workflow, writing into ./out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/oyster run "${1:-workflows/forest_dawn_still.json}" --out out
