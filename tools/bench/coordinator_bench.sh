#!/usr/bin/env bash
# Coordinator throughput benchmark: hpsweep's ask/report/complete loop over HTTP
# (N = 1, 4, 16 clients, synced writes) next to the same loop through Optuna 3.1
# with RDB storage on SQLite, in one invocation. Last line: one JSON object.
#   tools/bench/coordinator_bench.sh [--seconds 5] [--fill 100000]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=5
fill=100000
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --fill) fill="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bazel build -c opt //coordinator:hpsweep-coordinator //tools/bench:coordinator_bench >&2
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
optuna_json="$(/usr/bin/python3 tools/bench/optuna_rdb_loop.py --seconds "$seconds" | tee /dev/stderr | tail -1)"
hpsweep_json="$("$bin/tools/bench/coordinator_bench" --coordinator "$bin/coordinator/hpsweep-coordinator" \
  --seconds "$seconds" --fill "$fill" | tee /dev/stderr | tail -1)"
/usr/bin/python3 - "$hpsweep_json" "$optuna_json" <<'PY'
import json, sys
h, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = h["clients_16"]["trials_per_s"] / o["trials_per_s"]
print(f"hpsweep 16 clients / optuna RDB: {ratio:.1f}x")
print(json.dumps({"hpsweep": h, "optuna_rdb_sqlite": o, "speedup_16_clients_vs_optuna": ratio}))
PY
