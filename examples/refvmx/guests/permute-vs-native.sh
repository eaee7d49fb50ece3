#!/bin/sh
# SPDX-License-Identifier: MIT
# permute-vs-native.sh BUILDDIR REFVMX.elf [ARGS...]
#
# pt-permute natively and under refvmx (ARGS go to both, e.g.
# --guest-cmdline full): each must pass its own model's checks, and the
# digests of every outcome they print ("# digest 0x...") must be equal,
# so that the hypervisor's run matches the CPU's access by access. Ends
# with "pt-permute vs native: PASS" or "... FAIL <reason>".
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BUILDDIR REFVMX.elf [ARGS...]" >&2; exit 2; }
builddir=$1 refvmx=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
guest=$builddir/pt-permute.elf
[ -f "$guest" ] || guest=$builddir/examples/refvmx/guests/pt-permute.elf
native_log=$(mktemp) refvmx_log=$(mktemp)
trap 'rm -f "$native_log" "$refvmx_log"' EXIT
native_ok=0 refvmx_ok=0
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300} sh "$here/run-native.sh" "$builddir" pt-permute "$@" \
	>"$native_log" 2>&1 && native_ok=1
sh "$here/../refvmx-bochs.sh" "$refvmx" "$guest" --timeout 600 "$@" \
	>"$refvmx_log" 2>&1 && refvmx_ok=1
digest() { sed -n 's/^# digest \(0x[0-9a-f]*\) over \([0-9]*\) accesses.*/\1 \2/p' "$1" | tail -n 1; }
native_digest=$(digest "$native_log") refvmx_digest=$(digest "$refvmx_log")
grep -a -e '^# digest' -e '^# mismatch' -e '^run-native:' "$native_log" | sed 's/^/native: /'
grep -a -e '^# digest' -e '^# mismatch' -e '^refvmx: exits' -e '^refvmx: boot to verdict' "$refvmx_log" | sed 's/^/refvmx: /'
if [ "$native_ok" -ne 1 ]; then
	echo "pt-permute vs native: FAIL the native run: $(tail -n 1 "$native_log")"
	exit 1
elif [ "$refvmx_ok" -ne 1 ]; then
	echo "pt-permute vs native: FAIL the refvmx run: $(tail -n 1 "$refvmx_log")"
	exit 1
elif [ -z "$native_digest" ] || [ "$native_digest" != "$refvmx_digest" ]; then
	echo "pt-permute vs native: FAIL digests differ: native '$native_digest', refvmx '$refvmx_digest'"
	exit 1
fi
echo "pt-permute vs native: PASS ($native_digest accesses, the same both ways)"
