#!/bin/sh
# SPDX-License-Identifier: MIT
# The long run of hostile input (tests/fuzz/README.md, "The long run"):
# for MINUTES of wall-clock time (default 240), at once
#  - the three libFuzzer targets (scripts/fuzz.sh with FUZZ_JOBS=3: the
#    simulated guest under the oracle, the public API, the trace parser;
#    clang, ASan+UBSan), from the seeds, with -seed=$LONG_SEED;
#  - the oracle's random sweep: every configuration of
#    scripts/sim-sweep.txt and of scripts/tsan.sh --list, seed after seed
#    (seeds LONG_SEED*100000 on), on smmu-sim built with ASan+UBSan and the
#    core's lock checks (build-long/).
# It ends with the figures: operations run by each fuzz target and by the
# sweep, runs, violations, sanitizer reports; the summary is also written
# to build-long/summary.txt. Any finding fails it (exit 1), with its
# reproducer: a fuzz artifact path, or the smmu-sim command line.
#
# usage: long-run.sh [MINUTES]      LONG_SEED=N (default 1) for another run
set -eu
cd "$(dirname "$0")/.."

minutes=${1:-240}
case "$minutes" in
'' | *[!0-9]*)
	echo "usage: long-run.sh [MINUTES]" >&2
	exit 2
	;;
esac
seed=${LONG_SEED:-1}
secs=$((minutes * 60))

sh scripts/setup.sh
build=build-long
if [ ! -f "$build/build.ninja" ]; then
	CC=gcc meson setup "$build" -Db_sanitize=address,undefined \
		-Db_lundef=false -Dlock_checks=true -Dfreestanding=false \
		-Dtests=false >/dev/null
fi
ninja -C "$build" --quiet adapters/posix/smmu-sim
sim=$build/adapters/posix/smmu-sim
logs=$build/logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:exitcode=23"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"

start=$(date +%s)
end=$((start + secs))
head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "long run: $minutes min from $(date -u '+%F %T') UTC, seed $seed, at $head"

# The fuzzers, in the background: their budget is the run's, less the
# time fuzz.sh needs to build and to replay the regressions.
(FUZZ_JOBS=3 FUZZ_SEED=$seed sh scripts/fuzz.sh "$((secs > 120 ? secs - 60 : secs))" \
	>"$logs/fuzz.out" 2>&1
echo $? >"$logs/fuzz.rc") &
fuzz_pid=$!

# The sweep: the configurations, then the next seed, until time is up.
configs=$(
	grep -v '^#' scripts/sim-sweep.txt
	sh scripts/tsan.sh --list | awk '/^    smmu-sim / {
		sub(/^    smmu-sim /, ""); gsub(/--seed [0-9]+ /, "")
		print "tsan-" ++n "|--mmu lib " $0 }'
)
runs=0 ops=0 violations=0 reports=0 failed=0
s=$((seed * 100000))
progress=$start
while [ "$(date +%s)" -lt "$end" ]; do
	for line in $(echo "$configs" | tr ' ' '~'); do
		[ "$(date +%s)" -lt "$end" ] || break
		name=${line%%|*}
		args=$(echo "${line#*|}" | tr '~' ' ')
		log=$logs/run.log
		rc=0
		# shellcheck disable=SC2086
		timeout -s KILL 600 "$sim" --quiet --seed "$s" $args \
			>"$log" 2>&1 || rc=$?
		runs=$((runs + 1))
		n=$(sed -n 's/^ops=\([0-9]*\) .*/\1/p' "$log" | tail -n 1)
		v=$(sed -n 's/.* violations=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
		ops=$((ops + ${n:-0}))
		violations=$((violations + ${v:-0}))
		bad=""
		if grep -qE 'Sanitizer|runtime error:' "$log"; then
			reports=$((reports + 1))
			bad="sanitizer report"
		elif [ "$rc" -ne 0 ]; then
			bad="exit $rc"
		fi
		if [ -n "$bad" ]; then
			failed=$((failed + 1))
			cp "$log" "$logs/failed-$name-s$s.log"
			echo "sweep: $name seed $s: $bad: $sim --seed $s $args" |
				tee -a "$logs/failures"
		fi
		now=$(date +%s)
		if [ $((now - progress)) -ge 300 ]; then
			progress=$now
			echo "long run: $(((now - start) / 60)) min, sweep $runs runs," \
				"$ops operations, $failed failed"
		fi
	done
	s=$((s + 1))
done
echo "long run: sweep done, waiting for the fuzzers"
wait "$fuzz_pid" || true
fuzz_rc=$(cat "$logs/fuzz.rc" 2>/dev/null || echo 1)

fuzz_ops=0
summary=$build/summary.txt
{
	echo "long run at $head, seed $seed: $((($(date +%s) - start) / 60)) min"
	for t in guest api trace; do
		c=$(sed -n "s/^fuzz-$t: counted //p" \
			"build-fuzz/fuzz-out/$t.log" 2>/dev/null | tail -n 1)
		n=$(echo "$c" | sed -n 's/.*, \([0-9]*\) operations/\1/p')
		fuzz_ops=$((fuzz_ops + ${n:-0}))
		echo "fuzz-$t: ${c:-no count (see $logs/fuzz.out)}"
	done
	grep -E '^fuzz-(guest|api|trace): (clean|FAILED)|reproducer:' \
		"$logs/fuzz.out" || true
	echo "fuzzers: $fuzz_ops operations, exit $fuzz_rc"
	echo "sweep: $runs runs, $ops operations, $violations violations," \
		"$reports with sanitizer reports, $failed failed (seeds $((seed * 100000))..$s)"
	echo "total: $((fuzz_ops + ops)) operations"
} | tee "$summary"
[ "$fuzz_rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$violations" -eq 0 ]
