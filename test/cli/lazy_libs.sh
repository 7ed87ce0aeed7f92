#!/bin/sh
# test/cli/lazy_libs.sh - libarchive and libzip are loaded when a wheel is
# first read, libcrypto when a SHA-2 digest is first computed (src/dl.h),
# not at start: a cold install loads all three, a warm one into an
# environment at a path seen before none (its generated files' digests are
# in the cache entry's DIGESTS: src/digests.h); a library that cannot be
# loaded fails the install that needs it with a message naming the wheel
# and the library, leaving the environment and the cache as they were,
# while a warm install that needs none still works.  A command built with
# libarchive's zip reader linked in (LIBARCHIVE=static, the default:
# src/zipstack/zipstack.c) never opens libarchive.so (the library's own
# opening of it is checked by api.sh).
. "$TOP/test/lib.sh"

if ldd "$CINSTALL" 2>/dev/null | grep -q 'libarchive\.so'; then
	skip lazy_libs.sh "this build links libarchive directly (make DLOPEN=0): nothing is loaded lazily"
	exit 0
fi
if [ "${LIBARCHIVE:-static}" = static ]; then
	lazy="libzip libcrypto"
	if nm "$CINSTALL" 2>/dev/null | grep -q ' cinstall_zipstack__archive$'; then
		ok lazy_zip_reader_linked_in
	else
		fail lazy_zip_reader_linked_in "LIBARCHIVE=static, but $CINSTALL has no cinstall_zipstack__archive"
	fi
else
	lazy="libarchive libzip libcrypto"
fi
venv_or_skip lazy_libs.sh "$T/venv" || exit 0
V=$T/venv
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
A=$FIXTURES/simple-1.0-py3-none-any.whl
B=$FIXTURES/eppkg-1.0-py3-none-any.whl
pre=$(asan_runtime)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Which shared objects a command loads, as the dynamic loader reports them.
loads() {
	out=$1; shift
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" "$@" > /dev/null 2> "$T/err"
	rc=$?
	cat "$T"/ld.* > "$out" 2>/dev/null
	rm -f "$T"/ld.*
	return $rc
}

# Cold: all three are loaded (libarchive unless linked in), after start
# (dlopen), and the wheel is installed.
if loads "$T/cold" "$CINSTALL" install --python "$V" "$A"; then
	missed=
	for lib in $lazy; do
		grep -q "file=$lib\\.so.*dynamically loaded by" "$T/cold" || missed="$missed $lib"
	done
	if ! grep -q 'file=' "$T/cold"; then
		skip lazy_cold_loads_all "the dynamic loader wrote nothing for LD_DEBUG=files (not glibc's?)"
	elif [ -n "$missed" ]; then
		fail lazy_cold_loads_all "no dlopen of$missed in: $(grep -o 'file=[^ ]*' "$T/cold" | sort -u | tr '\n' ' ')"
	elif [ "$lazy" = "libzip libcrypto" ] && grep -q 'file=libarchive\.so' "$T/cold"; then
		fail lazy_cold_loads_all "libarchive.so loaded, though its zip reader is linked in"
	else
		ok lazy_cold_loads_all
	fi
else
	fail lazy_cold_loads_all "the cold install failed: $(cat "$T/err")"
fi

# Warm, into the same environment: none is loaded.
"$CINSTALL" uninstall --python "$V" simple > /dev/null 2>&1
if loads "$T/warm" "$CINSTALL" install --python "$V" "$A" && [ -f "$SP/simple-1.0.dist-info/RECORD" ]; then
	if ! grep -q 'file=' "$T/warm"; then
		skip lazy_warm_loads_none "the dynamic loader wrote nothing for LD_DEBUG=files (not glibc's?)"
	elif grep -q 'file=lib\(archive\|zip\|crypto\)\.so' "$T/warm"; then
		fail lazy_warm_loads_none "$(grep -o 'file=lib\(archive\|zip\|crypto\)[^ ]*' "$T/warm" | sort -u | tr '\n' ' ')"
	else
		ok lazy_warm_loads_none
	fi
else
	fail lazy_warm_loads_none "the warm install failed: $(cat "$T/err")"
fi

# A library that cannot be loaded.
SHIM=$BUILD/test/shim/fault.so
if [ ! -f "$SHIM" ]; then
	skip lazy_missing "no fault shim at $SHIM (make unit builds it)"
	exit 0
fi
for lib in $lazy; do
	case $lib in
	libcrypto) task="compute SHA-2 digests" ;;
	*) task="read it" ;;
	esac
	rm -f "$T/faults"
	before_sp=$(tree_digest "$SP")
	before_cache=$(cd "$CINSTALL_CACHE_DIR" && find . | sort | md5sum)
	LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=dlopen FAULT_MATCH="$lib.so" FAULT_REPORT="$T/faults" \
		"$CINSTALL" install --python "$V" "$B" > "$T/out" 2> "$T/err"
	rc=$?
	if [ ! -s "$T/faults" ]; then
		fail "lazy_missing_$lib" "no fault was injected (rc $rc): $(cat "$T/err")"
	elif [ "$rc" -ne 1 ]; then
		fail "lazy_missing_$lib" "exit status $rc without $lib, not 1 (cinstall(1): an error not listed)"
	elif ! grep -q "eppkg-1.0-py3-none-any.whl: cannot $task: '$lib\.so[.0-9]*' cannot be loaded (.*$lib\.so[.0-9]*: cannot open shared object file" "$T/err"; then
		fail "lazy_missing_$lib" "message: $(cat "$T/err")"
	elif [ "$(tree_digest "$SP")" != "$before_sp" ]; then
		fail "lazy_missing_$lib" "site-packages changed"
	elif [ "$(cd "$CINSTALL_CACHE_DIR" && find . | sort | md5sum)" != "$before_cache" ]; then
		fail "lazy_missing_$lib" "the cache changed: $(cd "$CINSTALL_CACHE_DIR" && find . | sort | head -20 | tr '\n' ' ')"
	else
		ok "lazy_missing_$lib"
	fi
done

# libarchive's zip reader linked in: a cold install without libarchive.so.
if [ "$lazy" = "libzip libcrypto" ]; then
	rm -f "$T/faults"
	before_sp=$(tree_digest "$SP")
	if LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=dlopen FAULT_MATCH=libarchive.so FAULT_REPORT="$T/faults" \
		"$CINSTALL" install --python "$V" "$B" > "$T/out" 2> "$T/err" &&
		[ -f "$SP/eppkg-1.0.dist-info/RECORD" ] && [ ! -s "$T/faults" ]; then
		ok lazy_linked_in_without_libarchive
	else
		fail lazy_linked_in_without_libarchive "$(cat "$T/err") $(cat "$T/faults" 2>/dev/null)"
	fi
	"$CINSTALL" uninstall --python "$V" eppkg > /dev/null 2>&1
fi

# Without any of them, a wheel already in the cache still installs into an
# environment at a path it was installed into before.
"$CINSTALL" uninstall --python "$V" simple > /dev/null 2>&1
rm -f "$T/faults"
if LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=dlopen FAULT_MATCH=lib FAULT_REPORT="$T/faults" \
	"$CINSTALL" install --python "$V" "$A" > /dev/null 2> "$T/err" &&
	[ -f "$SP/simple-1.0.dist-info/RECORD" ] && [ ! -s "$T/faults" ]; then
	ok lazy_warm_without_libs
else
	fail lazy_warm_without_libs "$(cat "$T/err") $(cat "$T/faults" 2>/dev/null)"
fi

# A warm install into an environment at a new path generates new bytes
# (the launchers' "#!" names its interpreter): it needs libcrypto, fails
# cleanly without it, and once it has run, the same path needs it no more.
# The digests kept are those of the bytes on disk.
"$CINSTALL" install --python "$V" "$B" > /dev/null 2> "$T/err" || fail lazy_new_path "cold install of eppkg: $(cat "$T/err")"
if ! "$PYTHON" -m venv --without-pip "$T/venv2" 2> "$T/venv.err"; then
	fail lazy_new_path "cannot create a second venv: $(head -1 "$T/venv.err")"
	exit 0
fi
V2=$T/venv2
SP2=$("$V2/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
before_v2=$(tree_digest "$V2")
rm -f "$T/faults"
LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=dlopen FAULT_MATCH=libcrypto.so FAULT_REPORT="$T/faults" \
	"$CINSTALL" install --python "$V2" "$B" > "$T/out" 2> "$T/err"
rc=$?
if [ ! -s "$T/faults" ]; then
	fail lazy_new_path_needs_libcrypto "no fault was injected (rc $rc): $(cat "$T/err")"
elif [ "$rc" -ne 1 ] || ! grep -q "eppkg-1.0-py3-none-any.whl: cannot compute SHA-2 digests: 'libcrypto\.so" "$T/err"; then
	fail lazy_new_path_needs_libcrypto "rc $rc: $(cat "$T/err")"
elif [ "$(tree_digest "$V2")" != "$before_v2" ]; then
	fail lazy_new_path_needs_libcrypto "the environment changed"
else
	ok lazy_new_path_needs_libcrypto
fi
"$CINSTALL" install --python "$V2" "$B" > /dev/null 2> "$T/err" || fail lazy_new_path "with libcrypto: $(cat "$T/err")"
"$CINSTALL" uninstall --python "$V2" eppkg > /dev/null 2>&1
rm -f "$T/faults"
if LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=dlopen FAULT_MATCH=lib FAULT_REPORT="$T/faults" \
	"$CINSTALL" install --python "$V2" "$B" > /dev/null 2> "$T/err" && [ ! -s "$T/faults" ] &&
	"$PYTHON" - "$SP2" "$SP2/eppkg-1.0.dist-info/RECORD" <<'PY'
import base64, csv, hashlib, os, sys
sp, rec = sys.argv[1:]
rows = list(csv.reader(open(rec, newline="")))
scripts = [p for p, h, s in rows if p.startswith("../../../bin/")]
assert len(scripts) == 3, scripts
for p, h, s in rows:
    if p.endswith(".dist-info/RECORD"):
        continue
    data = open(os.path.normpath(os.path.join(sp, p)), "rb").read()
    want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert (h, int(s)) == (want, len(data)), (p, h, want)
PY
then
	ok lazy_new_path_then_known
else
	fail lazy_new_path_then_known "rc $?: $(cat "$T/err") $(cat "$T/faults" 2>/dev/null)"
fi
