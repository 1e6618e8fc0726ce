#!/usr/bin/env bash
# sim-to-real.sh: how well do trackers trained and checked on `pcttrack simulate` do on real GATE data?
#
# Simulates the set-up of a GATE file (default: the reference run in ../shared/data/gate/), trains
# small learned trackers on it (reduced-ptt's schedule, --seeds 0..N-1), and prints purity and
# efficiency of every tracker on the GATE frames and on fresh simulated frames, with the gap
# (simulated − real) and its 95 % bootstrap confidence interval. The GATE frames are split by event
# id: the simulator's free parameters were calibrated on the first half (sim/VALIDATION.md); the gap
# to report is the one on the second half. Both are printed, then the gap to the whole file and the
# two halves against each other (the real file's own spread, which bounds what a gap can resolve), and
# last the gap to each half with its events regrouped REFRAME times into new frames (the estimate that
# does not depend on which events the file happened to put together), with an interval from
# BOOT_EVENTS resamples of the half's events.
#
#   scripts/sim-to-real.sh [OUT_DIR]            # about 15 min on 2 cores (3 trainings of ~4 min)
#
# Environment: GATE (file), SEEDS (default 3), TRAIN_FRAMES (300), VAL_FRAMES (20), TEST_FRAMES (200),
# STEPS (override the training steps), PHYSICS ("" = the current physics; 1, 2 or "legacy" = 1: an
# earlier sim.PhysicsVersion, for comparison), WATER_I (eV, default 67: fitted to the reference file;
# see sim/VALIDATION.md), KINK_CUT (rad, default 0 = the paper's metric), ELECTRONS (0 = simulate with
# --no-electron-hits, without the electron hits of the GATE file that make its events impure), REFRAME
# (default 100), BOOT_EVENTS (default 400; 0 = no interval).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-sim-to-real-$(date +%Y%m%d-%H%M%S)}
GATE=${GATE:-../shared/data/gate/DTC_Aluminium_Absorber3mm_Degrader250mm_250MeV.root}
SEEDS=${SEEDS:-3}
TRAIN_FRAMES=${TRAIN_FRAMES:-300}
VAL_FRAMES=${VAL_FRAMES:-20}
TEST_FRAMES=${TEST_FRAMES:-200}
WATER_I=${WATER_I:-67}
KINK_CUT=${KINK_CUT:-0}
[ -f "$GATE" ] || { echo "sim-to-real: GATE file $GATE not found (set GATE=...)" >&2; exit 1; }
mkdir -p "$OUT"
P="$OUT/pcttrack"
go build -o "$P" ./cmd/pcttrack
go build -o "$OUT/simtoreal" ./scripts/simtoreal

# The GATE set-up: the older 3 mm Al DTC with its 14 µm sensitive slab, 250 mm of water ending at
# z = 0, a 250 MeV point source at z = -255 mm.
SETUP=(--geometry gate-3mm --phantom water:250@-125 --energy 250 --spot-sigma 0 --divergence 0
  --source-z -255 --water-i "$WATER_I" --protons-per-frame 100)
case "${PHYSICS:-}" in
  "") ;;
  legacy) SETUP+=(--physics-version 1) ;;
  *) SETUP+=(--physics-version "$PHYSICS") ;;
esac
if [ "${ELECTRONS:-1}" = 0 ]; then SETUP+=(--no-electron-hits); fi

echo "== import $GATE"
"$P" import gate "$GATE" --protons-per-frame 100 --geometry gate-3mm --epi-thickness 0.0139 \
  --out "$OUT/gate.parquet"
echo "== simulate ${SETUP[*]}"
"$P" simulate "${SETUP[@]}" --frames "$TRAIN_FRAMES" --seed 1 --out "$OUT/train.parquet"
"$P" simulate "${SETUP[@]}" --frames "$VAL_FRAMES" --seed 2 --out "$OUT/val.parquet"
"$P" simulate "${SETUP[@]}" --frames "$TEST_FRAMES" --seed 3 --out "$OUT/test.parquet"

# reduced-ptt's model and schedule on these files
cat > "$OUT/train.yaml" <<YAML
method: ptt
model:
  kind: linegraph
optimizer:
  kind: rmsprop
  lr: 0.003
schedule:
  step_size: 200
  gamma: 0.5
batch: 8
steps: 600
val_batchnorm: running
val_every: 50
seed: 0
assign:
  paper: true
data:
  train: [train.parquet]
  val: [val.parquet]
YAML
echo "== train $SEEDS seeds"
"$P" train --config "$OUT/train.yaml" --out "$OUT/runs" --seeds "0..$((SEEDS - 1))" ${STEPS:+--steps "$STEPS"}

MODELS=()
for s in $(seq 0 $((SEEDS - 1))); do MODELS+=(--model "ptt=$OUT/runs/seed-$s/best.ckpt"); done
REFRAME=${REFRAME:-100}
BOOT_EVENTS=${BOOT_EVENTS:-400}
if [ "$REFRAME" = 0 ]; then BOOT_EVENTS=0; fi
echo "== gap"
"$OUT/simtoreal" --real "$OUT/gate.parquet" --sim "$OUT/test.parquet" --method follower,physics,truth \
  "${MODELS[@]}" --kink-cut "$KINK_CUT" --reframe "$REFRAME" --bootstrap-events "$BOOT_EVENTS" \
  | tee "$OUT/gap.txt"
