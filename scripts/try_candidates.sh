#!/usr/bin/env bash
# Retrain with the candidate corpus files (classifiers/data/candidates/*.jsonl) added to the bundled
# corpus, then evaluate the result exactly as the committed model is evaluated (scripts/evaluate_all.sh).
# The committed model does not change. About 40 minutes on 2 cores; run nothing else meanwhile.
# Usage: [SEED=N] [CANDIDATES="name ..."] bash scripts/try_candidates.sh [OUT_DIR]
#   seed 0, every candidate file and /tmp/repmon-candidates by default; CANDIDATES names files of
#   classifiers/data/candidates/ without .jsonl (e.g. CANDIDATES=short_posts) to try only those.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/repmon-candidates}
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
cp classifiers/data/train/*.jsonl "$DATA"/
if [ -n "${CANDIDATES:-}" ]; then
    for name in $CANDIDATES; do
        f="classifiers/data/candidates/$name.jsonl"
        [ -f "$f" ] || { echo "try_candidates: no candidate file $f (CANDIDATES=$CANDIDATES)" >&2; exit 2; }
        cp "$f" "$DATA"/
    done
else
    cp classifiers/data/candidates/*.jsonl "$DATA"/
fi
.venv/bin/repmon train --data "$DATA" --output "$OUT/model" --seed "${SEED:-0}" --no-progress
REPMON_HEAD_DIR="$OUT/model" OUT="$OUT/eval" bash scripts/evaluate_all.sh
