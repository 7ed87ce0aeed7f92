#!/bin/sh
# bench/unpack.sh - cold unpack of real wheels into an empty cache, against
# a `bsdtar -xf` loop (libarchive's own command) over the same wheels, in
# the same run, interleaved, median of ROUNDS rounds.
#
#   sh bench/unpack.sh [ROUNDS]        (BUILD=build by default; not a test)
#
# Wheels: ../shared/wheels (when present) and /usr/share/python-wheels.
# cinstall verifies every file against RECORD (sha256 + size) and hashes
# each with XXH3 too; bsdtar only inflates and checks CRCs.  Reported:
# wall time, ratio to bsdtar, files/s, MB/s (uncompressed), peak RSS.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CINSTALL=$BUILD/cinstall
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${1:-5}
JOBS=${JOBS:-$(nproc)}

[ -x "$CINSTALL" ] || { echo "bench/unpack.sh: build first ($CINSTALL missing)" >&2; exit 1; }
command -v bsdtar > /dev/null || { echo "bench/unpack.sh: bsdtar missing (apt-get install libarchive-tools)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/unpack.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
for d in "$top/../shared/wheels" /usr/share/python-wheels; do
	[ -d "$d" ] && ls "$d"/*.whl 2>/dev/null
done > "$work/wheels"
nwheels=$(wc -l < "$work/wheels")
[ "$nwheels" -gt 0 ] || { echo "bench/unpack.sh: no wheels found" >&2; exit 1; }

# Files and uncompressed bytes in the set.
set -- $("$PYTHON" - "$work/wheels" <<'EOF'
import sys, zipfile
files = size = 0
for w in open(sys.argv[1]).read().split():
    with zipfile.ZipFile(w) as z:
        for i in z.infolist():
            if not i.is_dir():
                files += 1
                size += i.file_size
print(files, size)
EOF
)
files=$1 bytes=$2

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_bsdtar() {
	rm -rf "$work/x" && mkdir "$work/x" && sync
	t0=$(now)
	i=0
	while IFS= read -r w; do
		i=$((i + 1))
		mkdir "$work/x/$i" && bsdtar -xf "$w" -C "$work/x/$i"
	done < "$work/wheels"
	t1=$(now)
	elapsed "$t0" "$t1" >> "$work/t.bsdtar"
}

run_cinstall() { # NAME JOBS
	rm -rf "$work/c" && sync
	t0=$(now)
	# shellcheck disable=SC2046
	CINSTALL_CACHE_DIR=$work/c /usr/bin/time -f %M -o "$work/rss.$1" \
		"$CINSTALL" unpack -q -j "$2" $(cat "$work/wheels") > /dev/null || echo "cinstall unpack failed" >&2
	t1=$(now)
	elapsed "$t0" "$t1" >> "$work/t.$1"
	cat "$work/rss.$1" >> "$work/rss"
}

echo "unpack: $nwheels wheels, $files files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB uncompressed; $ROUNDS rounds, median"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	run_bsdtar
	run_cinstall serial 1
	run_cinstall parallel "$JOBS"
done

tb=$(median < "$work/t.bsdtar")
ts=$(median < "$work/t.serial")
tp=$(median < "$work/t.parallel")
rss=$(sort -n "$work/rss" | tail -1)
report() { # LABEL SECONDS
	awk -v l="$1" -v t="$2" -v tb="$tb" -v f="$files" -v b="$bytes" 'BEGIN {
		printf "  %-28s %7.3f s  %5.2fx bsdtar  %8.0f files/s  %7.1f MB/s\n", l, t, t / tb, f / t, b / 1e6 / t }'
}
report "bsdtar -xf loop" "$tb"
report "cinstall unpack -j1" "$ts"
report "cinstall unpack -j$JOBS" "$tp"
echo "  peak RSS of cinstall unpack: $((rss / 1024)) MiB ($rss KiB)"
