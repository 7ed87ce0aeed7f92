#!/bin/sh
# test/cli/unpack.sh - 'cinstall unpack' and 'cinstall cache' as a user runs
# them: every hostile fixture refused with its exit code and message and the
# cache left byte for byte as it was; good fixtures and real wheels unpacked
# and verified; one entry per wheel whatever its name; concurrent processes;
# a process killed mid-unpack; damage found by 'cache verify'.
. "$TOP/test/lib.sh"

C=$CINSTALL_CACHE_DIR

# no_leftovers NAME: the cache has no work directories or locks left.
no_leftovers() {
	left=$(ls -A "$C/v1/tmp" "$C/v1/locks" 2>/dev/null | grep -v ':$' | grep -v '^$')
	if [ -n "$left" ]; then fail "$1" "leftovers in the cache: $left"; else ok "$1"; fi
}

if [ ! -f "$FIXTURES/hostile.tsv" ]; then
	fail unpack_fixtures "no $FIXTURES/hostile.tsv (fixtures/gen_wheels.py did not run)"
	exit 1
fi

# --- good fixtures ---------------------------------------------------------
good_ok=1
while IFS= read -r w; do
	if ! out=$("$CINSTALL" unpack "$FIXTURES/$w" 2>&1); then
		fail "unpack_good_$w" "$out"
		good_ok=0
	fi
done < "$FIXTURES/good.txt"
[ $good_ok = 1 ] && ok unpack_good_fixtures
check cache_verify_good "$CINSTALL" cache verify
no_leftovers unpack_good_no_leftovers

# Printed entries are directories with a tree and a MANIFEST.
entry=$("$CINSTALL" unpack "$FIXTURES/simple-1.0-py3-none-any.whl")
if [ -f "$entry/MANIFEST" ] && [ -f "$entry/tree/simple/__init__.py" ] && [ -f "$C/CACHEDIR.TAG" ]; then
	ok unpack_prints_entry
else
	fail unpack_prints_entry "'$entry' has no MANIFEST or tree"
fi

# --- hostile fixtures: refused, cache unchanged ------------------------------
# (a small cache, so that comparing it after each wheel stays quick)
"$CINSTALL" cache clean
"$CINSTALL" unpack "$FIXTURES/simple-1.0-py3-none-any.whl" > /dev/null
before=$(tree_digest "$C")
nh=0
while IFS='	' read -r w code re opts; do
	nh=$((nh + 1))
	# shellcheck disable=SC2086
	expect_error "unpack_hostile_$w" "$code" "$re" "$CINSTALL" unpack $opts "$FIXTURES/hostile/$w"
	after=$(tree_digest "$C")
	if [ "$before" != "$after" ]; then
		fail "unpack_hostile_cache_unchanged_$w" "the cache changed"
		printf '%s\n' "$before" > "$T/before"; printf '%s\n' "$after" > "$T/after"
		diff "$T/before" "$T/after" >&2
		before=$after
	fi
done < "$FIXTURES/hostile.tsv"
[ "$nh" -ge 30 ] && ok "unpack_hostile_count_$nh" || fail unpack_hostile_count "only $nh hostile fixtures"
[ "$(tree_digest "$C")" = "$before" ] && ok unpack_hostile_cache_unchanged || fail unpack_hostile_cache_unchanged "the cache changed"
no_leftovers unpack_hostile_no_leftovers

# The same fixtures through a split unpack (-j2, split down to one file per
# thread: a first pass, then a reader per thread): the same exit code and
# the same message as on one thread, and the cache unchanged.
nsame=0
while IFS='	' read -r w code re opts; do
	# shellcheck disable=SC2086
	out1=$("$CINSTALL" unpack -j1 $opts "$FIXTURES/hostile/$w" 2>&1); rc1=$?
	# shellcheck disable=SC2086
	out2=$(CINSTALL_SPLIT_MIN=1 "$CINSTALL" unpack -j2 $opts "$FIXTURES/hostile/$w" 2>&1); rc2=$?
	if [ "$rc1" != "$rc2" ] || [ "$out1" != "$out2" ]; then
		fail "unpack_hostile_split_same_$w" "-j1: exit $rc1: $out1 / split -j2: exit $rc2: $out2"
	else
		nsame=$((nsame + 1))
	fi
done < "$FIXTURES/hostile.tsv"
[ "$nsame" -eq "$nh" ] && ok "unpack_hostile_split_same_$nsame"
[ "$(tree_digest "$C")" = "$before" ] && ok unpack_hostile_split_cache_unchanged ||
	fail unpack_hostile_split_cache_unchanged "the cache changed"
no_leftovers unpack_hostile_split_no_leftovers

# A disk filling up mid-unpack: an I/O error, and the cache as it was.
# (The first file written is entry_points.txt: eppkg's modules hold the
# bytes of simple's, already objects of the cache, so they are links.)
# Under ASan the sanitizer runtime must come first in LD_PRELOAD.
SHIM=$BUILD/test/shim/fault.so
pre=$(asan_runtime)
if [ ! -f "$SHIM" ]; then
	skip unpack_enospc "no $SHIM (make unit builds it)"
else
	expect_error unpack_enospc 4 "eppkg-1.0-py3-none-any.whl: 'eppkg[^']*': cannot write: No space left on device" \
		env FAULT_CALL=write FAULT_ERRNO=ENOSPC FAULT_MATCH=/tree/ FAULT_REPORT="$T/faults" LD_PRELOAD="${pre:+$pre:}$SHIM" \
		"$CINSTALL" unpack "$FIXTURES/eppkg-1.0-py3-none-any.whl"
	[ -s "$T/faults" ] && ok unpack_enospc_fired || fail unpack_enospc_fired "no fault was injected"
	[ "$(tree_digest "$C")" = "$before" ] && ok unpack_enospc_cache_unchanged || fail unpack_enospc_cache_unchanged "the cache changed"
	no_leftovers unpack_enospc_no_leftovers
fi

# --- sloppy RECORDs: warnings by default, errors under --strict -------------
while IFS='	' read -r w re; do
	expect_error "unpack_strict_$w" 3 "$re.*strict mode" "$CINSTALL" unpack --strict "$FIXTURES/sloppy/$w"
	out=$("$CINSTALL" unpack "$FIXTURES/sloppy/$w" 2>&1); rc=$?
	if [ $rc -ne 0 ]; then
		fail "unpack_sloppy_$w" "exit $rc: $out"
	elif ! printf '%s\n' "$out" | grep -q "^warning: .*" || ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
		fail "unpack_sloppy_$w" "no warning matching /$re/: $out"
	else
		ok "unpack_sloppy_$w"
	fi
	# Once cached, --strict still refuses it.
	expect_error "unpack_strict_cached_$w" 3 "strict mode" "$CINSTALL" unpack --strict "$FIXTURES/sloppy/$w"
done < "$FIXTURES/sloppy.tsv"

# --- the same wheel under two names: one entry ------------------------------
cp "$FIXTURES/simple-1.0-py3-none-any.whl" "$T/simple-1.0-py2.py3-none-any.whl"
a=$("$CINSTALL" unpack "$FIXTURES/simple-1.0-py3-none-any.whl")
b=$("$CINSTALL" unpack "$T/simple-1.0-py2.py3-none-any.whl")
[ -n "$a" ] && [ "$a" = "$b" ] && ok unpack_same_bytes_one_entry || fail unpack_same_bytes_one_entry "'$a' != '$b'"
# ... but cached bytes under a name that is not theirs are still refused.
cp "$FIXTURES/simple-1.0-py3-none-any.whl" "$T/other-1.0-py3-none-any.whl"
expect_error unpack_cached_wrong_name 3 "other-1.0-py3-none-any.whl: 'simple-1.0.dist-info/METADATA': Name 'simple' does not match the file name \('other'\)" \
	"$CINSTALL" unpack "$T/other-1.0-py3-none-any.whl"

# --- real wheels -------------------------------------------------------------
ensurepip_dir=$("$PYTHON" -c 'import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled"))' 2>/dev/null)
real_wheels() {
	for d in "$SHARED_WHEELS" /usr/share/python-wheels "$ensurepip_dir"; do
		[ -n "$d" ] && [ -d "$d" ] && ls "$d"/*.whl 2>/dev/null
	done
}
if [ -z "$SHARED_WHEELS" ]; then
	skip unpack_shared_wheels "../shared/wheels is absent (read-only test data beside the checkout)"
fi
if [ ! -d /usr/share/python-wheels ]; then
	skip unpack_debian_wheels "/usr/share/python-wheels is absent (Debian's python3-pip-whl)"
fi
real_wheels > "$T/real.txt"
if [ -s "$T/real.txt" ]; then
	CINSTALL_CACHE_DIR=$T/real
	export CINSTALL_CACHE_DIR
	# shellcheck disable=SC2046
	if out=$("$CINSTALL" unpack -q $(cat "$T/real.txt") 2>&1 > "$T/real.out"); then
		ok "unpack_real_wheels_$(wc -l < "$T/real.txt")"
	else
		fail unpack_real_wheels "$(printf '%s' "$out" | head -5)"
	fi
	[ "$(wc -l < "$T/real.out")" -eq "$(wc -l < "$T/real.txt")" ] && ok unpack_real_one_line_each ||
		fail unpack_real_one_line_each "$(wc -l < "$T/real.out") lines for $(wc -l < "$T/real.txt") wheels"
	check cache_verify_real "$CINSTALL" cache verify
	CINSTALL_CACHE_DIR=$C
	export CINSTALL_CACHE_DIR
	rm -rf "$T/real"
fi

# --- a big wheel: concurrent processes, and a process killed midway ----------
"$PYTHON" - "$T/bigwheel-1.0-py3-none-any.whl" <<'EOF'
import base64, hashlib, os, random, sys, zipfile
rnd = random.Random(7)
rows = []
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as zf:
    def add(name, data):
        zi = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
        zi.external_attr = 0o644 << 16
        zf.writestr(zi, data)
        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append("%s,sha256=%s,%d" % (name, h, len(data)))
    for i in range(16):
        add("bigwheel/blob%02d.bin" % i, rnd.randbytes(2 << 20))
    for i in range(2000):
        add("bigwheel/small%04d.py" % i, ("X = %d\n" % i).encode())
    add("bigwheel-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: bigwheel\nVersion: 1.0\n")
    add("bigwheel-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    rows.append("bigwheel-1.0.dist-info/RECORD,,")
    zi = zipfile.ZipInfo("bigwheel-1.0.dist-info/RECORD", (2020, 1, 1, 0, 0, 0))
    zf.writestr(zi, "\n".join(rows) + "\n")
EOF
BIG=$T/bigwheel-1.0-py3-none-any.whl

# A process killed with SIGKILL while unpacking leaves no entry; the next
# run cleans up after it and succeeds.
killed=0
for attempt in 1 2 3; do
	"$CINSTALL" cache clean
	"$CINSTALL" unpack "$BIG" > /dev/null 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 2000 ] && ! ls "$C/v1/tmp/"*.lock > /dev/null 2>&1; do
		sleep 0.005
		i=$((i + 1))
	done
	sleep 0.05
	kill -9 $pid 2>/dev/null
	wait $pid
	if [ $? -eq 137 ]; then killed=1; break; fi
done
if [ $killed = 1 ]; then
	ok unpack_killed
	ls "$C/v1/wheels" | grep -q . && fail unpack_killed_no_entry "an entry was published" || ok unpack_killed_no_entry
	"$CINSTALL" cache info > "$T/info" && grep -q '^leftovers: [1-9]' "$T/info" && ok unpack_killed_leftover_seen ||
		fail unpack_killed_leftover_seen "$(cat "$T/info")"
	check unpack_after_kill "$CINSTALL" unpack "$BIG"
	no_leftovers unpack_after_kill_cleaned
	grep -q '^leftovers: 0' <<EOF2 && ok unpack_after_kill_info || fail unpack_after_kill_info "leftovers remain"
$("$CINSTALL" cache info)
EOF2
	check cache_verify_after_kill "$CINSTALL" cache verify
else
	fail unpack_killed "the unpack finished before it could be killed (3 attempts)"
fi

# Eight processes unpack the same wheel at once: one sound entry.
"$CINSTALL" cache clean
for i in 1 2 3 4 5 6 7 8; do
	"$CINSTALL" unpack "$BIG" > "$T/race.$i" 2>&1 &
done
wait
first=$(cat "$T/race.1")
same=1
for i in 2 3 4 5 6 7 8; do
	[ "$(cat "$T/race.$i")" = "$first" ] || same=0
done
[ $same = 1 ] && [ -d "$first/tree" ] && ok unpack_concurrent_same_entry ||
	fail unpack_concurrent_same_entry "$(cat "$T"/race.*)"
[ "$(ls "$C/v1/wheels" | wc -l)" -eq 1 ] && ok unpack_concurrent_one_entry ||
	fail unpack_concurrent_one_entry "$(ls "$C/v1/wheels")"
no_leftovers unpack_concurrent_no_leftovers
check cache_verify_concurrent "$CINSTALL" cache verify

# --- cache verify finds damage; prune removes it -----------------------------
printf 'Y' | dd of="$first/tree/bigwheel/small0007.py" bs=1 seek=0 conv=notrunc 2>/dev/null
key=$(basename "$first")
expect_error cache_verify_damage 9 "cache entry $key \(bigwheel-1.0-py3-none-any.whl\): 'bigwheel/small0007.py': sha256 does not match" \
	"$CINSTALL" cache verify
expect_error cache_verify_damage_summary 9 "error: 1 damaged cache entry" "$CINSTALL" cache verify
out=$("$CINSTALL" cache prune) && [ "$out" = "removed: 1" ] && ok cache_prune_damaged || fail cache_prune_damaged "$out"
check cache_verify_after_prune "$CINSTALL" cache verify

# --- the cache command -------------------------------------------------------
[ "$("$CINSTALL" cache dir)" = "$C" ] && ok cache_dir || fail cache_dir "$("$CINSTALL" cache dir)"
[ "$("$CINSTALL" cache --cache-dir "$T/other" dir)" = "$T/other" ] && ok cache_dir_option || fail cache_dir_option
"$CINSTALL" unpack "$FIXTURES/simple-1.0-py3-none-any.whl" > /dev/null
json=$("$CINSTALL" cache --json info)
printf '%s' "$json" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); assert d["entries"] == 1 and d["files"] == 5, d' &&
	ok cache_info_json || fail cache_info_json "$json"
check cache_clean "$CINSTALL" cache clean
grep -q '^entries: 0' <<EOF && ok cache_clean_empties || fail cache_clean_empties
$("$CINSTALL" cache info)
EOF
expect_error cache_bad_action 2 "unknown cache action 'frobnicate'" "$CINSTALL" cache frobnicate
expect_error unpack_no_wheel 2 "needs at least one wheel" "$CINSTALL" unpack
expect_error unpack_missing_wheel 7 "missing-1.0-py3-none-any.whl" "$CINSTALL" unpack "$T/missing-1.0-py3-none-any.whl"
exit 0
