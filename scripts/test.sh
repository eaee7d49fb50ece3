#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole test suite from a clean state: set up, build with warnings as
# errors (the hosted library, the freestanding archive, the tests), run
# every test with Criterion's own output, then the ThreadSanitizer runs
# (scripts/tsan.sh, a few minutes), the suite again under AddressSanitizer
# and UndefinedBehaviorSanitizer with a short random sweep
# (scripts/sanitizers.sh, 2-4 minutes), each fuzz target for 30 seconds
# from fixed seeds after replaying its regressions (scripts/fuzz.sh, about
# 2 minutes), and close with one summary line.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh

rm -rf build-test
meson setup build-test -Dwerror=true -Dfreestanding=true -Dtests=true -Dlock_checks=true >/dev/null
ninja -C build-test

status=0
# Each step's verdict goes into the summary line, so that a red run says
# which step made it red without a search through the log.
verdict() { if [ "$1" -eq 0 ]; then echo ok; else echo FAILED; fi; }
rc=0; meson test -C build-test --verbose --print-errorlogs --num-processes 1 || rc=$?
suite=$(verdict $rc); [ $rc -eq 0 ] || status=1
checks=ok
for check in "check-install.sh build-test" "check-symbols.sh build-test" \
	"check-subproject.sh"; do
	# shellcheck disable=SC2086 # the check's arguments are split on purpose
	sh scripts/$check || { checks="FAILED ($check)"; status=1; }
done
ninja -C build-test docs || { checks="FAILED (docs)"; status=1; }
rc=0; sh scripts/tsan.sh || rc=$?
tsan=$(verdict $rc); [ $rc -eq 0 ] || status=1
rc=0; sh scripts/sanitizers.sh || rc=$?
sanitizers=$(verdict $rc); [ $rc -eq 0 ] || status=1
rc=0; sh scripts/fuzz.sh 30 || rc=$?
fuzz=$(verdict $rc); [ $rc -eq 0 ] || status=1

# Criterion prints one "Synthesis" line per test binary; add them up.
log=build-test/meson-logs/testlog.txt
passed=$(sed -n 's/.*Synthesis: Tested: [0-9]* | Passing: \([0-9]*\).*/\1/p' "$log" |
	awk '{ s += $1 } END { print s + 0 }')
failed=$(sed -n 's/.*Synthesis: .*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p' "$log" |
	awk '{ s += $1 + $2 } END { print s + 0 }')
# refvmx-bochs.sh ends each Bochs boot with one verdict line.
boots_ok=$(grep -c '^refvmx: PASS' "$log" || true)
boots_bad=$(grep -c '^refvmx: FAIL' "$log" || true)
echo "meson test: $suite (criterion: $passed passed, $failed failed; refvmx boots in Bochs: $boots_ok passed, $boots_bad failed); install/symbols/subproject/docs: $checks; TSan: $tsan; ASan+UBSan: $sanitizers; fuzz: $fuzz"
exit $status
