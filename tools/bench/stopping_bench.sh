#!/usr/bin/env bash
# Early stopping measured as time to a good model (issue 13): hpsweep's
# stopping policies and PBT against Optuna 3.1 (TPE + HyperbandPruner) on the
# seed workloads lstm_freq and fno1d, each contender with the same
# wall-clock budget, 2 local workers of 1 rank, 1 BLAS + 1 intra-op thread
# per process. hpsweep contenders run as a user runs them (`hpsweep run
# SWEEP --workers 2 --ranks-per-worker 1`); Optuna runs 2 processes sharing
# one SQLite storage, training the same architecture in PyTorch on the data
# hpsweep's generators produce (exported to .npy by export_workload_data).
# tools/bench/stopping_bench.py has the rules; this script builds and runs it.
#
#   tools/bench/stopping_bench.sh [--budget-s 600] [--workloads lstm_freq,fno1d]
#       [--contenders random,random+asha,bayes+asha,bayes+hyperband,pbt,optuna]
#       [--max-trials 100000] [--workers 2] [--seed 0] [--pbt-options JSON]
#       [--repeats 1] [--out /tmp/hpsweep-stopbench]
#   --seed k adds k to every hpsweep sweep's seed and starts Optuna's sampler
#   seeds at 1000 k, so a repeat with another --seed varies both sides.
#   --repeats n runs every contender n times (seeds --seed .. --seed + n - 1)
#   and judges the goal on medians against one target (the median of
#   hpsweep random's ends): one run's time to target moves several-fold.
#
# Before any clock starts, exports the sweep's data (every trial of a sweep
# trains on it) and checks the Python twin against the C++ model (parameter
# count; the C++ model's initial parameters loaded by name give the same
# output). Prints per workload: that check, the data check (a data-only
# metric of every hpsweep trial vs the export), the target (best value of hpsweep random at the end of its budget), each
# contender's trials, pruned trials, time to the target, best value at the
# end and best-so-far at 10/25/50/75/100% of the budget, and the goal:
# hpsweep's best configuration reaches the target >= 3x sooner than Optuna
# TPE+Hyperband and ends lower (one contender meeting both halves; the
# verdict of each is printed too). The last line is one JSON object (curves
# included). A `pbt` contender prints "pbt: not available in this build" when
# the coordinator rejects `method: pbt`.
#
# Duration: budget x contenders x workloads plus a few seconds of data
# export, times --repeats; the default (600 s, 6 contenders, 2 workloads) is
# ~2 h 5 min.
# Use --budget-s 60 for a quick look. Figures on a shared machine are noisy.
#
# Environment:
#   HPSWEEP_PYTHON            Debian's python3 with python3-torch and python3-optuna
#                             (default /usr/bin/python3)
#   HPSWEEP_BENCH_MODE        Bazel compilation mode of the binaries (default opt)
#   BAZEL_OUTPUT_BASE         optional `bazel --output_base` (shared machines)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
mode="${HPSWEEP_BENCH_MODE:-opt}"
for arg in "$@"; do
  [[ "$arg" == -h || "$arg" == --help ]] &&
    exec "$python" "$repo/tools/bench/stopping_bench.py" --help --hpsweep x --export x
done
"$python" -c 'import optuna, torch, numpy' 2>/dev/null ||
  { echo "stopping_bench: $python lacks optuna, torch or numpy (apt-get install python3-optuna python3-torch)" >&2; exit 1; }

bazel_startup=()
[[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && bazel_startup=(--output_base="$BAZEL_OUTPUT_BASE")
cd "$repo"
targets=(//tools/cli:hpsweep //worker:hpsweep-worker //tools/bench:export_workload_data)
# --symlink_prefix=/ leaves the work tree's bazel-bin links alone.
bazel "${bazel_startup[@]}" build -c "$mode" --symlink_prefix=/ "${targets[@]}" >&2
bin="$(bazel "${bazel_startup[@]}" info -c "$mode" --symlink_prefix=/ bazel-bin 2>/dev/null)"

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export HPSWEEP_WORKER="$bin/worker/hpsweep-worker"
exec "$python" "$repo/tools/bench/stopping_bench.py" --hpsweep "$bin/tools/cli/hpsweep" \
  --export "$bin/tools/bench/export_workload_data" --python "$python" "$@"
