#!/usr/bin/env bash
# Dashboard benchmark: time to first render and to all charts drawn of a
# sweep's page in Debian's headless Chromium, at 100, 1,000 and 10,000 trials
# of 100 steps, next to the time to read the same data through the API
# without rendering (same run). Filling 10,000 x 100 reports over HTTP takes
# minutes. Last line: one JSON object.
#   tools/bench/dashboard_bench.sh [--trials 100,1000,10000] [--steps 100]
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=100,1000,10000
steps=100
while (($#)); do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  echo "dashboard_bench: run tools/setup.sh first (playwright-core in tests/browser)" >&2
  exit 1
fi
bazel build -c opt //coordinator:hpsweep-coordinator >&2
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
NODE_PATH="$PWD/tests/browser/node_modules" node tools/bench/dashboard_bench.js \
  "$bin/coordinator/hpsweep-coordinator" "$(command -v chromium)" "$trials" "$steps"
