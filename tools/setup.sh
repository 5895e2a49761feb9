#!/usr/bin/env bash
# Install everything avbook needs on a Debian machine: system packages (when root), the venv, the Jupyter kernel.
# Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages="fluidsynth libfluidsynth3 fluid-soundfont-gm espeak-ng libmysofa1 sox make git"
missing=""
for pkg in $apt_packages; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup] installing Debian packages:$missing"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
  else
    echo "[setup] missing Debian packages:$missing" >&2
    echo "[setup] install them with: sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
  fi
fi

python_bin=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python_bin=$(command -v "$candidate"); break
  fi
done
[ -n "$python_bin" ] || { echo "[setup] avbook needs Python >= 3.11 with venv; none found on PATH" >&2; exit 1; }

stamp=.venv/.avbook-setup-stamp
want=$(cat pyproject.toml tools/setup.sh | sha256sum | cut -c1-16)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] environment up to date (.venv)"
  exit 0
fi
[ -x .venv/bin/python ] || { echo "[setup] creating .venv with $python_bin"; "$python_bin" -m venv .venv; }
echo "[setup] installing avbook and its dependencies into .venv (first time: a few minutes, about 7 GB)"
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import avbook, torch, torchaudio, fastai.vision.all, pyroomacoustics, sofar, fluidsynth" \
  || { echo "[setup] the install did not complete: see the pip messages above" >&2; exit 1; }
# A kernel spec that points at this venv's interpreter, so papermill's `-k python3` runs avbook's Python.
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (avbook)" >/dev/null
echo "$want" > "$stamp"
echo "[setup] done"
