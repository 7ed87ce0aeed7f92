#!/bin/sh
# test/hdr-check.sh - compile include/cinstall.h on its own, as C11 with
# -pedantic and as C++11, with every warning an error, using each compiler
# that is present.  Run by `make hdr-check` and by test/cli/api.sh.
#
# Prints "ok NAME", "FAIL NAME: why" or "skip NAME: why" lines (the suite's
# format) and exits 1 when any check failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
hdr=$top/include/cinstall.h
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cinstall-hdr.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

# The header alone: nothing else included before it.
printf '#include "cinstall.h"\n' > "$tmp/alone.c"

# The header used the way a host uses it: included twice (the guard), the
# _INIT macros in static and automatic storage, every enum and callback type.
cat > "$tmp/use.c" <<'EOF'
#include "cinstall.h"
#include "cinstall.h"

static void log_cb(cinstall_log_level level, const char *message, void *payload)
{
	(void)level; (void)message; (void)payload;
}

static void progress_cb(const cinstall_progress *p, void *payload)
{
	(void)p; (void)payload;
}

static const cinstall_options static_opts = CINSTALL_OPTIONS_INIT;
static const cinstall_install_options static_iopts = CINSTALL_INSTALL_OPTIONS_INIT;

int hdr_use(void);
int hdr_use(void)
{
	cinstall_options o = CINSTALL_OPTIONS_INIT;
	cinstall_install_options io = CINSTALL_INSTALL_OPTIONS_INIT;
	cinstall_link_mode m = CINSTALL_LINK_HARDLINK;
	cinstall_error_code c = CINSTALL_ECACHE;
	cinstall_log_cb lcb = log_cb;
	cinstall_progress_cb pcb = progress_cb;

	o.log_cb = lcb;
	o.progress_cb = pcb;
	o.flags = CINSTALL_OPT_STRICT | CINSTALL_OPT_NO_ENV | CINSTALL_OPT_NO_SYMLINKS;
	io.link_mode = m;
	io.flags = CINSTALL_INSTALL_STRICT_LINK_MODE | CINSTALL_INSTALL_SYNC;
	return (int)o.version + (int)io.version + (int)c + (int)static_opts.version +
	       (int)static_iopts.version + CINSTALL_VERSION_MAJOR;
}
EOF

# compile NAME COMPILER FLAGS... FILE
compile() {
	n=$1; shift
	if out=$("$@" -I"$top/include" -fsyntax-only 2>&1); then
		echo "ok hdr-check.$n"
	else
		echo "FAIL hdr-check.$n: '$*' failed"
		printf '%s\n' "$out" | head -20 >&2
		status=1
	fi
}

cflags="-std=c11 -pedantic -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla"
cxxflags="-std=c++11 -pedantic -Wall -Wextra -Werror -Wshadow"
for cc in gcc clang; do
	if ! command -v $cc >/dev/null 2>&1; then
		echo "skip hdr-check.$cc: $cc is not installed"
		continue
	fi
	compile "$cc-c11-alone" $cc $cflags -x c "$tmp/alone.c"
	compile "$cc-c11-header-file" $cc $cflags -x c "$hdr"
	compile "$cc-c11-use" $cc $cflags -x c "$tmp/use.c"
done
for cxx in g++ clang++; do
	if ! command -v $cxx >/dev/null 2>&1; then
		echo "skip hdr-check.$cxx: $cxx is not installed"
		continue
	fi
	compile "$cxx-cxx11-alone" $cxx $cxxflags -x c++ "$tmp/alone.c"
	compile "$cxx-cxx11-use" $cxx $cxxflags -x c++ "$tmp/use.c"
done
exit $status
