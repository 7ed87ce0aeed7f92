#!/bin/sh
# test/cli/split.sh - one large wheel split over threads (-j2, -j4), its
# unpacking and its placing, gives what one thread gives: the same venv
# tree, RECORD, cache MANIFEST, cache objects and report, in hardlink and
# copy mode; a hostile large wheel fails with the same message; a file that
# cannot be placed while the threads place leaves the venv as it was.
. "$TOP/test/lib.sh"

# A wheel of 3,000 files in 60 directories (some duplicates, some empty,
# some executable), made here, deterministic.
"$PYTHON" - "$T/splitpkg-1.0-py3-none-any.whl" "$T/splitbad-1.0-py3-none-any.whl" <<'EOF' || { fail split_make_wheel "python failed"; exit 1; }
import base64, hashlib, sys, zipfile

def make(path, name, corrupt):
    files = []
    for i in range(3000):
        d = f"{name}/d{i % 60:02d}/s{(i // 60) % 3}"
        body = (f"# file {i}\n" + "x = %d\n" % i * (i % 50)).encode() if i % 7 else b"same\n"
        if i % 97 == 0:
            body = b""
        files.append((f"{d}/m{i}.py", body, 0o755 if i % 11 == 0 else 0o644))
    di = f"{name}-1.0.dist-info"
    files.append((f"{di}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n".encode(), 0o644))
    files.append((f"{di}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n", 0o644))
    rows = []
    for p, b, _ in files:
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        if corrupt and p.endswith("/m2500.py"):
            h = "A" * 43
        rows.append(f"{p},sha256={h},{len(b)}")
    rows.append(f"{di}/RECORD,,")
    files.append((f"{di}/RECORD", ("\n".join(rows) + "\n").encode(), 0o644))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, b, mode in files:
            zi = zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0))
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, b)

make(sys.argv[1], "splitpkg", False)
make(sys.argv[2], "splitbad", True)
EOF
W=$T/splitpkg-1.0-py3-none-any.whl
BAD=$T/splitbad-1.0-py3-none-any.whl

# digest DIR: every file and directory under DIR (path, kind, mode, size, sha256).
digest() {
	"$PYTHON" - "$1" <<'EOF'
import hashlib, os, sys
root = sys.argv[1]
for d, dirs, files in sorted(os.walk(root)):
    dirs.sort()
    for n in sorted(files):
        p = os.path.join(d, n)
        st = os.lstat(p)
        print(os.path.relpath(p, root), oct(st.st_mode), st.st_size, hashlib.sha256(open(p, "rb").read()).hexdigest())
    print(os.path.relpath(d, root), "dir", oct(os.lstat(d).st_mode))
EOF
}

# The cache entry's MANIFEST, without its seal (a time) and its checksum.
manifest() {
	grep -v -e '^sealed ' -e '^end ' "$1"/v1/wheels/*/MANIFEST
}

"$PYTHON" -m venv --without-pip "$T/v1" || { fail split_venv "cannot make a venv"; exit 1; }
CINSTALL_CACHE_DIR=$T/c1 "$CINSTALL" install -j1 --json --python "$T/v1" --link-mode=hardlink "$W" > "$T/r1.json" 2> "$T/e1" ||
	fail split_install_j1 "$(cat "$T/e1")"
digest "$T/v1/lib" > "$T/d1"
manifest "$T/c1" > "$T/m1"
(cd "$T/c1/v1/objects" && find . -type f | sort) > "$T/o1"
(cd "$T/c1/v1/wheels" && find . -type f -links +2 | sort) > "$T/l1"
[ "$(wc -l < "$T/m1")" -gt 3000 ] && ok split_manifest_j1 || fail split_manifest_j1 "short MANIFEST"

for j in 2 4; do
	"$PYTHON" -m venv --without-pip "$T/v$j"
	# SPLIT_MIN: split although the wheel is under 1 MiB (not split by default).
	CINSTALL_SPLIT_MIN=200 CINSTALL_CACHE_DIR=$T/c$j "$CINSTALL" install -v -v -j$j --json --python "$T/v$j" \
		--link-mode=hardlink "$W" > "$T/r$j.json" 2> "$T/e$j" || fail "split_install_j$j" "$(tail -3 "$T/e$j")"
	if grep -q "3003 files split over $j threads" "$T/e$j" && ! grep -q "again on one thread" "$T/e$j"; then
		ok "split_j${j}_split"
	else
		fail "split_j${j}_split" "no split, or it fell back to one thread: $(grep -i split "$T/e$j" | head -2)"
	fi
	# Placed by the threads too: every file but the first (it decides the
	# link mode); RECORD is written anew, not placed.
	if grep -q "3001 files placed by $j threads" "$T/e$j"; then ok "split_j${j}_placed_split"; else
		fail "split_j${j}_placed_split" "not placed by threads: $(grep -i 'placed by' "$T/e$j" | head -2)"; fi
	digest "$T/v$j/lib" > "$T/d$j"
	if cmp -s "$T/d1" "$T/d$j"; then ok "split_j${j}_same_tree"; else
		fail "split_j${j}_same_tree" "$(diff "$T/d1" "$T/d$j" | head -5)"; fi
	# Shared with the cache by the threads too: the same objects, each
	# file of the entry linked to one as with one thread.
	if grep -q "files shared with the cache by $j threads" "$T/e$j"; then ok "split_j${j}_shared_split"; else
		fail "split_j${j}_shared_split" "not shared by threads: $(grep -i 'shared' "$T/e$j" | head -2)"; fi
	(cd "$T/c$j/v1/objects" && find . -type f | sort) > "$T/o$j"
	(cd "$T/c$j/v1/wheels" && find . -type f -links +2 | sort) > "$T/l$j"
	if [ -s "$T/o$j" ] && [ -s "$T/l$j" ] && cmp -s "$T/o1" "$T/o$j" && cmp -s "$T/l1" "$T/l$j" && ! ls "$T/c$j"/v1/wheels/*/*.tmp 2>/dev/null; then
		ok "split_j${j}_same_objects"
	else
		fail "split_j${j}_same_objects" "$(wc -l < "$T/o1") objects and $(wc -l < "$T/l1") linked with one thread, $(wc -l < "$T/o$j") and $(wc -l < "$T/l$j") with $j"
	fi
	manifest "$T/c$j" > "$T/m$j"
	if cmp -s "$T/m1" "$T/m$j"; then ok "split_j${j}_same_manifest"; else
		fail "split_j${j}_same_manifest" "$(diff "$T/m1" "$T/m$j" | head -5)"; fi
	# The report, but for the time it took and the paths of the venv.
	sed -e 's/"elapsed_ms": *[0-9.]*//g' -e "s|/v$j|/v1|g" -e "s|/c$j|/c1|g" "$T/r$j.json" > "$T/rr$j"
	sed -e 's/"elapsed_ms": *[0-9.]*//g' "$T/r1.json" > "$T/rr1"
	if cmp -s "$T/rr1" "$T/rr$j"; then ok "split_j${j}_same_report"; else
		fail "split_j${j}_same_report" "$(diff "$T/rr1" "$T/rr$j" | head -5)"; fi
done

# The wheel's SHA-256 in direct_url.json (hashed beside the split unpack
# with -jN, in line with -j1).
want=$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$W")
for j in 1 2 4; do
	if grep -q "sha256=$want" "$T"/v$j/lib/python*/site-packages/splitpkg-1.0.dist-info/direct_url.json &&
		grep -q "^wheel-sha256 $want" "$T"/c$j/v1/wheels/*/MANIFEST; then
		ok "split_j${j}_wheel_sha256"
	else
		fail "split_j${j}_wheel_sha256" "want $want: $(cat "$T"/v$j/lib/python*/site-packages/splitpkg-1.0.dist-info/direct_url.json)"
	fi
done

# A wheel under 1 MiB is split only when no other wheel is being unpacked,
# from 64 KiB and 32 files a thread: alone at -j2 by default, the same
# tree (direct_url.json's SHA-256 included, hashed beside) as -j1 gives;
# a wheel of 100 files under 64 KiB is not split.
"$PYTHON" - "$T/tinymany-1.0-py3-none-any.whl" <<'PYEOF' || fail split_alone_make_wheel "python failed"
import base64, hashlib, sys, zipfile
files = [(f"tinymany/m{i}.py", b"x = %d\n" % i) for i in range(100)]
di = "tinymany-1.0.dist-info"
files.append((f"{di}/METADATA", b"Metadata-Version: 2.1\nName: tinymany\nVersion: 1.0\n\n"))
files.append((f"{di}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
rows = [f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}" for p, b in files]
files.append((f"{di}/RECORD", ("\n".join(rows + [f"{di}/RECORD,,"]) + "\n").encode()))
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for p, b in files:
        z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), b)
PYEOF
"$PYTHON" -m venv --without-pip "$T/va"
for w in "$W" "$T/tinymany-1.0-py3-none-any.whl"; do
	CINSTALL_CACHE_DIR=$T/ca "$CINSTALL" install -v -v -j2 --python "$T/va" --link-mode=hardlink "$w" \
		> /dev/null 2>> "$T/ea" || fail split_alone_install "$(tail -3 "$T/ea")"
done
if [ "$(stat -c %s "$W")" -lt 1048576 ] && grep -q "splitpkg-1.0-py3-none-any.whl: 3003 files split over 2 threads" "$T/ea"; then
	ok split_alone_small_wheel_split
else
	fail split_alone_small_wheel_split "$(stat -c %s "$W") bytes: $(grep -i split "$T/ea" | head -2)"
fi
if grep -q "tinymany-1.0-py3-none-any.whl: .* split over" "$T/ea"; then
	fail split_alone_tiny_wheel_not_split "$(grep 'split over' "$T/ea")"
else
	ok split_alone_tiny_wheel_not_split
fi
digest "$T/va/lib" | grep -v tinymany > "$T/da"
if cmp -s "$T/d1" "$T/da"; then ok split_alone_same_tree; else
	fail split_alone_same_tree "$(diff "$T/d1" "$T/da" | head -5)"; fi

# Real wheels (Debian's, and ../shared/wheels when present), each split
# into parts of one file over two threads: the same MANIFEST as one
# thread gives, and no split falls back to one thread (the parts' streaming
# readers read every real wheel; see also the unit tests on the fixtures).
real=$(ls /usr/share/python-wheels/*.whl 2>/dev/null)
[ -n "$SHARED_WHEELS" ] && real="$real $(ls "$SHARED_WHEELS"/*.whl)"
if [ -z "$real" ]; then
	skip split_real_wheels "no real wheels (neither /usr/share/python-wheels nor ../shared/wheels)"
else
	n=0 same=0 splits=0 bad= unpacked=
	for w in $real; do
		n=$((n + 1))
		e1=$(CINSTALL_CACHE_DIR=$T/rw1 "$CINSTALL" unpack -q -j1 "$w" 2> /dev/null) || continue
		unpacked="$unpacked $w"
		e2=$(CINSTALL_SPLIT_MIN=1 CINSTALL_CACHE_DIR=$T/rw2 "$CINSTALL" unpack -v -v -j2 "$w" 2> "$T/rwe") ||
			{ bad="$bad $(basename "$w") (failed split)"; continue; }
		grep -q "split over 2 threads" "$T/rwe" && splits=$((splits + 1))
		if grep -q "again on one thread" "$T/rwe"; then bad="$bad $(basename "$w") (fell back)"; continue; fi
		if [ "$(grep -v -e '^sealed ' -e '^end ' "$e1/MANIFEST")" = "$(grep -v -e '^sealed ' -e '^end ' "$e2/MANIFEST")" ]; then
			same=$((same + 1))
		else
			bad="$bad $(basename "$w") (MANIFEST differs)"
		fi
	done
	if [ -z "$bad" ] && [ "$splits" -gt $((n / 2)) ]; then
		ok "split_real_wheels ($same of $n the same, $splits split)"
	else
		fail split_real_wheels "$splits of $n split;$bad"
	fi
	# The same wheels in one command on two threads (a wheel a thread,
	# none split): all unpacked, the cache verifies.  CI runs this file
	# under ThreadSanitizer too, where a race fails the command.
	# shellcheck disable=SC2086
	if CINSTALL_CACHE_DIR=$T/rwm "$CINSTALL" unpack -q -j2 $unpacked > /dev/null 2> "$T/rwme" &&
		CINSTALL_CACHE_DIR=$T/rwm "$CINSTALL" cache verify > /dev/null 2>> "$T/rwme"; then
		ok split_real_wheels_together
	else
		fail split_real_wheels_together "$(grep -v '^cinstall: warning' "$T/rwme" | head -5)"
	fi
fi

# A bad file late in the wheel: the same message whatever the threads.
for j in 1 2 4; do
	"$PYTHON" -m venv --without-pip "$T/b$j"
	CINSTALL_SPLIT_MIN=200 CINSTALL_CACHE_DIR=$T/bc$j "$CINSTALL" install -q -j$j --python "$T/b$j" "$BAD" \
		> /dev/null 2> "$T/be$j"
	echo "exit $?" >> "$T/be$j"
done
if grep -q "'splitbad/d40/s2/m2500.py': sha256 does not match RECORD" "$T/be1" && grep -q "exit [1-9]" "$T/be1"; then
	ok split_bad_j1_refused
else
	fail split_bad_j1_refused "$(cat "$T/be1")"
fi
for j in 2 4; do
	if cmp -s "$T/be1" "$T/be$j"; then ok "split_bad_j${j}_same_error"; else
		fail "split_bad_j${j}_same_error" "$(cat "$T/be$j")"; fi
done

# Copy mode split the same way gives the same tree (the per-directory copy
# locks shared by the threads).
for j in 1 2; do
	"$PYTHON" -m venv --without-pip "$T/cv$j"
	CINSTALL_SPLIT_MIN=200 CINSTALL_CACHE_DIR=$T/c1 "$CINSTALL" install -v -v -j$j --python "$T/cv$j" \
		--link-mode=copy --strict-link-mode "$W" > /dev/null 2> "$T/ce$j" || fail "split_copy_j$j" "$(tail -3 "$T/ce$j")"
	digest "$T/cv$j/lib" > "$T/cd$j"
done
if grep -q "files placed by 2 threads" "$T/ce2" && cmp -s "$T/cd1" "$T/cd2" && cmp -s "$T/d1" "$T/cd1"; then
	ok split_copy_same_tree
else
	fail split_copy_same_tree "$(grep -c 'placed by' "$T/ce2") split, $(diff "$T/cd1" "$T/cd2" | head -3)"
fi
# Copies, not links: the placed files are not the cache's inodes.
f=splitpkg/d07/s0/m7.py
if [ "$(stat -c %h "$T/cv2/lib/python"*/site-packages/$f)" = 1 ]; then ok split_copy_own_inode; else
	fail split_copy_own_inode "link count $(stat -c %h "$T/cv2/lib/python"*/site-packages/$f)"; fi

# A failure while the threads place (the 1,500th link into the venv, EIO
# or ENOSPC): a clear error naming the file, exit 4 (I/O), every file
# placed so far removed, the venv as it was.
SHIM=$BUILD/test/shim/fault.so
if [ ! -f "$SHIM" ]; then
	skip split_place_fault "no fault shim at $SHIM (make unit builds it)"
else
	pre=$(asan_runtime)
	for e in EIO ENOSPC; do
		"$PYTHON" -m venv --without-pip "$T/f$e"
		before=$(tree_digest "$T/f$e")
		LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=link,linkat FAULT_ERRNO=$e FAULT_AFTER=1500 FAULT_COUNT=1 \
			FAULT_MATCH=/f$e/ CINSTALL_SPLIT_MIN=200 CINSTALL_CACHE_DIR=$T/c1 \
			"$CINSTALL" install -v -v -j2 --python "$T/f$e" --link-mode=hardlink "$W" > /dev/null 2> "$T/fe$e"
		rc=$?
		if [ "$rc" -eq 4 ] && grep -q "placed by 2 threads" "$T/fe$e" &&
		   grep -q "splitpkg-1.0-py3-none-any.whl: .*splitpkg/d[0-9]*/s[0-9]/m[0-9]*\.py" "$T/fe$e"; then
			ok "split_place_${e}_error"
		else
			fail "split_place_${e}_error" "exit $rc: $(grep -v '^cinstall: debug' "$T/fe$e" | tail -3)"
		fi
		if [ "$before" = "$(tree_digest "$T/f$e")" ]; then ok "split_place_${e}_venv_unchanged"; else
			fail "split_place_${e}_venv_unchanged" "$(find "$T/f$e" -newer "$T/f$e/pyvenv.cfg" | head -3)"; fi
	done
fi

# Wheels of 8 MiB or more are prepared first, alone (largest first), each
# split over the threads; then the others side by side.  The result and
# the error reported do not depend on it: the first wheel given that
# fails is the one named.
"$PYTHON" - "$T" <<'PYEOF' || { fail split_big_make_wheels "python failed"; exit 1; }
import base64, hashlib, sys, zipfile

def make(name, size, corrupt=False):
    di = f"{name}-1.0.dist-info"
    files = [(f"{name}/__init__.py", b"X = 1\n")]
    if size:
        files.append((f"{name}/blob.bin", hashlib.shake_256(name.encode()).digest(size)))
    files.append((f"{di}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n".encode()))
    files.append((f"{di}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    rows = []
    for p, b in files:
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        if corrupt and p.endswith("blob.bin"):
            h = "A" * 43
        rows.append(f"{p},sha256={h},{len(b)}")
    rows.append(f"{di}/RECORD,,")
    files.append((f"{di}/RECORD", ("\n".join(rows) + "\n").encode()))
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}-1.0-py3-none-any.whl", "w", zipfile.ZIP_STORED) as z:
        for p, b in files:
            z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), b)

make("smallone", 0)
make("bigone", 9 << 20)
make("bigtwo", 12 << 20)
make("bigbad", 9 << 20, corrupt=True)
PYEOF
for j in 1 2; do
	"$PYTHON" -m venv --without-pip "$T/big$j"
	CINSTALL_CACHE_DIR=$T/bigc$j "$CINSTALL" install -v -v -j$j --python "$T/big$j" \
		"$T/smallone-1.0-py3-none-any.whl" "$W" "$T/bigone-1.0-py3-none-any.whl" "$T/bigtwo-1.0-py3-none-any.whl" \
		> /dev/null 2> "$T/bige$j"
	rc=$?
	order=$(sed -n 's/^unpacked \([a-z]*\)-1.0-py3-none-any.whl into .*/\1/p' "$T/bige$j" | tr '\n' ' ')
	case $order in
	"bigtwo bigone "*) ok "split_big_first_j$j" ;;
	*) fail "split_big_first_j$j" "exit $rc, unpacked in the order: $order" ;;
	esac
	if [ "$rc" -eq 0 ] && "$T/big$j/bin/python" -c 'import smallone, bigone, bigtwo, splitpkg.d07' 2> "$T/bigi$j" &&
	   cmp -s "$T/big$j/lib/python"*/site-packages/bigtwo/blob.bin "$(ls -d "$T/bigc$j"/*/wheels/*/tree/bigtwo/blob.bin | head -1)"; then
		ok "split_big_first_j${j}_installed"
	else
		fail "split_big_first_j${j}_installed" "exit $rc: $(grep -v 'debug:' "$T/bige$j" | tail -3) $(tail -1 "$T/bigi$j")"
	fi
	# A wheel of a few big files is not split (once it was "5 files split
	# over 1 threads").  Its count comes from a first pass at -j2 (libzip's
	# check, which counts too, runs beside: src/unpack.c, unpack_tree).
	if grep -q "bigtwo-1.0-py3-none-any.whl: .* split over" "$T/bige$j"; then
		fail "split_big_few_files_j${j}_not_split" "$(grep 'split over' "$T/bige$j")"
	else
		ok "split_big_few_files_j${j}_not_split"
	fi
	"$PYTHON" -m venv --without-pip "$T/bigb$j"
	before=$(tree_digest "$T/bigb$j")
	expect_error "split_big_bad_j${j}_first_given_named" 3 \
		"^cinstall: error: splitbad-1.0-py3-none-any.whl: 'splitbad/d40/s2/m2500.py': sha256 does not match RECORD" \
		env CINSTALL_CACHE_DIR="$T/bigc$j" "$CINSTALL" install -q -j$j --python "$T/bigb$j" "$BAD" \
		"$T/bigbad-1.0-py3-none-any.whl"
	if [ "$before" = "$(tree_digest "$T/bigb$j")" ]; then ok "split_big_bad_j${j}_venv_unchanged"; else
		fail "split_big_bad_j${j}_venv_unchanged" "$(find "$T/bigb$j" -newer "$T/bigb$j/pyvenv.cfg" | head -3)"; fi
done
