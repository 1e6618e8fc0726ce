#!/usr/bin/env bash
# Long fuzzing, as a command (CI runs only the seed corpora, in go test ./...).
#
#   scripts/fuzz.sh [DURATION] [FuzzName ...]
#
# runs every fuzz target of the module (or the ones named), one at a time,
# each for DURATION (default 10m) with a single worker (-parallel 1: the
# machine is shared), and prints one line per target: executions, new
# interesting inputs and the result. A crasher is written by go test to
# PKG/testdata/fuzz/FuzzName/; commit it as a regression seed once the code
# is fixed. Logs go to ${FUZZ_LOGS:-/tmp/pcttrack-fuzz}. New-coverage inputs
# are minimized for at most ${FUZZ_MINIMIZE:-5s} (go test's default of 60 s
# spent most of a 10-minute run on minimizing the large seed files).
set -uo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10m}
shift || true
logs=${FUZZ_LOGS:-/tmp/pcttrack-fuzz}
mkdir -p "$logs"

# package-dir:FuzzName for every fuzz target.
mapfile -t all < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's#^\./(.*)/[^/]*_test\.go:func (Fuzz.*)$#\1:\2#' | sort -u)
targets=()
if [ $# -eq 0 ]; then
	targets=("${all[@]}")
else
	for name in "$@"; do
		found=
		for t in "${all[@]}"; do
			if [ "${t#*:}" = "$name" ]; then targets+=("$t"); found=1; fi
		done
		[ -n "$found" ] || { echo "fuzz.sh: no fuzz target $name" >&2; exit 2; }
	done
fi

status=0
printf '%-22s %-10s %12s %10s  %s\n' target package execs new result
for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t#*:}
	log="$logs/$name.log"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$dur" -fuzzminimizetime "${FUZZ_MINIMIZE:-5s}" -parallel 1 "./$pkg" >"$log" 2>&1
	rc=$?
	last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
	execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
	new=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
	result=ok
	if [ $rc -ne 0 ]; then
		status=1
		result="FAIL: $(grep -m1 -oE 'testdata/fuzz/[^ ]+' "$log" || tail -1 "$log") (see $log)"
	fi
	printf '%-22s %-10s %12s %10s  %s\n' "$name" "$pkg" "${execs:-?}" "${new:-?}" "$result"
done
exit $status
