#!/bin/sh
# bench/install.sh - install ~100 real wheels into a fresh venv: cinstall
# (warm cache and cold) against `pip install --no-deps --no-index
# --no-compile` (Debian's pip wheel, run for the venv with --python) and
# pypa/installer's Python API in one process, interleaved round by round in
# one run.  Prints the median of each, the ratios and the time per wheel.
#
#   BUILD=build sh bench/install.sh      (ROUNDS=3, MODE=auto by default)
# Targets (issue 4): warm >= 20x faster than pip, cold >= 4x.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CINSTALL=$BUILD/cinstall
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-3}
MODE=${MODE:-auto}
SHARED=$top/../shared/wheels
T=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1 PIP_CONFIG_FILE=/dev/null
export CINSTALL_CACHE_DIR=$T/cache

pipw=$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | head -1)
[ -x "$CINSTALL" ] || { echo "bench/install.sh: build $CINSTALL first" >&2; exit 1; }
[ -n "$pipw" ] || { echo "bench/install.sh: Debian's pip wheel is missing (python3-pip-whl)" >&2; exit 1; }
PYTHONPATH=/usr/lib/python3/dist-packages "$PYTHON" -c 'import installer' 2>/dev/null ||
	{ echo "bench/install.sh: pypa/installer is missing (python3-installer)" >&2; exit 1; }

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Old trees are renamed aside, never deleted between runs: on ext4 a tree
# created right after a large deletion is several times slower for ~30 s.
# The trap deletes them all at the end.
aside() { [ ! -e "$1" ] || mv "$1" "$T/aside.$(date +%s%N)"; }
newvenv() { aside "$1"; "$PYTHON" -m venv --without-pip "$1"; }

# The pip that runs pip: a venv of its own with Debian's pip wheel.
newvenv "$T/pipvenv"
"$CINSTALL" --python "$T/pipvenv" -q "$pipw" || exit 1

# The wheel set: every wheel that suits this interpreter and installs on
# its own with cinstall, one per distribution (the newest name sorts last),
# plus Debian's; then drop what pip or installer refuse.
: > "$T/cand"
{ [ -d "$SHARED" ] && ls "$SHARED"/*.whl; ls /usr/share/python-wheels/*.whl; } | while read -r w; do
	newvenv "$T/probe"
	if "$CINSTALL" --python "$T/probe" -q "$w" > /dev/null 2>&1; then
		n=$(basename "$w" | cut -d- -f1 | tr 'A-Z_.' 'a-z--')
		echo "$n $w" >> "$T/cand"
	fi
done
sort -k1,1 -s "$T/cand" | awk '{ last[$1] = $2 } END { for (n in last) print last[n] }' | sort > "$T/set"
cat > "$T/inst.py" <<'PY'
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
        print(whl)  # collides with an earlier wheel of the set
PY
run_pip() { "$T/pipvenv/bin/python" -m pip --python "$1/bin/python" install -q --no-deps --no-index --no-compile $(cat "$T/set"); }
run_installer() { PYTHONPATH=/usr/lib/python3/dist-packages "$1/bin/python" "$T/inst.py" $(cat "$T/set"); }
# pypa/installer refuses some wheels, and refuses to overwrite: leave out
# what it fails on (alone, or colliding with an earlier wheel of the set).
newvenv "$T/probe"
PROBE=1 PYTHONPATH=/usr/lib/python3/dist-packages "$T/probe/bin/python" "$T/inst.py" $(cat "$T/set") > "$T/drop" 2>/dev/null
for w in $(cat "$T/drop"); do echo "  (left out, pypa/installer fails on it in this set: $(basename "$w"))"; done
grep -vxF -f "$T/drop" "$T/set" > "$T/set2"; mv "$T/set2" "$T/set"
# pip: one try with the whole set; wheel by wheel only if that fails.
newvenv "$T/probe"
if ! run_pip "$T/probe" > /dev/null 2>&1; then
	for w in $(cat "$T/set"); do
		newvenv "$T/probe"
		"$T/pipvenv/bin/python" -m pip --python "$T/probe/bin/python" install -q --no-deps --no-index \
			--no-compile "$w" > /dev/null 2>&1 || echo "$w"
	done > "$T/drop"
	for w in $(cat "$T/drop"); do echo "  (left out, pip refuses it: $(basename "$w"))"; done
	grep -vxF -f "$T/drop" "$T/set" > "$T/set2"; mv "$T/set2" "$T/set"
fi
N=$(wc -l < "$T/set")
files=$(for w in $(cat "$T/set"); do "$PYTHON" -c 'import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$w"; done | awk '{s+=$1} END {print s}')
echo "wheels: $N ($files files), link mode $MODE, $ROUNDS rounds, $(nproc) CPUs, cinstall $("$CINSTALL" --version)"

for r in $(seq 1 "$ROUNDS"); do
	# Rotate the order each round so no tool always runs first.
	case $((r % 4)) in
	1) order="pip installer cold warm" ;; 2) order="installer cold warm pip" ;;
	3) order="cold warm pip installer" ;; 0) order="warm pip installer cold" ;;
	esac
	for tool in $order; do
		newvenv "$T/v"
		case $tool in
		pip) t0=$(ms); run_pip "$T/v" || echo "pip failed" >&2; t1=$(ms) ;;
		installer) t0=$(ms); run_installer "$T/v" || echo "installer failed" >&2; t1=$(ms) ;;
		cold) aside "$T/cache"; t0=$(ms); "$CINSTALL" --python "$T/v" -q --link-mode="$MODE" $(cat "$T/set") || echo "cinstall failed" >&2; t1=$(ms) ;;
		warm) newvenv "$T/probe2"; "$CINSTALL" --python "$T/probe2" -q $(cat "$T/set") > /dev/null 2>&1 || true
		      t0=$(ms); "$CINSTALL" --python "$T/v" -q --link-mode="$MODE" $(cat "$T/set") || echo "cinstall failed" >&2; t1=$(ms) ;;
		esac
		echo "$tool $((t1 - t0))" >> "$T/times"
	done
	# The physical floor: cp -al of the tree cinstall just installed.
	aside "$T/cpal"; t0=$(ms); cp -al "$T/v" "$T/cpal"; t1=$(ms); echo "cpal $((t1 - t0))" >> "$T/times"
done
median() { grep "^$1 " "$T/times" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pip=$(median pip); inst=$(median installer); cold=$(median cold); warm=$(median warm); cpal=$(median cpal)
echo
echo "| tool | median ms | per wheel ms | pip / tool |"
echo "|---|---:|---:|---:|"
for row in "pip install --no-deps --no-index --no-compile:$pip" "pypa/installer API, one process:$inst" \
           "cinstall, cold cache:$cold" "cinstall, warm cache:$warm" "cp -al of the installed venv:$cpal"; do
	name=${row%:*}; t=${row##*:}
	[ "$t" -gt 0 ] || t=1
	awk -v n="$name" -v t="$t" -v p="$pip" -v w="$N" 'BEGIN { printf "| %s | %d | %.2f | %.1fx |\n", n, t, t / w, p / t }'
done
echo
awk -v p="$pip" -v w="$warm" -v c="$cold" 'BEGIN {
	printf "warm: %.1fx faster than pip (target 20x): %s\n", p / (w ? w : 1), (p >= 20 * w) ? "met" : "NOT met";
	printf "cold: %.1fx faster than pip (target 4x): %s\n", p / (c ? c : 1), (p >= 4 * c) ? "met" : "NOT met" }'
