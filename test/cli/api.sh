#!/bin/sh
# test/cli/api.sh - libcinstall as a package manager embeds it: the header
# alone, `make install`, the exported symbols and soname, pkg-config, the C
# example built against the installed copy, the ctypes binding from Python,
# and the man pages.
. "$TOP/test/lib.sh"
SANITIZE=${SANITIZE:-}

# The header compiles alone, as C11 -pedantic and as C++ (its own ok lines).
sh "$TOP/test/hdr-check.sh"

# --- make install ----------------------------------------------------------
root=$T/root
lib=$root/usr/lib
if (cd "$TOP" && make BUILD="$BUILD" SANITIZE="$SANITIZE" DLOPEN="${DLOPEN:-1}" LIBARCHIVE="${LIBARCHIVE:-static}" \
	install PREFIX=/usr DESTDIR="$root") \
	> "$T/install.log" 2>&1; then
	ok api.make-install
else
	fail api.make-install "make install failed: $(tail -3 "$T/install.log")"
fi
missing=
for f in usr/bin/cinstall usr/include/cinstall.h usr/lib/libcinstall.so.0.1.0 usr/lib/libcinstall.a \
	usr/lib/pkgconfig/cinstall.pc usr/share/man/man1/cinstall.1 usr/share/man/man3/libcinstall.3; do
	[ -f "$root/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok api.installed-files; else fail api.installed-files "missing:$missing"; fi
# The command has libarchive's zip reader linked in: their notices go along.
if [ "${DLOPEN:-1}" = 1 ] && [ "${LIBARCHIVE:-static}" = static ]; then
	n=$(ls "$root/usr/share/doc/cinstall/linked-in/" 2>/dev/null | grep -c '\.copyright$')
	if [ -f "$root/usr/share/doc/cinstall/linked-in/libarchive-dev.copyright" ] && [ "$n" -eq 5 ]; then
		ok api.installed-notices
	else
		fail api.installed-notices "$n notices in usr/share/doc/cinstall/linked-in, not libarchive's and 4 more"
	fi
fi
if [ "$(readlink "$lib/libcinstall.so.0")" = libcinstall.so.0.1.0 ] &&
	[ "$(readlink "$lib/libcinstall.so")" = libcinstall.so.0.1.0 ]; then
	ok api.so-symlinks
else
	fail api.so-symlinks "libcinstall.so.0 -> '$(readlink "$lib/libcinstall.so.0")'," \
		"libcinstall.so -> '$(readlink "$lib/libcinstall.so")'"
fi
if cmp -s "$TOP/include/cinstall.h" "$root/usr/include/cinstall.h"; then
	ok api.installed-header
else
	fail api.installed-header "the installed cinstall.h differs from include/cinstall.h"
fi

# --- the shared library's interface ----------------------------------------
so=$lib/libcinstall.so.0.1.0
soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = libcinstall.so.0 ]; then ok api.soname; else fail api.soname "soname is '$soname'"; fi

# Only cinstall_* is exported, all at the version node CINSTALL_0.
nm -D --defined-only "$so" > "$T/dynsyms"
others=$(awk '{ print $NF }' "$T/dynsyms" | grep -v '^CINSTALL_0$' | grep -v '^cinstall_[a-z0-9_]*@@CINSTALL_0$')
if [ -s "$T/dynsyms" ] && [ -z "$others" ]; then
	ok api.exports-only-cinstall
else
	fail api.exports-only-cinstall "other exported symbols: $(echo $others | head -c 300)"
fi
# No internal cinstall_<module>__<fn> leaks through the visibility.
inner=$(grep -o 'cinstall_[a-z0-9_]*__[a-z0-9_]*' "$T/dynsyms" || true)
if [ -z "$inner" ]; then ok api.no-internal-exports; else fail api.no-internal-exports "$(echo $inner)"; fi
# Every function the header declares is exported, and nothing it does not.
sed -n 's/^CINSTALL_API[^(]*[ *]\(cinstall_[a-z0-9_]*\)(.*/\1/p' "$TOP/include/cinstall.h" | sort -u > "$T/declared"
sed -n 's/.* T \(cinstall_[a-z0-9_]*\)@@CINSTALL_0$/\1/p' "$T/dynsyms" | sort -u > "$T/exported"
if [ "$(wc -l < "$T/declared")" -ge 20 ] && cmp -s "$T/declared" "$T/exported"; then
	ok api.exports-match-header
else
	fail api.exports-match-header "declared but not exported: $(comm -23 "$T/declared" "$T/exported" | tr '\n' ' ')" \
		"exported but not declared: $(comm -13 "$T/declared" "$T/exported" | tr '\n' ' ')"
fi
# The static library defines no global symbol outside the cinstall_ (and
# vendored XXH_) namespace, so it links into any host (sanitizer
# instrumentation symbols aside).
nm -g --defined-only "$lib/libcinstall.a" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	grep -v '^cinstall_' | grep -v '^XXH' | grep -Ev '^__(odr_)?(asan|ubsan|tsan|sanitizer)' | sort -u > "$T/astray"
if [ ! -s "$T/astray" ]; then
	ok api.static-namespace
else
	fail api.static-namespace "global symbols without the cinstall_ prefix: $(head -10 "$T/astray" | tr '\n' ' ')"
fi

# --- pkg-config ------------------------------------------------------------
pc() { PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config "$@"; }
if ! command -v pkg-config >/dev/null 2>&1; then
	skip api.pkg-config "pkg-config is not installed (apt-get install pkg-config)"
	cflags="-I$root/usr/include" libs="-L$lib -lcinstall"
else
	# (echo: pkg-config ends its output with a space)
	cflags=$(echo $(pc --cflags cinstall)) libs=$(echo $(pc --libs cinstall))
	if [ "$(pc --modversion cinstall)" = 0.1.0 ] &&
		[ "$cflags" = "-I$root/usr/include" ] && [ "$libs" = "-L$lib -lcinstall" ]; then
		ok api.pkg-config
	else
		fail api.pkg-config "modversion '$(pc --modversion cinstall)', cflags '$cflags', libs '$libs'"
	fi
fi

# --- examples/embed.c against the installed library ------------------------
san=
[ -n "$SANITIZE" ] && san="-fsanitize=$SANITIZE"
embed=$T/embed
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Wextra -Werror $san -o "$embed" "$TOP/examples/embed.c" $cflags $libs 2> "$T/cc.log"; then
	ok api.embed-builds
else
	fail api.embed-builds "$(head -5 "$T/cc.log")"
fi
# It resolves libcinstall.so.0 to the installed copy, not the build tree.
resolved=$(LD_LIBRARY_PATH=$lib ldd "$embed" 2>/dev/null | awk '$1 == "libcinstall.so.0" { print $3 }')
if [ "$resolved" = "$lib/libcinstall.so.0" ]; then
	ok api.embed-links-installed
else
	fail api.embed-links-installed "libcinstall.so.0 resolves to '$resolved'"
fi

# The example wheel from examples/, and one that breaks its RECORD.
demo=$("$PYTHON" "$TOP/examples/demo_wheel.py" "$T/wheels")
"$PYTHON" - "$T/wheels" <<'EOF'
import sys, zipfile
out = sys.argv[1] + "/broken-1.0-py3-none-any.whl"
with zipfile.ZipFile(out, "w") as z:
    z.writestr("broken/__init__.py", "x = 1\n")
    z.writestr("broken-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    z.writestr("broken-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("broken-1.0.dist-info/RECORD",
               "broken/__init__.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,6\n"
               "broken-1.0.dist-info/METADATA,,\nbroken-1.0.dist-info/WHEEL,,\n"
               "broken-1.0.dist-info/RECORD,,\n")
EOF
broken=$T/wheels/broken-1.0-py3-none-any.whl

run_embed() { LD_LIBRARY_PATH=$lib "$embed" -c "$T/cache-embed" "$@"; }
out=$(run_embed -u "$demo" 2>&1)
entry=$(printf '%s\n' "$out" | sed -n 's/^unpacked .* -> //p')
if [ -n "$entry" ] && [ -f "$entry/MANIFEST" ] && [ -f "$entry/tree/cinstall_demo/__init__.py" ]; then
	ok api.embed-unpack
else
	fail api.embed-unpack "no cache entry with MANIFEST and tree/: $out"
fi

# The library opens the system's libarchive when it first reads a wheel
# (src/dl.h); only the command may have libarchive's zip reader linked in
# (src/zipstack/zipstack.c).  Without it, the library fails the unpack
# with a message naming the wheel and the library.
if [ "${DLOPEN:-1}" = 1 ]; then
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" LD_LIBRARY_PATH=$lib "$embed" -c "$T/cache-lazy" -u "$demo" \
		> "$T/lazy.out" 2>&1
	if cat "$T"/ld.* 2>/dev/null | grep -q 'file=libarchive\.so.*dynamically loaded by'; then
		ok api.embed-opens-libarchive
	else
		fail api.embed-opens-libarchive "no dlopen of libarchive.so: $(cat "$T/lazy.out")"
	fi
	rm -f "$T"/ld.*
	shim=$BUILD/test/shim/fault.so
	asan=$(asan_runtime)
	out=$(LD_PRELOAD="${asan:+$asan:}$shim" FAULT_CALL=dlopen FAULT_MATCH=libarchive.so FAULT_REPORT="$T/faults" \
		LD_LIBRARY_PATH=$lib "$embed" -c "$T/cache-nolib" -u "$demo" 2>&1)
	rc=$?
	if [ ! -f "$shim" ]; then
		skip api.embed-without-libarchive "no fault shim at $shim (make unit builds it)"
	elif [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q "cinstall_demo-.*\.whl: cannot read it: 'libarchive\.so[.0-9]*' cannot be loaded" &&
		[ -z "$(find "$T/cache-nolib" -name MANIFEST 2>/dev/null)" ]; then
		ok api.embed-without-libarchive
	else
		fail api.embed-without-libarchive "rc $rc: $out"
	fi
fi

"$PYTHON" -m venv --without-pip "$T/venv-c"
site_c=$(echo "$T"/venv-c/lib/python3*/site-packages)
out=$(run_embed -m hardlink "$T/venv-c" "$demo" 2>&1)
if printf '%s\n' "$out" | grep -q '^installed cinstall[-_]demo 1.0 (hardlink' &&
	[ -x "$T/venv-c/bin/cinstall-demo" ] &&
	[ "$("$T/venv-c/bin/python" -c 'import cinstall_demo; print(cinstall_demo.greeting("c"))')" = \
		"hello, c, from cinstall_demo 1.0" ]; then
	ok api.embed-install
else
	fail api.embed-install "$out"
fi
# Hard links into the cache entry the example unpacked above.
if [ -n "$entry" ] && [ "$(stat -c %i "$site_c/cinstall_demo/__init__.py" 2>/dev/null)" = \
	"$(stat -c %i "$entry/tree/cinstall_demo/__init__.py")" ]; then
	ok api.embed-hardlinked-from-cache
else
	fail api.embed-hardlinked-from-cache "site-packages/cinstall_demo/__init__.py is not the cache's inode"
fi
out=$(run_embed "$T/venv-c" "$demo" 2>&1)
if printf '%s\n' "$out" | grep -q '^unchanged cinstall[-_]demo 1.0'; then
	ok api.embed-reinstall-unchanged
else
	fail api.embed-reinstall-unchanged "$out"
fi
out=$(run_embed "$T/venv-c" "$broken" 2>&1); rc=$?
if [ $rc -ne 1 ]; then
	fail api.embed-bad-wheel "exit $rc, expected 1: $out"
elif ! printf '%s\n' "$out" | grep -q "^embed: broken-1.0-py3-none-any.whl: 'broken/__init__.py'.*sha256"; then
	fail api.embed-bad-wheel "the message does not name the wheel, the file and sha256: $out"
elif [ -e "$site_c/broken" ] || [ -n "$(ls -d "$site_c"/broken-1.0.dist-info 2>/dev/null)" ]; then
	fail api.embed-bad-wheel "the refused wheel left files in site-packages"
else
	ok api.embed-bad-wheel
fi

# --- the static library with pkg-config --static ----------------------------
# `pkg-config --static` names what libcinstall.a needs; link those shared
# (the static closure of libarchive needs -dev packages nobody has).  The
# default build opens libarchive, libzip and libcrypto itself when first
# needed (src/dl.h): then they are not linked, and -ldl is; `make DLOPEN=0`
# links them.
if command -v pkg-config >/dev/null 2>&1; then
	slibs=" $(pc --static --libs cinstall) "
	has() { case $slibs in *" $1 "*) return 0 ;; esac; return 1; }
	if ldd "$CINSTALL" | grep -q 'libarchive\.so'; then
		if has -larchive && has -lzip && has -lcrypto && has -pthread; then
			ok api.pkg-config-static
		else
			fail api.pkg-config-static "--static --libs lacks -larchive, -lzip, -lcrypto or -pthread: $slibs"
		fi
	elif has -larchive || has -lzip || has -lcrypto; then
		fail api.pkg-config-static "--static --libs links what is loaded lazily: $slibs"
	elif has -ldl && has -pthread; then
		ok api.pkg-config-static
	else
		fail api.pkg-config-static "--static --libs lacks -ldl or -pthread: $slibs"
	fi
	# Linked shared, as said above: --static would want libacl.a and the like.
	if ldd "$CINSTALL" | grep -q 'libarchive\.so'; then
		deps=$(pkg-config --libs libarchive libzip libcrypto)
	else
		deps="-ldl"
	fi
	# shellcheck disable=SC2086
	if cc -std=c11 $san -o "$T/embed-static" "$TOP/examples/embed.c" $cflags "$lib/libcinstall.a" $deps -pthread 2> "$T/cc.log" &&
		! ldd "$T/embed-static" | grep -q libcinstall &&
		"$T/embed-static" -c "$T/cache-static" -u "$demo" > "$T/static.out" 2>&1; then
		ok api.embed-static
	else
		fail api.embed-static "$(head -5 "$T/cc.log") $(head -3 "$T/static.out" 2>/dev/null)"
	fi
fi

# --- the ctypes binding, from /usr/bin/python3 -------------------------------
pyenv=
case $SANITIZE in
*thread*) pyenv=skip:"a Python process cannot load a ThreadSanitizer-built libcinstall" ;;
*address*)
	asan=$(cc -print-file-name=libasan.so)
	if [ -f "$asan" ]; then
		pyenv="LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0"
	else
		pyenv=skip:"libasan.so not found to preload into Python"
	fi
	;;
esac
case $pyenv in
skip:*)
	skip api.ctypes "${pyenv#skip:}"
	;;
*)
	"$PYTHON" -m venv --without-pip "$T/venv-py"
	# shellcheck disable=SC2086
	env $pyenv CINSTALL_LIB="$BUILD/libcinstall.so.0" PYTHONPATH="$TOP/examples/python" \
		"$PYTHON" - "$T/venv-py" "$demo" "$broken" "$T/cache-py" > "$T/py.out" 2> "$T/py.err" <<'EOF'
import os, sys
import cinstall_ctypes as ci

venv, demo, broken, cache = sys.argv[1:5]
def ok(n): print("ok api.ctypes-" + n)
def fail(n, why): print("FAIL api.ctypes-%s: %s" % (n, why))

logs, progress = [], []
with ci.Context(cache_dir=cache, log=lambda lv, m: logs.append((lv, m)),
                progress=lambda *a: progress.append(a)) as ctx:
    if ci.version() == "0.1.0" and ctx.cache_dir == cache:
        ok("load")
    else:
        fail("load", "version %r, cache %r" % (ci.version(), ctx.cache_dir))
    rep = ctx.install([demo], python=venv, link_mode="copy")
    r = rep.results[0] if len(rep.results) == 1 else None
    site = [os.path.join(venv, "lib", d, "site-packages")
            for d in os.listdir(os.path.join(venv, "lib"))][0]
    if r and r.action == "installed" and r.version == "1.0" and r.link_mode == "copy" \
            and r.files > 0 and os.path.isfile(os.path.join(site, "cinstall_demo", "cli.py")) \
            and os.access(os.path.join(venv, "bin", "cinstall-demo"), os.X_OK):
        ok("install")
    else:
        fail("install", repr(rep))
    if progress and progress[-1][3] >= 1:
        ok("progress-callback")
    else:
        fail("progress-callback", "no progress reported: %r" % progress[-3:])
    try:
        ctx.install([broken], python=venv)
        fail("bad-wheel", "installing a wheel whose RECORD lies succeeded")
    except ci.CinstallError as e:
        msg = ctx.error_message
        if e.code == -6 and e.name == "CINSTALL_ERECORD" and e.message == msg \
                and "broken-1.0-py3-none-any.whl" in msg and "broken/__init__.py" in msg:
            ok("bad-wheel")
        else:
            fail("bad-wheel", "code %d, message %r" % (e.code, msg))
    if not os.path.exists(os.path.join(site, "broken")):
        ok("bad-wheel-no-trace")
    else:
        fail("bad-wheel-no-trace", "site-packages/broken exists")
    rep = ctx.uninstall(["cinstall-demo"], python=venv)
    if [r.action for r in rep.results] == ["uninstalled"] \
            and not os.path.exists(os.path.join(site, "cinstall_demo")):
        ok("uninstall")
    else:
        fail("uninstall", repr(rep))
    st = ctx.cache_info()
    if st.entries == 1 and ctx.cache_verify() == 0:
        ok("cache")
    else:
        fail("cache", repr(st))
EOF
	rc=$?
	cat "$T/py.out"
	if [ $rc -ne 0 ] || ! grep -q '^ok api.ctypes-load' "$T/py.out"; then
		fail api.ctypes "python exited $rc: $(tail -5 "$T/py.err")"
	fi
	# The binding as a command: the library's message reaches the user.
	# shellcheck disable=SC2086
	expect_error api.ctypes-cli-bad-wheel 1 \
		"^error: broken-1.0-py3-none-any.whl: 'broken/__init__.py': sha256 does not match RECORD.*\(CINSTALL_ERECORD\)" \
		env $pyenv "$PYTHON" "$TOP/examples/python/cinstall_ctypes.py" --lib "$BUILD/libcinstall.so.0" \
		--cache-dir "$T/cache-py" install "$T/venv-py" "$broken"
	# The venv's own python runs what the binding installed.
	if [ "$("$T/venv-py/bin/python" -c 'import sys; print(sys.prefix)')" = "$T/venv-py" ]; then
		ok api.ctypes-venv-sane
	else
		fail api.ctypes-venv-sane "the environment's python does not run"
	fi
	;;
esac

# --- man pages -----------------------------------------------------------------
if ! command -v mandoc >/dev/null 2>&1; then
	skip api.man-lint "mandoc is not installed (apt-get install mandoc)"
else
	for m in man/cinstall.1 man/libcinstall.3; do
		if out=$(mandoc -Tlint -Wwarning "$TOP/$m" 2>&1); then
			ok "api.man-lint-$(basename "$m")"
		else
			fail "api.man-lint-$(basename "$m")" "$(printf '%s' "$out" | head -5)"
		fi
	done
fi
