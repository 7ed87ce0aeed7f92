#!/bin/sh
# bench/compare.sh - cinstall against its peers and the physical limits, on
# the same wheels, interleaved in one run; prints a Markdown report (median,
# spread, ratios, files/s, peak RSS) and writes $BENCH_OUT.dat and
# $BENCH_OUT.png (gnuplot: time against number of files, one point per
# large-N wheel; the ordinary set, many small wheels, is in the table only).
#
# Wheel sets:
#   ordinary   every wheel of ../shared/wheels that suits /usr/bin/python3
#              (one per distribution), Debian's /usr/share/python-wheels and
#              the interpreter's ensurepip wheels (skipped with a message
#              when ../shared/wheels is absent)
#   large-N    one wheel of N files, repacked by bench/make_large_wheels.py
#              from Python files installed on this machine
# Contenders, each into a fresh venv (python3 -m venv --without-pip, not
# timed):
#   pip        pip install --no-deps --no-index --no-compile (Debian's pip
#              wheel in a venv of its own, run with --python)
#   installer  pypa/installer's Python API, all wheels in one process
#   uv         uv pip install --no-deps --offline, when uv is on PATH
#   cinstall cold/warm, each link mode of $MODES, -j1 and -j$JOBS; cold
#              starts from an empty cache, warm from a cache filled before
#              the rounds; clone runs on an XFS loop mount (root only)
#   bsdtar -xf of each wheel, cp -al / cp -r of the installed site-packages,
#              cp -r --reflink=always of it on the XFS mount
#   bsdtar -xf of each wheel, then every file RECORD hashes checked against
#              it with one `openssl dgst -sha256` (the least a verified
#              extraction costs; bench/record_digests.py, untimed, turns
#              RECORD into openssl's output)
# Nothing is deleted between runs: on ext4 a tree re-created right after a
# large deletion is several times slower for ~30 s, so every run writes a
# new directory and all of them are deleted at the end (on a tmpfs, which
# has no such slowness and holds its trees in memory, each run's output is
# deleted once it is timed).
#
# Knobs: ROUNDS=3 LARGE_SIZES="100 1000 5000 20000" (the full range: "100 1000 5000
#   20000 50000", ~2.5x longer) MODES="hardlink copy symlink"
#   JOBS=$(nproc) PEERS=1 (0: leave out pip/installer/uv) XFS=1 (0: no loop
#   mount) CORPUS=bench/corpus (where large wheels are kept between runs)
#   BUILD=build TMPDIR=/tmp BENCH_OUT=bench/results/compare
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CINSTALL=$BUILD/cinstall
PYTHON=/usr/bin/python3
ROUNDS=${ROUNDS:-3}
LARGE_SIZES=${LARGE_SIZES-100 1000 5000 20000}
MODES=${MODES:-hardlink copy symlink}
JOBS=${JOBS:-$(nproc)}
PEERS=${PEERS:-1}
XFS=${XFS:-1}
CORPUS=${CORPUS:-$top/bench/corpus}
BENCH_OUT=${BENCH_OUT:-$top/bench/results/compare}
SHARED=$top/../shared/wheels

die() { echo "bench/compare.sh: $*" >&2; exit 1; }
[ -x "$CINSTALL" ] || die "$CINSTALL is missing; run 'make' first"
command -v bsdtar > /dev/null || die "bsdtar is missing (libarchive-tools)"
command -v openssl > /dev/null || die "openssl is missing (openssl)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (time)"
pipw=$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | head -1)
if [ "$PEERS" = 1 ]; then
	[ -n "$pipw" ] || die "Debian's pip wheel is missing (python3-pip-whl)"
	PYTHONPATH=/usr/lib/python3/dist-packages $PYTHON -c 'import installer' 2>/dev/null ||
		die "pypa/installer is missing (python3-installer)"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-compare.XXXXXX") || exit 1
# On a tmpfs (no slow re-creation after a deletion, and little room: the
# trees live in memory), each run's output is deleted after it is timed.
TMPFS=0
[ "$(stat -f -c %T "$T")" = tmpfs ] && TMPFS=1
MNT= LOOP=
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1 PIP_CONFIG_FILE=/dev/null
unset CINSTALL_LINK_MODE CINSTALL_COMPILE_BYTECODE VIRTUAL_ENV

seq=0
fresh() { # fresh DIR: set FRESH to a new, never used path under DIR
	seq=$((seq + 1))
	mkdir -p "$1"
	FRESH=$1/o$seq
}
newvenv() { $PYTHON -m venv --without-pip "$1" || die "python3 -m venv failed"; }
sitep() { echo "$1"/lib/python3*/site-packages; }
us() { echo $(($(date +%s%N) / 1000)); }

# timed NAME SET CMD...: run CMD under /usr/bin/time, record wall us + RSS.
# After a sync (not timed), so that no contender pays for the writeback of
# the trees the one before it wrote (as bench/large.sh).
timed() {
	name=$1 set=$2
	shift 2
	sync
	t0=$(us)
	/usr/bin/time -f %M -o "$T/rss" "$@" > "$T/last.out" 2>&1 || {
		echo "  ($name on $set failed: $(tail -2 "$T/last.out" | tr '\n' ' '))" >&2
		echo "$set $name fail" >> "$T/fails"
	}
	t1=$(us)
	echo "$set $name $((t1 - t0)) $(tail -1 "$T/rss")" >> "$T/times"
}

# --- XFS loop mount for clone mode and the reflink baseline ------------
if [ "$XFS" = 1 ] && [ "$(id -u)" = 0 ] && command -v mkfs.xfs > /dev/null; then
	truncate -s 24G "$T/xfs.img" &&
		mkfs.xfs -q -m reflink=1 "$T/xfs.img" &&
		LOOP=$(losetup -f --show "$T/xfs.img") &&
		mkdir -p "$T/xfs" && mount "$LOOP" "$T/xfs" && MNT=$T/xfs || MNT=
fi
[ -n "$MNT" ] || echo "(no XFS loop mount: not root, no mkfs.xfs or XFS=0; clone mode and the reflink baseline are left out)"

# --- the corpus ---------------------------------------------------------
: > "$T/sets"
if [ -f "$CORPUS/ordinary.set" ] && [ -d "$SHARED" ] && [ "$PEERS" = 1 ] &&
	! while read -r w; do [ -f "$w" ] || echo gone; done < "$CORPUS/ordinary.set" | grep -q gone; then
	# Choosing the set runs every wheel through cinstall, pip and installer
	# (minutes): a run reuses the last choice; delete the file to choose anew.
	cp "$CORPUS/ordinary.set" "$T/set.ordinary"
	echo ordinary >> "$T/sets"
	echo "(ordinary set: reusing $CORPUS/ordinary.set)"
elif [ -d "$SHARED" ]; then
	newvenv "$T/probe0"
	: > "$T/cand"
	ens=$($PYTHON -c 'import ensurepip
for p in ensurepip._get_packages().values():
    print(p.wheel_path or "")' 2>/dev/null)
	echo "(choosing the ordinary set: every wheel through cinstall, pip and pypa/installer)" >&2
	for w in "$SHARED"/*.whl /usr/share/python-wheels/*.whl $ens; do
		[ -f "$w" ] || continue
		fresh "$T/probe"; p=$FRESH
		cp -a "$T/probe0" "$p"
		if CINSTALL_CACHE_DIR=$T/probecache "$CINSTALL" --python "$p" -q "$w" > /dev/null 2>&1; then
			echo "$(basename "$w" | cut -d- -f1 | tr 'A-Z_.' 'a-z--') $(readlink -f "$w")" >> "$T/cand"
		fi
	done
	sort -k1,1 -s "$T/cand" | awk '{ last[$1] = $2 } END { for (n in last) print last[n] }' | sort -u > "$T/set.ordinary"
	echo ordinary >> "$T/sets"
	CHOOSE=1
else
	echo "(../shared/wheels is absent: the ordinary set of ~100 real wheels is left out)"
fi
if [ -n "$LARGE_SIZES" ]; then
	mkdir -p "$CORPUS" || die "cannot create $CORPUS"
	$PYTHON "$top/bench/make_large_wheels.py" "$CORPUS" $LARGE_SIZES > "$T/large" || die "make_large_wheels.py failed"
	for n in $LARGE_SIZES; do
		grep "/repacked_$n-" "$T/large" > "$T/set.large-$n"
		echo "large-$n" >> "$T/sets"
	done
fi
[ -s "$T/sets" ] || die "no wheels to measure"

cat > "$T/inst.py" << 'PY'
import sys, sysconfig, os
import installer
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
from installer.utils import get_launcher_kind
paths = sysconfig.get_paths()
probe = os.environ.get("PROBE")
for whl in sys.argv[1:]:
    try:
        with WheelFile.open(whl) as src:
            scheme = dict(paths)
            # pip's headers scheme in a venv (sysconfig's "include" is the
            # base interpreter's, outside the venv)
            scheme["headers"] = os.path.join(sys.prefix, "include", "site",
                                             "python%d.%d" % sys.version_info[:2], src.distribution)
            dest = SchemeDictionaryDestination(scheme, interpreter=sys.executable,
                                               script_kind=get_launcher_kind(),
                                               bytecode_optimization_levels=[])
            installer.install(src, dest, {"INSTALLER": b"installer"})
    except Exception:
        if not probe:
            raise
        print(whl)
PY
if [ "$PEERS" = 1 ]; then
	newvenv "$T/pipvenv"
	CINSTALL_CACHE_DIR=$T/probecache "$CINSTALL" --python "$T/pipvenv" -q "$pipw" || die "cannot install pip for the pip runs"
	# pypa/installer and pip refuse a few wheels (or pairs): leave them out
	# of the ordinary set, so every contender installs the same wheels.
	if [ "${CHOOSE:-0}" = 1 ]; then
		fresh "$T/probe"; p=$FRESH; newvenv "$p"
		PROBE=1 PYTHONPATH=/usr/lib/python3/dist-packages "$p/bin/python" "$T/inst.py" $(cat "$T/set.ordinary") > "$T/drop" 2> /dev/null
		fresh "$T/probe"; p=$FRESH; newvenv "$p"
		if ! "$T/pipvenv/bin/python" -m pip --python "$p/bin/python" install -q --no-deps --no-index --no-compile \
			$(grep -vxF -f "$T/drop" "$T/set.ordinary") > /dev/null 2>&1; then
			for w in $(grep -vxF -f "$T/drop" "$T/set.ordinary"); do
				fresh "$T/probe"; p=$FRESH; newvenv "$p"
				"$T/pipvenv/bin/python" -m pip --python "$p/bin/python" install -q --no-deps --no-index \
					--no-compile "$w" > /dev/null 2>&1 || echo "$w" >> "$T/drop"
			done
		fi
		for w in $(cat "$T/drop"); do echo "(left out of the ordinary set, pip or pypa/installer fails on it: $(basename "$w"))"; done
		grep -vxF -f "$T/drop" "$T/set.ordinary" > "$T/s2"; mv "$T/s2" "$T/set.ordinary"
		mkdir -p "$CORPUS" && cp "$T/set.ordinary" "$CORPUS/ordinary.set"
	fi
fi
UV=$(command -v uv || true)
[ -n "$UV" ] || echo "(uv is not installed on this machine: not measured)"

# Per set: file count, a warm cache (and one on XFS), the reference tree.
for s in $(cat "$T/sets"); do
	$PYTHON -c '
import sys, zipfile
n = 0
for w in open(sys.argv[1]).read().split():
    with zipfile.ZipFile(w) as z:
        n += sum(1 for i in z.infolist() if not i.is_dir())
print(n)' "$T/set.$s" > "$T/files.$s"
	$PYTHON "$top/bench/record_digests.py" "$T/digests.$s" $(cat "$T/set.$s") || die "cannot read RECORD of $s"
	CINSTALL_CACHE_DIR=$T/warm.$s "$CINSTALL" unpack -q $(cat "$T/set.$s") > /dev/null || die "cinstall unpack failed on $s"
	newvenv "$T/ref.$s"
	CINSTALL_CACHE_DIR=$T/warm.$s "$CINSTALL" --python "$T/ref.$s" -q --link-mode=copy $(cat "$T/set.$s") ||
		die "cinstall install failed on $s"
	if [ -n "$MNT" ]; then
		CINSTALL_CACHE_DIR=$MNT/warm.$s "$CINSTALL" unpack -q $(cat "$T/set.$s") > /dev/null || die "cinstall unpack failed on XFS"
		cp -r "$(sitep "$T/ref.$s")" "$MNT/ref.$s"
	fi
done

# --- the rounds ---------------------------------------------------------
contenders=
[ "$PEERS" = 1 ] && contenders="pip installer"
[ "$PEERS" = 1 ] && [ -n "$UV" ] && contenders="$contenders uv"
for m in $MODES; do
	for j in 1 "$JOBS"; do
		contenders="$contenders cold-$m-j$j warm-$m-j$j"
	done
done
[ -n "$MNT" ] && contenders="$contenders cold-clone-j$JOBS warm-clone-j$JOBS"
contenders="$contenders bsdtar bsdtar-record cp-al cp-r"
[ -n "$MNT" ] && contenders="$contenders cp-reflink"
ncont=$(echo $contenders | wc -w)

run_one() { # SET CONTENDER
	s=$1 c=$2
	wheels=$(cat "$T/set.$s")
	base=$T/run
	case $c in *clone*|cp-reflink) base=$MNT/run ;; esac
	mkdir -p "$base"
	fresh "$base"; dst=$FRESH
	cache=
	case $c in
	pip) newvenv "$dst"
		timed "$c" "$s" "$T/pipvenv/bin/python" -m pip --python "$dst/bin/python" install -q --no-deps --no-index --no-compile $wheels ;;
	installer) newvenv "$dst"
		timed "$c" "$s" env PYTHONPATH=/usr/lib/python3/dist-packages "$dst/bin/python" "$T/inst.py" $wheels ;;
	uv) newvenv "$dst"
		timed "$c" "$s" "$UV" pip install -q --no-deps --offline --python "$dst/bin/python" $wheels ;;
	cold-*|warm-*)
		mode=${c#*-}; mode=${mode%-j*}; j=${c##*-j}
		case $c in
		cold-*) fresh "$base"; cache=$FRESH ;;
		warm-*) cache=$(dirname "$base")/warm.$s ;;
		esac
		newvenv "$dst"
		timed "$c" "$s" "$CINSTALL" --cache-dir "$cache" --python "$dst" -q --strict-link-mode \
			--link-mode="$mode" -j "$j" $wheels ;;
	bsdtar) mkdir "$dst"
		printf '%s\n' $wheels > "$T/bsdtar.list"
		timed "$c" "$s" sh -c 'i=0; while read -r w; do i=$((i + 1)); mkdir "$1/$i" && bsdtar -xf "$w" -C "$1/$i" || exit 1; done < "$2"' \
			sh "$dst" "$T/bsdtar.list" ;;
	bsdtar-record) mkdir "$dst"
		printf '%s\n' $wheels > "$T/bsdtar.list"
		timed "$c" "$s" sh -c 'i=0; while read -r w; do i=$((i + 1)); mkdir "$1/$i" && bsdtar -xf "$w" -C "$1/$i" || exit 1; done < "$2"
			cd "$1" && xargs -0 -r openssl dgst -sha256 -r < "$3.list" | cmp -s - "$3.expected"' \
			sh "$dst" "$T/bsdtar.list" "$T/digests.$s" ;;
	cp-al) timed "$c" "$s" cp -al "$(sitep "$T/ref.$s")" "$dst" ;;
	cp-r) timed "$c" "$s" cp -r "$(sitep "$T/ref.$s")" "$dst" ;;
	cp-reflink) timed "$c" "$s" cp -r --reflink=always "$MNT/ref.$s" "$dst" ;;
	null) timed "$c" "$s" true ;;
	esac
	if [ "$TMPFS" = 1 ]; then
		rm -rf "$dst"
		case $c in cold-*) rm -rf "$cache" ;; esac
	fi
}

echo "sets: $(for s in $(cat "$T/sets"); do printf '%s (%s wheels, %s files) ' "$s" "$(wc -l < "$T/set.$s")" "$(cat "$T/files.$s")"; done)"
echo "$ROUNDS rounds of $ncont contenders, interleaved, order rotated each round; $(nproc) CPUs"
: > "$T/times"
echo $contenders > "$T/contenders"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	echo "  round $r/$ROUNDS ($(date +%T))" >&2
	for s in $(cat "$T/sets"); do
		# Rotate the order so no contender always runs first.
		order=$(echo $contenders | tr ' ' '\n' | awk -v r="$r" -v n="$ncont" '{ a[NR] = $0 } END { for (i = 0; i < n; i++) print a[(i + r * 3) % n + 1] }')
		for c in $order; do
			run_one "$s" "$c"
		done
		run_one "$s" null # the harness's own cost, subtracted in the report
	done
done

# --- the report -----------------------------------------------------------
echo
$PYTHON - "$T" "$BENCH_OUT" "$JOBS" << 'PY'
import os, statistics, sys
T, out, jobs = sys.argv[1], sys.argv[2], sys.argv[3]
sets = open(os.path.join(T, "sets")).read().split()
order = open(os.path.join(T, "contenders")).read().split()
rows = sorted((l.split() + ["0"])[:4] for l in open(os.path.join(T, "times")))
rows.sort(key=lambda r: order.index(r[1]) if r[1] in order else 99)
times, null = {}, []
for s, c, us, rss in rows:
    if c == "null":
        null.append(int(us))
        continue
    times.setdefault((s, c), []).append((int(us), int(rss) if rss.isdigit() else 0))
# What timing a command costs with nothing to do (date, fork, exec of
# /usr/bin/time running `true`): subtracted from every time below, so that
# a ratio compares the commands, not the harness (as hyperfine subtracts
# its shell's start).  A contender's own start (the dynamic loader, a
# Python interpreter) stays in its time.
harness = statistics.median(null) if null else 0
print("Times are net of the harness's own cost, %.1f ms (median of %d runs of `/usr/bin/time true`), "
      "subtracted from each run." % (harness / 1000, len(null)))
print()
times = {k: [(max(t - harness, 1), r) for t, r in v] for k, v in times.items()}
fails = set()
if os.path.exists(os.path.join(T, "fails")):
    fails = {tuple(l.split()[:2]) for l in open(os.path.join(T, "fails"))}
files = {s: int(open(os.path.join(T, "files." + s)).read()) for s in sets}
def med(s, c):
    v = times.get((s, c))
    return statistics.median(t for t, _ in v) / 1e6 if v else None
def base_of(c):
    if c.startswith("cold-"):
        return "bsdtar"
    if c.startswith("warm-"):
        return {"hardlink": "cp-al", "symlink": "cp-al", "copy": "cp-r", "clone": "cp-reflink"}[c.split("-")[1]]
    return None
names = {"pip": "pip install --no-deps --no-index --no-compile", "installer": "pypa/installer API, one process",
         "uv": "uv pip install --no-deps --offline", "bsdtar": "bsdtar -xf loop (extraction only)",
         "bsdtar-record": "bsdtar -xf loop + RECORD checked (openssl)",
         "cp-al": "cp -al of the installed tree", "cp-r": "cp -r of the installed tree",
         "cp-reflink": "cp -r --reflink=always (XFS)"}
def label(c):
    if c in names:
        return names[c]
    kind, mode, j = c.split("-")
    return "cinstall %s cache, %s, -%s" % (kind, mode, j)
for s in sets:
    n = files[s]
    print("### %s: %d wheel(s), %d files" % (s, len(open(os.path.join(T, "set." + s)).read().split()), n))
    print()
    print("| contender | median s | spread s | pip / this | this / baseline | files/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    pip = med(s, "pip")
    for (ss, c), v in times.items():
        if ss != s:
            continue
        m = med(s, c)
        lo, hi = min(t for t, _ in v) / 1e6, max(t for t, _ in v) / 1e6
        rss = max(r for _, r in v) / 1024
        b = base_of(c)
        bm = med(s, b) if b else None
        ratio_pip = "%.1fx" % (pip / m) if pip and m else "-"
        ratio_b = "%.2fx %s" % (m / bm, b) if bm and m else "-"
        flag = " (FAILED)" if (s, c) in fails else ""
        print("| %s%s | %.4f | %.4f-%.4f | %s | %s | %.0f | %.1f |" % (label(c), flag, m, lo, hi, ratio_pip, ratio_b,
                                                                  n / m if m else 0, rss))
    print()
# Targets (issue 8).
print("Targets:")
def chk(what, ok):
    print("- %s: %s" % (what, "met" if ok else "NOT met"))
for s in sets:
    pip = med(s, "pip")
    for c in ("warm-hardlink-j" + jobs, "cold-hardlink-j" + jobs):
        m = med(s, c)
        if s == "ordinary" and pip and m:
            need = 20 if c.startswith("warm") else 4
            chk("%s, %s: %.1fx faster than pip (target %dx)" % (s, label(c), pip / m, need), pip >= need * m)
    m, b = med(s, "warm-hardlink-j" + jobs), med(s, "cp-al")
    if m and b:
        chk("%s, warm hardlink -j%s: %.2fx cp -al (target at most 1.2x)" % (s, jobs, m / b), m <= 1.2 * b)
    m1, mn, b = med(s, "cold-hardlink-j1"), med(s, "cold-hardlink-j" + jobs), med(s, "bsdtar")
    if m1 and b:
        chk("%s, cold -j1: %.2fx the bsdtar loop (target at most 1.0x)" % (s, m1 / b), m1 <= b)
    if mn and b and jobs != "1":
        chk("%s, cold -j%s: %.2fx the bsdtar loop (target at most 0.6x)" % (s, jobs, mn / b), mn <= 0.6 * b)
    v = med(s, "bsdtar-record")
    if m1 and v:
        chk("%s, cold -j1: %.2fx the bsdtar loop with RECORD checked (target at most 1.0x)" % (s, m1 / v), m1 <= v)
    if mn and v and jobs != "1":
        chk("%s, cold -j%s: %.2fx the bsdtar loop with RECORD checked (target at most 0.6x)" % (s, jobs, mn / v),
            mn <= 0.6 * v)
rss = max((r for v in times.values() for _, r in v), default=0)
crss = max((r for (s, c), v in times.items() if c.startswith(("cold", "warm")) for _, r in v), default=0)
chk("peak RSS of cinstall %.1f MiB (target under 16 MiB)" % (crss / 1024), crss < 16 * 1024)
# Data for the chart: one line per contender, median seconds by files.
plot = ["pip", "installer", "uv", "cold-hardlink-j1", "cold-hardlink-j" + jobs, "warm-hardlink-j" + jobs,
        "warm-copy-j" + jobs, "bsdtar", "bsdtar-record", "cp-al", "cp-r"]
plot = [c for c in plot if any((s, c) in times for s in sets)]
with open(out + ".dat", "w") as f:
    f.write("# files " + " ".join(plot) + "\n")
    for s in sorted((s for s in sets if s.startswith("large-")), key=lambda s: files[s]):
        f.write("%d %s\n" % (files[s], " ".join("%.4f" % (med(s, c) or float("nan")) for c in plot)))
with open(os.path.join(T, "plot.gp"), "w") as f:
    f.write('set terminal pngcairo noenhanced size 1000,800\nset output "%s.png"\n' % out)
    f.write('set logscale xy\nset xlabel "files installed"\nset ylabel "seconds (median, net of the harness)"\n')
    f.write('set key outside below maxrows 6\nset grid\n')
    f.write('set title "one wheel of N files (bench/make_large_wheels.py): cinstall, peers, physical limits"\n')
    f.write("plot " + ", ".join('"%s.dat" using 1:%d with linespoints title "%s"' % (out, i + 2, label(c))
                                for i, c in enumerate(plot)) + "\n")
PY
if command -v gnuplot > /dev/null; then
	gnuplot "$T/plot.gp" 2> "$T/gp.err" && echo "chart: $(basename "$BENCH_OUT").png (data: $(basename "$BENCH_OUT").dat)" ||
		echo "(gnuplot failed: $(head -1 "$T/gp.err"))"
else
	echo "(gnuplot is not installed: no chart; data in $BENCH_OUT.dat)"
fi
