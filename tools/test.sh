#!/usr/bin/env bash
# Every check CI runs: export in sync, notebooks clean, README current, nbdev-test, pytest, docs render offline.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=agg PYTHONHASHSEED=0
# Tests run two notebooks or processes at a time on small machines: one intra-op thread each avoids oversubscription.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# A fresh cache, so nothing built by an earlier run can hide a broken step.
export AVBOOK_CACHE="$(mktemp -d -t avbook-cache-XXXXXX)"
# librosa's numba kernels are compiled on first use and cached on disk; two processes compiling the same kernel at once
# can leave a cache entry that crashes whoever loads it. So: a cache of this run's own, filled by one process first.
export NUMBA_CACHE_DIR="$(mktemp -d -t avbook-numba-XXXXXX)"
trap 'rm -rf "$AVBOOK_CACHE" "$NUMBA_CACHE_DIR"' EXIT
python tools/warm_numba.py

snapshot() { find "$@" -type f \( -name '*.py' -o -name '*.ipynb' -o -name '*.md' \) -not -path '*/.ipynb_checkpoints/*' -print0 \
             | sort -z | xargs -0 sha256sum; }
step() { echo; echo "== $* =="; }

step "notebooks and library in sync (nbdev-export), notebooks clean (nbdev-clean), README current"
before=$(snapshot avbook nbs reproductions README.md)
nbdev-export
nbdev-clean
nbdev-clean --fname reproductions
python tools/make_readme.py
after=$(snapshot avbook nbs reproductions README.md)
if [ "$before" != "$after" ]; then
  { diff <(echo "$before") <(echo "$after") || true; } | grep '^[<>]' | awk '{print $3}' | sort -u | sed 's/^/  changed: /'
  echo "The library, the notebooks or README.md were out of date. They have now been regenerated:" >&2
  echo "review the changes above and commit them (make sync does the same)." >&2
  exit 1
fi
echo "in sync"

step "nbdev-test (every notebook in nbs/, top to bottom)"
nbdev-test --n-workers 2 --timing

step "docs: every page renders offline"
python tools/check_docs.py

step "pytest"
python -m pytest -q -p no:cacheprovider
