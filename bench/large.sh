#!/bin/sh
# bench/large.sh - one large wheel, cold: cinstall against `bsdtar -xf` of
# the same wheel, interleaved, median of ROUNDS rounds (not a test).
#
#   sh bench/large.sh [ROUNDS]         (default 5)
#
# Knobs: SIZES="5000 20000" (files per wheel, made by
# bench/make_large_wheels.py into $CORPUS, default bench/corpus), JOBS
# (default: CPUs), MODE=hardlink, BUILD=build, TMPDIR (put it on the file
# system to measure), PYTHON=/usr/bin/python3, OLD (another cinstall
# binary, e.g. a build of an older commit: its install -j1 and -jN join the
# rounds as "old install").
#
# Contenders, each into a new directory (nothing is deleted until the end:
# see "Nothing deleted between runs" in BENCHMARKS.md):
#   bsdtar -xf              extraction only (CRC-32, no hashing)
#   bsdtar -xf + RECORD     the same, then every file RECORD hashes checked
#                           against it (`openssl dgst -sha256` over all of
#                           them, one process; RECORD's digests turned into
#                           its output by bench/record_digests.py, untimed):
#                           the least a verified extraction costs
#   cinstall unpack -j1/-jN the wheel into an empty cache, every file checked
#                           against RECORD (sha256 + size) and hashed for the
#                           manifest (XXH3), deduplicated into v1/objects
#   cinstall install -j1/-jN the same, then placed into a fresh venv
#                           (--link-mode=$MODE --strict-link-mode); the venv
#                           is made before the clock starts
# With -jN the files of the one wheel are split over N threads.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CINSTALL=$BUILD/cinstall
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${1:-${ROUNDS:-5}}
JOBS=${JOBS:-$(nproc)}
MODE=${MODE:-hardlink}
SIZES=${SIZES:-5000 20000}
CORPUS=${CORPUS:-$top/bench/corpus}
OLD=${OLD:-}

[ -x "$CINSTALL" ] || { echo "bench/large.sh: build first ($CINSTALL missing)" >&2; exit 1; }
command -v bsdtar > /dev/null || { echo "bench/large.sh: bsdtar missing (apt-get install libarchive-tools)" >&2; exit 1; }
command -v openssl > /dev/null || { echo "bench/large.sh: openssl missing (apt-get install openssl)" >&2; exit 1; }
"$PYTHON" -c 'import venv' 2> /dev/null || { echo "bench/large.sh: $PYTHON cannot make venvs" >&2; exit 1; }

mkdir -p "$CORPUS"
for n in $SIZES; do
	[ -f "$CORPUS/repacked_$n-1.1-py3-none-any.whl" ] && continue
	"$PYTHON" "$top/bench/make_large_wheels.py" "$CORPUS" "$n" > /dev/null ||
		{ echo "bench/large.sh: cannot make the $n-file wheel" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-large.XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }

# timed NAME COMMAND...: wall time of COMMAND appended to $work/t.NAME
timed() {
	name=$1
	shift
	sync
	t0=$(now)
	"$@" > /dev/null 2> "$work/err" || { echo "bench/large.sh: $name failed:" >&2; cat "$work/err" >&2; }
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$work/t.$name"
}

echo "large: one wheel, cold, $MODE, -j1 and -j$JOBS against bsdtar -xf (and with RECORD checked); $ROUNDS rounds, median (spread)"
echo "filesystem of $work: $(stat -f -c %T "$work")"
echo
echo "| wheel | contender | median | spread | ratio to bsdtar | ratio to bsdtar + RECORD | files/s |"
echo "|---|---|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	w=$CORPUS/repacked_$n-1.1-py3-none-any.whl
	rm -f "$work"/t.*
	"$PYTHON" "$top/bench/record_digests.py" "$work/digests" "$w" || exit 1
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		r=$((r + 1))
		d=$work/$n.$r
		mkdir -p "$d/x"
		for j in 1 "$JOBS"; do
			"$PYTHON" -m venv --without-pip "$d/v$j" || exit 1
		done
		timed bsdtar bsdtar -xf "$w" -C "$d/x"
		mkdir -p "$d/y/1"
		timed bsdtar-record sh -c 'bsdtar -xf "$1" -C "$2/1" && cd "$2" &&
			xargs -0 -r openssl dgst -sha256 -r < "$3.list" | cmp -s - "$3.expected"' sh "$w" "$d/y" "$work/digests"
		for j in 1 "$JOBS"; do
			timed "unpack-j$j" env CINSTALL_CACHE_DIR="$d/u$j" "$CINSTALL" unpack -q -j "$j" "$w"
			timed "install-j$j" env CINSTALL_CACHE_DIR="$d/c$j" "$CINSTALL" install -q -j "$j" \
				--python "$d/v$j" --link-mode="$MODE" --strict-link-mode "$w"
			[ -n "$OLD" ] || continue
			"$PYTHON" -m venv --without-pip "$d/o$j" || exit 1
			timed "old-j$j" env CINSTALL_CACHE_DIR="$d/oc$j" "$OLD" install -q -j "$j" \
				--python "$d/o$j" --link-mode="$MODE" --strict-link-mode "$w"
		done
	done
	tb=$(median < "$work/t.bsdtar")
	tv=$(median < "$work/t.bsdtar-record")
	for c in bsdtar bsdtar-record unpack-j1 "unpack-j$JOBS" install-j1 "install-j$JOBS" old-j1 "old-j$JOBS"; do
		[ -f "$work/t.$c" ] || continue
		t=$(median < "$work/t.$c")
		case $c in
		bsdtar) label="bsdtar -xf" ;;
		bsdtar-record) label="bsdtar -xf + RECORD (openssl)" ;;
		unpack-*) label="cinstall unpack ${c#unpack-}" ;;
		install-*) label="cinstall install ${c#install-}" ;;
		old-*) label="old install ${c#old-}" ;;
		esac
		awk -v w="large-$n" -v l="$label" -v t="$t" -v tb="$tb" -v tv="$tv" -v n="$n" -v s="$(spread < "$work/t.$c")" \
			'BEGIN { printf "| %s | %s | %.3f s | %s | %.2fx | %.2fx | %.0f |\n", w, l, t, s, t / tb, t / tv, n / t }'
	done
done
