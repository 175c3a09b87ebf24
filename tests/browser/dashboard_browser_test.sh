#!/usr/bin/env bash
# Runs a browser test script (the first argument, a file in tests/browser;
# default dashboard_test.js): the dashboard in Debian's Chromium (driven by the
# playwright-core that tools/setup.sh installs here with npm ci) against a
# real coordinator. Screenshots go to $TEST_UNDECLARED_OUTPUTS_DIR. Skips,
# saying why, only when Chromium cannot start at all.
set -euo pipefail

runfiles="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-hpsweep}"
# The runfiles are links into the source tree, where node_modules lives.
here="$(dirname "$(readlink -f "$runfiles/tests/browser/package.json")")"
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "dashboard_browser_test: $here/node_modules/playwright-core is missing; run tools/setup.sh (npm ci in tests/browser)" >&2
  exit 1
fi
chromium="${HPSWEEP_CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$chromium" ]]; then
  echo "dashboard_browser_test: Debian's chromium is not installed; run tools/setup.sh" >&2
  exit 1
fi

work="${TEST_TMPDIR:-$(mktemp -d)}/dashboard"
mkdir -p "$work"
export WORK="$work"
export OUT="${TEST_UNDECLARED_OUTPUTS_DIR:-$work/out}"
mkdir -p "$OUT"
export COORDINATOR="$runfiles/coordinator/hpsweep-coordinator"
export CHROMIUM="$chromium"
export HOME="$work"  # Chromium's profile and caches stay in the test's folder
export NODE_PATH="$here/node_modules"
exec node "$runfiles/tests/browser/${1:-dashboard_test.js}"
