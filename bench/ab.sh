#!/bin/sh
# bench/ab.sh - two or more cinstall binaries on the same wheels, rounds
# interleaved, CPU time (user + system, from /usr/bin/time, in its 10 ms
# steps) and wall time of each run (from date, in microseconds; the start
# of /usr/bin/time is in every run alike): for changes too small to show
# in wall time on a busy machine (not a test).  cinstall is run with
# --cache-dir.
#
#   sh bench/ab.sh cold|warm WHEEL-LIST-FILE|WHEEL BINARY...
#
# cold: each run into an empty cache; warm: each binary's cache is filled
# once before the rounds (`cinstall unpack`), then each run installs from
# it.  Each run goes into a fresh venv (python3 -m venv --without-pip, not
# timed), --link-mode=$MODE --strict-link-mode, once with -j J for each J of
# $JOBS; with warm, `cp -al` of the cached tree of the first wheel joins
# the rounds as the baseline.
# Knobs: ROUNDS=7 JOBS=1 (e.g. "1 2") MODE=hardlink TMPDIR (put it on the file system to
# measure).  Nothing is deleted before the end (on ext4, trees made right
# after a large deletion are several times slower: BENCHMARKS.md), except
# on a tmpfs, which has no such slowness and little room.
# Prints, per contender, the runs' CPU and wall times and their medians.
set -u
[ $# -ge 3 ] || { echo "usage: sh bench/ab.sh cold|warm WHEELS BINARY..." >&2; exit 2; }
KIND=$1 WHEELS=$2
shift 2
ROUNDS=${ROUNDS:-7} JOBS=${JOBS:-1} MODE=${MODE:-hardlink} PYTHON=${PYTHON:-/usr/bin/python3}
case $KIND in cold | warm) ;; *) echo "bench/ab.sh: cold or warm, not '$KIND'" >&2; exit 2 ;; esac
[ -x /usr/bin/time ] || { echo "bench/ab.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
case $WHEELS in
*.whl) list=$WHEELS ;;
*) list=$(cat "$WHEELS") || exit 1 ;;
esac
d=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-ab.XXXXXX")
trap 'rm -rf "$d"' EXIT
fs=$(stat -f -c %T "$d")
n=0
for b in "$@"; do
	n=$((n + 1))
	[ -x "$b" ] || { echo "bench/ab.sh: '$b' is not executable" >&2; exit 1; }
	echo "$n $b" >> "$d/names"
	if [ "$KIND" = warm ]; then
		# shellcheck disable=SC2086
		CINSTALL_CACHE_DIR=$d/c.$n "$b" unpack -q $list > /dev/null || { echo "bench/ab.sh: $b unpack failed" >&2; exit 1; }
	fi
done
# wall T0: append the run's line ($d/one) with its wall time since T0 (date
# +%s%N, microseconds: /usr/bin/time's %e has 10 ms steps) to $d/times.
wall() {
	t1=$(date +%s%N)
	echo "$(cat "$d/one") $(((t1 - $1) / 1000))" >> "$d/times"
}
for r in $(seq "$ROUNDS"); do
	n=0
	for b in "$@"; do
		n=$((n + 1))
		for j in $JOBS; do
			v=$d/v.$n.$j.$r c=$d/c.$n
			[ "$KIND" = cold ] && c=$d/c.$n.$j.$r
			"$PYTHON" -m venv --without-pip "$v" || exit 1
			# shellcheck disable=SC2086
			t0=$(date +%s%N)
			/usr/bin/time -f "$n.$j %U %S" -o "$d/one" "$b" install -q -j "$j" --cache-dir "$c" \
				--python "$v/bin/python" --link-mode="$MODE" --strict-link-mode $list > /dev/null ||
				{ echo "bench/ab.sh: $b install -j$j failed" >&2; exit 1; }
			wall "$t0"
			if [ "$fs" = tmpfs ]; then # no slow re-creation there, and memory is short
				rm -rf "$v"
				[ "$KIND" = cold ] && rm -rf "$c"
			fi
		done
	done
	if [ "$KIND" = warm ]; then
		t=$(ls -d "$d"/c.1/v1/wheels/*/tree | head -1)
		[ -d "$t" ] || { echo "bench/ab.sh: no cached tree in $d/c.1" >&2; exit 1; }
		v=$d/v.cp.$r
		"$PYTHON" -m venv --without-pip "$v" || exit 1
		sp=$(ls -d "$v"/lib/python3*/site-packages)
		t0=$(date +%s%N)
		/usr/bin/time -f "cp-al %U %S" -o "$d/one" cp -al "$t/." "$sp/" || exit 1
		wall "$t0"
		[ "$fs" = tmpfs ] && rm -rf "$v"
	fi
done
echo "ab: $KIND, $ROUNDS rounds, -j $JOBS, $MODE, filesystem of $d: $fs"
awk 'function med(s,   a, k, i, j, t) { k = split(s, a, " "); for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	FILENAME ~ /names$/ { name[$1] = $2; next }
	{ split($1, p, "."); if (p[1] in name) $1 = name[p[1]] " -j" p[2] }
	{ c[$1] = c[$1] " " ($2 + $3); w[$1] = w[$1] " " ($4 / 1e6); if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
	END { for (i = 1; i <= m; i++) { k = order[i]; printf "%s: CPU median %.3f s (%s ), wall median %.4f s (%s )\n", k, med(c[k]), c[k], med(w[k]), w[k] } }' \
	"$d/names" "$d/times"
