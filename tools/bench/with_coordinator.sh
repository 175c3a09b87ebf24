#!/usr/bin/env bash
# The coordinator start-up the HTTP benchmarks share (bo_bench.sh,
# mo_bench.sh): builds hpsweep-coordinator (-c opt), starts ONE coordinator
# process on a temporary data dir and a free port, runs the given command
# with `--data-dir DIR` added (the endpoint and token files are there),
# then stops the coordinator and removes the data dir.
#
#   tools/bench/with_coordinator.sh NAME COMMAND [ARGS...]
#
# NAME prefixes the messages. Exits with the command's status, or 1 when the
# build fails, no endpoint appears within 10 s, or the coordinator exited
# while the command ran (its log's tail is printed); ERROR and FATAL lines of
# the coordinator's log go to stderr either way.
#
# Environment:
#   BAZEL_OUTPUT_BASE  optional `bazel --output_base` (shared machines)
set -euo pipefail

name="$1"
shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bazel_startup=()
[[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && bazel_startup=(--output_base="$BAZEL_OUTPUT_BASE")

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
tmp="$(mktemp -d)"
coordinator_pid=""
cleanup() {
  if [[ -n "$coordinator_pid" ]]; then
    kill -TERM "$coordinator_pid" 2>/dev/null || true
    wait "$coordinator_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cd "$repo"
bazel "${bazel_startup[@]}" build -c opt //coordinator:hpsweep-coordinator >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; exit 1; }
bin="$(bazel "${bazel_startup[@]}" info -c opt bazel-bin 2>/dev/null)/coordinator/hpsweep-coordinator"

mkdir "$tmp/data"
"$bin" --data-dir "$tmp/data" --port 0 >"$tmp/coordinator.log" 2>&1 &
coordinator_pid=$!
for _ in $(seq 100); do
  [[ -s "$tmp/data/endpoint" ]] && break
  kill -0 "$coordinator_pid" 2>/dev/null || { cat "$tmp/coordinator.log" >&2; exit 1; }
  sleep 0.1
done
[[ -s "$tmp/data/endpoint" ]] || { echo "$name: no endpoint file after 10 s" >&2; cat "$tmp/coordinator.log" >&2; exit 1; }

status=0
"$@" --data-dir "$tmp/data" || status=$?
kill -0 "$coordinator_pid" 2>/dev/null ||
  { echo "$name: the coordinator exited during the benchmark; its log:" >&2; tail -50 "$tmp/coordinator.log" >&2; status=1; }
grep -E '\b(ERROR|FATAL)\b' "$tmp/coordinator.log" | head -20 >&2 || true
exit "$status"
