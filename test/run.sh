#!/bin/sh
# test/run.sh - run the whole suite against the build in $BUILD and print
# one closing line: "N passed, N failed, N skipped".
#
# Every test prints lines "ok NAME", "FAIL NAME: why" or "skip NAME: why";
# this script counts them.  Unit tests are the binaries $BUILD/test/test_*;
# the shell tests are test/{cli,conformance,fs}/*.sh (see test/lib.sh).
# TESTS="pattern ..." runs only the files whose name contains one of the
# patterns.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export BUILD TOP="$top"
export FIXTURES="$BUILD/fixtures"
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHON
# ThreadSanitizer cannot see glibc's internal locks (see test/tsan.supp).
case ${SANITIZE:-} in
*thread*) export TSAN_OPTIONS="suppressions=$top/test/tsan.supp${TSAN_OPTIONS:+ $TSAN_OPTIONS}" ;;
esac

log=$BUILD/test-log.txt
: > "$log"

# Fixture wheels come from the committed generator, into the build tree.
if ! "$PYTHON" "$top/fixtures/gen_wheels.py" "$FIXTURES" >> "$log" 2>&1; then
	echo "FAIL fixtures: fixtures/gen_wheels.py failed (see $log)" | tee -a "$log"
fi

run_one() {
	name=$1; shift
	if [ -n "${TESTS:-}" ]; then
		hit=
		for pat in $TESTS; do
			case $name in *"$pat"*) hit=1 ;; esac
		done
		[ -n "$hit" ] || return 0
	fi
	echo "== $name" >> "$log.err"
	t0=$(date +%s)
	"$@" > "$BUILD/test-out.txt" 2>>"$log.err"
	rc=$?
	echo "$(($(date +%s) - t0))s $name" >> "$BUILD/test-times.txt"
	cat "$BUILD/test-out.txt" | tee -a "$log"
	# A crash (a sanitizer abort, a signal) must not pass for success.
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$BUILD/test-out.txt"; then
		echo "FAIL $name: exited $rc without reporting a failure (see $log.err)" | tee -a "$log"
	fi
}

: > "$log.err"
: > "$BUILD/test-times.txt"
for t in "$BUILD"/test/test_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in "$top"/test/cli/*.sh "$top"/test/conformance/*.sh "$top"/test/fs/*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t")" sh "$t"
done

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failures (details in $log.err):"
	grep '^FAIL ' "$log"
fi
if [ "$skipped" -gt 0 ]; then
	echo
	echo "skipped:"
	grep '^skip ' "$log"
fi
echo "$passed $failed $skipped" > "$BUILD/test-summary"
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
