#!/usr/bin/env bash
# Bayesian-optimization benchmark through the product path: builds
# hpsweep-coordinator (-c opt), starts ONE coordinator process on a temporary
# data dir and a free port, and drives it over HTTP exactly as an external
# ask/tell client would (tools/bench/bo_bench.py, Debian's python3, stdlib
# http.client with keep-alive). Optuna 3.1's TPE and random search run on the
# same problems and seeds in the same invocation.
#
#   tools/bench/bo_bench.sh [--quick] [--seeds 10] [--first-seed 0] [--evals 100]
#       [--problems branin,...] [--methods random,tpe,bayes,optuna_tpe,optuna_random]
#       [--batches 1,4] [--pause 0.3] [--pause-problems branin,hartmann6]
#       [--pause-seeds 5] [--pause-evals 50] [--latency-observations 100,1000]
#       [--latency-asks 20] [--ask-timeout 120] [--json-out FILE] [--runs-out FILE]
#   /usr/bin/python3 tools/bench/bo_bench.py --report-from FILE [settings flags]
#       prints the report again from a --runs-out file (raw values of every run)
#
# Suite (tools/bench/bo_problems.py): Branin, Hartmann3, Hartmann6, Ackley-5,
# Levy-6 (3 integer dimensions), Rosenbrock-4, Styblinski-Tang-10,
# Michalewicz-5, Shekel-4, and SVR tuning on scikit-learn's diabetes data
# (log-scaled, integer and categorical parameters). Settings: instant client
# (asks again the moment it completes) at batch 1 and 4 (four client threads),
# 100 evaluations (figures at 50 read off the first 50 completed), 10 seeds;
# a client pausing 0.3 s per trial on Branin and Hartmann6 (tpe, bayes, 5
# seeds, 50 evaluations); p50 ask latency of a fresh bayes suggestion at 100
# and 1,000 observations. Prints per-problem median regrets, normalized
# regrets, fallbacks served, ask latency p50/p99, the geometric-mean ratios
# against Optuna TPE, and defects the harness saw; the last line is one JSON
# object with every figure. Asserts nothing about the figures.
#
# Duration on the project's 2-core machine: the full run takes 24-26 minutes
# when nothing else runs (every bayes suggestion a fresh fit); shared with
# builds at load ~8 it took 39. Latency figures are only meaningful on a quiet
# machine. --quick (2 seeds, 30 evaluations, Branin, Rosenbrock-4, SVR) about
# 1.5 minutes.
#
# Environment:
#   HPSWEEP_PYTHON     Debian's python3 with Optuna 3.1 and scikit-learn
#                      (default /usr/bin/python3, not a pyenv python3 first on PATH)
#   BAZEL_OUTPUT_BASE  optional `bazel --output_base` (shared machines)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
"$python" -c 'import optuna, sklearn' 2>/dev/null ||
  { echo "bo_bench: $python lacks optuna or sklearn (run tools/setup.sh)" >&2; exit 1; }
for arg in "$@"; do
  [[ "$arg" == -h || "$arg" == --help ]] && exec "$python" "$repo/tools/bench/bo_bench.py" --help
done
# Bad flags fail here, before the build.
"$python" "$repo/tools/bench/bo_bench.py" "$@" --check-args

# Build, start one coordinator, run the benchmark against it, stop it.
exec "$repo/tools/bench/with_coordinator.sh" bo_bench "$python" "$repo/tools/bench/bo_bench.py" "$@"
