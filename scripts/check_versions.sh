#!/usr/bin/env bash
# Re-run every chapter under nbval against two version sets, to prove that no compared output
# depends on a library version (issue: stored outputs that break when a dependency updates).
#
#   bash scripts/check_versions.sh newest    # the newest releases (what CI installs)
#   bash scripts/check_versions.sh oldest    # the oldest supported set, like Colab's image
#
# "oldest" builds .venv-oldest with the Colab-like versions from ../shared/TOOLING.md that still
# install here (torch 2.11 / torchvision 0.26, numpy 2.1, ipywidgets 7.7.1, matplotlib 3.10);
# "newest" uses .venv from scripts/install.sh. Extra arguments go to pytest (e.g. chapters/03_*).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-newest}"
shift || true
case "$which" in
  newest)
    bash scripts/install.sh
    venv=.venv ;;
  oldest)
    venv=.venv-oldest
    if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "torch==2.11.*" "torchvision==0.26.*" "numpy==2.1.*" \
      "ipywidgets==7.7.1" "matplotlib==3.10.*"
    "$venv/bin/python" -m pip install --quiet -r requirements.txt ;;
  *) echo "usage: $0 newest|oldest [pytest args]" >&2; exit 2 ;;
esac
"$venv/bin/python" -c "from cnnlib.report import versions; print('== versions:', versions())"
export CNNLIB_BUDGET=quick CNNLIB_ALLOW_STANDIN=1 OMP_NUM_THREADS=1 PYDEVD_DISABLE_FILE_VALIDATION=1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(chapters)
"$venv/bin/python" -m pytest -n 2 --dist loadfile -p no:cacheprovider --nbval --nbval-current-env \
  --nbval-cell-timeout 600 --nbval-sanitize-with tests/nbval_sanitize.cfg "${targets[@]}"
