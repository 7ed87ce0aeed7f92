#!/bin/sh
# test/cli/cache_dedupe.sh - file-level dedupe: versions of one package
# share their common files through v1/objects; empty files, RECORD and
# scripts are never shared; 'cache info' reports the bytes saved; prune and
# clean remove unused objects only; a damaged object is replaced; EMLINK
# falls back to a private copy; the cache holds no symlinks and works
# after being moved.
. "$TOP/test/lib.sh"

C=$CINSTALL_CACHE_DIR

if [ -z "$SHARED_WHEELS" ]; then
	skip cache_dedupe "no ../shared/wheels (the shared real wheels are absent)"
	exit 0
fi
S=$SHARED_WHEELS
A=$S/pip-23.0.1-py3-none-any.whl
B=$S/pip-23.2.1-py3-none-any.whl
for w in "$A" "$B"; do
	[ -f "$w" ] || { skip cache_dedupe "no $w"; exit 0; }
done

# info KEY: a number from 'cache info'
info() { "$CINSTALL" cache info | sed -n "s/^$1: //p"; }

ea=$("$CINSTALL" unpack "$A") && eb=$("$CINSTALL" unpack "$B") || { fail dedupe_unpack "cannot unpack"; exit 1; }
bytes=$(info bytes)
stored=$(info stored)
saved=$(info saved)
echo "# pip 23.0.1 + 23.2.1: bytes $bytes, stored $stored, saved $saved" >&2
if [ "$saved" -gt 1000000 ] && [ $((bytes - stored)) -eq "$saved" ]; then
	ok dedupe_saves_bytes
else
	fail dedupe_saves_bytes "bytes $bytes stored $stored saved $saved"
fi
# A file both versions ship unchanged is one inode.
f=pip/_vendor/distlib/compat.py
if [ -f "$ea/tree/$f" ] && cmp -s "$ea/tree/$f" "$eb/tree/$f"; then
	[ "$(stat -c %i "$ea/tree/$f")" = "$(stat -c %i "$eb/tree/$f")" ] && ok dedupe_same_inode ||
		fail dedupe_same_inode "'$f' is two files"
else
	skip dedupe_same_inode "'$f' differs between the two pip versions"
fi
# Never shared: empty files and RECORD.
bad=$(find "$ea/tree" "$eb/tree" -type f \( -empty -o -name RECORD \) -links +1)
[ -z "$bad" ] && ok dedupe_never_shares_empty_or_record || fail dedupe_never_shares_empty_or_record "$bad"
n=$(find "$ea/tree" -type f -empty | wc -l)
[ "$n" -gt 0 ] && ok dedupe_has_empty_files || fail dedupe_has_empty_files "no empty file to check with"
# Objects carry the mode in their name and no symlink is anywhere.
bad=$(find "$C/v1/objects" -type f ! -name '*-644' ! -name '*-755')
[ -z "$bad" ] && ok dedupe_object_names || fail dedupe_object_names "$bad"
[ -z "$(find "$C" -type l)" ] && ok cache_has_no_symlinks || fail cache_has_no_symlinks "$(find "$C" -type l | head -3)"
check dedupe_verify "$CINSTALL" cache verify

# A data scripts file is never shared either (a fixture with .data/scripts).
if [ -f "$FIXTURES/datapkg-1.0-py3-none-any.whl" ]; then
	e=$("$CINSTALL" unpack "$FIXTURES/datapkg-1.0-py3-none-any.whl")
	bad=$(find "$e/tree" -path '*.data/scripts/*' -type f -links +1)
	n=$(find "$e/tree" -path '*.data/scripts/*' -type f | wc -l)
	[ "$n" -gt 0 ] && [ -z "$bad" ] && ok dedupe_never_shares_scripts || fail dedupe_never_shares_scripts "n=$n $bad"
fi

# Prune keeps objects in use; an object whose entries are gone goes.
objs=$(find "$C/v1/objects" -type f | wc -l)
"$CINSTALL" cache prune > /dev/null
[ "$(find "$C/v1/objects" -type f | wc -l)" -eq "$objs" ] && ok prune_keeps_used_objects || fail prune_keeps_used_objects
"$CINSTALL" cache clean
left=$(find "$C/v1/objects" "$C/v1/wheels" -type f | head -3)
[ -z "$left" ] && ok clean_removes_objects || fail clean_removes_objects "$left"

# A damaged object (written through an entry's hard link) is replaced when
# the next entry would link to it; the damaged entry heals when used.
ea=$("$CINSTALL" unpack "$A")
printf 'X' | dd of="$ea/tree/$f" bs=1 seek=3 conv=notrunc 2>/dev/null
eb=$("$CINSTALL" unpack "$B" 2>"$T/err")
grep -q "cache object '.*' was damaged; replaced" "$T/err" && ok dedupe_damaged_object_replaced ||
	fail dedupe_damaged_object_replaced "$(cat "$T/err")"
expect_error dedupe_damaged_entry_reported 9 "pip-23.0.1-py3-none-any.whl\): '$f'" "$CINSTALL" cache verify
"$CINSTALL" cache verify 2>&1 | grep -q "pip-23.2.1" && fail dedupe_new_entry_sound "$("$CINSTALL" cache verify 2>&1)" ||
	ok dedupe_new_entry_sound
"$CINSTALL" install --target "$T/t" --link-mode copy --no-compat-check "$A" > /dev/null 2>"$T/err"
grep -q "'$f': modified after the entry was made" "$T/err" && ok dedupe_entry_heals || fail dedupe_entry_heals "$(cat "$T/err")"
check dedupe_verify_after_heal "$CINSTALL" cache verify

# EMLINK on the objects: private copies, a sound entry.
SHIM=$BUILD/test/shim/fault.so
if [ -n "${SANITIZE:-}" ]; then
	skip dedupe_emlink "the fault shim is not preloaded under sanitizers"
elif [ ! -f "$SHIM" ]; then
	skip dedupe_emlink "no $SHIM (make unit builds it)"
else
	"$CINSTALL" cache clean
	"$CINSTALL" unpack "$A" > /dev/null
	before=$(info saved)
	eb=$(env FAULT_CALL=link,linkat FAULT_ERRNO=EMLINK FAULT_MATCH=/v1/objects/ FAULT_REPORT="$T/faults" LD_PRELOAD="$SHIM" \
		"$CINSTALL" unpack "$B")
	[ -s "$T/faults" ] && ok dedupe_emlink_fired || fail dedupe_emlink_fired "no fault was injected"
	if [ "$(stat -c %h "$eb/tree/$f")" = 1 ] && [ "$(info saved)" = "$before" ]; then
		ok dedupe_emlink_private_copy
	else
		fail dedupe_emlink_private_copy "links $(stat -c %h "$eb/tree/$f"), saved $(info saved) (was $before)"
	fi
	check dedupe_emlink_verify "$CINSTALL" cache verify
fi

# A moved cache keeps working: warm installs from it, verify clean.
"$CINSTALL" cache clean
"$CINSTALL" unpack "$A" "$B" > /dev/null
mv "$C" "$T/moved"
export CINSTALL_CACHE_DIR="$T/moved"
check moved_cache_verify "$CINSTALL" cache verify
"$CINSTALL" install --target "$T/m" --link-mode hardlink --no-compat-check "$B" > /dev/null 2>"$T/err" ||
	cat "$T/err" >&2
if [ -f "$T/m/$f" ] && ! grep -q "unpacking" "$T/err" && [ "$(stat -c %h "$T/m/$f")" -ge 4 ]; then
	ok moved_cache_warm_install
else
	fail moved_cache_warm_install "$(cat "$T/err")"
fi
exit 0
