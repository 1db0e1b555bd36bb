#!/usr/bin/env bash
# Static checks, as CI runs them before the tests: lint, formatting, types.
# Usage: bash scripts/check.sh   (from anywhere; uses the project's .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy monitor classifiers playbooks dashboard
