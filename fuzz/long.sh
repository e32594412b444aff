#!/bin/sh
# make fuzz-long: a fuzzing campaign over every libFuzzer target in fuzz/
# (doc/security.md records one). Each target runs in turn, niced, from the
# committed seeds plus its corpus, until it has executed its share of
# FUZZ_EXECS inputs or FUZZ_SECONDS have passed; then a table of
# executions, coverage (edges, features) and corpus size per target, and
# the total. A crash stops the campaign with the target's log and leaves
# the input as crash-* in the build directory's fuzz/ (exit status 1).
#
#   fuzz/long.sh BUILD_DIR TARGET...   (FUZZ_EXECS, FUZZ_SECONDS from env)
set -eu
build=$1
shift
execs=${FUZZ_EXECS:-100000000}
secs=${FUZZ_SECONDS:-3600}
n=$#
share=$(((execs + n - 1) / n))
root=$(pwd)
total=0
table=""
echo "fuzz-long: $n targets, $share executions or $secs s each (total goal $execs)"
for t in "$@"; do
	name=$(basename "$t")
	mkdir -p "$build/fuzz/corpus-$name"
	start=$(date +%s)
	rc=0
	(cd "$build/fuzz" && nice -n 19 "./$name" -runs="$share" \
		-max_total_time="$secs" -print_final_stats=1 \
		"corpus-$name" "$root/fuzz/seeds" >"$name.long.log" 2>&1) || rc=$?
	log=$build/fuzz/$name.long.log
	ran=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
		sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*corp: \([0-9]*\).*/\1 \2 \3/p')
	ran=${ran:-0}
	total=$((total + ran))
	line=$(printf '%-16s %12s execs %6s s  cov %s  ft %s  corpus %s' "$name" \
		"$ran" $(($(date +%s) - start)) $cov)
	echo "  $line"
	table="$table
  $line"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
		echo "fuzz-long: $name failed (exit $rc), see $log" >&2
		exit 1
	fi
done
echo "fuzz-long: every target done, no crash:$table"
echo "  total            $total execs"
