#!/usr/bin/env bash
# Refresh the message catalogues (see monitor/i18n.py): extract every marked string into the template,
# then add new entries to (and mark vanished ones obsolete in) each language's .po. Translate, then run
# the tests: tests/test_i18n.py fails on a missing, untranslated or unused entry.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg -k n_:1,2 --no-location --sort-output --omit-header \
  -o monitor/locale/repmon.pot . >/dev/null 2>&1
for dir in monitor/locale/*/; do
  lang=$(basename "$dir")
  if [ -f "$dir/LC_MESSAGES/repmon.po" ]; then
    "$PYBABEL" update -i monitor/locale/repmon.pot -d monitor/locale -D repmon -l "$lang" \
      --no-fuzzy-matching --ignore-obsolete >/dev/null 2>&1
  fi
done
echo "i18n: catalogues updated; translate the new entries in monitor/locale/*/LC_MESSAGES/repmon.po" >&2
