#!/bin/sh
# SPDX-License-Identifier: MIT
# Coverage-guided fuzzing (tests/fuzz/README.md): builds the libFuzzer
# targets with clang (-Dfuzz=true) in build-fuzz/ (or $FUZZ_BUILD),
# writes the seed corpora, and runs each target for SECONDS (default 60)
# from those seeds with a fixed -seed, so that a run is reproducible.
# Exits non-zero if any target crashed (an oracle violation, a sanitizer
# report, a leak, a broken API rule, a timeout), printing the reproducer
# path and the command that replays it.
#
# usage: fuzz.sh [SECONDS] [TARGET...]   (targets: guest api trace, or
#        fuzz-guest...; default all three). FUZZ_SEED=N changes the seed,
#        FUZZ_JOBS=N runs N targets at once (default 1).
set -eu
cd "$(dirname "$0")/.."

secs=60
case "${1:-}" in
'' | *[!0-9]*) ;;
*)
	secs=$1
	shift
	;;
esac
targets=""
for t in "${@:-guest api trace}"; do
	for one in $t; do
		case "$one" in
		guest | api | trace) targets="$targets fuzz-$one" ;;
		fuzz-guest | fuzz-api | fuzz-trace) targets="$targets $one" ;;
		*)
			echo "fuzz: no target '$one' (guest, api, trace)" >&2
			exit 2
			;;
		esac
	done
done
seed=${FUZZ_SEED:-1}
jobs=${FUZZ_JOBS:-1}

sh scripts/setup.sh
# libFuzzer comes with clang: its runtime is clang's compiler-rt, a
# package of its own on Debian 12 (libclang-rt-14-dev, which clang only
# recommends).
fuzzer_links() {
	command -v clang >/dev/null 2>&1 || return 1
	exe=$(mktemp)
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' |
		clang -fsanitize=fuzzer,address,undefined -x c - -o "$exe" \
			>/dev/null 2>&1
	rc=$?
	rm -f "$exe"
	return $rc
}
if ! fuzzer_links; then
	echo "fuzz: installing clang and its libFuzzer runtime"
	as_root=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "fuzz: need root (or sudo) to install clang" >&2
			exit 1
		}
		as_root="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$as_root apt-get update -qq
	$as_root apt-get install -y -qq --no-install-recommends clang >/dev/null
	major=$(clang -dumpversion | cut -d. -f1)
	if ! fuzzer_links; then
		$as_root apt-get install -y -qq --no-install-recommends \
			"libclang-rt-$major-dev" >/dev/null
	fi
	fuzzer_links || {
		echo "fuzz: clang cannot link a libFuzzer target" >&2
		exit 1
	}
fi

build="${FUZZ_BUILD:-build-fuzz}"
if [ ! -f "$build/build.ninja" ] ||
	! grep -q "fuzz-guest" "$build/build.ninja"; then
	rm -rf "$build"
	CC=clang meson setup "$build" -Dfuzz=true -Dfreestanding=false \
		-Dtests=true >/dev/null
fi
ninja -C "$build" --quiet tests/fuzz/fuzz-guest tests/fuzz/fuzz-api \
	tests/fuzz/fuzz-trace tests/fuzz/fuzz-seeds

status=0
# The fixed findings first (tests/fuzz/regressions/): a replay, seconds.
if ! meson test -C "$build" --suite fuzz --print-errorlogs >/dev/null 2>&1; then
	echo "fuzz: a fixed finding crashes again (tests/fuzz/regressions/):"
	grep -E '^(violation|fuzz-(guest|api):|SUMMARY:|Running: )' \
		"$build/meson-logs/testlog.txt" | head -n 12 | sed 's/^/    /'
	status=1
fi

out=$build/fuzz-out
rm -rf "$out"
mkdir -p "$out/seeds"
"$build/tests/fuzz/fuzz-seeds" "$out/seeds"
mkdir -p "$out/seeds/trace"
cp tests/fuzz/seeds/trace/* bench/traces/*.trace "$out/seeds/trace/"
for short in guest api; do
	for f in tests/fuzz/regressions/$short/*; do
		cp "$f" "$out/seeds/$short/regression-$(basename "$f")"
	done
done

# One target: a fresh corpus from the seeds, SECONDS of fuzzing.
run_target() {
	name=$1
	short=${name#fuzz-}
	dict=tests/fuzz/paging.dict
	[ "$short" = trace ] && dict=tests/fuzz/trace.dict
	corpus=$out/corpus/$short
	art=$out/artifacts/$short
	mkdir -p "$corpus" "$art"
	cp "$out/seeds/$short"/* "$corpus/"
	start=$(date +%s)
	rc=0
	"$build/tests/fuzz/$name" "$corpus" -dict="$dict" -seed="$seed" \
		-max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" -print_final_stats=1 \
		>"$out/$short.log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$short.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$short.log" | tail -n 1)
	# "counted I inputs, O operations" (tests/fuzz/fuzz_count.h)
	counted=$(sed -n "s/^$name: counted //p" "$out/$short.log" | tail -n 1)
	# crash-, leak-, timeout-, oom-: findings; slow-unit-: a note.
	found=$(find "$art" -type f ! -name 'slow-unit-*' | sort)
	slow=$(find "$art" -type f -name 'slow-unit-*' | sort)
	for f in $slow; do
		echo "$name: note: an input slower than 10 s: $f"
	done
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "$name: clean, ${counted:-${runs:-?} runs}, ${cov:-cov: ?}," \
			"$(($(date +%s) - start)) s (log: $out/$short.log)"
		return 0
	fi
	echo "$name: FAILED (exit $rc) after $(($(date +%s) - start)) s (log: $out/$short.log)"
	grep -E '^(violation|fuzz-(guest|api|trace):|SUMMARY:|==[0-9]+==ERROR)' \
		"$out/$short.log" | head -n 8 | sed 's/^/    /'
	for f in $found; do
		echo "    reproducer: $f"
		echo "    replay:     $build/tests/fuzz/$name $f"
	done
	return 1
}

echo "fuzz: $secs s per target, -seed=$seed, corpus from $out/seeds"
if [ "$jobs" -le 1 ]; then
	for t in $targets; do
		run_target "$t" || status=1
	done
else
	# Targets in parallel, reports in order.
	for t in $targets; do
		(run_target "$t" >"$out/$t.verdict" 2>&1; echo $? >"$out/$t.rc") &
	done
	wait
	for t in $targets; do
		cat "$out/$t.verdict"
		[ "$(cat "$out/$t.rc")" -eq 0 ] || status=1
	done
fi
exit $status
