#!/bin/sh
# SPDX-License-Identifier: MIT
# Before/after figures of the library core in one run.
#
# usage: bench/core/compare.sh BASE_REV [--rounds R] [smmu-corebench options]
#
# Builds smmu-corebench twice, with the same compiler and the same meson
# options (release, -O2): "before" links the library at BASE_REV (checked
# out in a temporary git worktree, with this tree's bench/core copied in),
# "after" the library of this tree as it is (uncommitted changes
# included). Then it runs the two binaries interleaved, one figure at a
# time (--only FIGURE: before, after, before, after...), and prints each
# row of both with the ratio after/before. --rounds R runs each figure's
# pair R times in a row and takes each side's median (default 1: on a
# busy machine, 3 or more). Options after BASE_REV go to both binaries
# (--repeat N, --quick); --only LIST picks the figures.
# COREBENCH_KEEP=DIR keeps both sides' CSV and tables there.
set -eu

usage() {
	echo "usage: $0 BASE_REV [--rounds R] [--only FIG[,FIG...]] [--repeat N] [--quick]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
base_rev=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
base_sha=$(git -C "$repo" rev-parse --verify --quiet "$base_rev^{commit}") ||
	{ echo "compare: no commit '$base_rev'" >&2; exit 2; }

figures="walk fill1 fill8 lock enter switch emul invlpg sync scale memory"
args=""
rounds=1
while [ $# -gt 0 ]; do
	case $1 in
	--rounds)
		[ $# -ge 2 ] || usage
		rounds=$2
		case $rounds in '' | *[!0-9]* | 0) usage ;; esac
		shift 2 ;;
	--only)
		[ $# -ge 2 ] || usage
		figures=$(echo "$2" | tr ',' ' ')
		shift 2 ;;
	--csv)
		echo "compare: --csv is compare.sh's own business" >&2
		exit 2 ;;
	*)
		args="$args $1"
		shift ;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/corebench-compare.XXXXXX")
wt=$tmp/base
cleanup() {
	git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Options both builds get: only what the revision's meson_options.txt
# knows (older ones lack some).
meson_opts() {
	o="--buildtype=release -Doptimization=2"
	grep -q "'tests'" "$1/meson_options.txt" 2>/dev/null && o="$o -Dtests=false"
	grep -q "'freestanding'" "$1/meson_options.txt" 2>/dev/null &&
		o="$o -Dfreestanding=false"
	echo "$o"
}

build() { # SRC BUILD_DIR NAME
	# shellcheck disable=SC2046
	if ! meson setup "$2" "$1" $(meson_opts "$1") >"$tmp/$3.setup.log" 2>&1 ||
		! ninja -C "$2" bench/core/smmu-corebench >"$tmp/$3.build.log" 2>&1; then
		echo "compare: building the $3 side failed:" >&2
		tail -n 30 "$tmp/$3.setup.log" "$tmp/$3.build.log" >&2 2>/dev/null
		exit 1
	fi
}

echo "compare: before = $(git -C "$repo" log -1 --format='%h %s' "$base_sha")" >&2
git -C "$repo" worktree add --detach --quiet "$wt" "$base_sha"
rm -rf "$wt/bench/core"
mkdir -p "$wt/bench"
cp -R "$here" "$wt/bench/core"
rm -rf "$wt/bench/core/build"* 2>/dev/null || true
# Revisions from before bench/core hook it in from the top.
grep -qs "subdir('core')" "$wt/bench/meson.build" ||
	printf "\nsubdir('bench/core')\n" >>"$wt/meson.build"
build "$wt" "$tmp/build-before" before
echo "compare: after = this tree ($(git -C "$repo" log -1 --format='%h' HEAD)$(
	git -C "$repo" diff --quiet HEAD -- 2>/dev/null || echo ', uncommitted changes'))" >&2
build "$repo" "$tmp/build-after" after
before=$tmp/build-before/bench/core/smmu-corebench
after=$tmp/build-after/bench/core/smmu-corebench
echo "compare: $(cc --version | head -n 1); meson $(meson_opts "$repo")" >&2

for f in $figures; do
	r=1
	while [ "$r" -le "$rounds" ]; do
		for side in before after; do
			echo "compare: $f, $side, round $r of $rounds" >&2
			bin=$before
			[ $side = after ] && bin=$after
			out=$tmp/$side.$f.$r
			# shellcheck disable=SC2086
			"$bin" --only "$f" --csv "$out.csv" $args >"$out.txt" ||
				{ cat "$out.txt" >&2; echo "compare: $side failed on $f" >&2; exit 1; }
		done
		r=$((r + 1))
	done
done

if [ -n "${COREBENCH_KEEP:-}" ]; then
	mkdir -p "$COREBENCH_KEEP"
	cp "$tmp"/before.* "$tmp"/after.* "$COREBENCH_KEEP"/
fi

# Rows of each figure from its own runs (each run also measures walk,
# the reference; walk's row comes from walk's runs), each side's median
# over the rounds. The first five CSV fields never hold commas.
for f in $figures; do
	for side in before after; do
		for csv in "$tmp/$side.$f".*.csv; do
			awk -F, -v fig="$f" -v side="$side" 'NR > 1 &&
				($1 == fig || index($1, fig ".") == 1) {
				print side "," $1 "," $2 "," $3 "," $4 "," $5 }' "$csv"
		done
	done
done | awk -F, '
	function median(key, n,    i, j, t, v) {
		n = cnt[key]
		for (i = 1; i <= n; i++) v[i] = vals[key, i] + 0
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function add(key, x) { vals[key, ++cnt[key]] = x }
	{
		if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 }
		unit[$2] = $4
		add("v" SUBSEP $1 SUBSEP $2, $3)
		if ($5 != "") add("r" SUBSEP $1 SUBSEP $2, $5)
		to[$2] = $6
	}
	function show(v) {
		if (v >= 1000 || v <= -1000) return sprintf("%.0f", v)
		if (v >= 10 || v <= -10) return sprintf("%.1f", v)
		return sprintf("%.3f", v)
	}
	function rat(side, r,    k) {
		k = "r" SUBSEP side SUBSEP r
		return (k in cnt) ? sprintf("%.2fx", median(k)) : "-"
	}
	END {
		printf "%-26s %-13s %10s %10s %8s  %s\n", "figure", "unit",
			"before", "after", "after/", "ratio to the reference, before -> after"
		printf "%-26s %-13s %10s %10s %8s\n", "", "", "", "", "before"
		for (i = 0; i < n; i++) {
			r = order[i]
			kb = "v" SUBSEP "before" SUBSEP r
			ka = "v" SUBSEP "after" SUBSEP r
			b = (kb in cnt) ? median(kb) : ""
			a = (ka in cnt) ? median(ka) : ""
			if (b == "" || a == "") q = "-"
			else if (b == 0) q = (a == 0) ? "=" : "new"
			else q = sprintf("%.2f", a / b)
			rr = ""
			if (("r" SUBSEP "before" SUBSEP r) in cnt ||
			    ("r" SUBSEP "after" SUBSEP r) in cnt)
				rr = sprintf("%s -> %s (to %s)", rat("before", r),
					rat("after", r), to[r])
			line = sprintf("%-26s %-13s %10s %10s %8s  %s", r, unit[r],
				b == "" ? "-" : show(b), a == "" ? "-" : show(a), q, rr)
			sub(/ +$/, "", line)
			print line
		}
	}'
