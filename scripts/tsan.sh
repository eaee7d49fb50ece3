#!/bin/sh
# SPDX-License-Identifier: MIT
# ThreadSanitizer over the library's shadow core on the simulated machine:
# builds smmu-sim with -fsanitize=thread (gcc, whose TSan runtime comes
# with gcc on Debian 12) in build-tsan/, then runs it in eight
# configurations, each with 4 to 8 simulated CPUs as real threads (never
# lockstep). Any ThreadSanitizer report, any oracle violation, a crash or
# a run past its time limit fails the script. Reports are left to run to
# the end (halt_on_error=0) so that one run lists every distinct race; each
# run's log is in build-tsan/tsan-logs/, and the first report of each
# distinct race is printed in full.
#
# liburcu's grace periods are shown to TSan by adapters/posix/sim_rcu.h;
# nothing is suppressed. TSan does not model standalone fences (gcc warns
# -Wtsan where the core uses __atomic_thread_fence): it finds races on
# the accesses, but cannot judge a fence-based protocol such as the
# lock-free fill's (libshadowmmu/fill_lockfree.c); the oracle judges that.
#
# One more run, vm-calls, is not smmu-sim: tests/tsan_vm_calls.c, linked
# with the same TSan build of the library, makes VM-wide calls on several
# threads at once (vCPU creates and destroys with colliding ids beside
# smmu_vm_get_stats, dirty-log starts and stops in pairs) and checks every
# outcome; Criterion's runner does not start under TSan, so the suite that
# checks the same outcomes (tests/test_concurrency.c) cannot run here.
#
# usage: tsan.sh [NAME...]   (default: all nine; --list names them)
set -eu
cd "$(dirname "$0")/.."

# name | threads | what it exercises | smmu-sim arguments. Every run is
# sized for 20 to 30 s under TSan on a 2-core machine; LIMIT stops a hung
# one.
configs='
pcid-precise|4|PCID host, precise policy, 8 spaces on 4 PCIDs, kicks by IPI|--vcpus 4 --ops 180000 --seed 11 --policy precise --host-caps all --spaces 8 --pcids 4
kvm-assisted|4|kvm policy, host without PCID flushes, remote flushes by assisted flush|--vcpus 4 --ops 180000 --seed 12 --policy kvm --host-caps flush-addr --assisted
conservative-nocaps|6|conservative policy, a host with no flush capability|--vcpus 6 --ops 100000 --seed 13 --policy conservative --host-caps none
no-flush-engine|6|every remote flush is flush_all_cpus under the MMU lock, 32-bit guest, small pool|--vcpus 6 --ops 100000 --seed 14 --no-flush-engine --mode 32bit --pool-pages 64
pool-pressure|8|PAE guest at the pool minimum: evictions, deferred frees, grace periods in alloc_page|--vcpus 8 --ops 60000 --seed 15 --mode pae --pool-pages 44 --pages 256 --no-large
lockfree-slow-readers|8|lock-free fault path on shared tables, readers preempted in their sections, evictions|--vcpus 8 --ops 60000 --seed 16 --slow-readers --spaces 1 --pages 256 --prefetch 1 --pool-pages 44 --host-4k --no-large --recent 60
unsync|6|out-of-sync tables (unsync after 1 store), emulated stores, 5-level guest|--vcpus 6 --ops 75000 --seed 17 --mode 5level --unsync-after 1 --unsync-quiet 1 --spaces 2 --mix store=35,pte=30
toggle-all|4|every paging toggle (PG, PCIDE, WP, NXE, SMEP, SMAP, PKE), 8 vCPUs switched on 4 CPUs|--vcpus 8 --pcpus 4 --ops 50000 --seed 18 --toggle-all --pool-pages 64
'
LIMIT=120

if [ "${1:-}" = "--list" ]; then
	echo "$configs" | awk -F'|' 'NF == 4 { printf "%-22s %s threads: %s\n    smmu-sim %s\n", $1, $2, $3, $4 }'
	printf '%-22s %s threads: %s\n    %s\n' vm-calls 4 \
		"vCPU creates/destroys and dirty-log starts/stops at once" \
		"tests/tsan_vm_calls.c"
	exit 0
fi
for want in "$@"; do
	[ "$want" = vm-calls ] && continue
	echo "$configs" | grep -q "^$want|" ||
		{ echo "tsan: no configuration $want (--list)" >&2; exit 2; }
done

# What a run's exit status and log say: clean, or why it failed.
verdict_of() {
	reports=$(grep -c '^WARNING: ThreadSanitizer' "$2" || true)
	if [ "$1" -eq 0 ] && [ "$reports" -eq 0 ]; then
		echo "clean"
	elif [ "$1" -eq 137 ]; then
		echo "FAILED: killed after $LIMIT s"
	elif [ "$reports" -gt 0 ]; then
		echo "FAILED: $reports TSan reports"
	else
		echo "FAILED: exit $1"
	fi
}

sh scripts/setup.sh

build="build-tsan"
rm -rf "$build"
# With the core's lock checks (LOCKING.md), as in the test suite's build.
CC=gcc meson setup "$build" -Db_sanitize=thread -Dlock_checks=true \
	-Dfreestanding=false -Dtests=false >/dev/null
ninja -C "$build" --quiet adapters/posix/smmu-sim libshadowmmu/libshadowmmu.a
sim=$build/adapters/posix/smmu-sim
vm_calls=$build/tsan-vm-calls
gcc -fsanitize=thread -O1 -g -Iinclude -I"$build/include" \
	tests/tsan_vm_calls.c "$build/libshadowmmu/libshadowmmu.a" -lpthread \
	-o "$vm_calls"
logs=$build/tsan-logs
mkdir -p "$logs"

# exitcode=66 is TSan's default; set so a report cannot pass for a
# violation (1). history_size=7 keeps enough history for both stacks.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 history_size=7 second_deadlock_stack=1"

# Old TSan runtimes refuse some address-space layouts; without ASLR they run.
aslr=""
if ! "$sim" --vcpus 1 --ops 1 --quiet >"$logs/probe.log" 2>&1; then
	if grep -q "ThreadSanitizer: unexpected memory mapping" "$logs/probe.log"; then
		aslr="setarch $(uname -m) -R"
	else
		echo "tsan: smmu-sim does not start under TSan:" >&2
		cat "$logs/probe.log" >&2
		exit 1
	fi
fi

echo
echo "== ThreadSanitizer: smmu-sim --mmu lib on real threads =="
total_start=$(date +%s%N)
tab=$(printf '\t')
: >"$logs/verdicts"
echo "$configs" | while IFS='|' read -r name threads _what args; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	log=$logs/$name.log
	start=$(date +%s%N)
	rc=0
	# shellcheck disable=SC2086
	timeout -s KILL $LIMIT $aslr "$sim" --mmu lib --quiet $args >"$log" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
	verdict=$(verdict_of "$rc" "$log")
	printf '%-22s %s threads %5s s  %s; %s\n' "$name" "$threads" "$secs" \
		"$verdict" "$(grep '^ops=' "$log" || echo 'no result line')"
	printf '%s%s%s\n' "$name" "$tab" "$verdict" >>"$logs/verdicts"
	grep '^SUMMARY: ThreadSanitizer' "$log" | sort | uniq -c |
		sed 's/^ */    /' || true
done
case " $* " in
"  " | *" vm-calls "*)
	log=$logs/vm-calls.log
	rc=0
	# shellcheck disable=SC2086
	timeout -s KILL $LIMIT $aslr "$vm_calls" >"$log" 2>&1 || rc=$?
	verdict=$(verdict_of "$rc" "$log")
	printf '%-22s %s threads %5s    %s; %s\n' vm-calls 4 "" "$verdict" \
		"$(grep '^tsan_vm_calls:' "$log" | tail -1)"
	printf '%s%s%s\n' vm-calls "$tab" "$verdict" >>"$logs/verdicts"
	grep '^SUMMARY: ThreadSanitizer' "$log" | sort | uniq -c |
		sed 's/^ */    /' || true
	;;
esac
total_ms=$((($(date +%s%N) - total_start) / 1000000))

# The first full report of each distinct race (the top frames of its two
# accesses), from whichever run had it.
awk '
/^==================$/ {
	if (inrep && key != "" && !(key in seen)) {
		seen[key] = 1
		printf "(%s)\n%s", FILENAME, buf
	}
	inrep = !inrep; buf = ""; key = ""; tops = 0; next
}
inrep {
	buf = buf $0 "\n"
	if ($0 ~ /^    #0 / && tops++ < 2)
		key = key $2 " " $3 ";"
}' "$logs"/*.log >"$logs/distinct.txt"
if [ -s "$logs/distinct.txt" ]; then
	echo
	echo "== the first report of each distinct race =="
	cat "$logs/distinct.txt"
fi

runs=$(wc -l <"$logs/verdicts")
bad=$(grep -vc "${tab}clean\$" "$logs/verdicts" || true)
echo "tsan: $runs configurations in $((total_ms / 1000)) s, $((runs - bad)) clean, $bad failed (logs in $logs/)"
[ "$bad" -eq 0 ]
