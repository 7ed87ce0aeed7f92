# test/lib.sh - sourced by the shell tests in test/{cli,conformance,fs}.
#
# Gives: $CINSTALL (the command), $TOP, $BUILD, $FIXTURES, $PYTHON,
# $SHARED_WHEELS (empty when ../shared/wheels is absent), a fresh $T
# directory removed at exit, and the reporting functions below.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
FIXTURES=${FIXTURES:-$BUILD/fixtures}
PYTHON=${PYTHON:-/usr/bin/python3}
CINSTALL=$BUILD/cinstall
SHARED_WHEELS=
[ -d "$TOP/../shared/wheels" ] && SHARED_WHEELS=$(cd "$TOP/../shared/wheels" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Keep the user's cache out of the tests.
export CINSTALL_CACHE_DIR="$T/cache"
unset CINSTALL_LINK_MODE CINSTALL_NO_SYMLINKS VIRTUAL_ENV

ok()   { echo "ok $1"; }
fail() { n=$1; shift; echo "FAIL $n: $*"; }
skip() { n=$1; shift; echo "skip $n: $*"; }

# check NAME CMD...: ok when CMD exits 0; on failure its output goes to stderr.
check() {
	n=$1; shift
	if out=$("$@" 2>&1); then ok "$n"; else fail "$n" "'$*' exited $?"; printf '%s\n' "$out" >&2; fi
}

# expect_error NAME EXIT PATTERN CMD...: CMD must exit with EXIT and print
# (stdout or stderr) a line matching the grep -E PATTERN.
expect_error() {
	n=$1; code=$2; pat=$3; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -ne "$code" ]; then
		fail "$n" "exit $rc, expected $code: $(printf '%s' "$out" | head -3)"
	elif ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		fail "$n" "message does not match /$pat/: $(printf '%s' "$out" | head -3)"
	else
		ok "$n"
	fi
}

# tree_digest DIR: one line per entry (type, mode, size, sha256) for comparing trees.
tree_digest() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
		if [ -L "$p" ]; then echo "L $p -> $(readlink "$p")"
		elif [ -d "$p" ]; then echo "D $p $(stat -c %a "$p")"
		else echo "F $p $(stat -c '%a %s' "$p") $(sha256sum < "$p" | cut -c1-64)"; fi
	done)
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# venv_or_skip NAME DIR: make a venv (no pip) at DIR, or report NAME
# skipped, saying why, and fail (the caller exits).
venv_or_skip() {
	if ! "$PYTHON" -m venv --without-pip "$2" 2> "$T/venv.err"; then
		skip "$1" "cannot create a venv with $PYTHON: $(head -1 "$T/venv.err")"
		return 1
	fi
}

# The AddressSanitizer runtime $CINSTALL is linked to (empty when none):
# an LD_PRELOAD shim goes after it.
asan_runtime() { ldd "$CINSTALL" 2>/dev/null | awk '/libasan/ { print $3 }'; }
