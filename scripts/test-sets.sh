# test-sets.sh, sourced by ship-model.sh and sparse-vs-full.sh: the 9 test sets of the model
# comparisons (100/150/200 mm of water × 50/100/150 p+/frame, FRAMES frames each, seed TEST_SEED).
# test_sets BIN DIR sets the array tests to their paths, simulating the ones DIR lacks.
test_sets() {
	local p=$1 dir=$2 t n f
	mkdir -p "$dir"
	tests=()
	for t in 100 150 200; do
		for n in 50 100 150; do
			f="$dir/w$t-p$n.parquet"
			[ -f "$f" ] || "$p" simulate --phantom "water:$t" --protons-per-frame "$n" --frames "$FRAMES" \
				--seed "$TEST_SEED" --out "$f"
			tests+=("$f")
		done
	done
}
