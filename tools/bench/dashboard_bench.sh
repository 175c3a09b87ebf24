#!/usr/bin/env bash
# Dashboard benchmark: time to first render and to all charts drawn of a
# sweep's page in Debian's headless Chromium, at 100, 1,000 and 10,000 trials
# of 100 steps, with the bytes the page read and the cost of a curve hover
# and a table sort, next to the time to read the same data through the API
# without rendering (same run). Last line: one JSON object.
#
# The data is filled by dashboard_fill (the coordinator's own SweepService
# and RocksDB store, in-process, batched commits; dashboard_fill.cc says why
# that is the same data) and then served by the real hpsweep-coordinator;
# --fill http fills through the HTTP API instead, one request per report
# (10,000 x 100 reports that way take most of an hour on 2 cores).
#   tools/bench/dashboard_bench.sh [--trials 100,1000,10000] [--steps 100] [--fill store|http]
set -euo pipefail
cd "$(dirname "$0")/../.."
trials=100,1000,10000
steps=100
fill=store
while (($#)); do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --fill) fill="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ "$fill" != store && "$fill" != http ]]; then
  echo "dashboard_bench: --fill must be store or http, not $fill" >&2
  exit 2
fi
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  echo "dashboard_bench: run tools/setup.sh first (playwright-core in tests/browser)" >&2
  exit 1
fi
bazel build -c opt //coordinator:hpsweep-coordinator //tools/bench:dashboard_fill >&2
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
NODE_PATH="$PWD/tests/browser/node_modules" node tools/bench/dashboard_bench.js \
  "$bin/coordinator/hpsweep-coordinator" "$(command -v chromium)" "$trials" "$steps" \
  "$bin/tools/bench/dashboard_fill" "$fill"
