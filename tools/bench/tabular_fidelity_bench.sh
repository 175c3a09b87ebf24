#!/usr/bin/env bash
# Fidelity after a fixed budget: `ctgan` vs `tvae` on the same synthetic
# mixed-type table (models/mixed_table.h), through the product path: one
# `hpsweep run` per model (embedded coordinator + local worker jobs), a random
# sweep of --trials trials over each model's learning rate(s), every trial
# the same budget of --epochs passes over the same --train-size rows; then
# `hpsweep export --format json` from the run's store.
#
#   tools/bench/tabular_fidelity_bench.sh [--trials 4] [--epochs 30] [--train-size 4096]
#       [--workers 1] [--out DIR]
#
# Prints per model: best and median final val_fidelity_distance and its parts
# (val_marginal_w1, val_marginal_tv, val_corr_diff, val_cond_mean_diff; all
# distances, smaller is better) and the sweep's wall time; the last line is
# one JSON object. Asserts nothing about the figures. The wall times are only
# comparable on an otherwise idle machine.
#
# Environment: HPSWEEP_BAZEL_OUTPUT_BASE (optional `bazel --output_base`).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

trials=4
epochs=30
train_size=4096
workers=1
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --train-size) train_size="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--trials N] [--epochs E] [--train-size N] [--workers W] [--out DIR]" >&2; exit 2 ;;
  esac
done
[[ -n "$out" ]] || out="$(mktemp -d /tmp/tabular-fidelity.XXXXXX)"
mkdir -p "$out"

startup=()
[[ -n "${HPSWEEP_BAZEL_OUTPUT_BASE:-}" ]] && startup=(--output_base="$HPSWEEP_BAZEL_OUTPUT_BASE")
bazel "${startup[@]}" build -c opt //tools/cli:hpsweep //worker:hpsweep-worker >&2
bin="$(bazel "${startup[@]}" info -c opt bazel-bin 2>/dev/null)"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# The two sweeps: same table (train_size rows, 1024 validation rows, the
# worker's seed), same epochs, same metric; each model's learning rate(s)
# searched over the same range.
/usr/bin/python3 - "$out" "$trials" "$epochs" "$train_size" <<'PY'
import json, sys
out, trials, epochs, train_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lr = {"distribution": "log_uniform", "min": 1e-4, "max": 3e-3}
common = {"metric": {"name": "val_fidelity_distance", "goal": "minimize"}, "method": "random",
          "max_trials": trials, "seed": 7}
sweeps = {
    "tvae": {"parameters": {"lr": lr},
             "program": {"model": "tvae", "args": {"train_size": train_size, "val_size": 1024,
                                                    "epochs": epochs}}},
    # batch 500 rows must be whole packs of 10 and fit the table.
    "ctgan": {"parameters": {"g_lr": lr, "d_lr": lr},
              "program": {"model": "ctgan", "args": {"train_size": train_size, "val_size": 1024,
                                                     "epochs": epochs,
                                                     "batch_size": min(500, train_size // 10 * 10)}}},
}
for name, s in sweeps.items():
    s = {"name": f"fidelity-{name}", **common, **s}
    json.dump(s, open(f"{out}/{name}.json", "w"), indent=2)
PY

declare -A secs
for m in tvae ctgan; do
  rm -rf "$out/$m-run"
  t0=$(date +%s.%N)
  "$bin/tools/cli/hpsweep" run "$out/$m.json" --workers "$workers" --data-dir "$out/$m-run" \
    --worker-binary "$bin/worker/hpsweep-worker" >"$out/$m.log" 2>&1 ||
    { echo "hpsweep run failed for $m; see $out/$m.log" >&2; tail -20 "$out/$m.log" >&2; exit 1; }
  secs[$m]=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$t0" "$(date +%s.%N)")
  "$bin/tools/cli/hpsweep" export 1 --format json --data-dir "$out/$m-run" >"$out/$m-export.json"
done

/usr/bin/python3 - "$out" "${secs[tvae]}" "${secs[ctgan]}" "$trials" "$epochs" "$train_size" <<'PY'
import json, statistics, sys
out, secs = sys.argv[1], {"tvae": float(sys.argv[2]), "ctgan": float(sys.argv[3])}
keys = ["val_fidelity_distance", "val_marginal_w1", "val_marginal_tv", "val_corr_diff", "val_cond_mean_diff"]
result = {"trials": int(sys.argv[4]), "epochs": int(sys.argv[5]), "train_size": int(sys.argv[6])}
for m in ["tvae", "ctgan"]:
    finals = []
    for t in json.load(open(f"{out}/{m}-export.json")):
        points = t.get("metrics") or []
        if t.get("state") == "completed" and points:
            finals.append(points[-1].get("values", points[-1]))
    if not finals:
        print(f"{m}: no completed trial with metrics (see {out}/{m}.log)", file=sys.stderr)
        result[m] = None
        continue
    best = min(finals, key=lambda v: v["val_fidelity_distance"])
    row = {"completed": len(finals), "sweep_seconds": secs[m],
           "best": {k: round(best[k], 4) for k in keys if k in best},
           "median_fidelity_distance": round(statistics.median(v["val_fidelity_distance"] for v in finals), 4)}
    result[m] = row
    print(f"{m:6s} best " + "  ".join(f"{k[4:]}={row['best'].get(k, float('nan')):.4f}" for k in keys) +
          f"  | median fidelity {row['median_fidelity_distance']:.4f} over {len(finals)} trials, sweep {secs[m]:.0f} s",
          file=sys.stderr)
result["load_avg"] = open("/proc/loadavg").read().split()[:3]
print(json.dumps(result))
PY
