#!/bin/sh
# examples/demo.sh [--keep] - cinstall on real wheels, from a fresh machine.
#
#   1. installs the Debian packages it needs (as root; otherwise it prints
#      the apt-get line to run and stops);
#   2. builds cinstall;
#   3. makes a fresh virtual environment in a temporary directory;
#   4. installs Debian's pip, setuptools and wheel wheels and a small example
#      wheel with `cinstall --link-mode=hardlink`;
#   5. runs what it installed: pip, an entry-point script, a rewritten
#      `#!python` script and `python -c 'import ...'`;
#   6. installs again (nothing to do) and uninstalls the example.
#
# The temporary directory (cache and environment) is removed at the end
# unless --keep is given.  BUILD names the build directory (default: build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
keep=0
[ "${1:-}" = --keep ] && keep=1

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }

say "Debian packages (.ci/deps.sh demo)"
if ! sh .ci/deps.sh demo; then
	echo "demo: install the packages above, then run 'sh examples/demo.sh' again" >&2
	exit 1
fi
echo "all present"

say "build"
BUILD=${BUILD:-build}
echo "$ make -j$(nproc 2>/dev/null || echo 2) BUILD=$BUILD"
make -j"$(nproc 2>/dev/null || echo 2)" BUILD="$BUILD" >/dev/null
case $BUILD in /*) CINSTALL=$BUILD/cinstall ;; *) CINSTALL=$top/$BUILD/cinstall ;; esac
run "$CINSTALL" --version

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-demo.XXXXXX")
if [ $keep -eq 1 ]; then
	trap 'echo; echo "demo: kept $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
# The cache sits beside the environment, on the same filesystem, so that
# hard links from the environment into the cache are possible.
export CINSTALL_CACHE_DIR="$tmp/cache"
unset VIRTUAL_ENV CINSTALL_LINK_MODE CINSTALL_NO_SYMLINKS 2>/dev/null || true

say "a fresh virtual environment in $tmp/venv"
run /usr/bin/python3 -m venv --without-pip "$tmp/venv"

say "the wheels"
wheels=
for w in /usr/share/python-wheels/pip-*.whl /usr/share/python-wheels/setuptools-*.whl \
	/usr/share/python-wheels/wheel-*.whl; do
	[ -f "$w" ] && wheels="$wheels $w"
done
demo_whl=$(/usr/bin/python3 examples/demo_wheel.py "$tmp/wheels")
wheels="$wheels $demo_whl"
for w in $wheels; do
	echo "  $(basename "$w")  ($(du -k "$w" | cut -f1) KiB)"
done

say "install them with hard links into the cache"
# shellcheck disable=SC2086 # word splitting of $wheels is intended
run "$CINSTALL" --link-mode=hardlink --python "$tmp/venv" $wheels

say "run what was installed"
run "$tmp/venv/bin/pip" --version
run "$tmp/venv/bin/cinstall-demo" cinstall
run "$tmp/venv/bin/cinstall-demo-env"
printf '  its first line: %s\n' "$(head -1 "$tmp/venv/bin/cinstall-demo-env")"
# (setuptools first: its distutils shim must load before pip imports distutils)
run "$tmp/venv/bin/python" -W ignore::UserWarning -c 'import setuptools, pip, wheel, cinstall_demo; print("imported setuptools", setuptools.__version__, "pip", pip.__version__, "wheel", wheel.__version__, "and", cinstall_demo.greeting("python"))'
run "$tmp/venv/bin/pip" list --disable-pip-version-check

say "install again: everything is already there"
# shellcheck disable=SC2086
run "$CINSTALL" --link-mode=hardlink --python "$tmp/venv" $wheels

say "the cache"
run "$CINSTALL" cache info
run "$CINSTALL" cache verify
echo "every cached file matches its manifest"

say "uninstall the example"
run "$CINSTALL" uninstall --python "$tmp/venv" cinstall-demo
if [ -e "$tmp/venv/bin/cinstall-demo" ]; then
	echo "demo: bin/cinstall-demo is still there after uninstall" >&2
	exit 1
fi
echo "bin/cinstall-demo is gone"

say "done"
echo "cinstall installed $(echo $wheels | wc -w) wheels into a fresh environment and ran them."
