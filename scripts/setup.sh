#!/usr/bin/env bash
# Set up repmon on a fresh machine: a virtual environment in .venv/ with everything installed.
#   bash scripts/setup.sh          the product
#   bash scripts/setup.sh --dev    the product and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian's python3 ships venv separately.
    echo "setup: installing python3-venv with apt" >&2
    rm -rf .venv
    apt-get update -qq && apt-get install -y -qq python3-venv python3.11-venv >/dev/null 2>&1 || apt-get install -y -qq python3-venv
    "$PY" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: the CPU wheel. An unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
  # The e2e dashboard test drives Debian's Chromium with Playwright (`playwright install` needs the internet);
  # the emoji font makes its screenshots show the labels' icons.
  if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ]; then
    echo "setup: installing chromium, chromium-driver and an emoji font with apt (for the e2e browser test)" >&2
    if ! command -v apt-get >/dev/null \
      || ! { apt-get update -qq \
             && apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji >/dev/null; }; then
      echo "setup: WARNING: could not install chromium with apt; the e2e browser test will be skipped" >&2
    fi
  fi
  # The suite runs a second time on a real PostgreSQL server (TEST_DATABASE=postgresql): the tests start a
  # throwaway cluster of their own with Debian's server binaries.
  if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "setup: installing postgresql with apt (the test suite also runs on PostgreSQL)" >&2
    if ! command -v apt-get >/dev/null \
      || ! { apt-get update -qq \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; then
      echo "setup: WARNING: could not install postgresql with apt; TEST_DATABASE=postgresql will fail" >&2
    fi
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: done (.venv ready; the offline encoder is converted on first use)" >&2
