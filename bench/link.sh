#!/bin/sh
# bench/link.sh - warm-cache placement of a large tree of real wheel files
# by the link engine against the physical limits on the same tree, in one
# run, interleaved, median of RUNS:
#   hardlink mode  vs  cp -al            (target: at most 1.2x)
#   copy mode      vs  cp -r             (target: at most 1.1x)
#   clone mode     vs  cp -r --reflink=always on an XFS loop mount (root only;
#                                         target: at most 1.2x)
# The engine runs through the unit test binary's driver
# (`test_link --place --mode M SRC DST`: walk the tree, mkdir, place every
# file with one linker), timed from outside like cp, process start included.
#
# Usage: sh bench/link.sh   (BUILD=build RUNS=7 MIN_FILES=10000 TMPDIR=...)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
RUNS=${RUNS:-7}
MIN_FILES=${MIN_FILES:-10000}
PYTHON=${PYTHON:-/usr/bin/python3}
WHEELS=$top/../shared/wheels
DRIVER=$BUILD/test/test_link

(cd "$top" && make -s BUILD="$BUILD" "$DRIVER") >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-bench-link.XXXXXX")
MNT=
LOOP=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null || true
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -d "$WHEELS" ]; then
	echo "bench/link.sh: $WHEELS is missing; no real wheels to build the tree from" >&2
	exit 1
fi

# The tree: real wheels, largest first, each unpacked into its own directory
# (several versions of one project do not overwrite each other).
"$PYTHON" - "$WHEELS" "$W/tree" "$MIN_FILES" <<'EOF'
import os, sys, zipfile
src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
wheels = []
for name in sorted(os.listdir(src)):
    if name.endswith('.whl'):
        try:
            with zipfile.ZipFile(os.path.join(src, name)) as z:
                wheels.append((len(z.infolist()), name))
        except zipfile.BadZipFile:
            pass
wheels.sort(key=lambda w: (-w[0], w[1]))
files = used = 0
for n, name in wheels:
    if files >= want:
        break
    out = os.path.join(dst, name[:-4])
    with zipfile.ZipFile(os.path.join(src, name)) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            path = z.extract(info, out)
            os.chmod(path, 0o755 if (info.external_attr >> 16) & 0o111 else 0o644)
            files += 1
    used += 1
print("tree: %d files from %d wheels" % (files, used), file=sys.stderr)
EOF
nfiles=$(find "$W/tree" -type f | wc -l)
bytes=$(du -sb "$W/tree" | cut -f1)

now() { date +%s%N; }

# The contenders: NAME SRC DST.
run_cp_al()    { cp -al "$1" "$2"; }
run_cp_r()     { cp -r "$1" "$2"; }
run_cp_reflink() { cp -r --reflink=always "$1" "$2"; }
run_hardlink() { "$DRIVER" --place --quiet --mode hardlink "$1" "$2" >/dev/null; }
run_copy()     { "$DRIVER" --place --quiet --mode copy "$1" "$2" >/dev/null; }
run_clone()    { "$DRIVER" --place --quiet --mode clone "$1" "$2" >/dev/null; }

# pair LABEL TARGET SRC OUTDIR FN_A FN_B: one warm-up each, then RUNS
# interleaved timed runs into fresh directories; dirty data is flushed
# before each.  On the root filesystem (mounted with discard here) the
# outputs are removed only at the end, so deleting never overlaps a timed
# run; elsewhere ($CLEAN_EACH=1) after each round, to fit in the mount.
CLEAN_EACH=0
pair() {
	label=$1 target=$2 src=$3 outdir=$4 fa=$5 fb=$6
	rm -f "$W/a.times" "$W/b.times"
	mkdir -p "$outdir"
	$fa "$src" "$outdir/warm-a"
	$fb "$src" "$outdir/warm-b"
	[ "$CLEAN_EACH" = 1 ] && rm -rf "$outdir/warm-a" "$outdir/warm-b"
	i=0
	while [ $i -lt "$RUNS" ]; do
		for side in a b; do
			if [ $side = a ]; then fn=$fa; else fn=$fb; fi
			sync
			t0=$(now)
			$fn "$src" "$outdir/$side$i"
			t1=$(now)
			echo $((t1 - t0)) >> "$W/$side.times"
		done
		[ "$CLEAN_EACH" = 1 ] && rm -rf "$outdir/a$i" "$outdir/b$i"
		i=$((i + 1))
	done
	a=$(sort -n "$W/a.times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	b=$(sort -n "$W/b.times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	awk -v label="$label" -v la="${fa#run_}" -v lb="${fb#run_}" -v a="$a" -v b="$b" \
	    -v n="$nfiles" -v target="$target" 'BEGIN {
		printf "%s\n", label
		printf "  %-16s %9.1f ms  %7.2f us/file\n", la, a / 1e6, a / 1e3 / n
		printf "  %-16s %9.1f ms  %7.2f us/file\n", lb, b / 1e6, b / 1e3 / n
		printf "  %-16s %9.3f x    (target <= %s)\n", "ratio", a / b, target
	}'
	rm -rf "$outdir"
}

echo "# bench/link.sh: $nfiles files from real wheels, $((bytes / 1024 / 1024)) MiB," \
     "median of $RUNS interleaved runs, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(uname -r)"
fstype=$(df -T "$W" | awk 'NR == 2 { print $2 }')
pair "hardlink mode vs cp -al, $fstype ($W)" 1.2 "$W/tree" "$W/out" run_hardlink run_cp_al
pair "copy mode vs cp -r, $fstype ($W)" 1.1 "$W/tree" "$W/out" run_copy run_cp_r

if [ "$(id -u)" -ne 0 ]; then
	echo "tmpfs and XFS: skipped (mounting needs root)"
	exit 0
fi

# tmpfs: the same tree in memory, so the figures are the engine's own cost
# (system calls), without the disk.
mkdir -p "$W/tmpfs"
mount -t tmpfs -o size=1g tmpfs "$W/tmpfs"
MNT=$W/tmpfs
CLEAN_EACH=1
cp -a "$W/tree" "$MNT/tree"
pair "hardlink mode vs cp -al, tmpfs" 1.2 "$MNT/tree" "$MNT/out" run_hardlink run_cp_al
pair "copy mode vs cp -r, tmpfs" 1.1 "$MNT/tree" "$MNT/out" run_copy run_cp_r
umount "$MNT"
MNT=

# Clone on XFS with reflinks (a loop image).
if ! command -v mkfs.xfs >/dev/null || ! grep -qw xfs /proc/filesystems; then
	echo "clone: skipped (no mkfs.xfs or no XFS in this kernel)"
	exit 0
fi
truncate -s 4G "$W/xfs.img"
mkfs.xfs -q -m reflink=1 "$W/xfs.img"
LOOP=$(losetup --find --show "$W/xfs.img")
mkdir -p "$W/xfs"
mount -t xfs "$LOOP" "$W/xfs"
MNT=$W/xfs
cp -a "$W/tree" "$MNT/tree"
"$DRIVER" --place --mode clone "$MNT/tree" "$MNT/check" | sed 's/^/  clone check: /'
rm -rf "$MNT/check"
pair "clone mode vs cp -r --reflink=always, XFS reflink=1 loop image" 1.2 "$MNT/tree" "$MNT/out" \
	run_clone run_cp_reflink
