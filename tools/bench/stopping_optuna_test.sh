#!/usr/bin/env bash
# The early-stopping benchmark's anchor works and trains hpsweep's models:
# exports tiny lstm_freq and fno1d data sets with export_workload_data, then
# (1) the Python twins have the C++ models' parameter counts and, loaded with
#     the C++ models' initial weights, give the same predictions;
# (2) one Optuna trial of one epoch runs through stopping_optuna.py on the
#     export and logs a finite validation value.
# Needs Debian's /usr/bin/python3 with python3-torch and python3-optuna.
set -euo pipefail

export_bin="$1"
bench_dir="$(dirname "$2")"
python=/usr/bin/python3
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

check() {  # model, args, sweep parameters
  local model="$1" args="$2" params="$3" dir="$tmp/$1"
  "$export_bin" --model "$model" --args "$args" --out "$dir/data" >/dev/null
  "$python" "$bench_dir/stopping_optuna.py" check-params --data "$dir/data"
  printf '{"parameters": %s, "program": {"model": "%s", "args": %s}}\n' "$params" "$model" "$args" \
    >"$dir/sweep.json"
  "$python" "$bench_dir/stopping_optuna.py" run --sweep "$dir/sweep.json" --data "$dir/data" \
    --storage "sqlite:///$dir/o.db" --study s --log "$dir/log.jsonl" --seed 1 --max-trials 1
  "$python" - "$dir/log.jsonl" <<'EOF'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, rows
assert rows[0]["trial"] == 0 and rows[0]["step"] == 1 and math.isfinite(rows[0]["value"]), rows
print("one trial, one epoch:", rows[0])
EOF
}

check lstm_freq '{"length": 20, "mixes": 2, "val_mixes": 1, "epochs": 1}' \
  '{"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.01}, "optimizer": {"values": ["sgd", "adam"]}, "momentum": {"min": 0.0, "max": 0.9, "condition": {"parent": "optimizer", "values": ["sgd"]}}, "hidden_size": {"distribution": "int_log_uniform", "min": 4, "max": 8}, "num_layers": {"min": 1, "max": 2}, "seq_len": {"values": [10]}, "batch_size": {"values": [4]}}'
check fno1d '{"grid": 16, "train_size": 16, "val_size": 16, "epochs": 1}' \
  '{"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.01}, "modes": {"min": 2, "max": 4}, "width": {"values": [4]}, "layers": {"min": 1, "max": 2}, "batch_size": {"values": [8]}}'
echo PASS
