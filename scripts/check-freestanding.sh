#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails if the freestanding archive needs any symbol it does not define
# itself. Everything the core uses from outside must come through
# struct smmu_host_ops (function pointers), which nm never lists.
# usage: check-freestanding.sh NM ARCHIVE
set -eu
nm=$1
archive=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$nm" --defined-only -g "$archive" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/defined"
"$nm" -u "$archive" | awk '$1 == "U" { print $2 }' | sort -u >"$tmp/undefined"
comm -23 "$tmp/undefined" "$tmp/defined" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	echo "freestanding: $archive needs symbols from outside the library:"
	sed 's/^/  /' "$tmp/missing"
	exit 1
fi
echo "freestanding: $(basename "$archive") defines $(wc -l <"$tmp/defined") symbols and references none from outside"
