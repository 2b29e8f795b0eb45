#!/usr/bin/env bash
# Install everything, then run every test: cnnlib's unit tests and every chapter under nbval.
# Offline defaults: quick budget, data from ./data (and ../shared/data when present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
roots="$PWD/data"
[ -d "$PWD/../shared/data" ] && roots="$roots:$(cd "$PWD/../shared/data" && pwd)"
export CNNLIB_DATA="${CNNLIB_DATA:-$roots}"
export CNNLIB_BUDGET="${CNNLIB_BUDGET:-quick}"
export PYDEVD_DISABLE_FILE_VALIDATION=1
# pytest runs two workers on two cores: one torch thread each avoids oversubscription.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
start=$(date +%s)
.venv/bin/python -m ruff check cnnlib tests scripts benchmarks chapters
.venv/bin/python -m pytest -n 2 --dist loadfile -p no:cacheprovider \
  --nbval --nbval-current-env --nbval-cell-timeout 600 \
  --nbval-sanitize-with tests/nbval_sanitize.cfg \
  tests chapters "$@"
echo "== tests took $(( $(date +%s) - start )) s"
