#!/bin/sh
# test/fs/full.sh - real faults, no shim: a full disk (a small tmpfs) and a
# read-only environment.  Each must end in a clean error (exit 4, a message
# naming the file and the cause), the environment and the cache as before.
# Mounts need root; without it the read-only case uses chmod instead.
. "$TOP/test/lib.sh"
. "$TOP/test/fs/fslib.inc"

venv_or_skip full.sh "$T/proto" || exit 0
# A wheel of 1 MiB of incompressible data: more than the small tmpfs holds.
"$PYTHON" - "$T" <<'PY'
import base64, hashlib, os, random, sys, zipfile
random.seed(7)
files = {"bulky/__init__.py": b"", "bulky/blob.bin": bytes(random.getrandbits(8) for _ in range(1 << 20)),
         "bulky-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: bulky\nVersion: 1.0\n",
         "bulky-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
rec = "".join("%s,sha256=%s,%d\n" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d))
              for p, d in files.items()) + "bulky-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(os.path.join(sys.argv[1], "bulky-1.0-py3-none-any.whl"), "w", zipfile.ZIP_DEFLATED) as z:
    for p, d in files.items():
        z.writestr(p, d)
    z.writestr("bulky-1.0.dist-info/RECORD", rec)
PY
bulky=$T/bulky-1.0-py3-none-any.whl
small=$FIXTURES/simple-1.0-py3-none-any.whl

cache_clean() {
	[ -d "$1/v1/tmp" ] && [ -n "$(ls -A "$1/v1/tmp")" ] && return 1
	for e in "$1"/v1/wheels/*; do
		[ -e "$e" ] || continue
		[ -f "$e/MANIFEST" ] || return 1
	done
	return 0
}

# ---- read-only environment ---------------------------------------------
cp -a "$T/proto" "$T/ro"
if is_root; then
	if mount --bind "$T/ro" "$T/ro" 2> "$T/mnt.err" && fs_mounted "$T/ro" &&
	   mount -o remount,bind,ro "$T/ro" 2>> "$T/mnt.err"; then
		how="read-only bind mount"
		cause="Read-only file system"
	else
		how=
	fi
else
	chmod -R a-w "$T/ro"
	how="chmod a-w"
	cause="Permission denied"
fi
if [ -z "$how" ]; then
	skip full-readonly "cannot make a read-only bind mount: $(head -1 "$T/mnt.err")"
else
	before=$(tree_digest "$T/ro")
	expect_error "readonly-env ($how)" 4 "simple-1\.0-py3-none-any\.whl: .*'.*'.*$cause" \
		"$CINSTALL" --python "$T/ro" "$small"
	[ "$before" = "$(tree_digest "$T/ro")" ] && ok readonly-env-unchanged || fail readonly-env-unchanged "the venv changed"
	cache_clean "$CINSTALL_CACHE_DIR" && ok readonly-cache-clean || fail readonly-cache-clean "a partial cache entry"
	is_root || chmod -R u+w "$T/ro"
fi

# ---- a full disk ---------------------------------------------------------
if ! is_root; then
	skip full-disk "mounting a small tmpfs needs root (CI runs these as root)"
	exit 0
fi
mnt=$T/small
mkdir -p "$mnt"
if ! out=$(mount -t tmpfs -o size=768k tmpfs "$mnt" 2>&1); then
	skip full-disk "cannot mount a tmpfs: $out"
	exit 0
fi
fs_mounted "$mnt"
cp -a "$T/proto" "$mnt/venv"
ok full-disk-mount

# The environment on the full disk, the cache elsewhere: copying runs out.
before=$(tree_digest "$mnt")
expect_error full-disk-env 4 "bulky-1\.0-py3-none-any\.whl: .*'.*'.*No space left on device" \
	"$CINSTALL" --python "$mnt/venv" "$bulky"
[ "$before" = "$(tree_digest "$mnt")" ] && ok full-disk-env-unchanged || fail full-disk-env-unchanged "$(tree_digest "$mnt" | diff - /dev/null | head -3)"
df_after=$(df -k --output=used "$mnt" | tail -1)
# The cache on the full disk: the unpack runs out, no partial entry.
cache=$mnt/cache
before=$(tree_digest "$mnt/venv")
expect_error full-disk-cache 4 "bulky-1\.0-py3-none-any\.whl: .*'bulky/blob\.bin'.*No space left on device" \
	env CINSTALL_CACHE_DIR="$cache" "$CINSTALL" --python "$mnt/venv" "$bulky"
cache_clean "$cache" && ok full-disk-cache-clean || fail full-disk-cache-clean "$(ls -R "$cache" | head -5)"
[ "$before" = "$(tree_digest "$mnt/venv")" ] && ok full-disk-cache-env-unchanged || fail full-disk-cache-env-unchanged "the venv changed"
# A small wheel still installs once there is room again: nothing leaked.
if "$CINSTALL" --python "$mnt/venv" "$small" > "$T/out" 2>&1; then ok full-disk-then-install; else fail full-disk-then-install "$(cat "$T/out")"; fi
[ "$df_after" -gt 0 ] || fail full-disk-df "df reported nothing"
exit 0
