#!/usr/bin/env bash
# Build the Allure HTML report of the last sign-off: ONE self-contained file that opens from disk.
#
#   scripts/allure-report.sh [RESULTS_DIR]        (default reports/allure-results, written by the sign-off)
#
# Output  : $ALLURE_OUTPUT   (default reports/allure-report/index.html)
# History : $ALLURE_HISTORY  (default reports/allure-history/history.jsonl): one line per run, appended by
#           every build, so consecutive runs show trends and retries; keep that file between runs (CI: cache it).
# Tooling : Allure 3 CLI (npm package `allure`, pinned in scripts/allure/package.json + lockfile), installed
#           under .tools/ with `npm ci` on first use (scripts/allure/install-tools.sh). Needs Node.js >= 20
#           and npm; never installs globally.
set -euo pipefail
cd "$(dirname "$0")/.."
results="${1:-${ALLURE_RESULTS:-reports/allure-results}}"
export ALLURE_OUTPUT="${ALLURE_OUTPUT:-reports/allure-report}"
export ALLURE_HISTORY="${ALLURE_HISTORY:-reports/allure-history/history.jsonl}"
export ALLURE_NO_ANALYTICS=true  # honoured by some Allure plugins; the others: strip-analytics.mjs below
if [ ! -d "$results" ] || ! ls "$results"/*-result.json >/dev/null 2>&1; then
  echo "allure-report: no Allure results in $results (run the sign-off first: make signoff)" >&2
  exit 2
fi
tools="$(scripts/allure/install-tools.sh)"
mkdir -p "$(dirname "$ALLURE_HISTORY")" "$ALLURE_OUTPUT"
"$tools/node_modules/.bin/allure" generate --config scripts/allure/allurerc.mjs --output "$ALLURE_OUTPUT" "$results" >&2
node scripts/allure/strip-analytics.mjs "$ALLURE_OUTPUT/index.html"
runs=$(wc -l < "$ALLURE_HISTORY" 2>/dev/null || echo 0)
echo "allure-report: $ALLURE_OUTPUT/index.html (single file; history: $ALLURE_HISTORY, $runs run(s))"
