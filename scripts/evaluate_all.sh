#!/usr/bin/env bash
# Reproduce every number in classifiers/MODEL_CARD.md. Writes JSON reports to ${OUT:-eval-results}/.
# The real datasets are read from ../shared/datasets (never copied into the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATASETS:-../shared/datasets}
OUT=${OUT:-eval-results}
mkdir -p "$OUT"
R=.venv/bin/repmon
NEG=(--group negative=complaint,defamation,boycott --group other=praise,neutral)

$R evaluate --input classifiers/data/test/heldout.jsonl --label-column labels --by lang --json > "$OUT/heldout.json"
$R evaluate --input "$DATA/hebrew-sentiment/dev.tsv" --text-column comment --label-column label \
  "${NEG[@]}" --map 1=negative --map 0=other --map 2=other --json > "$OUT/hebrew-sentiment-dev.json"
$R evaluate --input "$DATA/hebert-sentiment/hebert_sentiment_aggregated.csv" --label-column sent_majority3 \
  "${NEG[@]}" --map neg=negative --map neu=other --map pos=other --json > "$OUT/hebert-sentiment.json"
$R evaluate --input "$DATA/davidson-offensive/labeled_data.csv" --text-column tweet --label-column class \
  --group attack=complaint,defamation,boycott --group other=praise,neutral \
  --map 0=attack --map 1=attack --map 2=other --sample 3000 --seed 0 --json > "$OUT/davidson-offensive.json"
echo "reports in $OUT/" >&2
