#!/bin/sh
# cluster.sh: a single-node Slurm cluster in a temporary directory, for tests/slurm/test-slurm.sh.
# Sourced, not run. cluster_start DIR starts munged, slurmctld and slurmd (root, loopback only,
# proctrack/linuxproc, task/none) from a slurm.conf generated in DIR, and exports SLURM_CONF;
# cluster_stop stops every daemon it started, by pid. Returns 77 when the machine cannot run them.

# free_port: a TCP port nothing listens on (from the top of the unprivileged range, not the usual 6817-6819)
free_port() {
	p=${1:-21000}
	while [ "$p" -lt 60000 ]; do
		if ! ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ":$p\$"; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
	done
	return 1
}

cluster_log() { echo "cluster: $*" >&2; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	t=$(($1 * 10)); shift
	while [ "$t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

cluster_start() {
	C=$1
	CLUSTER_PIDS=
	for b in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
		command -v "$b" >/dev/null 2>&1 || { cluster_log "$b is not installed (apt-get install slurm-wlm munge)"; return 77; }
	done
	[ "$(id -u)" = 0 ] || { cluster_log "not root: slurmd cannot start jobs as other users here"; return 77; }
	mkdir -p "$C/munge" "$C/state" "$C/spool" "$C/log" || return 1
	chmod 700 "$C" "$C/munge"
	# munge: its own key and socket
	mungekey --create --keyfile="$C/munge/munge.key" >/dev/null 2>&1 ||
		dd if=/dev/urandom of="$C/munge/munge.key" bs=1024 count=1 2>/dev/null || return 1
	chmod 400 "$C/munge/munge.key"
	MUNGE_SOCKET=$C/munge/munge.socket
	munged --force --key-file="$C/munge/munge.key" --socket="$MUNGE_SOCKET" \
		--pid-file="$C/munge/munged.pid" --log-file="$C/log/munged.log" \
		--seed-file="$C/munge/munged.seed" >"$C/log/munged.out" 2>&1 ||
		{ cluster_log "munged does not start: $(cat "$C/log/munged.out")"; return 77; }
	wait_for 10 test -s "$C/munge/munged.pid" || { cluster_log "munged wrote no pid file"; return 77; }
	CLUSTER_PIDS="$(cat "$C/munge/munged.pid")"
	wait_for 10 sh -c "munge --socket='$MUNGE_SOCKET' -n | unmunge --socket='$MUNGE_SOCKET'" ||
		{ cluster_log "munge does not answer on $MUNGE_SOCKET"; return 77; }

	CTLD_PORT=$(free_port 21817) && SLURMD_PORT=$(free_port $((CTLD_PORT + 1))) || return 1
	CPUS=$(nproc 2>/dev/null || echo 1)
	MEM=$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
	cat >"$C/slurm.conf" <<CONF
ClusterName=provtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/log/slurmctld.log
SlurmdLogFile=$C/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=provnode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=provnode Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
	export SLURM_CONF="$C/slurm.conf"
	slurmctld -D -i -f "$C/slurm.conf" >"$C/log/slurmctld.out" 2>&1 &
	CTLD_PID=$!
	CLUSTER_PIDS="$CLUSTER_PIDS $CTLD_PID"
	wait_for 30 scontrol ping || { cluster_log "slurmctld does not answer: $(tail -n 5 "$C/log/slurmctld.log" "$C/log/slurmctld.out" 2>&1)"; return 77; }
	slurmd -D -f "$C/slurm.conf" -N provnode >"$C/log/slurmd.out" 2>&1 &
	SLURMD_PID=$!
	CLUSTER_PIDS="$CLUSTER_PIDS $SLURMD_PID"
	wait_for 30 sh -c 'sinfo -h -N -o "%T" | grep -Eq "^(idle|mixed|allocated)"' || {
		cluster_log "slurmd did not register: $(tail -n 5 "$C/log/slurmd.log" "$C/log/slurmd.out" 2>&1)"
		return 77
	}
	return 0
}

cluster_stop() {
	# jobs still running (a test stopped half-way): cancelled through this cluster's controller first,
	# so that no job step outlives its slurmd
	if [ -n "$CLUSTER_PIDS" ] && [ -n "${SLURM_CONF:-}" ] && [ -n "${CTLD_PID:-}" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
		scancel --quiet --user="$(id -un)" >/dev/null 2>&1 || true
		wait_for 15 sh -c '[ -z "$(squeue -h -o %i 2>/dev/null)" ]' || true
	fi
	for p in $CLUSTER_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $CLUSTER_PIDS; do
		n=50
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		kill -9 "$p" 2>/dev/null || true
	done
	CLUSTER_PIDS=
}
