#!/usr/bin/env bash
# ship-model.sh: train, evaluate and card the default model embedded in the binary (issue 15).
#
# Trains seed 0 of CONFIG for STEPS steps (the paper's protocol; constant lr, so a shorter run is the
# exact prefix of a longer one and `--resume` with more STEPS continues it), evaluates best.ckpt on
# fresh test frames (100 per cell: 50/100/150 p+/frame behind 100/150/200 mm of water, both solvers)
# and writes pretrained/models/NAME.ckpt and NAME.card.json. Rebuild the binary to embed them.
#
#   scripts/ship-model.sh [RUN_DIR]        # paper-ptt-sparse, 3000 steps of 32 frames: ~20 min on 2 cores
#
# Environment: CONFIG (default paper-ptt-sparse), STEPS (3000; the paper: 10000), NAME (ptt-default),
# FRAMES (100 test frames per cell), TEST_SEED (7; training uses seed 1), TEST_DIR (where the test sets
# are kept, default RUN_DIR/test; scripts/sparse-vs-full.sh makes the same ones).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/ship}
CONFIG=${CONFIG:-paper-ptt-sparse}
STEPS=${STEPS:-3000}
NAME=${NAME:-ptt-default}
FRAMES=${FRAMES:-100}
TEST_SEED=${TEST_SEED:-7}
TEST_DIR=${TEST_DIR:-$RUN/test}
mkdir -p "$RUN" "$TEST_DIR"
P="$RUN/pcttrack"
go build -o "$P" ./cmd/pcttrack
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit+dirty"

cmd="pcttrack train --config $CONFIG --steps $STEPS --seeds 0 --out $RUN"
echo "== $cmd"
"$P" train --config "$CONFIG" --steps "$STEPS" --seeds 0 --out "$RUN" --resume

. scripts/test-sets.sh
test_sets "$P" "$TEST_DIR"

phys=$("$P" info "${tests[0]}" | awk -F'\t' '$1 == "physics" {print $2}' | awk '{print $NF}')
[ -n "$phys" ] || { echo "ship-model: ${tests[0]} records no simulator physics version" >&2; exit 1; }

echo "== models card"
"$P" models card "$RUN/seed-0" "${tests[@]}" --name "$NAME" --out pretrained/models --config "$CONFIG" \
	--command "$cmd" --commit "$commit" --simulator "physics v$phys" \
	--description "$CONFIG, $STEPS steps of 32 frames (the paper: 10000), sparse graph, trained on physics v$phys"
"$P" models
