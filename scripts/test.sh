#!/usr/bin/env bash
# Install everything, then run every test: cnnlib's unit tests and every chapter under nbval.
# The tests' settings are set here, so the command passes on a fresh machine, offline or not,
# with nothing beside the checkout: quick budget, data in ./data (Fashion-MNIST from the Debian
# package, MNIST's offline subset from cnnlib itself), CIFAR-10 replaced by its announced
# stand-in, and no downloads (the stored chapter outputs were made with exactly this data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CNNLIB_DATA="$PWD/data"
export CNNLIB_BUDGET=quick
export CNNLIB_ALLOW_STANDIN=1
export CNNLIB_OFFLINE=1  # never download: the stored outputs were made with the offline data
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
