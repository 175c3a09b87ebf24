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
  for ns in "$NS_A" "$NS_B" "$NS_C"; do
    p=$(ip netns pids "$ns" 2>/dev/null) && [[ -n "$p" ]] && kill -9 $p 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # so that a timeout still runs cleanup

require ip curl mpirun python3
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: network namespaces need root"
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
   \"hidden\": [256, 256], \"classes\": 4, \"train_size\": 8192, \"val_size\": 256, \"batch_size\": 64,
   \"epochs\": $2}}}"
}

# worker NS URL LOG: an mpirun job of one rank on host NS, any sweep (it
# exits when every sweep is finished, so sweep 1 exists first); sets
# WORKER_PID (mpirun's).
worker() {
  local ns="$1" url="$2" log="$3"
  ip netns exec "$ns" env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo OPENBLAS_NUM_THREADS=1 \
    HPSWEEP_TOKEN="$TOKEN" mpirun --oversubscribe --bind-to none -np 1 \
    -x OPENBLAS_NUM_THREADS -x HPSWEEP_TOKEN "$WORKER" --coordinator "$url" --lease-seconds 8 \
    --idle-wait 600 --unreachable-wait 600 >"$log" 2>&1 &
  WORKER_PID=$!
  PIDS+=("$WORKER_PID")
}
client_id() { sed -n 's/.*client id \([^ ]*\).*/\1/p' "$1" | head -1; }
started() { grep -q 'client id' "$1"; }

# --- both hosts' workers start; one of them leases the trial --------------------
[[ "$(c_api POST "$URL_C" /api/v1/sweeps "$(sweep_json cut 25)" | json "j['id']")" == 1 ]] ||
  fail "cannot create sweep 1"
worker "$NS_A" http://10.201.1.1:8470 "$ROOT/worker-a.log"
PID_A=$WORKER_PID
worker "$NS_B" http://10.201.2.1:8470 "$ROOT/worker-b.log"
PID_B=$WORKER_PID
wait_for 180 "worker A to start" started "$ROOT/worker-a.log"
wait_for 180 "worker B to start" started "$ROOT/worker-b.log"
ID_A=$(client_id "$ROOT/worker-a.log")
ID_B=$(client_id "$ROOT/worker-b.log")
leased() { [[ -n "$(trial 1 "j.get('lease_owner', '')")" ]]; }
wait_for 180 "trial 1 to be leased" leased
# H: the host that holds the trial and is cut off; O: the other one.
if [[ "$(trial 1 "j.get('lease_owner', '')")" == "$ID_A" ]]; then
  H=A NS_H=$NS_A DEV_H=a2c ID_H=$ID_A LOG_H="$ROOT/worker-a.log" ID_O=$ID_B LOG_O="$ROOT/worker-b.log" PID_O=$PID_B
elif [[ "$(trial 1 "j.get('lease_owner', '')")" == "$ID_B" ]]; then
  H=B NS_H=$NS_B DEV_H=b2c ID_H=$ID_B LOG_H="$ROOT/worker-b.log" ID_O=$ID_A LOG_O="$ROOT/worker-a.log" PID_O=$PID_A
else
  fail "trial 1 is leased to \"$(trial 1 "j.get('lease_owner', '')")\", neither A ($ID_A) nor B ($ID_B)"
fi
O=$([[ $H == A ]] && echo B || echo A)
has_checkpoint() { local s; s=$(trial 1 "j['checkpoint_step']"); [[ -n "$s" && "$s" -ge 0 ]]; }
wait_for 180 "trial 1's first checkpoint" has_checkpoint

# --- cut H off mid-trial ---------------------------------------------------------
ip -n "$NS_H" link set "$DEV_H" down || fail "cutting $H's link"
CUT_STEP=$(trial 1 "j['checkpoint_step']")
STATE=$(trial 1 "j['state']")
[[ "$STATE" == running || "$STATE" == leased ]] || fail "trial 1 was not mid-trial at the cut: $STATE"
expired() { [[ "$(trial 1 "j['attempt']")" -ge 1 ]]; }
wait_for 120 "$H's lease of trial 1 to expire" expired
grep -q "lease of trial 1 held by \"$ID_H\" expired" "$ROOT/coordinator.log" ||
  fail "the coordinator did not log the expiry of $H's lease"
resumed() { grep -q 'trial 1 attempt 1: resuming from its checkpoint at step [1-9]' "$LOG_O"; }
wait_for 180 "$O to resume trial 1 from a checkpoint" resumed
RESUME_STEP=$(sed -n 's/.*trial 1 attempt 1: resuming from its checkpoint at step \([0-9]*\).*/\1/p' "$LOG_O")
((RESUME_STEP >= CUT_STEP)) || fail "$O resumed at step $RESUME_STEP, before the checkpoint stored at the cut ($CUT_STEP)"
# While O holds the trial, a call in H's name is refused as stale (409
# ABORTED) and changes nothing.
o_holds() { [[ "$(trial 1 "j.get('lease_owner', '')")" == "$ID_O" ]]; }
if o_holds; then
  HELD=$(c_api GET "$URL_C" /api/v1/trials/1 | json "{k: v for k, v in j.items() if k not in ('updated_us', 'lease_deadline_us', 'last_step')}")
  STALE=$(c_api POST "$URL_C" /api/v1/trials/1/complete "{\"client_id\": \"$ID_H\", \"values\": {\"val_loss\": -1}}")
  [[ "$(json "j['error']['code']" <<<"$STALE")" == ABORTED ]] || fail "a complete in $H's name was not refused: $STALE"
  o_holds || [[ "$(trial 1 "j['state']")" == completed ]] || fail "the refused complete changed the lease"
  [[ "$(trial 1 "j.get('objective')")" != -1 ]] || fail "the refused complete was recorded"
fi

# H trains on while cut off, then retries its result; O completes the trial.
retrying() { grep -q 'complete trial 1: .*; retrying' "$LOG_H"; }
wait_for 300 "$H to finish trial 1 while cut off and retry its complete" retrying
grep -q "not stored (.*); training on" "$LOG_H" ||
  fail "$H did not keep training when its checkpoint upload failed"
o_done() { [[ "$(trial 1 "j['state']")" == completed ]]; }
wait_for 300 "$O to complete trial 1" o_done
grep -q "trial 1 completed: val_loss=" "$LOG_O" || fail "$O did not complete trial 1"
[[ "$(trial 1 "j['attempt']")" == 1 ]] || fail "trial 1 attempt is $(trial 1 "j['attempt']"), not $O's 1"
# With every sweep finished O's worker has no more work and exits.
o_exited() { ! kill -0 "$PID_O" 2>/dev/null; }
wait_for 120 "$O's worker to exit (no more work)" o_exited

# --- the link returns: H's late complete is not recorded; H takes new work -------
[[ "$(c_api POST "$URL_C" /api/v1/sweeps "$(sweep_json after 3)" | json "j['id']")" == 2 ]] ||
  fail "cannot create sweep 2"
BEFORE=$(c_api GET "$URL_C" /api/v1/trials/1)
ip -n "$NS_H" link set "$DEV_H" up || fail "restoring $H's link"
late() { grep -q 'complete trial 1 (attempt 0) not recorded' "$LOG_H"; }
wait_for 120 "$H's late complete of trial 1 to be answered" late
LATE=$(grep 'complete trial 1 (attempt 0) not recorded' "$LOG_H")
grep -q "attempt 1 had completed it already" <<<"$LATE" || fail "unexpected answer to $H: $LATE"
[[ "$(c_api GET "$URL_C" /api/v1/trials/1)" == "$BEFORE" ]] || fail "$H's late complete changed trial 1"
[[ "$(sweep 1 "j['counters']['completed']")" == 1 ]] || fail "sweep 1 counts $(sweep 1 "j['counters']['completed']") completions"
if grep -q "trial 1 completed" "$LOG_H"; then fail "$H claims trial 1 as completed"; fi
s2_done() { [[ "$(sweep 2 "j['state']")" == completed ]]; }
wait_for 240 "sweep 2 to complete" s2_done
T2=$(c_api GET "$URL_C" /api/v1/sweeps/2/trials | json "j['trials'][0]['id']")
grep -q "trial $T2 completed: val_loss=" "$LOG_H" || fail "$H did not complete sweep 2's trial $T2"
echo "ok: $H cut off at step $CUT_STEP; its lease expired; $O resumed at step $RESUME_STEP and completed trial 1;"
echo "    $H's late complete: ${LATE##*not recorded: }; $H then completed trial $T2"
echo PASS
