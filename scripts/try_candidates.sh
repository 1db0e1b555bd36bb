#!/usr/bin/env bash
# Retrain with the candidate corpus files (classifiers/data/candidates/*.jsonl) added to the bundled
# corpus, then evaluate the result exactly as the committed model is evaluated (scripts/evaluate_all.sh).
# The committed model does not change. About 40 minutes on 2 cores; run nothing else meanwhile.
# Usage: [SEED=N] bash scripts/try_candidates.sh [OUT_DIR]   (seed 0 and /tmp/repmon-candidates by default)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/repmon-candidates}
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
cp classifiers/data/train/*.jsonl classifiers/data/candidates/*.jsonl "$DATA"/
.venv/bin/repmon train --data "$DATA" --output "$OUT/model" --seed "${SEED:-0}" --no-progress
REPMON_HEAD_DIR="$OUT/model" OUT="$OUT/eval" bash scripts/evaluate_all.sh
