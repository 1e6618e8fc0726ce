#!/bin/bash
# submit.sh KIND K OUTDIR ARGS...: submit a K-task array job of cluster/slurm/KIND.sbatch and, for
# simulate, track and eval, a merge job that runs once every task has succeeded (and is cancelled
# if one fails). Prints the two job ids. Extra sbatch options go in SBATCH_ARGS, e.g.
# SBATCH_ARGS="--partition=long --time=12:00:00".
#
#   cluster/slurm/submit.sh simulate 8 out/ --phantom water:100 --frames 100000 --seed 1
#   cluster/slurm/submit.sh track 8 out/ out/simulate.parquet --method physics
#   cluster/slurm/submit.sh eval 8 out/ out/simulate.parquet --method follower,physics
#   cluster/slurm/submit.sh train 5 runs/pat 0..4 --config paper-pat-l50
set -euo pipefail
usage="usage: $0 simulate|track|eval|train K OUTDIR ARGS..."
kind=${1:?$usage}
k=${2:?$usage}
out=${3:?$usage}
shift 3
dir=$(cd "$(dirname "$0")" && pwd)
case "$kind" in
  simulate) merged=$out/simulate.parquet ;;
  track) merged=$out/tracks.parquet ;;
  eval) merged=$out/eval.json ;;
  train) merged= ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[[ $k =~ ^[1-9][0-9]*$ ]] || { echo "$0: K must be a positive integer, not '$k'" >&2; exit 2; }
mkdir -p "$out"
# shellcheck disable=SC2086
jid=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((k - 1)) "$dir/$kind.sbatch" "$out" "$@")
jid=${jid%%;*}
if [ -z "$merged" ]; then
  echo "$jid"
  exit 0
fi
# shellcheck disable=SC2086
mid=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$jid" --kill-on-invalid-dep=yes \
  "$dir/merge.sbatch" "$merged" "$out/$kind-parts")
echo "$jid ${mid%%;*}"
