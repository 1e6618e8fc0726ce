#!/usr/bin/env bash
# tracking-error.sh: what tracking errors do to the pCT image (issue 20).
#
# One CTP404 scan per density (DENSITIES p+/frame; same phantom, angles, spots, seed and primaries per
# spot and angle), each reconstructed with identical cuts and reconstruction from
#   a      truth pairing + Monte-Carlo WEPL                     (pcttrack recon SCAN)
#   b      truth pairing + fitted WEPL                          (track --method truth --wepl)
#   follower, physics, model (the embedded default model), and the learned trackers of the zoo
#   (ptt-s0/1: $ZOO_PTT/seed-{0,1}/best.ckpt, pat-s0/1: $ZOO_PAT/seed-{0,1}/best.ckpt) + fitted WEPL.
# Per case: the per-insert RSP error and noise, the mean |RSP error| over the inserts, the bias map
# against b (pcttrack recon diff CASE.mhd b.mhd), the mis-tracked share of the protons that survive the
# cuts and of those cut, δWEPL by error type (package wepl's classification), MTF10; per density the
# pixel-wise difference of the two seeds' images of each model. Ends with the tables
# (scripts/trackingerror) in OUT/table.md and the degradation plot OUT/degradation.png.
#
#   nice -n 19 scripts/tracking-error.sh [OUT_DIR]     # resumable: finished steps are kept
#
# Environment (defaults in brackets):
#   DENSITIES ["10 50 100 150 200"]  PROJECTIONS [60]  SPOT_PROTONS [200]: primaries per spot and angle
#   (a density above it gets one frame per spot and angle, one that does not divide it the nearest
#   whole number of frames); SPOTS [25]: spots per angle of the phantom at the default pitch (CTP404);
#   PHANTOM [ctp404]  SEED [1]  GRID [160] PIXEL [1] (mm)  RECON_FLAGS [--robust]: the cuts and
#   reconstruction flags every case gets; ZOO_PTT [results/zoo/models/fast-ptt]  ZOO_PAT [results/zoo/models/fast-pat-l50]
#   SEEDS ["0 1"]: a missing checkpoint skips its case (run again when it exists);
#   MODEL_DENSITIES [DENSITIES]: where the embedded model runs; KEEP_TRACKS [0]: keep the tracks files;
#   PCTTRACK: a pcttrack binary (default: built into OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-tracking-error}
DENSITIES=${DENSITIES:-"10 50 100 150 200"}
PROJECTIONS=${PROJECTIONS:-60}
SPOT_PROTONS=${SPOT_PROTONS:-200}
SPOTS=${SPOTS:-25}
PHANTOM=${PHANTOM:-ctp404}
SEED=${SEED:-1}
GRID=${GRID:-160}
PIXEL=${PIXEL:-1}
RECON_FLAGS=${RECON_FLAGS:---robust}
ZOO_PTT=${ZOO_PTT:-results/zoo/models/fast-ptt}
ZOO_PAT=${ZOO_PAT:-results/zoo/models/fast-pat-l50}
SEEDS=${SEEDS:-"0 1"}
MODEL_DENSITIES=${MODEL_DENSITIES:-$DENSITIES}
KEEP_TRACKS=${KEEP_TRACKS:-0}
mkdir -p "$OUT"
if [ -z "${PCTTRACK:-}" ]; then
	PCTTRACK="$OUT/pcttrack"
	go build -o "$PCTTRACK" ./cmd/pcttrack
fi
P=$PCTTRACK
log() { echo "tracking-error: $*" >&2; }
# run LOG CMD...: CMD with its output in LOG (progress lines in LOG.err); on failure, the error
run() {
	local out=$1
	shift
	"$@" >"$out" 2>"$out.err" || {
		log "failed: $*"
		tail -3 "$out.err" >&2
		exit 1
	}
}
read -r -a rflags <<<"$RECON_FLAGS"
recon_common=(--grid "$GRID" --pixel "$PIXEL" "${rflags[@]}")

# the learned cases: NAME=CHECKPOINT
learned=()
for s in $SEEDS; do
	learned+=("ptt-s$s=$ZOO_PTT/seed-$s/best.ckpt" "pat-s$s=$ZOO_PAT/seed-$s/best.ckpt")
done

for n in $DENSITIES; do
	d="$OUT/p$n"
	mkdir -p "$d"
	frames=$(((SPOT_PROTONS + n / 2) / n))
	[ "$frames" -ge 1 ] || frames=1
	scan="$d/scan.parquet"
	if [ ! -f "$scan" ]; then
		log "p$n: scan, $PROJECTIONS angles × $SPOTS spots × $frames frames of $n"
		run "$d/scan.txt" "$P" scan --phantom "$PHANTOM" --projections "$PROJECTIONS" --protons-per-frame "$n" \
			--protons $((PROJECTIONS * SPOTS * frames * n)) --seed "$SEED" --out "$scan"
	fi
	# a: truth pairing, Monte-Carlo WEPL
	[ -f "$d/a.json" ] || { log "p$n: a"; run "$d/a.txt" "$P" recon "$scan" --out "$d/a" "${recon_common[@]}"; }
	cases=(b=truth follower=follower physics=physics)
	for m in $MODEL_DENSITIES; do [ "$m" = "$n" ] && cases+=(model=model); done
	for c in "${learned[@]}"; do
		if [ -f "${c#*=}" ]; then cases+=("$c"); else log "p$n: ${c%%=*}: ${c#*=} not found, skipped"; fi
	done
	for c in "${cases[@]}"; do
		name=${c%%=*} how=${c#*=}
		[ -f "$d/$name.json" ] && continue
		t="$d/t-$name.parquet"
		if [ ! -f "$t" ]; then
			log "p$n: track $name"
			case $how in
			*/* | *.ckpt) run "$d/t-$name.txt" "$P" track "$scan" --model "$name=$how" --wepl --out "$t" ;;
			*) run "$d/t-$name.txt" "$P" track "$scan" --method "$how" --wepl --out "$t" ;;
			esac
		fi
		log "p$n: recon $name"
		run "$d/$name.txt" "$P" recon "$scan" --tracks "$t" --out "$d/$name" "${recon_common[@]}"
		[ "$KEEP_TRACKS" = 1 ] || rm -f "$t"
	done
	# bias maps against b, and the seeds' differences
	for f in "$d"/*.json; do
		name=$(basename "$f" .json)
		case $name in b | bias-* | seeds-*) continue ;; esac
		[ -f "$d/bias-$name.json" ] || run "$d/bias-$name.txt" "$P" recon diff "$d/$name.mhd" "$d/b.mhd" --out "$d/bias-$name"
	done
	set -- $SEEDS
	if [ $# -ge 2 ]; then
		for m in ptt pat; do
			x="$d/$m-s$1.mhd" y="$d/$m-s$2.mhd"
			[ -f "$x" ] && [ -f "$y" ] && { [ -f "$d/seeds-$m.json" ] || run "$d/seeds-$m.txt" "$P" recon diff "$x" "$y" --out "$d/seeds-$m"; }
		done
	fi
done
go build -o "$OUT/trackingerror" ./scripts/trackingerror
"$OUT/trackingerror" --plot "$OUT/degradation.png" "$OUT" | tee "$OUT/table.md"
