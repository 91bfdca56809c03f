#!/usr/bin/env bash
# Sets everything up, then runs the main job: the browser node editor on http://127.0.0.1:8420/,
# opening the forest-at-dawn example workflow. Extra arguments go to `oyster serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/oyster serve --workspace workspace "$@"
