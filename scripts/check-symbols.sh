#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails unless libshadowmmu.so exports exactly the public API: every
# function the installed headers declare (include/shadowmmu/*.h, and the
# ones the build generates there), and nothing else. The list comes from
# the headers themselves, preprocessed: a declaration of an smmu_*
# function that is not a static inline. Internal functions are hidden by
# -fvisibility=hidden; shadowmmu.h's visibility pragmas export the API.
# usage: check-symbols.sh BUILD_DIR
set -eu
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
so=$build/libshadowmmu/libshadowmmu.so
[ -f "$so" ] || { echo "symbols: no $so (default_library=static?)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every public header, once, in one translation unit.
for h in "$src"/include/shadowmmu/*.h "$build"/include/shadowmmu/*.h; do
	[ -f "$h" ] && echo "#include <shadowmmu/$(basename "$h")>"
done | sort -u >"$tmp/all.c"
${CC:-cc} -E -P -I"$src/include" -I"$build/include" "$tmp/all.c" >"$tmp/all.i"
# One declaration or definition per line (split at ';' and '}'); keep
# the names of smmu_ functions in those that are not static.
tr '\n' ' ' <"$tmp/all.i" | sed 's/[;}]/\n/g' | grep -v '^[[:space:]]*static' |
	grep -oE '\bsmmu_[A-Za-z0-9_]+[[:space:]]*\(' | tr -d '( ' |
	sort -u >"$tmp/public"
[ -s "$tmp/public" ] || { echo "symbols: found no function in the headers" >&2; exit 1; }

# What the linker itself may define in any shared object.
nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' |
	grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u >"$tmp/exported"

status=0
comm -13 "$tmp/public" "$tmp/exported" >"$tmp/extra"
if [ -s "$tmp/extra" ]; then
	echo "symbols: $(basename "$so") exports $(wc -l <"$tmp/extra") symbols no public header declares:"
	sed 's/^/  /' "$tmp/extra"
	status=1
fi
comm -23 "$tmp/public" "$tmp/exported" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	echo "symbols: $(basename "$so") does not export these public functions:"
	sed 's/^/  /' "$tmp/missing"
	status=1
fi
[ $status -ne 0 ] ||
	echo "symbols: $(basename "$so") exports the $(wc -l <"$tmp/exported") functions of the public headers and nothing else"
exit $status
