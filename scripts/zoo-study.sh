#!/usr/bin/env bash
# zoo-study.sh — the instability and loss-landscape study of issues 16 and 17,
# end to end and resumable: train the 20-model zoo ({PAT λ=25, 50, 75, PTT} ×
# seeds 0..4), compare every pair (disagreement, CKA), slice the landscape of
# seeds 0..3 of every method, and connect the 10 within-method seed pairs of
# every method (linear path and Bézier curves), then write the tables.
#
# Every stage skips work that is finished and resumes work that was
# interrupted (Ctrl-C, a killed job): just run the script again. Stages can be
# run alone (STAGES="compare planes"), and the expensive loops split over
# machines or jobs: SHARD=k/K runs the seeds (train), planes and pairs
# (connect) at positions i with i mod K = k; run `STAGES=tables` once at the
# end. The compare stage runs in one process (a few minutes).
#
# Environment (defaults in brackets):
#   PCTTRACK   the binary [pcttrack on PATH, else `go run ./cmd/pcttrack`]
#   OUT        study directory [study]
#   ZOO        the four zoo configs (sparse graph), paper order
#              [fast-pat-l25 fast-pat-l50 fast-pat-l75 fast-ptt]
#   CHECK      full-graph check configs, trained with seeds 0..1 into $OUT/check
#              [full-ptt full-pat-l50]; CHECK= skips the check
#   STAGES     train check compare planes connect tables publish [all of them]
#   PUBLISH    where `publish` copies the small artefacts the results and tests
#              depend on (best.ckpt, config.yaml, validation lines of
#              metrics.jsonl of every trained model; the compare tables and
#              heatmaps; the plane and connect figures and tables) [results/zoo]
#   SHARD      k/K [0/1]
#   CKA_FULL   1 adds the full cross-layer CKA matrix (the authors' module score) [0]
#   FIT_STEPS  Bézier fit steps [1000]
#   COMPARE_ARGS, PLANE_ARGS, CONNECT_ARGS  extra flags of those commands []
set -euo pipefail

OUT=${OUT:-study}
ZOO=${ZOO:-"fast-pat-l25 fast-pat-l50 fast-pat-l75 fast-ptt"}
CHECK=${CHECK-"full-ptt full-pat-l50"}
STAGES=${STAGES:-"train check compare planes connect tables publish"}
PUBLISH=${PUBLISH:-results/zoo}
SHARD=${SHARD:-0/1}
CKA_FULL=${CKA_FULL:-0}
FIT_STEPS=${FIT_STEPS:-1000}
COMPARE_ARGS=${COMPARE_ARGS:-}
PLANE_ARGS=${PLANE_ARGS:-}
CONNECT_ARGS=${CONNECT_ARGS:-}
if [[ -z ${PCTTRACK:-} ]]; then
	if command -v pcttrack >/dev/null; then PCTTRACK=pcttrack; else PCTTRACK="go run ./cmd/pcttrack"; fi
fi
K=${SHARD#*/}
k=${SHARD%/*}
mkdir -p "$OUT"
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$OUT/study.log" >&2; }
run() { log "+ $*"; $PCTTRACK "$@"; }
has() { [[ " $STAGES " == *" $1 "* ]]; }
mine() { (($1 % K == k)); }
name() { basename "${1%.yaml}"; }

# stage 1: the zoo
if has train; then
	for c in $ZOO; do
		run train --config "$c" --out "$OUT/zoo/$(name "$c")" --seeds 0..4 --shard "$SHARD" --resume
	done
fi
if has check && [[ -n $CHECK ]]; then
	for c in $CHECK; do
		run train --config "$c" --out "$OUT/check/$(name "$c")" --seeds 0..1 --shard "$SHARD" --resume
	done
fi

ckpts() { # the zoo's best checkpoints, paper order
	local c s
	for c in $ZOO; do for s in 0 1 2 3 4; do echo "$OUT/zoo/$(name "$c")/seed-$s/best.ckpt"; done; done
}
ready() { # all checkpoints of the zoo exist
	local p
	for p in $(ckpts); do [[ -f $p ]] || { log "missing $p: train the zoo first"; return 1; }; done
}

# stage 2: pairwise instability (one process; resumable)
if has compare && [[ $k == 0 ]] && ready; then
	[[ -f $OUT/compare/compare.json ]] || run compare $(ckpts) --cka --out "$OUT/compare" --resume $COMPARE_ARGS
	if [[ $CKA_FULL == 1 && ! -f $OUT/compare-full/compare.json ]]; then
		run compare $(ckpts) --cka-full --out "$OUT/compare-full" --resume $COMPARE_ARGS
	fi
	if [[ -n $CHECK ]]; then
		cks=$(for c in $CHECK; do for s in 0 1; do echo "$OUT/check/$(name "$c")/seed-$s/best.ckpt"; done; done)
		[[ -f $OUT/check-compare/compare.json ]] || run compare $cks --cka --out "$OUT/check-compare" --resume $COMPARE_ARGS
	fi
fi

# stage 3: 2-D slices of seeds 0..3 of every method (the paper's panels), and
# of seed 0 of each full-graph check method
if has planes && ready; then
	i=0
	for c in $ZOO; do
		for s in 0 1 2 3; do
			if mine $i; then
				d=$OUT/planes/$(name "$c")-s$s
				[[ -f $d/plane.json ]] || run landscape plane "$OUT/zoo/$(name "$c")/seed-$s/best.ckpt" --out "$d" --resume $PLANE_ARGS
			fi
			i=$((i + 1))
		done
	done
	for c in $CHECK; do # the full-graph check: seed 0 of each method
		if mine $i; then
			d=$OUT/planes/$(name "$c")-s0
			m=$OUT/check/$(name "$c")/seed-0/best.ckpt
			[[ ! -f $m || -f $d/plane.json ]] || run landscape plane "$m" --out "$d" --resume $PLANE_ARGS
		fi
		i=$((i + 1))
	done
fi

# stage 4: mode connectivity of the 10 within-method pairs of every method, and
# of the full-graph check's seed pair of each method
if has connect && ready; then
	i=0
	for c in $ZOO; do
		for a in 0 1 2 3 4; do
			for b in $(seq $((a + 1)) 4); do
				if mine $i; then
					d=$OUT/connect/$(name "$c")-s$a-s$b
					z=$OUT/zoo/$(name "$c")
					[[ -f $d/connect.json ]] || run connect "$z/seed-$a/best.ckpt" "$z/seed-$b/best.ckpt" --out "$d" --steps "$FIT_STEPS" --resume $CONNECT_ARGS
				fi
				i=$((i + 1))
			done
		done
	done
	for c in $CHECK; do # the full-graph check's one pair per method
		if mine $i; then
			d=$OUT/connect/$(name "$c")-s0-s1
			z=$OUT/check/$(name "$c")
			[[ ! -f $z/seed-1/best.ckpt || -f $d/connect.json ]] ||
				run connect "$z/seed-0/best.ckpt" "$z/seed-1/best.ckpt" --out "$d" --steps "$FIT_STEPS" --resume $CONNECT_ARGS
		fi
		i=$((i + 1))
	done
fi

# stage 5: tables
if has tables; then
	# one table per graph: the table groups pairs by method
	zj=$(for c in $ZOO; do compgen -G "$OUT/connect/$(name "$c")-s*-s*/connect.json" || true; done)
	cj=$(for c in $CHECK; do compgen -G "$OUT/connect/$(name "$c")-s*-s*/connect.json" || true; done)
	[[ -z $zj ]] || run connect table $zj --markdown --out "$OUT/connect-table.md"
	[[ -z $cj ]] || run connect table $cj --markdown --out "$OUT/connect-table-check.md"
	[[ -f $OUT/compare/groups.csv ]] && log "instability: $OUT/compare/groups.csv, tests.csv, *.png"
	log "done; see $OUT/study.log"
fi

# stage 6: publish the small artefacts (checkpoints are ~26 kB)
if has publish; then
	for d in "$OUT"/zoo/*/seed-* "$OUT"/check/*/seed-*; do
		[[ -f $d/best.ckpt ]] || continue
		m=$(basename "$(dirname "$d")")/$(basename "$d")
		steps=$(awk '/^steps:/ {print $2}' "$d/config.yaml")
		grep -Eq "\"kind\":\"val\",(\"best\":true,)?\"step\":$steps," "$d/metrics.jsonl" || continue # unfinished
		mkdir -p "$PUBLISH/models/$m"
		cp "$d/best.ckpt" "$d/config.yaml" "$PUBLISH/models/$m/"
		grep '"kind":"val"' "$d/metrics.jsonl" > "$PUBLISH/models/$m/val.jsonl"
	done
	for c in compare check-compare; do
		[[ -f $OUT/$c/compare.json ]] || continue
		mkdir -p "$PUBLISH/$c"
		cp "$OUT/$c"/*.csv "$OUT/$c"/*.png "$PUBLISH/$c/"
	done
	for d in "$OUT"/planes/*/; do
		[[ -f $d/plane.json ]] || continue
		mkdir -p "$PUBLISH/planes"
		cp "$d/hamming.png" "$PUBLISH/planes/$(basename "$d")-hamming.png"
	done
	for d in "$OUT"/connect/*/; do
		[[ -f $d/connect.json ]] || continue
		mkdir -p "$PUBLISH/connect"
		cp "$d/connect.png" "$PUBLISH/connect/$(basename "$d").png"
		cp "$d/connect.csv" "$PUBLISH/connect/$(basename "$d").csv"
	done
	for t in connect-table connect-table-check; do
		[[ ! -f $OUT/$t.md ]] || cp "$OUT/$t.md" "$PUBLISH/"
	done
	log "published to $PUBLISH"
fi
