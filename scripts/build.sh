#!/usr/bin/env bash
# Install everything and build the book into _build/html (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
start=$(date +%s)
.venv/bin/jupyter-book build . -W -n --keep-going
echo "== book built in $(( $(date +%s) - start )) s: open _build/html/index.html"
