#!/usr/bin/env bash
# slurm-local.sh - a real single-node Slurm cluster (Debian's slurmctld, slurmd and munge, 22.05) on
# 127.0.0.1, started without systemd, for pcttrack's cluster tests and for trying the job templates.
#
#   cluster/slurm-local.sh install          # apt-get install slurmctld slurmd slurm-client munge, if absent
#   eval "$(cluster/slurm-local.sh start)"  # start (idempotent); prints 'export SLURM_CONF=...'
#   sbatch --array=0-3 cluster/slurm/simulate.sbatch ...
#   cluster/slurm-local.sh wait JOBID       # wait for a job (all array tasks); exit code = the highest task's
#   cluster/slurm-local.sh stop             # cancel jobs, stop every daemon it started, by PID
#   cluster/slurm-local.sh status | env
#
# Everything lives under $SLURM_LOCAL_DIR (default /tmp/pcttrack-slurm); only 127.0.0.1 is used.
# Needs root (slurmd launches the jobs; SlurmUser=root). Environment:
#   SLURM_LOCAL_DIR          state, spool, logs, munge key and socket   [/tmp/pcttrack-slurm]
#   SLURM_LOCAL_CTLD_PORT    slurmctld port                             [16917]
#   SLURM_LOCAL_SLURMD_PORT  slurmd port                                [16918]
#   SLURM_LOCAL_TIMEOUT      seconds to wait for each daemon             [60]
#
# Pitfalls this script handles (details: the project's slurm-local notes):
# - a client without SLURM_CONF goes "configless" and asks DNS: always export SLURM_CONF (start prints it);
# - munged needs o+x on its socket directory and a 0400 key in a 0700 directory;
# - the packages' init scripts would start system-wide daemons: install blocks them with policy-rc.d;
# - 'sbatch --wait' polls after 2, 8, 32 s and loses exit codes of tasks purged after MinJobAge:
#   'wait' polls every 0.5 s and reads the exit codes from the jobcomp log instead;
# - killed daemons linger as zombies: a PID counts as alive only if /proc says so and its name matches;
# - slurmstepd outlives its step by 1-2 s: stop waits for this cluster's stepds (found by SLURM_CONF).

pct_init() {
  SL_DIR=${SLURM_LOCAL_DIR:-/tmp/pcttrack-slurm}
  SL_CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-16917}
  SL_SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-16918}
  SL_TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
  SL_NODE=localhost
  SL_CONF=$SL_DIR/etc/slurm.conf
  SL_KEY=$SL_DIR/munge-etc/munge.key
  SL_SOCK=$SL_DIR/munge-run/munge.socket
  SL_RUN=$SL_DIR/run
  SL_LOG=$SL_DIR/log
}

pct_msg() { echo "slurm-local: $*" >&2; }
pct_die() { pct_msg "ERROR: $*"; return 1; }

# alive: exists and is not a zombie (orphans are reaped late)
pct_alive() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/"$1"/status 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid of a daemon this script started, if still alive and still that program
pct_pid() {
  local f=$SL_RUN/$1.pid pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) && [ -n "$pid" ] && pct_alive "$pid" || return 1
  [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$1" ] || return 1
  echo "$pid"
}

# start a daemon detached from our stdio (a CI pipe must not be held open) and record its pid
pct_spawn() {
  local name=$1; shift
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
    done
    exec nohup "$@" </dev/null >>"$SL_LOG/$name.out" 2>&1
  ) &
  echo $! >"$SL_RUN/$name.pid"
}

pct_wait_for() { # <seconds> <what> <command...>
  local t=$1 what=$2 i=0; shift 2
  while ! "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt $((t * 4)) ] && { pct_die "timed out after ${t}s waiting for $what"; return 1; }
    sleep 0.25
  done
}

pct_wait_gone() { # <seconds> <pid>...
  local t=$1 i=0 p alive; shift
  while :; do
    alive=
    for p in "$@"; do pct_alive "$p" && alive=1; done
    [ -z "$alive" ] && return 0
    i=$((i + 1)); [ $i -gt $((t * 4)) ] && return 1
    sleep 0.25
  done
}

pct_port_busy() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

pct_installed() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null
}

slurm_install() {
  pct_installed && return 0
  [ "$(id -u)" = 0 ] || { pct_die "install needs root"; return 1; }
  local added=
  # no systemd here: without a policy, the postinst scripts would start system-wide daemons
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && added=1
  fi
  if ! apt-cache policy slurmctld 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -q >&2 || { [ -n "$added" ] && rm -f /usr/sbin/policy-rc.d; return 1; }
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge >&2
  local rc=$?
  [ -n "$added" ] && rm -f /usr/sbin/policy-rc.d
  return $rc
}

pct_write_conf() {
  local hw np cpus sockets cores threads boards mem nodeline
  np=$(nproc)
  hw=$(env -u SLURM_CONF slurmd -C 2>/dev/null | head -n1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  boards=$(sed -n 's/.* Boards=\([0-9]*\).*/\1/p' <<<"$hw")
  sockets=$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cores=$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  threads=$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  [ -n "$mem" ] || mem=$(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo)
  if [ -n "$cpus" ] && [ "$cpus" = "$np" ] && [ -n "$cores" ]; then
    # the full topology, else slurmd warns about socket/core boundaries
    nodeline="CPUs=$np Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
  else
    nodeline="CPUs=$np"
  fi
  cat >"$SL_CONF.new" <<EOF
# written by pcttrack's cluster/slurm-local.sh: one node on loopback
ClusterName=pcttrack
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$SL_CTLD_PORT
SlurmdPort=$SL_SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SL_SOCK
StateSaveLocation=$SL_DIR/state
SlurmdSpoolDir=$SL_DIR/spool/slurmd
SlurmctldPidFile=$SL_RUN/slurmctld.daemon.pid
SlurmdPidFile=$SL_RUN/slurmd.daemon.pid
SlurmctldLogFile=$SL_LOG/slurmctld.log
SlurmdLogFile=$SL_LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SL_LOG/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
KillWait=10
SlurmdTimeout=60
NodeName=$SL_NODE NodeAddr=127.0.0.1 NodeHostname=$SL_NODE $nodeline RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$SL_NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  mv -f "$SL_CONF.new" "$SL_CONF"
}

pct_munge_ok() { munge -n -S "$SL_SOCK" | unmunge -S "$SL_SOCK"; }
pct_ctld_ok() { [[ "$(scontrol ping 2>/dev/null)" == *" is UP"* ]]; }
pct_idle() { [ "$(sinfo -h -n "$SL_NODE" -o %t 2>/dev/null)" = idle ]; }
pct_no_jobs() { [ -z "$(squeue -h -o %A 2>/dev/null)" ]; }

slurm_start() {
  pct_init
  [ "$(id -u)" = 0 ] || { pct_die "must run as root"; return 1; }
  pct_installed || { pct_die "Slurm is not installed (run: $0 install)"; return 1; }
  export SLURM_CONF=$SL_CONF
  if pct_pid munged >/dev/null && pct_pid slurmctld >/dev/null && pct_pid slurmd >/dev/null && pct_idle; then
    pct_msg "already running (SLURM_CONF=$SL_CONF)"
    echo "export SLURM_CONF=$SL_CONF"
    return 0
  fi
  slurm_stop >/dev/null 2>&1 || true # leftovers of an earlier run: stop what is ours
  local p
  for p in "$SL_CTLD_PORT" "$SL_SLURMD_PORT"; do
    pct_port_busy "$p" && { pct_die "port $p on 127.0.0.1 is in use (set SLURM_LOCAL_CTLD_PORT/SLURM_LOCAL_SLURMD_PORT)"; return 1; }
  done
  umask 022
  mkdir -p "$SL_DIR"/{etc,state,spool/slurmd,run,log,munge-etc,munge-run,munge-lib} || return 1
  chmod 755 "$SL_DIR" "$SL_DIR/munge-run" "$SL_DIR/munge-lib"
  chmod 700 "$SL_DIR/munge-etc"
  if [ ! -s "$SL_KEY" ]; then
    mungekey --create --keyfile="$SL_KEY" --force 2>/dev/null ||
      dd if=/dev/urandom of="$SL_KEY" bs=1024 count=1 2>/dev/null
  fi
  chmod 400 "$SL_KEY"
  pct_write_conf
  local t0=$SECONDS
  pct_spawn munged munged -F --force --num-threads=10 --key-file="$SL_KEY" --socket="$SL_SOCK" \
    --pid-file="$SL_DIR/munge-run/munged.pid" --seed-file="$SL_DIR/munge-lib/munged.seed" --origin=127.0.0.1
  pct_wait_for "$SL_TIMEOUT" munged pct_munge_ok || { tail -n 20 "$SL_LOG/munged.out" >&2; return 1; }
  pct_spawn slurmctld slurmctld -D -f "$SL_CONF"
  pct_wait_for "$SL_TIMEOUT" slurmctld pct_ctld_ok || { tail -n 20 "$SL_LOG/slurmctld.out" "$SL_LOG/slurmctld.log" >&2; return 1; }
  # -N: the node is 'localhost' whatever the host is called
  pct_spawn slurmd slurmd -D -N "$SL_NODE" -f "$SL_CONF"
  if ! pct_wait_for "$SL_TIMEOUT" "node $SL_NODE idle" pct_idle; then
    tail -n 20 "$SL_LOG/slurmd.out" "$SL_LOG/slurmd.log" >&2
    return 1
  fi
  pct_msg "up in $((SECONDS - t0)) s: munged=$(pct_pid munged) slurmctld=$(pct_pid slurmctld) slurmd=$(pct_pid slurmd)"
  echo "export SLURM_CONF=$SL_CONF"
}

# slurmstepd processes of this cluster: they inherit SLURM_CONF=$SL_CONF from our slurmd
pct_stepds() {
  local d e
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = slurmstepd ] && pct_alive "${d#/proc/}" || continue
    e=$(tr '\0' '\n' 2>/dev/null <"$d/environ") || continue
    [[ $'\n'$e$'\n' == *$'\n'"SLURM_CONF=$SL_CONF"$'\n'* ]] && echo "${d#/proc/}"
  done
  return 0
}

slurm_stop() {
  pct_init
  export SLURM_CONF=$SL_CONF
  local ctld slurmd munged jobs steps p
  ctld=$(pct_pid slurmctld || true); slurmd=$(pct_pid slurmd || true); munged=$(pct_pid munged || true)
  if [ -n "$ctld" ]; then
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null
      pct_wait_for 30 "jobs to end" pct_no_jobs || true
    fi
    scontrol shutdown >/dev/null 2>&1 # slurmctld and every slurmd
  fi
  for p in $slurmd $ctld; do
    pct_wait_gone 20 "$p" || { kill -TERM "$p" 2>/dev/null; pct_wait_gone 10 "$p" || kill -KILL "$p" 2>/dev/null; }
  done
  steps=$(pct_stepds)
  if [ -n "$steps" ]; then
    # shellcheck disable=SC2086
    pct_wait_gone 15 $steps || { kill -TERM $steps 2>/dev/null; pct_wait_gone 5 $steps || kill -KILL $steps 2>/dev/null; }
  fi
  if [ -n "$munged" ]; then
    kill -TERM "$munged" 2>/dev/null
    pct_wait_gone 10 "$munged" || kill -KILL "$munged" 2>/dev/null
  fi
  rm -f "$SL_RUN"/*.pid "$SL_DIR/munge-run/munged.pid" 2>/dev/null
  pct_msg "stopped${ctld:+ slurmctld=$ctld}${slurmd:+ slurmd=$slurmd}${munged:+ munged=$munged}"
}

# slurm_wait JOBID [TIMEOUT_S]: wait until the job (every array task) has left the queue and
# return the highest exit code of its tasks from the jobcomp log (1 for a task killed by a
# signal or ended FAILED/CANCELLED/TIMEOUT without an exit code; 124 on timeout).
pct_need_conf() { # clients retry a missing SLURM_CONF forever
  [ -s "$SL_CONF" ] || { pct_die "no cluster at $SL_DIR (no $SL_CONF); set SLURM_LOCAL_DIR or run start"; return 1; }
}

slurm_wait() {
  pct_init
  pct_need_conf || return 1
  export SLURM_CONF=$SL_CONF
  local id=${1:?job id} t=${2:-3600} i=0 out
  while :; do
    if out=$(squeue -h -j "$id" -o %i 2>&1); then [ -z "$out" ] && break
    else [[ $out == *"Invalid job id"* ]] && break; fi
    i=$((i + 1)); [ $i -gt $((t * 2)) ] && { pct_die "job $id not finished after ${t}s"; return 124; }
    sleep 0.5
  done
  awk -v id="$id" '
    { job = ""; arr = ""; st = ""; ec = ""
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "JobId") job = kv[2]; else if (kv[1] == "ArrayJobId") arr = kv[2]
        else if (kv[1] == "JobState") st = kv[2]; else if (kv[1] == "ExitCode") ec = kv[2]
      }
      if (job != id && arr != id) next
      n++; split(ec, e, ":"); c = e[1] + 0
      if (e[2] + 0 != 0 || (c == 0 && st != "COMPLETED")) c = (c ? c : 1)
      last[job] = c
    }
    END { if (!n) { print "slurm-local: job " id " not in the jobcomp log" > "/dev/stderr"; exit 1 }
          for (j in last) if (last[j] > rc) rc = last[j]
          exit rc }' "$SL_LOG/jobcomp.txt"
}

slurm_status() {
  pct_init
  pct_need_conf || return 1
  export SLURM_CONF=$SL_CONF
  local n p rc=0
  for n in munged slurmctld slurmd; do
    if p=$(pct_pid $n); then echo "$n: running (pid $p)"; else echo "$n: not running"; rc=1; fi
  done
  [ $rc = 0 ] && sinfo
  return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    install) slurm_install ;;
    start) slurm_start ;;
    stop) slurm_stop ;;
    status) slurm_status ;;
    env) pct_init; echo "export SLURM_CONF=$SL_CONF" ;;
    wait) shift; slurm_wait "$@" ;;
    *) echo "usage: $0 {install|start|stop|status|env|wait JOBID [TIMEOUT_S]}" >&2; exit 2 ;;
  esac
fi
