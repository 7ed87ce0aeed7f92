#!/bin/sh
# test/fuzz/run.sh - run every libFuzzer target in $BUILD/fuzz for
# FUZZ_SECONDS seconds each (default 60) on its seed corpus.
#
#   make fuzz FUZZ_SECONDS=300          build into $(BUILD)-fuzz and run
#   BUILD=build-fuzz sh test/fuzz/run.sh [TARGET...]
#
# The seeds in fixtures/fuzz/<target>/ are only read; what the fuzzer finds
# goes to $BUILD/fuzz/corpus/<target>/ (kept between runs), crashes to
# $BUILD/fuzz/crash/<target>/.  A crash, sanitizer report or leak fails the
# run: keep the input in fixtures/fuzz/<target>/, fix the library, add a unit
# test.  Prints "ok fuzz_<target>" / "FAIL fuzz_<target>: why" lines and exits
# non-zero when any target failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build-fuzz}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
secs=${FUZZ_SECONDS:-60}
targets=$*
[ -n "$targets" ] || targets=$(cd "$BUILD/fuzz" 2>/dev/null && ls fuzz_* 2>/dev/null | grep -v '\.[od]$' | sed 's/^fuzz_//')
if [ -z "$targets" ]; then
	echo "FAIL fuzz: no targets in $BUILD/fuzz (run 'make fuzz-build')"
	exit 1
fi
failed=0
for t in $targets; do
	bin=$BUILD/fuzz/fuzz_$t
	corpus=$BUILD/fuzz/corpus/$t
	crash=$BUILD/fuzz/crash/$t
	mkdir -p "$corpus" "$crash"
	log=$BUILD/fuzz/$t.log
	# -rss_limit_mb, -timeout: a runaway allocation or loop is a finding too.
	if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	   "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$crash/" -print_final_stats=1 \
		"$corpus" "$top/fixtures/fuzz/$t" > "$log" 2>&1; then
		echo "ok fuzz_$t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${secs}s"
	else
		echo "FAIL fuzz_$t: crash or sanitizer report, input in $crash/ (log $log):"
		grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written' "$log" | head -5
		failed=1
	fi
done
exit $failed
