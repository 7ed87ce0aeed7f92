#!/bin/sh
# test/cli/valgrind.sh - memcheck over a sample: an install of a few
# fixture wheels (cold cache, then a reinstall from the warm cache), a
# refused hostile wheel and an uninstall.  Any memcheck error or definite
# leak fails (--error-exitcode).  A plain build only: under ASan valgrind
# cannot run the binary.
. "$TOP/test/lib.sh"

if ! command -v valgrind > /dev/null 2>&1; then
	skip valgrind.sh "valgrind is not installed (apt-get install valgrind)"
	exit 0
fi
if ldd "$CINSTALL" 2>/dev/null | grep -q 'lib[at]san'; then
	skip valgrind.sh "$CINSTALL is built with a sanitizer; memcheck runs on the plain build"
	exit 0
fi
venv_or_skip valgrind.sh "$T/venv" || exit 0
vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$CINSTALL" "$@"
}
wheels="$FIXTURES/simple-1.0-py3-none-any.whl $FIXTURES/eppkg-1.0-py3-none-any.whl $FIXTURES/datapkg-1.0-py3-none-any.whl"
# shellcheck disable=SC2086
check valgrind-install vg --python "$T/venv" -j2 $wheels
# shellcheck disable=SC2086
check valgrind-reinstall vg --python "$T/venv" --reinstall --link-mode=copy $wheels
expect_error valgrind-hostile 3 "sha256 does not match RECORD" \
	vg --python "$T/venv" "$FIXTURES/hostile/wronghash-1.0-py3-none-any.whl"
check valgrind-uninstall vg uninstall --python "$T/venv" simple eppkg datapkg
exit 0
