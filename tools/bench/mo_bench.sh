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
#       [--runs-out FILE]
#   /usr/bin/python3 tools/bench/mo_bench.py --report-from FILE [settings flags]
#       prints the report from a --runs-out file, also of a run cut short
#       (runs go seed by seed, so the first seeds of every problem come first;
#       figures use the seeds every method finished)
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
# The coordinator start-up is tools/bench/with_coordinator.sh's, the client
# loop tools/bench/bo_client.py's (both shared with bo_bench.sh).
#
# Environment:
#   HPSWEEP_PYTHON     Debian's python3 with Optuna 3.1 (default /usr/bin/python3)
#   BAZEL_OUTPUT_BASE  optional `bazel --output_base` (shared machines)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
"$python" -c 'import optuna, numpy' 2>/dev/null ||
  { echo "mo_bench: $python lacks optuna or numpy (run tools/setup.sh)" >&2; exit 1; }
for arg in "$@"; do
  [[ "$arg" == -h || "$arg" == --help ]] && exec "$python" "$repo/tools/bench/mo_bench.py" --help
done
"$python" "$repo/tools/bench/mo_bench.py" "$@" --check-args

# Build, start one coordinator, run the benchmark against it, stop it.
exec "$repo/tools/bench/with_coordinator.sh" mo_bench "$python" "$repo/tools/bench/mo_bench.py" "$@"
