# Helpers for the cluster tests (bash; sourced): runfiles, a coordinator, the
# HTTP API through curl, JSON fields through python3, and waiting.

# Bazel's test environment has no sbin folders on PATH; the daemons and ip(8)
# live there.
export PATH="$PATH:/usr/sbin:/sbin"

# require TOOL...: fails the test naming a missing tool (tools/setup.sh
# installs them all).
require() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || fail "$t is not installed: run tools/setup.sh"
  done
}

# The workspace's runfile path.
runfile() { echo "$TEST_SRCDIR/hpsweep/$1"; }

# Logs shown when a test fails; tests add theirs.
TEST_LOGS=()

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "${TEST_LOGS[@]}"; do
    for g in $f; do
      [[ -f "$g" ]] || continue
      echo "---- $g (last 60 lines)" >&2
      tail -60 "$g" >&2
    done
  done
  exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.5 s until it
# succeeds; fails the test naming WHAT after SECONDS.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS >= deadline)) && fail "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

# json EXPR: reads JSON on stdin and prints the Python expression EXPR of it
# (`j` is the document); "" when it does not parse or has no such field.
json() {
  python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception:
    sys.exit(0)
try:
    v = eval(sys.argv[1])
except (KeyError, IndexError, TypeError):
    sys.exit(0)
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1"
}

# api METHOD URL PATH [BODY]: one coordinator call with the token ($TOKEN).
api() {
  local method="$1" url="$2" path="$3" body="${4:-}"
  if [[ -n "$body" ]]; then
    curl -s -m 20 -X "$method" -H "Authorization: Bearer $TOKEN" -d "$body" "$url$path"
  else
    curl -s -m 20 -X "$method" -H "Authorization: Bearer $TOKEN" "$url$path"
  fi
}

# trial_field URL ID EXPR: EXPR of GET /api/v1/trials/ID.
trial_field() { api GET "$1" "/api/v1/trials/$2" | json "$3"; }
sweep_field() { api GET "$1" "/api/v1/sweeps/$2" | json "$3"; }
