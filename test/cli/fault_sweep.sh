#!/bin/sh
# test/cli/fault_sweep.sh - every fault at every point of one small upgrade.
#
# With the LD_PRELOAD shim test/shim/fault.c, one call (open, write, rename,
# link, mkdir, fsync...) fails with one errno at the k-th time it touches the
# environment, for k = 0, 1, 2, ... until the install no longer reaches a
# k-th call.  Each run must end one of two ways:
#   - a clean error: non-zero exit, one message naming the cause, the
#     environment byte for byte as before (tree digest: no half-placed
#     files, no temporaries), the cache with no partial entry;
#   - success (a fault the engine may absorb: EXDEV/EMLINK fall back to
#     copying; EINTR is retried; a short write is completed), with exactly
#     the tree a clean upgrade makes.
# EINTR and short writes must always succeed.  Under ASan any report or leak
# fails the run.  Then the same for the unpack into the cache, and a real
# full disk (a small tmpfs, as root) and a real read-only environment.
. "$TOP/test/lib.sh"

SHIM=$BUILD/test/shim/fault.so
if [ ! -f "$SHIM" ]; then
	skip fault_sweep.sh "no fault shim at $SHIM (make unit builds it)"
	exit 0
fi
venv_or_skip fault_sweep.sh "$T/venv" || exit 0
V=$T/venv
pre=$(asan_runtime)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# v1 installed, then the sweep upgrades to v2: placing, replacing, stashing,
# a launcher, a rewritten #!python script, RECORD and the other metadata.
"$PYTHON" - "$T" <<'PY'
import base64, hashlib, sys, zipfile
def wheel(version, files):
    di = "sweep-%s.dist-info" % version
    files = dict(files)
    files[di + "/METADATA"] = "Metadata-Version: 2.1\nName: sweep\nVersion: %s\n" % version
    files[di + "/WHEEL"] = "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[di + "/entry_points.txt"] = "[console_scripts]\nsweep-cli = sweep:main\n"
    rec = ""
    for p, d in files.items():
        d = d.encode()
        rec += "%s,sha256=%s,%d\n" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d))
    rec += di + "/RECORD,,\n"
    with zipfile.ZipFile("%s/sweep-%s-py3-none-any.whl" % (sys.argv[1], version), "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            zi = zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if "/scripts/" in p else 0o644) << 16
            z.writestr(zi, d)
        z.writestr(di + "/RECORD", rec)
wheel("1.0", {"sweep/__init__.py": "V = 1\ndef main(): print(V)\n", "sweep/old.py": "x = 1\n"})
wheel("2.0", {"sweep/__init__.py": "V = 2\ndef main(): print(V)\n", "sweep/sub/new.py": "y = 2\n" * 2000,
              "sweep-2.0.data/scripts/sweep-run": "#!python\nimport sweep\nsweep.main()\n",
              "sweep-2.0.data/data/share/sweep/d.txt": "data\n"})
PY
w1=$T/sweep-1.0-py3-none-any.whl
w2=$T/sweep-2.0-py3-none-any.whl
if ! "$CINSTALL" --python "$V" "$w1" > "$T/out" 2>&1; then
	fail sweep-setup "$(cat "$T/out")"
	exit 1
fi
cp -a "$V" "$T/pristine"
before=$(tree_digest "$V")
# The expected result of a clean upgrade (the cache warmed at the same time).
"$CINSTALL" --python "$V" "$w2" > "$T/out" 2>&1 || fail sweep-clean-upgrade "$(cat "$T/out")"
good=$(tree_digest "$V")
reset_env() { rm -rf "$V" && cp -a "$T/pristine" "$V"; }
reset_env

cache_clean() {
	[ -d "$CINSTALL_CACHE_DIR/v1/tmp" ] && [ -n "$(ls -A "$CINSTALL_CACHE_DIR/v1/tmp")" ] && return 1
	for e in "$CINSTALL_CACHE_DIR"/v1/wheels/*; do
		[ -e "$e" ] || continue
		[ -f "$e/MANIFEST" ] || return 1
	done
	return 0
}

errtext() {
	case $1 in
	EACCES) echo "Permission denied" ;; EMFILE) echo "Too many open files" ;;
	ENOSPC) echo "No space left on device" ;; EIO) echo "Input/output error" ;;
	EXDEV) echo "Invalid cross-device link" ;; EMLINK) echo "Too many links" ;;
	*) echo "$1" ;;
	esac
}

# sweep NAME CALLS ERRNO MUST_SUCCEED MATCH [cinstall options]: run the
# upgrade with the k-th matching call failing, for every k.
sweep() {
	name=$1 calls=$2 errno=$3 must=$4 match=$5
	shift 5
	k=0 bad=0 fired=0
	while [ $k -lt 400 ]; do
		rm -f "$T/faults"
		LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=$calls FAULT_ERRNO=$errno FAULT_AFTER=$k FAULT_COUNT=1 \
			FAULT_MATCH=$match FAULT_REPORT="$T/faults" "$CINSTALL" --python "$V" "$@" "$w2" > "$T/out" 2>&1
		rc=$?
		[ -s "$T/faults" ] || break       # past the last such call
		fired=$((fired + 1))
		now=$(tree_digest "$V")
		why=
		if grep -Eq 'Sanitizer|runtime error' "$T/out"; then
			why="sanitizer report"
		elif [ $rc -eq 0 ]; then
			# Old files that could not be removed after success: kept in
			# .cinstall-stash-*, with a warning saying so.
			if [ "$(printf '%s\n' "$now" | grep -v '/\.cinstall-stash-')" = "$good" ] &&
			   { [ "$now" = "$good" ] || grep -q "warning: .*cannot remove the old files kept in '.*\.cinstall-stash-" "$T/out"; }; then
				rm -rf "$V"/.cinstall-stash-*
			else
				why="exit 0 but the tree is not the upgraded one"
			fi
		elif [ "$must" = 1 ]; then
			why="exit $rc: a $errno must be absorbed"
		elif [ "$now" != "$before" ]; then
			why="exit $rc and the environment changed"
		elif [ "$(grep -c 'error:' "$T/out")" -ne 1 ]; then
			why="exit $rc without exactly one error message"
		elif ! grep 'error:' "$T/out" | grep -q "'[^']*'.*$(errtext "$errno")"; then
			why="exit $rc: the message does not name the file and '$(errtext "$errno")'"
		fi
		cache_clean || why="${why:+$why; }the cache holds a partial entry"
		if [ -n "$why" ]; then
			fail "sweep-$name-at-$k" "$why ($(head -1 "$T/faults")): $(head -3 "$T/out")"
			bad=$((bad + 1))
			[ $bad -ge 3 ] && break
		fi
		[ $rc -eq 0 ] && reset_env
		k=$((k + 1))
	done
	if [ $fired -eq 0 ]; then
		fail "sweep-$name" "the fault never fired ($calls, match '$match')"
	elif [ $bad -eq 0 ]; then
		ok "sweep-$name ($fired points)"
	fi
	reset_env
}

# Faults where the environment is: placing, replacing, rolling back.
sweep open-EACCES open,openat EACCES 0 "$V"
sweep write-ENOSPC write ENOSPC 0 "$V"
sweep write-EINTR write EINTR 1 "$V"
sweep write-short write SHORT 1 "$V"
sweep rename-EIO rename,renameat EIO 0 "$V"
sweep rename-EXDEV rename,renameat EXDEV 0 "$V"
sweep link-EMLINK link,linkat EMLINK 0 "$V" --link-mode=hardlink
sweep link-EXDEV link,linkat EXDEV 0 "$V" --link-mode=hardlink
sweep mkdir-ENOSPC mkdir,mkdirat ENOSPC 0 "$V"
# More errnos on the same paths (the suite keeps to one per path; set
# FAULT_SWEEP_ALL=1 for these too).
if [ -n "${FAULT_SWEEP_ALL:-}" ]; then
	sweep open-EMFILE open,openat EMFILE 0 "$V"
	sweep write-EIO write EIO 0 "$V"
	sweep link-ENOSPC link,linkat ENOSPC 0 "$V" --link-mode=hardlink
	sweep mkdir-EACCES mkdir,mkdirat EACCES 0 "$V"
fi
sweep copy-ENOSPC copy_file_range ENOSPC 0 "$V" --link-mode=copy
sweep copy-short copy_file_range SHORT 1 "$V" --link-mode=copy
sweep clone-EIO ioctl EIO 0 "$V" --link-mode=clone
# A rollback that itself fails: the upgrade is refused after v1's files
# were stashed (sweep/sub is a symbolic link out of the environment), and
# putting the first stashed file back fails too.  That file must stay in
# the kept stash, with a warning naming it; the rest of v1 is put back.
reset_env
SP=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$T/out-of-env"
ln -s "$T/out-of-env" "$SP/sweep/sub"
nstash=$(grep -c . "$SP"/sweep-1.0.dist-info/RECORD)
rm -f "$T/faults"
LD_PRELOAD="${pre:+$pre:}$SHIM" FAULT_CALL=rename,renameat FAULT_ERRNO=EIO FAULT_AFTER=$nstash FAULT_COUNT=1 \
	FAULT_MATCH=.cinstall-stash- FAULT_REPORT="$T/faults" "$CINSTALL" --python "$V" "$w2" > "$T/out" 2>&1
rc=$?
kept=$(grep -o "cannot put '[^']*' back while undoing the install (it is kept as '[^']*')" "$T/out" | head -1)
orig=$(printf '%s' "$kept" | sed "s/^cannot put '\([^']*\)'.*/\1/")
copy=$(printf '%s' "$kept" | sed "s/.*it is kept as '\([^']*\)'.*/\1/")
if [ $rc -eq 10 ] && [ -s "$T/faults" ] && [ -n "$kept" ] && [ ! -e "$orig" ] && [ -f "$copy" ] &&
   cmp -s "$copy" "$T/pristine/${orig#"$V"/}" &&
   grep -q "error: .*symbolic link leading out.*undoing the install left 0 new file(s) behind and 1 old file(s) in '$V/.cinstall-stash-" "$T/out"; then
	ok rollback-rename-fails-keeps-stash
else
	fail rollback-rename-fails-keeps-stash "exit $rc, fault: $(cat "$T/faults" 2>/dev/null): $(head -5 "$T/out")"
fi
# Everything else of v1 is back: with the kept file moved home, the
# environment is v1 again (the symlink aside).
[ -n "$orig" ] && [ -f "$copy" ] && mv "$copy" "$orig"
rm -rf "$V"/.cinstall-stash-* "$SP/sweep/sub"
[ "$(tree_digest "$V")" = "$before" ] && ok rollback-rename-fails-rest-restored ||
	fail rollback-rename-fails-rest-restored "the environment is not v1 once the kept file is put back"
reset_env

# Faults in the cache while unpacking (a cold cache each time: a failed
# run leaves none, a successful one is removed by reset_env).
reset_env() { rm -rf "$V" "$CINSTALL_CACHE_DIR" && cp -a "$T/pristine" "$V"; }
reset_env
sweep unpack-write-ENOSPC write ENOSPC 0 "$CINSTALL_CACHE_DIR"
sweep unpack-fsync-EIO fsync EIO 0 "$CINSTALL_CACHE_DIR"
sweep unpack-rename-EIO rename,renameat EIO 0 "$CINSTALL_CACHE_DIR"
sweep unpack-open-EACCES open,openat EACCES 0 "$CINSTALL_CACHE_DIR"
sweep unpack-mkdir-ENOSPC mkdir,mkdirat ENOSPC 0 "$CINSTALL_CACHE_DIR"
exit 0
