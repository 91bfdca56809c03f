#!/usr/bin/env bash
# Sets up everything Oyster Nodes needs on a fresh Debian machine: system libraries (EGL/Mesa for
# the headless renderer), a Python virtual environment in .venv, and the package with its pinned
# dependencies. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libgles2)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.oyster-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Python packages (torch CPU wheel first, then the rest)"
  .venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
  .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" > "$stamp"
fi
# ---- browser editor (frontend/ and its browser tests) ---------------------------------------
# Debian's Chromium for the UI tests, screenshots and the editor benchmark (never `playwright install`);
# the editor's npm packages, reinstalled when package-lock.json changes, and its bundle in frontend/dist.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "==> installing chromium and chromium-driver"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  lock_stamp=frontend/node_modules/.oyster-lock
  lock_want=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$lock_want" ]; then
    echo "==> installing the editor's npm packages (npm ci)"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_want" > "$lock_stamp"
  fi
  if [ ! -f frontend/dist/editor.js ] || [ -n "$(find frontend/src frontend/build.mjs "$lock_stamp" -newer frontend/dist/editor.js 2>/dev/null | head -1)" ]; then
    echo "==> building the editor (frontend/dist)"
    (cd frontend && node build.mjs)
  fi
else
  echo "==> npm not found: the browser editor (oyster serve) needs Node.js 18+ and npm to build frontend/" >&2
fi
# ---- end browser editor ----------------------------------------------------------------------

# ---- export validators (tests/io) -------------------------------------------------------------
# ffprobe (Debian ffmpeg) checks exported video; Blender 3.4 (Debian blender, with python3-numpy for its
# glTF importer) checks that GLB files import; each installs in about 15 s. OYSTER_NO_BLENDER=1 leaves
# Blender out (the Blender import test then skips). The Khronos glTF Validator comes from npm into
# tests/tools, reinstalled when its package-lock.json changes.
export_missing=()
command -v ffprobe >/dev/null 2>&1 || export_missing+=(ffmpeg)
if [ "${OYSTER_NO_BLENDER:-0}" != "1" ]; then
  command -v blender >/dev/null 2>&1 || export_missing+=(blender)
  /usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || export_missing+=(python3-numpy)
fi
if [ ${#export_missing[@]} -gt 0 ]; then
  echo "==> installing export validators: ${export_missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${export_missing[@]}" >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  validator_stamp=tests/tools/node_modules/.oyster-lock
  validator_want=$(sha256sum tests/tools/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$validator_stamp" ] || [ "$(cat "$validator_stamp")" != "$validator_want" ]; then
    echo "==> installing the glTF Validator (npm ci in tests/tools)"
    (cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
    echo "$validator_want" > "$validator_stamp"
  fi
else
  echo "==> npm not found: the GLB tests need Node.js and npm for the Khronos glTF Validator" >&2
fi
# ---- end export validators --------------------------------------------------------------------

echo "==> setup done ($(.venv/bin/python --version), $(.venv/bin/oyster --version))"
