#!/bin/sh
# bench/cache.sh - what the shared cache costs and saves.
#
#   1. size: N versions of one package unpacked into one cache, with and
#      without file-level dedupe: the sum of the unpacked trees ('bytes' of
#      'cache info') against what is stored ('stored'), and du -s.
#   2. cold unpack of those versions: default, CINSTALL_NO_DEDUPE=1 (no
#      v1/objects), CINSTALL_NO_FSYNC=1 (MANIFEST and its directory not
#      fsynced before publication: the only fsync a cold unpack does).
#   3. warm install of a set of real wheels into a fresh --target, hard
#      links: this build (shared lock per entry, one fstatat per file for
#      self-healing, entries deduplicated) against BASELINE, a cinstall
#      without them (e.g. built from the commit before issue 6), when given.
#
#   BUILD=build [BASELINE=/path/to/old/cinstall] [PKG=setuptools] [ROUNDS=5] sh bench/cache.sh
# Target (issue 6): locks and dedupe cost under 5% of the warm install.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CINSTALL=$BUILD/cinstall
BASELINE=${BASELINE:-}
PKG=${PKG:-setuptools}
ROUNDS=${ROUNDS:-5}
SHARED=$top/../shared/wheels
T=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -x "$CINSTALL" ] || { echo "bench/cache.sh: build $CINSTALL first" >&2; exit 1; }
[ -d "$SHARED" ] || { echo "bench/cache.sh: no $SHARED" >&2; exit 1; }

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
info() { CINSTALL_CACHE_DIR=$1 "$CINSTALL" cache info | sed -n "s/^$2: //p"; }

versions=$(ls "$SHARED/$PKG"-[0-9]*-none-any.whl 2>/dev/null)
n=$(echo "$versions" | grep -c .)
[ "$n" -ge 2 ] || { echo "bench/cache.sh: fewer than 2 versions of $PKG in $SHARED" >&2; exit 1; }

# --- 1 and 2: size and cold unpack ------------------------------------------
echo "== $n versions of $PKG: $(echo "$versions" | xargs -n1 basename | sed "s/^$PKG-//; s/-.*//" | tr '\n' ' ')"
for knob in default CINSTALL_NO_DEDUPE CINSTALL_NO_FSYNC; do
	: > "$T/times"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		rm -rf "$T/c"
		sync
		t0=$(ms)
		# shellcheck disable=SC2086
		if [ $knob = default ]; then
			CINSTALL_CACHE_DIR=$T/c "$CINSTALL" unpack $versions > /dev/null
		else
			env "$knob=1" CINSTALL_CACHE_DIR="$T/c" "$CINSTALL" unpack $versions > /dev/null
		fi
		echo $(( $(ms) - t0 )) >> "$T/times"
		r=$((r + 1))
	done
	printf 'cold unpack, %-20s %6d ms (median of %d)\n' "$knob:" "$(median < "$T/times")" "$ROUNDS"
	if [ $knob != CINSTALL_NO_FSYNC ]; then
		b=$(info "$T/c" bytes) s=$(info "$T/c" stored)
		printf '  size, %-25s unpacked trees %d bytes, stored %d bytes (%d%%), du -s %s\n' "$knob:" "$b" "$s" \
			$((s * 100 / b)) "$(du -sh "$T/c" | cut -f1)"
	fi
done

# --- 3: warm install ----------------------------------------------------------
# One wheel per distribution (the last name in sort order), py3 and
# pure-Python, that installs on its own with --target.
ls "$SHARED"/*-none-any.whl | awk -F/ '{ n = $NF; sub(/-.*/, "", n); last[tolower(n)] = $0 } END { for (k in last) print last[k] }' |
	sort > "$T/cand"
: > "$T/set"
while read -r w; do
	rm -rf "$T/probe"
	CINSTALL_CACHE_DIR=$T/wc "$CINSTALL" install -q --no-compat-check --target "$T/probe" "$w" > /dev/null 2>&1 &&
		echo "$w" >> "$T/set"
done < "$T/cand"
nw=$(wc -l < "$T/set")
nf=$(find "$T/probe" -type f | wc -l)
echo "== warm install of $nw wheels, --link-mode hardlink --target, cache populated"

warm() { # BINARY CACHE: one warm install, prints ms
	rm -rf "$T/tgt"
	t0=$(ms)
	# shellcheck disable=SC2046
	CINSTALL_CACHE_DIR=$2 "$1" install -q --no-compat-check --link-mode hardlink --target "$T/tgt" $(cat "$T/set") \
		> /dev/null 2>&1 || echo "bench/cache.sh: install failed with $1" >&2
	echo $(( $(ms) - t0 ))
}
"$CINSTALL" --version > /dev/null 2>&1
warm "$CINSTALL" "$T/wc" > /dev/null
if [ -n "$BASELINE" ]; then
	warm "$BASELINE" "$T/bc" > /dev/null
fi
: > "$T/new"; : > "$T/old"
r=0
while [ $r -lt "$ROUNDS" ]; do
	warm "$CINSTALL" "$T/wc" >> "$T/new"
	[ -n "$BASELINE" ] && warm "$BASELINE" "$T/bc" >> "$T/old"
	r=$((r + 1))
done
new=$(median < "$T/new")
printf 'warm install, this build:  %6d ms (median of %d; %d files stat-checked)\n' "$new" "$ROUNDS" \
	"$(find "$T/tgt" -type f | wc -l)"
if [ -n "$BASELINE" ]; then
	old=$(median < "$T/old")
	printf 'warm install, baseline:    %6d ms\n' "$old"
	awk -v a="$new" -v b="$old" 'BEGIN { printf "cost of locks + self-heal stat + dedupe: %+.1f%%\n", (a - b) * 100 / b }'
fi
: "$nf"
