#!/bin/sh
# bench/rss.sh - peak RSS (KiB, /usr/bin/time -f %M) of cinstall on the
# cases of issue 8's memory target, each into a new cache and venv (not a
# test; memory does not depend on the machine's load, so one run each:
# with threads, the allocator's arenas make it vary by ~1 MiB).
#
#   sh bench/rss.sh [CINSTALL...]      (default: $BUILD/cinstall)
#
# Knobs: BUILD=build, CORPUS=bench/corpus (large wheels, made by
# bench/make_large_wheels.py: 20000 and 50000 files), SET (a file listing
# wheels, one a line, installed as one command; default
# $CORPUS/ordinary.set when bench/compare.sh has chosen it), TMPDIR.
# Prints one line "<binary> <case> <KiB>" per case; give several binaries
# (an older build first) to compare them.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CORPUS=${CORPUS:-$top/bench/corpus}
SET=${SET:-$CORPUS/ordinary.set}
PYTHON=${PYTHON:-/usr/bin/python3}
[ $# -gt 0 ] || set -- "$BUILD/cinstall"
[ -x /usr/bin/time ] || { echo "bench/rss.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
"$PYTHON" "$top/bench/make_large_wheels.py" "$CORPUS" 20000 50000 > /dev/null || exit 1
W20=$(ls "$CORPUS"/repacked_20000-1.1-*.whl) W50=$(ls "$CORPUS"/repacked_50000-1.1-*.whl)
T=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-rss.XXXXXX")
trap 'rm -rf "$T"' EXIT

rss() { # LABEL CACHE COMMAND...
	label=$1 cache=$2
	shift 2
	if CINSTALL_CACHE_DIR=$cache /usr/bin/time -f %M -o "$T/t" "$@" > /dev/null 2> "$T/err"; then
		echo "$B $label $(tail -1 "$T/t")"
	else
		echo "$B $label FAILED: $(tail -1 "$T/err")"
	fi
}
n=0
for B in "$@"; do
	n=$((n + 1)) d=$T/$n
	mkdir -p "$d"
	for v in v1 v2 v3 o1 w1 o2 w2; do "$PYTHON" -m venv --without-pip "$d/$v"; done
	rss version "$d/c0" "$B" --version
	rss unpack-20000-files "$d/c1" "$B" unpack -q -j1 "$W20"
	rss unpack-50000-files "$d/c2" "$B" unpack -q -j1 "$W50"
	rss unpack-50000-files-j2 "$d/c5" "$B" unpack -q -j2 "$W50"
	rss install-20000-cold-j1 "$d/c3" "$B" install -q -j1 --link-mode=hardlink --python "$d/v1" "$W20"
	rss install-20000-warm-j1 "$d/c3" "$B" install -q -j1 --link-mode=hardlink --python "$d/v2" "$W20"
	rss install-20000-cold-j2 "$d/c4" "$B" install -q -j2 --link-mode=hardlink --python "$d/v3" "$W20"
	if [ -f "$SET" ]; then
		for j in 1 2; do
			# The set and the 20,000-file wheel in one command, the big
			# one given last.
			"$PYTHON" -m venv --without-pip "$d/m$j"
			# shellcheck disable=SC2046
			rss "set+20000-cold-j$j" "$d/m$j.c" "$B" install -q -j$j --link-mode=hardlink --python "$d/m$j" $(cat "$SET") "$W20"
		done
		for j in 1 2; do
			# shellcheck disable=SC2046
			rss "set-cold-j$j" "$d/s$j" "$B" install -q -j$j --link-mode=hardlink --python "$d/o$j" $(cat "$SET")
			# shellcheck disable=SC2046
			rss "set-warm-j$j" "$d/s$j" "$B" install -q -j$j --link-mode=hardlink --python "$d/w$j" $(cat "$SET")
		done
	else
		echo "$B set: skipped, no wheel list in $SET (run bench/compare.sh, or set SET=)"
	fi
done
