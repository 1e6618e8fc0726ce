#!/usr/bin/env bash
# throughput.sh [ROUNDS]: the scale-out of simulate and track on a Slurm cluster: the same run as
# an array of 1 task and of 2 tasks (one CPU and one worker each), ROUNDS times, interleaved
# (1, 2, 1, 2, ...) so that the machine's other load affects both alike. Prints frames per
# second of each job, from submission until its last task ends (scheduling included), and the
# median ratio of 2 tasks to 1. Needs a running cluster (SLURM_CONF, see slurm-local.sh) and
# PCTTRACK (default: pcttrack on PATH).
#
#   eval "$(cluster/slurm-local.sh start)"; PCTTRACK=$PWD/pcttrack cluster/throughput.sh 3
#
# Sizes: SIM_FRAMES frames of 100 protons behind 100 mm of water [4000]; the track input is a
# simulated dataset of TRACK_FRAMES frames [8000], tracked with the physics tracker.
set -euo pipefail
rounds=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${PCTTRACK:-pcttrack}
export PCTTRACK=$bin
: "${SLURM_CONF:?start a cluster first: eval \"\$(cluster/slurm-local.sh start)\"}"
sim_frames=${SIM_FRAMES:-4000}
track_frames=${TRACK_FRAMES:-8000}
work=$(mktemp -d "${TMPDIR:-/tmp}/pcttrack-throughput.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# wait for a job to leave the queue and check that every task succeeded
wait_job() {
  local id=$1
  while [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; do sleep 0.2; done
  if ! bash "$here/slurm-local.sh" wait "$id" >/dev/null 2>&1; then
    echo "throughput.sh: job $id failed; see $work" >&2
    trap - EXIT
    exit 1
  fi
}

# run KIND K ARGS...: frames per second of a K-task array job of KIND.sbatch
run() {
  local kind=$1 k=$2 frames=$3 t0 t1 id
  shift 3
  rm -rf "$work/out"
  t0=$(date +%s.%N)
  id=$(sbatch --parsable --array=0-$((k - 1)) --cpus-per-task=1 "$here/slurm/$kind.sbatch" "$work/out" "$@")
  wait_job "${id%%;*}"
  t1=$(date +%s.%N)
  awk -v n="$frames" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}

echo "machine: $(nproc) cores; $(uptime | sed 's/.*load/load/')"
"$bin" simulate --phantom water:100 --protons-per-frame 100 --frames "$track_frames" --seed 9 --out "$work/track-in.parquet" >/dev/null 2>&1
sim=(--phantom water:100 --protons-per-frame 100 --frames "$sim_frames" --seed 9)
trk=("$work/track-in.parquet" --method physics)
for kind in simulate track; do
  ratios=()
  for r in $(seq "$rounds"); do
    if [ "$kind" = simulate ]; then
      one=$(run simulate 1 "$sim_frames" "${sim[@]}"); two=$(run simulate 2 "$sim_frames" "${sim[@]}")
    else
      one=$(run track 1 "$track_frames" "${trk[@]}"); two=$(run track 2 "$track_frames" "${trk[@]}")
    fi
    ratio=$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", b / a }')
    ratios+=("$ratio")
    echo "$kind round $r: 1 task $one frames/s, 2 tasks $two frames/s: ×$ratio"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  echo "$kind: 2 tasks / 1 task = ×$median (median of $rounds rounds; $(uptime | sed 's/.*load/load/'))"
done
