#!/usr/bin/env bash
# Shared set-up for build.sh and test.sh: a virtual environment in .venv with requirements.txt,
# and (where we are root on Debian) the Fashion-MNIST package used offline.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "== installing Fashion-MNIST from Debian (dataset-fashion-mnist)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
start=$(date +%s)
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
echo "== install took $(( $(date +%s) - start )) s"
