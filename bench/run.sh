#!/bin/sh
# bench/run.sh [NAME...] - run the benchmarks and keep what they print in
# bench/results/<date>.md with the machine, the commit and each script's exit
# status.  With no NAME: bench/compare.sh, the full comparison (`make bench`;
# its chart goes to bench/results/<date>.png).  With NAMEs: the bench/*.sh
# scripts whose file name contains one of them (e.g. `unpack link install`).
#
# Each benchmark measures cinstall against its baselines in the same run
# (see BENCHMARKS.md).  $BUILD (default: build) names the build to measure;
# `make bench` builds it first.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export BUILD TOP="$top"
if [ ! -x "$BUILD/cinstall" ]; then
	echo "bench/run.sh: $BUILD/cinstall is missing; run 'make' (or 'make bench') first" >&2
	exit 1
fi

scripts=
for s in bench/*.sh; do
	[ -f "$s" ] || continue
	[ "$s" = bench/run.sh ] && continue
	[ "$s" = bench/ab.sh ] && continue # takes its wheels and builds as arguments
	[ $# -eq 0 ] && [ "$s" != bench/compare.sh ] && continue
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do
			case $(basename "$s") in *"$n"*) want=1 ;; esac
		done
		[ $want -eq 1 ] || continue
	fi
	scripts="$scripts $s"
done
if [ -z "$scripts" ]; then
	echo "bench/run.sh: no benchmark scripts to run (bench/*.sh)" >&2
	exit 1
fi

mkdir -p bench/results
day=$(date +%Y-%m-%d)
out=bench/results/$day.md
i=1
while [ -e "$out" ]; do
	i=$((i + 1))
	out=bench/results/$day-$i.md
done
export BENCH_OUT="$top/${out%.md}"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
{
	echo "# cinstall benchmarks, $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	echo "- cinstall: $("$BUILD/cinstall" --version 2>/dev/null) ($BUILD)"
	echo "- machine: $(uname -srm), ${cpu:-unknown cpu}, $(nproc 2>/dev/null || echo '?') CPUs"
	echo "- filesystem of ${TMPDIR:-/tmp}: $(stat -f -c %T "${TMPDIR:-/tmp}" 2>/dev/null || echo unknown)"
	echo
} > "$out"

rcfile=$(mktemp "${TMPDIR:-/tmp}/cinstall-bench-rc.XXXXXX") || exit 1
trap 'rm -f "$rcfile"' EXIT
status=0
for s in $scripts; do
	echo "== $s" >&2
	# bench/compare.sh prints Markdown; the others plain text.
	fence='```'
	[ "$s" = bench/compare.sh ] && fence=
	{
		echo "## $(basename "$s")"
		echo
		[ -z "$fence" ] || echo "$fence"
	} >> "$out"
	# A pipeline's status is tee's: the script's own goes through a file.
	{ sh "$s" 2>&1; echo $? > "$rcfile"; } | tee -a "$out"
	rc=$(cat "$rcfile")
	{
		[ -z "$fence" ] || echo "$fence"
		echo
		[ "$rc" -eq 0 ] || echo "**$(basename "$s") exited $rc**"
		echo
	} >> "$out"
	[ "$rc" -eq 0 ] || status=1
done
echo >&2
echo "results: $out" >&2
exit $status
