#!/bin/sh
# test/cli/fuzz_smoke.sh - a short run of every libFuzzer target (test/fuzz/):
# build them with clang (make fuzz-build) and run each for FUZZ_SMOKE_SECONDS
# (default 3) on its seed corpus.  Any crash, sanitizer report or leak fails;
# `make fuzz` is the long run.  The fuzz build is always clang with
# ASan+UBSan, so the plain and the sanitizer suites share one: build-fuzz
# for both BUILD=build and BUILD=build-asan.
. "$TOP/test/lib.sh"
FB=${BUILD%-asan}
FB=${FB%-ubsan}

cc=${FUZZ_CC:-clang}
if ! command -v "$cc" > /dev/null 2>&1; then
	skip fuzz_smoke "no $cc on PATH: libFuzzer targets need clang (apt-get install clang)"
	exit 0
fi
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$T/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" > "$T/probe.log" 2>&1; then
	skip fuzz_smoke "$cc cannot link -fsanitize=fuzzer,address,undefined: $(head -1 "$T/probe.log")"
	exit 0
fi

if make -C "$TOP" -j2 BUILD="$FB" FUZZ_CC="$cc" WERROR=1 fuzz-build > "$T/build.log" 2>&1; then
	ok fuzz_build
else
	fail fuzz_build "make fuzz-build failed: $(grep -m3 -E 'error|Error' "$T/build.log")"
	exit 1
fi

n=0
for bin in "$FB-fuzz"/fuzz/fuzz_*; do
	case $bin in *.o|*.d|*.log) continue ;; esac
	[ -x "$bin" ] || continue
	n=$((n + 1))
done
if [ "$n" -lt 8 ]; then
	fail fuzz_targets "expected 8 fuzz targets in $FB-fuzz/fuzz, found $n"
else
	ok fuzz_targets
fi
# Each target prints its own ok/FAIL line (what it finds stays in $FB-fuzz).
BUILD="$FB-fuzz" FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-3} sh "$TOP/test/fuzz/run.sh"
exit 0
