#!/bin/sh
# .ci/check.sh - the README's test command: install what is missing, then
# build with -Werror and run the whole suite twice, plainly and under
# AddressSanitizer + UndefinedBehaviorSanitizer, then the unit tests and
# test/cli/split.sh (one wheel over many threads) under ThreadSanitizer, in
# a build that links libarchive, libzip and libcrypto directly (DLOPEN=0),
# ending with one line "total: N passed, N failed, N skipped" over the
# three runs.
set -u
cd "$(dirname "$0")/.." || exit 1
sh .ci/deps.sh test || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
status=0

build() {
	# Quiet on success; the whole build log on failure.
	make -j"$jobs" WERROR=1 "$@" unit > build-log.txt 2>&1 && return 0
	cat build-log.txt
	echo "build failed: make $*"
	echo "0 passed, 1 failed"
	exit 1
}

build
make WERROR=1 check || status=1
build BUILD=build-asan SANITIZE=address,undefined
echo
echo "=== the suite again under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	make WERROR=1 BUILD=build-asan SANITIZE=address,undefined check || status=1

# This build links libarchive, libzip and libcrypto directly (DLOPEN=0), so
# that both ways of binding them build and run in CI (the others load them
# lazily).
build BUILD=build-tsan SANITIZE=thread DLOPEN=0
echo
echo "=== the unit tests and the threaded command tests under ThreadSanitizer (DLOPEN=0)"
TESTS="test_ split lazy" make WERROR=1 BUILD=build-tsan SANITIZE=thread DLOPEN=0 check || status=1

p=0 f=0 s=0
for b in build build-asan build-tsan; do
	set -- $(cat $b/test-summary 2>/dev/null || echo 0 1 0)
	p=$((p + $1)) f=$((f + $2)) s=$((s + $3))
done
echo
echo "total: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ] && [ "$status" -eq 0 ]
