#!/usr/bin/env bash
# sparse-vs-full.sh: are models trained on sparse graphs as good as the paper's full graph? (issue 15)
#
# Evaluates the sparse-graph models (fast-ptt, fast-pat-l50) paired with their full-graph partners
# (full-ptt, full-pat-l50) of the same seeds on fresh test frames: 100 frames per cell, 50/100/150
# p+/frame behind 100/150/200 mm of water, with the tool's default assignment and the paper's solver,
# then prints the comparison table (scripts/sparsevsfull). Train the models first, e.g. with
# scripts/zoo-study.sh (STAGES="train check") or
#   pcttrack train --config fast-ptt --out study/zoo/fast-ptt --seeds 0..1     (and the three others)
#
#   scripts/sparse-vs-full.sh [OUT_DIR]        # about 10 min on 2 cores for 2 seeds
#
# Environment: ZOO (directory of the sparse runs, default study/zoo), CHECK (of the full-graph runs,
# study/check), SEEDS (default "0 1"), PAIRS (SPARSE=FULL config pairs, default
# "fast-ptt=full-ptt fast-pat-l50=full-pat-l50"), FRAMES (100), TEST_SEED (7; the models train on seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-sparse-vs-full}
ZOO=${ZOO:-study/zoo}
CHECK=${CHECK:-study/check}
SEEDS=${SEEDS:-"0 1"}
PAIRS=${PAIRS:-"fast-ptt=full-ptt fast-pat-l50=full-pat-l50"}
FRAMES=${FRAMES:-100}
TEST_SEED=${TEST_SEED:-7}
mkdir -p "$OUT/test"
P="$OUT/pcttrack"
go build -o "$P" ./cmd/pcttrack
go build -o "$OUT/sparsevsfull" ./scripts/sparsevsfull

models=()
pairflags=()
for p in $PAIRS; do
	pairflags+=(--pair "$p")
	for s in $SEEDS; do
		for m in "${p%%=*}:$ZOO" "${p#*=}:$CHECK"; do
			c=${m%%:*} d=${m#*:}
			f="$d/$c/seed-$s/best.ckpt"
			[ -f "$f" ] || { echo "sparse-vs-full: $f not found: train $c first" >&2; exit 1; }
			models+=(--model "$c=$f")
		done
	done
done

. scripts/test-sets.sh
test_sets "$P" "$OUT/test"

key=$(printf '%s\n' "${models[@]}" "$FRAMES" "$TEST_SEED" | sha1sum | cut -c1-8) # an eval per model set
for solver in default paper; do
	j="$OUT/eval-$solver-$key.json"
	flag=()
	[ $solver = paper ] && flag=(--paper)
	[ -f "$j" ] || { echo "== eval ($solver solver)"; "$P" eval "${tests[@]}" --method none "${models[@]}" "${flag[@]}" --json > "$j.tmp" && mv "$j.tmp" "$j"; }
done
"$OUT/sparsevsfull" "${pairflags[@]}" \
	default="$OUT/eval-default-$key.json" paper="$OUT/eval-paper-$key.json" | tee "$OUT/table.md"
