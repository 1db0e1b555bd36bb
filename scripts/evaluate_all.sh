#!/usr/bin/env bash
# Reproduce every quality number in classifiers/MODEL_CARD.md. Writes JSON reports to ${OUT:-eval-results}/
# and prints a summary table (scripts/eval_summary.py). The real datasets are read in place from
# ${DATASETS:-../shared/datasets} (never copied into the repository); only their dev parts are scored.
# REPMON_HEAD_DIR=DIR evaluates another trained model (e.g. the one before a change) the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATASETS:-../shared/datasets}
OUT=${OUT:-eval-results}
mkdir -p "$OUT"
R=.venv/bin/repmon
NEG=(--group negative=complaint,defamation,boycott --group other=praise,neutral)

# The project's own test files (never trained on): the first team's, and the real-post-style one by another hand.
$R evaluate --input classifiers/data/test/heldout.jsonl --label-column labels --by lang --json > "$OUT/heldout.json"
$R evaluate --input classifiers/data/test/realstyle.jsonl --label-column labels --by lang --json > "$OUT/realstyle.json"

# Real dev yardsticks (never trained on).
$R evaluate --input "$DATA/hebrew-sentiment/dev.tsv" --text-column comment --label-column label \
  "${NEG[@]}" --map 1=negative --map 0=other --map 2=other --json > "$OUT/hebrew-sentiment-dev.json"
$R evaluate --input "$DATA/hebert-sentiment/hebert_sentiment_aggregated.csv" --label-column sent_majority3 \
  --where split=test_insample "${NEG[@]}" --map neg=negative --map neu=other --map pos=other \
  --json > "$OUT/hebert-test_insample.json"
$R evaluate --input "$DATA/hebrew-negative-campaign/TONIC_dataset.csv" --text-column post --label-column label \
  --dev-part --group other=praise,neutral,complaint,boycott --map 1=defamation --map 0=other \
  --json > "$OUT/tonic-dev.json"
$R evaluate --input "$DATA/davidson-offensive/labeled_data.csv" --text-column tweet --label-column class \
  --dev-part --group attack=complaint,defamation,boycott --group other=praise,neutral \
  --map 0=attack --map 1=attack --map 2=other --json > "$OUT/davidson-dev.json"
# Measuring only (no licence): never trained or tuned on.
$R evaluate --input "$DATA/complaints-en-dev/complaints_dev.csv" --label-column complaint \
  "${NEG[@]}" --map 1=negative --map 0=other --by domain --json > "$OUT/complaints-en-dev.json"

.venv/bin/python scripts/eval_summary.py "$OUT"
