#!/bin/sh
# .ci/deps.sh [demo|test|bench] - make sure the Debian packages cinstall needs are
# installed.  As root, installs what is missing with apt-get; otherwise
# prints the exact apt-get line to run and fails.
set -u
what=${1:-test}

# The -dev packages of zlib, bzip2, xz and zstd: their static archives,
# with libarchive's, make the zip reader linked into the command (the
# Makefile's LIBARCHIVE=static; src/zipstack/zipstack.c).
pkgs="make gcc libc6-dev pkg-config libarchive-dev libzip-dev libssl-dev python3 python3-venv \
zlib1g-dev libbz2-dev liblzma-dev libzstd-dev"
if [ "$what" = test ]; then
	# pypa/installer for conformance, real wheels, loop-mount filesystems,
	# bsdtar for the benchmark baselines, mandoc for the man page lint,
	# clang for libFuzzer.
	pkgs="$pkgs python3-installer python3-pip-whl python3-setuptools-whl python3-wheel-whl \
libarchive-tools xfsprogs exfatprogs exfat-fuse mandoc clang valgrind util-linux time"
elif [ "$what" = bench ]; then
	# `make bench`: the peers (pip's wheel, pypa/installer), the baselines
	# (bsdtar, cp, reflinks on an XFS loop mount), /usr/bin/time for peak
	# RSS, gnuplot for the chart.
	pkgs="$pkgs python3-installer python3-pip-whl python3-setuptools-whl python3-wheel-whl \
libarchive-tools openssl xfsprogs util-linux time gnuplot-nox"
else
	pkgs="$pkgs python3-pip-whl python3-setuptools-whl python3-wheel-whl"
fi

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)
	case $st in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "cinstall: missing Debian packages:$missing" >&2
	echo "cinstall: run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "cinstall: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q $missing >&2; then
	apt-get update -q >&2 && apt-get install -y -q $missing >&2 || {
		echo "cinstall: apt-get install failed for:$missing" >&2
		exit 1
	}
fi
