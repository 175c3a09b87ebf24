#!/usr/bin/env bash
# Lints proto/openapi.yaml with the Redocly CLI pinned in package-lock.json
# (recommended rules, see redocly.yaml): no errors and no warnings. Offline:
# the CLI was installed by tools/setup.sh.
set -euo pipefail

runfiles="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-hpsweep}"
# The runfiles are links into the source tree, where node_modules lives.
lint_dir="$(dirname "$(readlink -f "$runfiles/tools/lint/package.json")")"
spec="$(readlink -f "$runfiles/proto/openapi.yaml")"
redocly="$lint_dir/node_modules/.bin/redocly"
if [[ ! -x "$redocly" ]]; then
  echo "openapi_lint_test: $redocly is missing; run tools/setup.sh (npm ci in tools/lint)" >&2
  exit 1
fi

export HOME="${TEST_TMPDIR:-$(mktemp -d)}"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
out="$("$redocly" lint --config "$lint_dir/redocly.yaml" --format=stylish "$spec" 2>&1)" || {
  echo "$out" >&2
  echo "openapi_lint_test: proto/openapi.yaml has lint errors (above)" >&2
  exit 1
}
echo "$out"
if grep -qE '\bwarning\b' <<<"$out"; then
  echo "openapi_lint_test: proto/openapi.yaml has lint warnings (above)" >&2
  exit 1
fi
