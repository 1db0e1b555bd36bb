#!/usr/bin/env bash
# Evaluate the committed model with one rule layer switched (classifiers/rules.py), exactly as the committed
# model is evaluated (scripts/evaluate_all.sh): the model folder is copied to a temporary one whose
# config.json sets KEY to MODE; the committed model does not change.
# Usage: bash scripts/try_rule_layer.sh KEY MODE [OUT_DIR]
#   e.g. bash scripts/try_rule_layer.sh gripe_rules floor /tmp/gripe-eval
#   KEY: boycott_rules, accusation_rules, gripe_rules or long_posts (how posts over 256 tokens are read);
#   MODE: one of its modes.
# PROBE=scripts/probe_NAME.py runs that probe script on the switched model instead of evaluate_all.sh
#   (no OUT_DIR), e.g. REPMON_PRECISION=fp32 PROBE=scripts/probe_boycott_words.py bash scripts/try_rule_layer.sh
#   boycott_rules cap+floor
set -euo pipefail
cd "$(dirname "$0")/.."
KEY=${1:?usage: try_rule_layer.sh KEY MODE [OUT_DIR]}
MODE=${2:?usage: try_rule_layer.sh KEY MODE [OUT_DIR]}
OUT=${3:-/tmp/repmon-rule-$KEY-$MODE}
MODEL=$(mktemp -d)
trap 'rm -rf "$MODEL"' EXIT
cp -r classifiers/model/. "$MODEL"/
.venv/bin/python - "$MODEL/config.json" "$KEY" "$MODE" <<'PY'
import json
import sys

path, key, mode = sys.argv[1:]
config = json.loads(open(path, encoding="utf-8").read())
if key not in ("boycott_rules", "accusation_rules", "gripe_rules", "long_posts"):
    sys.exit(f"try_rule_layer: unknown key {key!r} (boycott_rules, accusation_rules, gripe_rules or long_posts)")
config[key] = mode
open(path, "w", encoding="utf-8").write(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
PY
if [ -n "${PROBE:-}" ]; then
  .venv/bin/python "$PROBE" "$MODEL"
else
  REPMON_HEAD_DIR="$MODEL" OUT="$OUT" bash scripts/evaluate_all.sh
fi
