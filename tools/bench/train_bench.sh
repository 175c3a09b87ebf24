#!/usr/bin/env bash
# Training throughput: hpsweep's data-parallel trainer vs PyTorch DDP (gloo)
# on the two workloads of shared/anchors/ddp_baseline.py, on the zoo's
# `ctgan` (two networks and optimizers, alternating updates, gradient
# penalty) against tools/bench/ctgan_ddp.py (the same architecture in Python
# under DDP), and on the zoo's `fno1d` (neural operator: DFT matrix products,
# complex mode mixing) against tools/bench/fno1d_ddp.py, in one invocation.
#
#   tools/bench/train_bench.sh [--steps N] [--ctgan-steps N] [--reps R]
#       [--models "mlp lstm_freq ctgan fno1d"] [--bin PATH]
#
# --bin: a train_bench binary built already (skips the -c opt build; say
# which build it was next to the figures).
#
# ctgan's samples are table rows (500 per rank per step, in packs of 10) and
# it runs --ctgan-steps timed steps (default 30) after 5 warm-up steps.
# Fidelity of ctgan vs tvae: tools/bench/tabular_fidelity_bench.sh.
#
# For each workload prints samples/s of: hpsweep 1 rank, hpsweep 2 ranks,
# DDP 1 rank, DDP 2 ranks, and two independent hpsweep 1-rank processes run
# at the same time (sum). Each figure is the best of R repetitions, run
# interleaved so that load from other users of the machine hits every
# configuration alike; the range is printed too. Last line: one JSON object.
#
# Environment: HPSWEEP_ANCHORS (default ../shared/anchors relative to the repo
# root), HPSWEEP_PYTHON (default /usr/bin/python3, Debian's, which has torch),
# HPSWEEP_BAZEL_OUTPUT_BASE (default /root/.cache/bazel-ob/worker).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

steps=200
ctgan_steps=30
bin=""

reps=3
models="mlp lstm_freq ctgan fno1d"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --ctgan-steps) ctgan_steps="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    *) echo "usage: $0 [--steps N] [--ctgan-steps N] [--reps R] [--models \"mlp lstm_freq ctgan fno1d\"] [--bin PATH]" >&2; exit 2 ;;
  esac
done

anchors="${HPSWEEP_ANCHORS:-$repo/../shared/anchors}"
python="${HPSWEEP_PYTHON:-/usr/bin/python3}"
output_base="${HPSWEEP_BAZEL_OUTPUT_BASE:-/root/.cache/bazel-ob/worker}"
[[ -f "$anchors/ddp_baseline.py" ]] || { echo "no ddp_baseline.py under $anchors" >&2; exit 1; }

if [[ -z "$bin" ]]; then
  bazel --output_base="$output_base" build -c opt --symlink_prefix=/ //worker:train_bench >&2
  bin="$(bazel --output_base="$output_base" info -c opt --symlink_prefix=/ bazel-bin 2>/dev/null)/worker/train_bench"
fi

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mpirun_=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS)

sps() { grep -o 'samples_per_s=[0-9.]*' | tail -1 | cut -d= -f2; }
# Step arguments of train_bench for a model.
run_args() { if [[ "$1" == ctgan ]]; then echo "--steps $ctgan_steps --warmup 5"; else echo "--steps $steps"; fi; }
ours() { "${mpirun_[@]}" -np "$1" "$bin" --model "$2" $(run_args "$2") | sps; }
ddp() {
  if [[ "$2" == ctgan ]]; then
    "$python" "$repo/tools/bench/ctgan_ddp.py" --world "$1" --steps "$ctgan_steps" 2>/dev/null | sps
  elif [[ "$2" == fno1d ]]; then
    "$python" "$repo/tools/bench/fno1d_ddp.py" --world "$1" --steps "$steps" 2>/dev/null | sps
  else
    "$python" "$anchors/ddp_baseline.py" --model "$2" --world "$1" --steps "$steps" | sps
  fi
}
pair() {
  local a b
  a="$(mktemp)"; b="$(mktemp)"
  "${mpirun_[@]}" -np 1 "$bin" --model "$1" $(run_args "$1") >"$a" &
  "${mpirun_[@]}" -np 1 "$bin" --model "$1" $(run_args "$1") >"$b"
  wait
  python3 -c "import sys; print(round(float(sys.argv[1]) + float(sys.argv[2]), 1))" "$(sps <"$a")" "$(sps <"$b")"
  rm -f "$a" "$b"
}

# The same architecture on both sides: ctgan's and fno1d's parameter counts
# must agree (ctgan_ddp.py hard-codes the encoded layout hpsweep's table
# yields; fno1d_ddp.py builds the twin with the sizes train_bench.cc sets).
check_params() {
  local ours_p ddp_p
  ours_p="$("${mpirun_[@]}" -np 1 "$bin" --model "$1" --steps 1 --warmup 0 | grep -o 'params=[0-9]*' | cut -d= -f2)"
  ddp_p="$("$python" "$repo/tools/bench/$1_ddp.py" --world 1 --steps 1 2>/dev/null | grep -o 'params=[0-9]*' | cut -d= -f2)"
  if [[ "$ours_p" != "$ddp_p" ]]; then
    echo "$1: hpsweep has $ours_p parameters, $1_ddp.py $ddp_p: not the same architecture" >&2
    exit 1
  fi
  echo "$1: both sides $ours_p parameters" >&2
}

json="{"
sep=""
for m in $models; do
  [[ "$m" == ctgan || "$m" == fno1d ]] && check_params "$m"
  declare -A all=()
  for ((r = 0; r < reps; ++r)); do
    all[hpsweep_1]+="$(ours 1 "$m") "
    all[hpsweep_2]+="$(ours 2 "$m") "
    all[ddp_1]+="$(ddp 1 "$m") "
    all[ddp_2]+="$(ddp 2 "$m") "
    all[pair_no_comm]+="$(pair "$m") "
  done
  summary="$(python3 - "$m" "${all[hpsweep_1]}" "${all[hpsweep_2]}" "${all[ddp_1]}" "${all[ddp_2]}" "${all[pair_no_comm]}" <<'PY'
import json, sys
m = sys.argv[1]
names = ["hpsweep_1", "hpsweep_2", "ddp_1", "ddp_2", "pair_no_comm"]
runs = {n: [float(x) for x in v.split()] for n, v in zip(names, sys.argv[2:])}
best = {n: max(v) for n, v in runs.items()}
for n in names:
    print(f"{m:10s} {n:13s} best {best[n]:9.1f} samples/s  runs {' '.join(f'{x:.0f}' for x in runs[n])}", file=sys.stderr)
out = dict(best)
out["x_vs_ddp_2"] = round(best["hpsweep_2"] / best["ddp_2"], 3)
out["frac_of_pair"] = round(best["hpsweep_2"] / best["pair_no_comm"], 3)
out["x1_vs_ddp_1"] = round(best["hpsweep_1"] / best["ddp_1"], 3)
out["runs"] = runs
print(f"{m:10s} 2 ranks: {out['x_vs_ddp_2']}x DDP 2 ranks (goal >= 1.5), {out['frac_of_pair']} of the no-comm pair (goal >= 0.8); 1 rank: {out['x1_vs_ddp_1']}x DDP 1 rank (goal >= 1)", file=sys.stderr)
print(json.dumps(out))
PY
)"
  json+="$sep\"$m\": $summary"
  sep=", "
  unset all
done
json+=", \"steps\": $steps, \"ctgan_steps\": $ctgan_steps, \"reps\": $reps, \"load_avg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
echo "$json"
