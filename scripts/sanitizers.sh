#!/bin/sh
# SPDX-License-Identifier: MIT
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer over
# the library and its test machinery: builds the project with
# -Db_sanitize=address,undefined (gcc) and the core's lock checks in its
# own build directory (build-asan/, or $SAN_BUILD), runs the Criterion
# suites (not the refvmx boots), then a sweep of smmu-sim random runs
# with the library core (--mmu lib) and the naive MMU over the paging
# modes, vCPU counts, toggles, assisted flushes and small pools. Any
# sanitizer report, leak, oracle violation or failed test fails it; each
# run's log is in $SAN_BUILD/san-logs/.
#
# usage: sanitizers.sh [--tests-only | --sim-only]
#        SAN_SEEDS="1 2 3" (the default) picks the sweep's seeds.
set -eu
cd "$(dirname "$0")/.."

what=all
case "${1:-}" in
--tests-only) what=tests ;;
--sim-only) what=sim ;;
"") ;;
*)
	echo "usage: sanitizers.sh [--tests-only | --sim-only]" >&2
	exit 2
	;;
esac

sh scripts/setup.sh

build="${SAN_BUILD:-build-asan}"
rm -rf "$build"
# b_lundef=false: meson's -Wl,--no-undefined does not go with the
# sanitizer runtimes of shared objects.
CC=gcc meson setup "$build" -Db_sanitize=address,undefined \
	-Db_lundef=false -Dlock_checks=true -Dfreestanding=false \
	-Dtests=true >/dev/null
ninja -C "$build" --quiet
logs=$build/san-logs
mkdir -p "$logs"

# Leaks are reports; UBSan stops at its first report, with a stack, and
# fails the process (halt_on_error); Criterion's workers inherit these.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"
export LSAN_OPTIONS="exitcode=23"

status=0
total_start=$(date +%s)

if [ "$what" != sim ]; then
	echo
	echo "== Criterion suites under ASan+UBSan =="
	start=$(date +%s)
	meson test -C "$build" --print-errorlogs --num-processes 2 \
		--no-suite refvmx --no-suite refvmx-guests \
		>"$logs/meson-test.log" 2>&1 || status=1
	tail -n 6 "$logs/meson-test.log"
	echo "suites: $(($(date +%s) - start)) s (log: $build/meson-logs/testlog.txt)"
	if grep -qE '^(SUMMARY: (Address|Undefined|Leak)Sanitizer|==[0-9]+==ERROR)|runtime error:' \
		"$build/meson-logs/testlog.txt"; then
		echo "sanitizers: reports in the suites' output:"
		grep -E '^SUMMARY: |runtime error:' "$build/meson-logs/testlog.txt" |
			sort | uniq -c | head -n 20
		status=1
	fi
fi

if [ "$what" != tests ]; then
	echo
	echo "== smmu-sim sweep under ASan+UBSan =="
	sim=$build/adapters/posix/smmu-sim
	seeds=${SAN_SEEDS:-1 2 3}
	# The configurations: scripts/sim-sweep.txt.
	sweep=$(grep -v '^#' scripts/sim-sweep.txt)
	tab=$(printf '\t')
	: >"$logs/verdicts"
	echo "$sweep" | while IFS='|' read -r config args; do
		[ -n "$config" ] || continue
		start=$(date +%s)
		line=""
		for seed in $seeds; do
			name=$config-s$seed
			log=$logs/$name.log
			rc=0
			# shellcheck disable=SC2086
			timeout -s KILL 300 "$sim" --quiet --seed "$seed" \
				$args >"$log" 2>&1 || rc=$?
			if grep -qE 'Sanitizer|runtime error:' "$log"; then
				verdict="FAILED: sanitizer report (exit $rc)"
			elif [ "$rc" -eq 0 ]; then
				verdict="clean"
			elif [ "$rc" -eq 137 ]; then
				verdict="FAILED: killed after 300 s"
			else
				verdict="FAILED: exit $rc"
			fi
			printf '%s%s%s\n' "$name" "$tab" "$verdict" \
				>>"$logs/verdicts"
			if [ "$verdict" = clean ]; then
				line="$line $seed"
			else
				echo "$name: $verdict ($log)"
				grep -E '^(SUMMARY: |violation )|runtime error:' \
					"$log" | head -n 3 | sed 's/^/    /' || true
			fi
		done
		printf '%-22s %4s s  clean with seeds:%s\n' "$config" \
			"$(($(date +%s) - start))" "${line:- none}"
	done
	bad=$(grep -vc "${tab}clean\$" "$logs/verdicts" || true)
	runs=$(wc -l <"$logs/verdicts")
	echo "sweep: $runs runs, $((runs - bad)) clean, $bad failed"
	[ "$bad" -eq 0 ] || status=1
fi

echo "sanitizers: $(($(date +%s) - total_start)) s in all; logs in $logs/"
exit $status
