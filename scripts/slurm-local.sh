#!/usr/bin/env bash
# A one-node Slurm on this machine, for the cluster test (npm run test:slurm): munged,
# slurmctld and slurmd started by hand as root (CI has no systemd), with a generated slurm.conf
# that needs no cgroups (proctrack/linuxproc, task/none) and no accounting database.
#   export SLURM_CONF=$(scripts/slurm-local.sh start)
#   scripts/slurm-local.sh stop
# State, logs and the munge key live in TIM_SLURM_STATE (default /tmp/tim-slurm); the daemons
# listen on TIM_SLURM_PORT and the port after it (default 16817).
set -euo pipefail
STATE=${TIM_SLURM_STATE:-/tmp/tim-slurm}
CONF=$STATE/slurm.conf
cmd=${1:-start}

stop() {
  for name in slurmd slurmctld munged; do
    f=$STATE/$name.pid
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

for tool in munged mungekey slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "slurm-local: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
stop
mkdir -p "$STATE"/{munge,spool,state,log}
chmod 700 "$STATE/munge"
[ -f "$STATE/munge/munge.key" ] || mungekey --create --keyfile="$STATE/munge/munge.key" --force
chmod 400 "$STATE/munge/munge.key"
# The daemons' own output goes to a log, not to whoever captures this script's output.
munged --force --key-file="$STATE/munge/munge.key" --socket="$STATE/munge/munge.socket" \
  --pid-file="$STATE/munged.pid" --log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/munge.seed" \
  </dev/null >>"$STATE/log/daemons.out" 2>&1

node=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
cat > "$CONF" <<CONF
ClusterName=tim
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$STATE/munge/munge.socket
CredType=cred/munge
SlurmctldPort=${TIM_SLURM_PORT:-16817}
SlurmdPort=$(( ${TIM_SLURM_PORT:-16817} + 1 ))
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$CONF
slurmctld -f "$CONF" </dev/null >>"$STATE/log/daemons.out" 2>&1
slurmd -f "$CONF" </dev/null >>"$STATE/log/daemons.out" 2>&1
for _ in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "$CONF"
    exit 0
  fi
  sleep 1
done
echo "slurm-local: the node did not come up; logs:" >&2
tail -n 20 "$STATE"/log/*.log >&2 || true
exit 1
