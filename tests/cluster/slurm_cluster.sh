# A private single-node Slurm cluster for tests: munged, slurmctld and slurmd
# from Debian's slurm-wlm and munge, with every file under one folder and
# ports free on loopback. Sourced by the Slurm tests.
#
#   slurm_cluster_start DIR   # 0: up (SLURM_CONF exported); 1: failed (reason on stderr)
#   slurm_cluster_stop        # stops what slurm_cluster_start started (by pid)
#
# No cgroups: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none; MPI
# through PMIx (MpiDefault=pmix), the plugin Debian's Open MPI 4.1 speaks.

SLURM_CLUSTER_DIR=""
SLURM_CLUSTER_SOCKET_DIR=""

# Prints N free TCP ports on 127.0.0.1, consecutive when $2 is "range".
_slurm_free_ports() {
  python3 - "$1" "${2:-}" <<'PY'
import random, socket, sys
n, contiguous = int(sys.argv[1]), sys.argv[2] == "range"
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    if contiguous:
        base = random.randint(20000, 60000 - n)
        if all(free(p) for p in range(base, base + n)):
            print(base, base + n - 1); sys.exit(0)
    else:
        ports = random.sample(range(20000, 60000), n)
        if all(free(p) for p in ports):
            print(*ports); sys.exit(0)
sys.exit(1)
PY
}

slurm_cluster_start() {
  local dir="$1"
  SLURM_CLUSTER_DIR="$dir"
  for tool in munged mungekey slurmctld slurmd sbatch srun squeue scancel python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "slurm cluster: $tool is not installed (tools/setup.sh installs slurm-wlm and munge)" >&2
      return 1
    fi
  done
  mkdir -p "$dir/state" "$dir/munge"
  chmod 700 "$dir/munge"
  # Unix socket paths have at most 107 bytes and test folders are longer:
  # munged's socket and slurmd's spool (step sockets) go in a short folder.
  SLURM_CLUSTER_SOCKET_DIR=$(mktemp -d /tmp/hpsweep-slurm.XXXXXX) || {
    echo "slurm cluster: cannot make a socket folder in /tmp" >&2; return 1; }
  chmod 755 "$SLURM_CLUSTER_SOCKET_DIR"
  mkdir -p "$SLURM_CLUSTER_SOCKET_DIR/spool"
  local socket="$SLURM_CLUSTER_SOCKET_DIR/munge.socket"
  mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024 --force >/dev/null 2>&1 || {
    echo "slurm cluster: mungekey failed" >&2; return 1; }
  munged --force -S "$socket" --key-file="$dir/munge/munge.key" \
    --log-file="$dir/munge/munged.log" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge/munged.seed" || {
    echo "slurm cluster: munged did not start: $(cat "$dir/munge/munged.log" 2>/dev/null)" >&2
    return 1; }
  local ports range
  ports=$(_slurm_free_ports 2) && range=$(_slurm_free_ports 40 range) || {
    echo "slurm cluster: no free ports on 127.0.0.1" >&2; return 1; }
  read -r ctld_port slurmd_port <<<"$ports"
  read -r range_lo range_hi <<<"$range"
  local cpus
  cpus=$(nproc)
  ((cpus < 4)) && cpus=4  # gangs of 2 ranks x 2 jobs on a 2-core machine: oversubscribed on purpose
  cat >"$dir/slurm.conf" <<CONF
ClusterName=hpsweeptest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SrunPortRange=$range_lo-$range_hi
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$SLURM_CLUSTER_SOCKET_DIR/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=pmix
ReturnToService=2
# The node may claim more CPUs than it has: two 2-rank jobs share a 2-core machine.
SlurmdParameters=config_overrides
KillWait=60
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF" || { echo "slurm cluster: slurmctld did not start: $(tail -5 "$dir/slurmctld.log" 2>/dev/null)" >&2; return 1; }
  slurmd -f "$SLURM_CONF" -N localhost || { echo "slurm cluster: slurmd did not start: $(tail -5 "$dir/slurmd.log" 2>/dev/null)" >&2; return 1; }
  # Up when the node is idle.
  local i
  for ((i = 0; i < 120; i++)); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -q '^idle'; then return 0; fi
    sleep 0.5
  done
  echo "slurm cluster: the node did not become idle; slurmctld.log:" >&2
  tail -20 "$dir/slurmctld.log" >&2
  echo "slurmd.log:" >&2
  tail -20 "$dir/slurmd.log" >&2
  return 1
}

slurm_cluster_stop() {
  local dir="$SLURM_CLUSTER_DIR" f pid
  [[ -z "$dir" ]] && return 0
  if [[ -n "${SLURM_CONF:-}" ]]; then scancel --quiet --user=root >/dev/null 2>&1 || true; fi
  for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    pid=$(cat "$f" 2>/dev/null) || continue
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  sleep 1
  for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    pid=$(cat "$f" 2>/dev/null) || continue
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
  done
  [[ -n "$SLURM_CLUSTER_SOCKET_DIR" ]] && rm -rf "$SLURM_CLUSTER_SOCKET_DIR"
  SLURM_CLUSTER_DIR="" SLURM_CLUSTER_SOCKET_DIR=""
}
