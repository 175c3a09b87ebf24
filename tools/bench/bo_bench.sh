#!/usr/bin/env bash
# Bayesian-optimization benchmark: hpsweep's random, sobol, tpe and bayes
# suggesters against Optuna 3.1's TPE and random search on Branin and
# Hartmann6 (50 evaluations, 10 seeds, batch 1 and 4), plus GP suggestion
# latency at 100 and 500 observations. Prints figures, asserts nothing; the
# last line is one JSON object with every figure.
#
# Environment:
#   HPSWEEP_ANCHORS_DIR  shared/anchors (default: <repo>/../shared/anchors)
#   HPSWEEP_PYTHON       Debian's python3 with Optuna 3.1 (default: /usr/bin/python3;
#                        not the pyenv python3 that may come first on PATH)
#   BAZEL_OUTPUT_BASE    optional `bazel --output_base` (shared machines)
# Extra arguments go to bo_bench (e.g. --seeds 3).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
anchors="${HPSWEEP_ANCHORS_DIR:-$repo/../shared/anchors}"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
bazel_startup=()
[[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && bazel_startup=(--output_base="$BAZEL_OUTPUT_BASE")
[[ -f "$anchors/optuna_baseline.py" ]] || { echo "no optuna_baseline.py in $anchors (set HPSWEEP_ANCHORS_DIR)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

cd "$repo"
bazel "${bazel_startup[@]}" build -c opt --symlink_prefix=/ //coordinator/bo:bo_bench >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; exit 1; }
bin="$(bazel "${bazel_startup[@]}" info -c opt bazel-bin 2>/dev/null)/coordinator/bo/bo_bench"

# Optuna (one core) runs while hpsweep's regret runs use the other.
# Its ExperimentalWarnings go to a log that is shown only on failure.
( cd "$anchors" && "$python" optuna_baseline.py --batch 1 >"$tmp/optuna1.txt" 2>"$tmp/optuna.err" &&
  "$python" optuna_baseline.py --batch 4 >"$tmp/optuna4.txt" 2>>"$tmp/optuna.err" ) &
optuna_pid=$!

"$bin" --timing 0 "$@" | tee "$tmp/hpsweep.txt"
wait "$optuna_pid" || { cat "$tmp/optuna.err" >&2; exit 1; }
sed 's/^/optuna batch=1 /' "$tmp/optuna1.txt" | grep -v '^optuna batch=1 {'
sed 's/^/optuna batch=4 /' "$tmp/optuna4.txt" | grep -v '^optuna batch=4 {'
# Latency last, with nothing else of ours running.
"$bin" --regret 0 "$@" | tee "$tmp/timing.txt"

"$python" - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
last = lambda name: json.loads(open(f"{tmp}/{name}").read().strip().splitlines()[-1])
ours = last("hpsweep.txt"); ours.update(last("timing.txt"))
out = {"hpsweep": ours, "optuna": {"batch1": last("optuna1.txt"), "batch4": last("optuna4.txt")}}
print("\nmedian simple regret (mean in parentheses), 50 evaluations, 10 seeds")
for f in ("branin", "hartmann6"):
    for b in (1, 4):
        row = [f"{f:10s} batch={b}"]
        for m in ("random", "sobol", "tpe", "bayes"):
            r = ours.get(f"{f}/batch{b}/{m}")
            if r: row.append(f"{m}={r['median_regret']:.3g} ({r['mean_regret']:.3g})")
        for m in ("tpe", "random"):
            r = out["optuna"][f"batch{b}"].get(f"{f}/{m}")
            if r: row.append(f"optuna_{m}={r['median_regret']:.3g} ({r['mean_regret']:.3g})")
        bayes = ours.get(f"{f}/batch{b}/bayes"); otpe = out["optuna"][f"batch{b}"].get(f"{f}/tpe")
        if bayes and otpe:
            ratio = otpe["median_regret"] / max(bayes["median_regret"], 1e-12)
            out.setdefault("bayes_vs_optuna_tpe_median_ratio", {})[f"{f}/batch{b}"] = ratio
            row.append(f"optuna_tpe/bayes={ratio:.3g}x")
        print("  ".join(row))
print(json.dumps(out))
PY
