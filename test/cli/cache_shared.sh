#!/bin/sh
# test/cli/cache_shared.sh - one cache for many processes: an entry in use
# is never removed by prune or clean; a cache file changed through a hard
# link is found and the entry re-made before it is linked again; installs
# racing with 'cache clean' and 'cache prune' all give the reference tree;
# installs killed at random moments leave a cache that verifies and an
# environment that the same command completes.
. "$TOP/test/lib.sh"

C=$CINSTALL_CACHE_DIR

# digest DIR: tree_digest's lines (type, mode, size, sha256 per entry), in
# one process: tree_digest forks per file, too slow for 400 files x 14 trees.
cat > "$T/digest.py" <<'PY'
import hashlib, os, stat, sys
top = sys.argv[1]
out = []
for root, dirs, files in os.walk(top):
    for n in dirs + files:
        p = os.path.join(root, n)
        r = "./" + os.path.relpath(p, top)
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            out.append("L %s -> %s" % (r, os.readlink(p)))
        elif stat.S_ISDIR(st.st_mode):
            out.append("D %s %o" % (r, st.st_mode & 0o7777))
        else:
            with open(p, "rb") as f:
                h = hashlib.sha256(f.read()).hexdigest()
            out.append("F %s %o %d %s" % (r, st.st_mode & 0o7777, st.st_size, h))
print("\n".join(sorted(out)))
PY
digest() { "$PYTHON" "$T/digest.py" "$1"; }
ci() { "$CINSTALL" install "$@" > /dev/null; }

# --- self-healing ------------------------------------------------------------
W=$FIXTURES/simple-1.0-py3-none-any.whl
if ! ci --link-mode hardlink --target "$T/h1" "$W" 2>"$T/err"; then
	fail heal_setup "$(cat "$T/err")"
	exit 1
fi
entry=$("$CINSTALL" unpack "$W")
f=$(cd "$entry/tree" && find . -name '*.py' -type f | head -1)
orig=$(sha256sum < "$entry/tree/$f")
links=$(stat -c %h "$entry/tree/$f")
[ "$links" -ge 2 ] && ok heal_is_hardlinked || fail heal_is_hardlinked "'$f' has $links links"
# A user edits the installed file in place: the cache file changes with it.
echo "# edited" >> "$T/h1/$f"
expect_error heal_verify_finds_it 9 "'${f#./}': size is" "$CINSTALL" cache verify
ci --link-mode hardlink --target "$T/h2" "$W" 2>"$T/err"
if grep -q "'${f#./}': size is .*unpacking simple-1.0-py3-none-any.whl again" "$T/err" &&
	[ "$(sha256sum < "$T/h2/$f")" = "$orig" ]; then
	ok heal_size
else
	fail heal_size "no warning or wrong content: $(cat "$T/err")"
fi
check heal_verify_clean "$CINSTALL" cache verify
# Same size, newer mtime (an editor writing in place).
"$PYTHON" - "$T/h2/$f" <<'PY'
import os, sys, time
p = sys.argv[1]
time.sleep(0.05)
with open(p, "r+b") as fh:
    b = fh.read(1)
    fh.seek(0)
    fh.write(b"#" if b != b"#" else b"x")
os.utime(p)
PY
ci --link-mode hardlink --target "$T/h3" "$W" 2>"$T/err"
if grep -q "modified after the entry was made" "$T/err" && [ "$(sha256sum < "$T/h3/$f")" = "$orig" ]; then
	ok heal_mtime
else
	fail heal_mtime "no warning or wrong content: $(cat "$T/err")"
fi
ci --link-mode hardlink --target "$T/h4" "$W" 2>"$T/err"
! grep -q "warning" "$T/err" && ok heal_quiet_when_sound || fail heal_quiet_when_sound "$(cat "$T/err")"

# --- an entry in use is left alone by prune and clean -------------------------
# Damage the entry, then hold the shared lock an install holds while it links.
echo "# edited" >> "$entry/tree/$f"
"$PYTHON" - "$entry/MANIFEST" "$T/held" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.lockf(fd, fcntl.LOCK_SH)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
holder=$!
i=0
while [ ! -f "$T/held" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
"$CINSTALL" cache prune > "$T/out" 2>"$T/err"
if [ -d "$entry" ] && grep -q "in use by an install, left in place" "$T/err"; then
	ok prune_skips_entry_in_use
else
	fail prune_skips_entry_in_use "entry gone or no warning: $(cat "$T/err")"
fi
"$CINSTALL" cache clean 2>"$T/err"
if [ -d "$entry" ] && grep -q "in use by an install, left in place" "$T/err"; then
	ok clean_skips_entry_in_use
else
	fail clean_skips_entry_in_use "entry gone or no warning: $(cat "$T/err")"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
out=$("$CINSTALL" cache prune 2>/dev/null)
if [ ! -d "$entry" ] && [ "$out" = "removed: 1" ]; then
	ok prune_removes_when_released
else
	fail prune_removes_when_released "$out"
fi

# --- real wheels: stress and kill ---------------------------------------------
if [ -z "$SHARED_WHEELS" ]; then
	skip cache_stress "no ../shared/wheels (the shared real wheels are absent)"
	exit 0
fi
S=$SHARED_WHEELS
set -- attrs-17.4.0-py2.py3-none-any.whl certifi-2020.4.5.1-py2.py3-none-any.whl \
	chardet-3.0.4-py2.py3-none-any.whl click-7.1.1-py2.py3-none-any.whl colorama-0.3.9-py2.py3-none-any.whl \
	idna-2.7-py2.py3-none-any.whl itsdangerous-1.1.0-py2.py3-none-any.whl Jinja2-2.11.1-py2.py3-none-any.whl \
	Werkzeug-1.0.1-py2.py3-none-any.whl Flask-1.1.2-py2.py3-none-any.whl jmespath-0.10.0-py2.py3-none-any.whl \
	more_itertools-4.1.0-py3-none-any.whl pluggy-0.6.0-py3-none-any.whl py-1.5.3-py2.py3-none-any.whl \
	jdcal-1.4-py2.py3-none-any.whl PyFunctional-1.4.3-py3-none-any.whl black-21.11b0-py3-none-any.whl \
	celery-4.4.2-py2.py3-none-any.whl cleo-1.0.0a5-py3-none-any.whl clikit-0.2.4-py2.py3-none-any.whl \
	colander-0.9.9-py2.py3-none-any.whl dateparser-0.7.0-py2.py3-none-any.whl isodate-0.7.0-py3-none-any.whl \
	pastel-0.1.0-py3-none-any.whl pathlib2-2.3.2-py2.py3-none-any.whl plumbum-1.6.8-py2.py3-none-any.whl \
	typing_extensions-4.4.0-py3-none-any.whl xlrd-1.1.0-py2.py3-none-any.whl xlwt-1.3.0-py2.py3-none-any.whl \
	funcsigs-1.0.2-py2.py3-none-any.whl
WHEELS=
for w in "$@"; do
	if [ ! -f "$S/$w" ]; then
		skip cache_stress "no $S/$w"
		exit 0
	fi
	WHEELS="$WHEELS $S/$w"
done

# The reference: one install from its own cache.
# shellcheck disable=SC2086
if ! CINSTALL_CACHE_DIR=$T/refcache ci --link-mode copy --target "$T/ref" $WHEELS 2>"$T/err"; then
	fail stress_reference "$(cat "$T/err")"
	exit 1
fi
ref=$(digest "$T/ref")

# 16 processes x 30 wheels into 16 targets from one cold cache, with clean
# and prune removing entries beside them the whole time.
"$CINSTALL" cache clean
touch "$T/maint.run"
(
	while [ -f "$T/maint.run" ]; do
		"$CINSTALL" cache clean 2>/dev/null || echo "clean failed" >> "$T/maint.err"
		"$CINSTALL" cache prune > /dev/null 2>&1 || echo "prune failed" >> "$T/maint.err"
	done
) &
maint=$!
pids=
for n in $(seq 1 16); do
	# shellcheck disable=SC2086
	(ci --link-mode hardlink -j2 --target "$T/s$n" $WHEELS 2>"$T/s$n.err" || echo "exit $?" >> "$T/s$n.err") &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
rm -f "$T/maint.run"
wait "$maint"
bad=
for n in $(seq 1 16); do
	if grep -q "exit" "$T/s$n.err"; then
		bad="$bad s$n: $(head -3 "$T/s$n.err")"
	elif [ "$(digest "$T/s$n")" != "$ref" ]; then
		bad="$bad s$n: differs from the reference"
	fi
done
[ -z "$bad" ] && ok stress_16x30_with_clean_and_prune || fail stress_16x30_with_clean_and_prune "$bad"
[ ! -s "$T/maint.err" ] && ok stress_maintenance_succeeded || fail stress_maintenance_succeeded "$(sort "$T/maint.err" | uniq -c)"
# Fill the cache once more and check it is sound.
# shellcheck disable=SC2086
ci --target "$T/s9" $WHEELS 2>/dev/null && check stress_cache_verifies "$CINSTALL" cache verify

# Kill installs (unpacking into a cold cache, then linking) at random
# moments, then run the same command again: the cache verifies and the
# target is the reference.
"$CINSTALL" cache clean
interrupted=0
for round in 1 2 3 4 5; do
	rm -rf "$T/k"
	[ $round -le 2 ] && "$CINSTALL" cache clean
	# shellcheck disable=SC2086
	# (the command itself, not a function: kill must reach cinstall)
	"$CINSTALL" install --link-mode hardlink --target "$T/k" $WHEELS > /dev/null 2>&1 &
	pid=$!
	# From before the first unpack to the middle of linking: a cold
	# install (rounds 1, 2) takes ~0.5 s here, a warm one ~0.15 s.
	max=250
	[ $round -gt 2 ] && max=100
	# Round 1 is killed early (10 ms) so that at least one install is
	# surely interrupted however fast the machine or the build.
	delay=$(awk -v s="$round$$" -v m=$max 'BEGIN { srand(s); printf "%03d", int(rand() * m) }')
	[ $round -eq 1 ] && delay=010
	sleep "0.$delay"
	kill -9 $pid 2>/dev/null && wait $pid 2>/dev/null
	[ "$(digest "$T/k" 2>/dev/null)" != "$ref" ] && interrupted=$((interrupted + 1))
	# The same command completes what was interrupted.
	# shellcheck disable=SC2086
	ci --link-mode hardlink --target "$T/k" $WHEELS 2>"$T/err"
	if [ "$(digest "$T/k")" != "$ref" ]; then
		fail "kill_round_$round" "target differs from the reference after re-running: $(cat "$T/err")"; digest "$T/k" > "$T/kd"; printf "%s\n" "$ref" | diff - "$T/kd" >&2
	else
		ok "kill_round_$round"
	fi
	check "kill_round_${round}_cache_verifies" "$CINSTALL" cache verify
done
echo "# $interrupted of 5 installs were killed before they finished" >&2
[ $interrupted -ge 1 ] && ok kill_interrupted_some || fail kill_interrupted_some "every install finished before its kill"
"$CINSTALL" cache prune > /dev/null
left=$(ls -A "$C/v1/tmp" "$C/v1/locks" 2>/dev/null | grep -v ':$' | grep -v '^$')
[ -z "$left" ] && ok kill_leftovers_pruned || fail kill_leftovers_pruned "$left"
