#!/usr/bin/env bash
# Multi-objective benchmark through the product path: builds
# hpsweep-coordinator (-c opt), starts ONE coordinator process on a temporary
# data dir and a free port, and drives it over HTTP as an external ask/tell
# client would (tools/bench/mo_bench.py, Debian's python3, stdlib http.client).
# Optuna 3.1's MOTPE (TPESampler on a multi-objective study) and NSGA-II run
# on the same problems and seeds in the same invocation.
#
#   tools/bench/mo_bench.sh [--seeds 10] [--evals 100] [--batches 1,4]
#       [--problems zdt1,zdt2,zdt3,dtlz2_6d3o,branin_currin,c_branin_currin]
#       [--methods tpe,bayes,optuna_motpe,optuna_nsga2(,random)] [--json-out FILE]
#
# Problems (tools/bench/mo_problems.py): ZDT1-3 in 6 dimensions, DTLZ2 with 3
# objectives in 6 dimensions, Branin-Currin, and Branin-Currin with a disc
# constraint. Prints the median hypervolume regret per problem, method, batch
# and evaluation count (50 and --evals, read off the same runs), the
# geometric mean over problems of each method's regret / Optuna MOTPE's
# (goal for hpsweep: <= 0.5), bayes ask latency and fallbacks; the last line
# is one JSON object. Asserts nothing about the figures.
#
# A quick check: tools/bench/mo_bench.sh --seeds 2 --evals 20 --problems zdt1
#
# Environment:
#   HPSWEEP_PYTHON     Debian's python3 with Optuna 3.1 (default /usr/bin/python3)
#   BAZEL_OUTPUT_BASE  optional `bazel --output_base` (shared machines)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
bazel_startup=()
[[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && bazel_startup=(--output_base="$BAZEL_OUTPUT_BASE")
"$python" -c 'import optuna, numpy' 2>/dev/null ||
  { echo "mo_bench: $python lacks optuna or numpy (run tools/setup.sh)" >&2; exit 1; }
for arg in "$@"; do
  [[ "$arg" == -h || "$arg" == --help ]] && exec "$python" "$repo/tools/bench/mo_bench.py" --help
done
"$python" "$repo/tools/bench/mo_bench.py" "$@" --check-args

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
[[ -s "$tmp/data/endpoint" ]] || { echo "mo_bench: no endpoint file after 10 s" >&2; cat "$tmp/coordinator.log" >&2; exit 1; }

status=0
"$python" "$repo/tools/bench/mo_bench.py" --data-dir "$tmp/data" "$@" || status=$?
kill -0 "$coordinator_pid" 2>/dev/null ||
  { echo "mo_bench: the coordinator exited during the benchmark; its log:" >&2; tail -50 "$tmp/coordinator.log" >&2; status=1; }
grep -E '\b(ERROR|FATAL)\b' "$tmp/coordinator.log" | head -20 >&2 || true
exit "$status"
