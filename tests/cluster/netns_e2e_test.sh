#!/usr/bin/env bash
# Multi-host for real: the coordinator and two worker "hosts" A and B each in
# a network namespace of their own, joined by veth pairs (C<->A, C<->B); only
# addresses inside those namespaces are used. A trains the one trial of
# sweep 1; its link is cut mid-trial (A's interface goes down); the test
# checks that
#   - A's lease expires and the trial is requeued (attempt 1),
#   - B resumes it from the checkpoint A stored before the cut and completes it,
#   - A, which trained on while cut off, retries its `complete`; when the link
#     returns the call is refused or answered with B's attempt, and the trial
#     stays as B completed it (A's late result is not recorded),
#   - A then goes on to new work (sweep 2, created meanwhile) and completes it.
# Everything is asserted from the coordinator's API (stored trials) and the
# workers' logs. Root; skipped with a message where namespaces cannot be made.
set -uo pipefail
# Bazel copies this script to tests/<target>; its helpers stay in tests/cluster.
LIB="${TEST_SRCDIR:+$TEST_SRCDIR/hpsweep/tests/cluster}"
LIB="${LIB:-$(dirname "$0")}"
source "$LIB/test_lib.sh" || { echo "cannot read $LIB/test_lib.sh" >&2; exit 1; }

ROOT="${TEST_TMPDIR:-$(mktemp -d)}/netns"
rm -rf "$ROOT" && mkdir -p "$ROOT"
TAG="hps$$"
NS_C="${TAG}c" NS_A="${TAG}a" NS_B="${TAG}b"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ns in "$NS_A" "$NS_B" "$NS_C"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
  echo "SKIPPED: network namespaces need root and iproute2 (tools/setup.sh installs it)"
  exit 0
fi
if ! ip netns add "$NS_C" 2>"$ROOT/netns.err"; then
  echo "SKIPPED: cannot create a network namespace here: $(cat "$ROOT/netns.err")"
  exit 0
fi
ip netns add "$NS_A" && ip netns add "$NS_B" || fail "ip netns add"
# C <-> A on 10.201.1.0/24, C <-> B on 10.201.2.0/24; veth ends created in place.
ip link add c2a netns "$NS_C" type veth peer name a2c netns "$NS_A" || fail "veth C<->A"
ip link add c2b netns "$NS_C" type veth peer name b2c netns "$NS_B" || fail "veth C<->B"
ip -n "$NS_C" addr add 10.201.1.1/24 dev c2a && ip -n "$NS_A" addr add 10.201.1.2/24 dev a2c &&
  ip -n "$NS_C" addr add 10.201.2.1/24 dev c2b && ip -n "$NS_B" addr add 10.201.2.2/24 dev b2c ||
  fail "addresses"
for pair in "$NS_C c2a" "$NS_C c2b" "$NS_A a2c" "$NS_B b2c" "$NS_C lo" "$NS_A lo" "$NS_B lo"; do
  read -r ns dev <<<"$pair"
  ip -n "$ns" link set "$dev" up || fail "link up $dev in $ns"
done
# A and B have no route to each other, nor to anything outside.
if ip -n "$NS_A" route get 10.201.2.2 >/dev/null 2>&1; then fail "A has a route to B"; fi

COORDINATOR="$(runfile coordinator/hpsweep-coordinator)"
WORKER="$(readlink -f "$(runfile worker/hpsweep-worker)")"
TEST_LOGS+=("$ROOT/coordinator.log" "$ROOT/worker-a.log" "$ROOT/worker-b.log")

ip netns exec "$NS_C" "$COORDINATOR" --data-dir "$ROOT/coord" --host 0.0.0.0 --port 8470 \
  >"$ROOT/coordinator.log" 2>&1 &
PIDS+=($!)
wait_for 60 "the coordinator's endpoint file" test -s "$ROOT/coord/endpoint"
TOKEN="$(cat "$ROOT/coord/token")"
for host in "$NS_A http://10.201.1.1:8470" "$NS_B http://10.201.2.1:8470"; do
  read -r ns url <<<"$host"
  ip netns exec "$ns" curl -sf -m 10 "$url/healthz" >/dev/null || fail "$ns cannot reach the coordinator at $url"
done
# The test's own calls run inside C, as any process on the coordinator host.
c_api() { ip netns exec "$NS_C" bash -c "$(declare -f api); TOKEN='$TOKEN' api \"\$@\"" _ "$@"; }
URL_C=http://10.201.1.1:8470
trial() { c_api GET "$URL_C" "/api/v1/trials/$1" | json "$2"; }
sweep() { c_api GET "$URL_C" "/api/v1/sweeps/$1" | json "$2"; }

# sweep JSON: $1 name, $2 epochs.
sweep_json() {
  echo "{\"name\": \"$1\", \"method\": \"random\", \"max_trials\": 1, \"seed\": 5, \"max_restarts\": 3,
 \"metric\": {\"name\": \"val_loss\", \"goal\": \"minimize\"},
 \"parameters\": {\"lr\": {\"distribution\": \"log_uniform\", \"min\": 0.001, \"max\": 0.1}},
 \"program\": {\"model\": \"mlp\", \"args\": {\"task\": \"classification\", \"in_features\": 16,
   \"hidden\": [64], \"classes\": 4, \"train_size\": 2048, \"val_size\": 256, \"batch_size\": 64,
   \"epochs\": $2}}}"
}
[[ "$(c_api POST "$URL_C" /api/v1/sweeps "$(sweep_json cut 30)" | json "j['id']")" == 1 ]] ||
  fail "cannot create sweep 1"

# worker NS URL LOG ARGS...: an mpirun job of one rank on host NS.
worker() {
  local ns="$1" url="$2" log="$3"
  shift 3
  ip netns exec "$ns" env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo OPENBLAS_NUM_THREADS=1 \
    HPSWEEP_TOKEN="$TOKEN" mpirun --oversubscribe --bind-to none -np 1 \
    -x OPENBLAS_NUM_THREADS -x HPSWEEP_TOKEN "$WORKER" --coordinator "$url" --lease-seconds 8 \
    --idle-wait 600 --unreachable-wait 600 "$@" >"$log" 2>&1 &
  PIDS+=($!)
}
client_id() { sed -n 's/.*client id \([^ ]*\).*/\1/p' "$1" | head -1; }

# --- A leases the trial and stores a checkpoint; then B joins -------------------
worker "$NS_A" http://10.201.1.1:8470 "$ROOT/worker-a.log"
wait_for 120 "worker A to start" bash -c "grep -q 'client id' '$ROOT/worker-a.log'"
A_ID=$(client_id "$ROOT/worker-a.log")
a_holds() { [[ "$(trial 1 "j['lease_owner']")" == "$A_ID" ]]; }
wait_for 180 "trial 1 to be leased to A ($A_ID)" a_holds
has_checkpoint() { local s; s=$(trial 1 "j['checkpoint_step']"); [[ -n "$s" && "$s" -ge 0 ]]; }
wait_for 180 "trial 1's first checkpoint" has_checkpoint
worker "$NS_B" http://10.201.2.1:8470 "$ROOT/worker-b.log" --sweep 1
wait_for 120 "worker B to start" bash -c "grep -q 'client id' '$ROOT/worker-b.log'"
B_ID=$(client_id "$ROOT/worker-b.log")

# --- cut A off mid-trial ---------------------------------------------------------
ip -n "$NS_A" link set a2c down || fail "cutting A's link"
CUT_STEP=$(trial 1 "j['checkpoint_step']")
[[ "$(trial 1 "j['state']")" == running || "$(trial 1 "j['state']")" == leased ]] ||
  fail "trial 1 was not mid-trial at the cut: $(trial 1 "j['state']")"
expired() { [[ "$(trial 1 "j['attempt']")" -ge 1 ]]; }
wait_for 120 "A's lease of trial 1 to expire" expired
grep -q "lease of trial 1 held by \"$A_ID\" expired" "$ROOT/coordinator.log" ||
  fail "the coordinator did not log the expiry of A's lease"
wait_for 180 "B to resume trial 1 from a checkpoint" \
  bash -c "grep -q 'trial 1 attempt 1: resuming from its checkpoint at step [1-9]' '$ROOT/worker-b.log'"
RESUME_STEP=$(sed -n 's/.*trial 1 attempt 1: resuming from its checkpoint at step \([0-9]*\).*/\1/p' "$ROOT/worker-b.log")
((RESUME_STEP >= CUT_STEP)) || fail "B resumed at step $RESUME_STEP, before the checkpoint stored at the cut ($CUT_STEP)"
# A trains on while cut off and then retries its result.
wait_for 300 "A to finish trial 1 while cut off and retry its complete" \
  bash -c "grep -q 'complete trial 1: .*; retrying' '$ROOT/worker-a.log'"
grep -q "not stored (.*); training on" "$ROOT/worker-a.log" ||
  fail "A did not keep training when its checkpoint upload failed"

# New work for A, then the link comes back.
[[ "$(c_api POST "$URL_C" /api/v1/sweeps "$(sweep_json after 3)" | json "j['id']")" == 2 ]] ||
  fail "cannot create sweep 2"
BEFORE=$(c_api GET "$URL_C" /api/v1/trials/1)
ip -n "$NS_A" link set a2c up || fail "restoring A's link"
wait_for 120 "A's late complete of trial 1 to be answered" \
  bash -c "grep -q 'complete trial 1 (attempt 0) not recorded' '$ROOT/worker-a.log'"
LATE=$(grep 'complete trial 1 (attempt 0) not recorded' "$ROOT/worker-a.log")
b_done() { [[ "$(trial 1 "j['state']")" == completed ]]; }
wait_for 300 "B to complete trial 1" b_done
grep -q "trial 1 completed: val_loss=" "$ROOT/worker-b.log" || fail "B did not complete trial 1"
[[ "$(trial 1 "j['attempt']")" == 1 ]] || fail "trial 1 attempt is $(trial 1 "j['attempt']"), not B's 1"
[[ "$(sweep 1 "j['counters']['completed']")" == 1 ]] || fail "sweep 1 counts $(sweep 1 "j['counters']['completed']") completions"
if [[ "$(json "j['state']" <<<"$BEFORE")" == completed ]]; then
  # B had completed it before the link returned: A's late complete changed nothing.
  [[ "$(c_api GET "$URL_C" /api/v1/trials/1)" == "$BEFORE" ]] || fail "A's late complete changed trial 1"
  grep -q "attempt 1 had completed it already" <<<"$LATE" || fail "unexpected answer to A: $LATE"
else
  # B still held it: A's complete was refused as stale.
  grep -q "lease lost" <<<"$LATE" || fail "A's late complete was not refused: $LATE"
fi
grep -q "trial 1 completed" "$ROOT/worker-a.log" && fail "A claims trial 1 as completed"

# --- A goes on to new work -------------------------------------------------------
s2_done() { [[ "$(sweep 2 "j['state']")" == completed ]]; }
wait_for 240 "sweep 2 to complete" s2_done
T2=$(c_api GET "$URL_C" /api/v1/sweeps/2/trials | json "j['trials'][0]['id']")
grep -q "trial $T2 completed: val_loss=" "$ROOT/worker-a.log" || fail "A did not complete sweep 2's trial $T2"
echo "ok: A cut off at step $CUT_STEP; lease expired; B resumed at step $RESUME_STEP and completed trial 1;"
echo "    A's late complete: ${LATE##*not recorded: }; A then completed trial $T2"
echo PASS
