#!/bin/sh
# test/fs/exfat.sh - the link engine on exFAT through FUSE, a filesystem
# with neither hard links nor symlinks (like a USB disk or a NAS share):
# hardlink, symlink and auto fall back to copy with one warning each run.
. "$TOP/test/lib.sh"
. "$TOP/test/fs/fslib.inc"

fs_need_root exfat
for tool in mkfs.exfat mount.exfat-fuse; do
	if ! command -v $tool >/dev/null; then
		skip exfat "$tool is missing (apt-get install exfatprogs exfat-fuse)"
		exit 0
	fi
done
if [ ! -c /dev/fuse ] && ! modprobe fuse 2>/dev/null; then
	skip exfat "no /dev/fuse and modprobe fuse failed: FUSE is not available here"
	exit 0
fi

mnt=$T/exfat
mkdir -p "$mnt"
truncate -s 512M "$T/exfat.img"
if ! dev=$(fs_loop "$T/exfat.img"); then
	skip exfat "no loop device: $dev"
	exit 0
fi
FS_LOOPS=$dev
if ! out=$(mkfs.exfat "$dev" 2>&1); then
	fail exfat-mkfs "mkfs.exfat $dev failed: $out"
	exit 0
fi
if ! out=$(mount.exfat-fuse "$dev" "$mnt" 2>&1); then
	skip exfat "cannot mount exFAT from $dev through FUSE: $out"
	exit 0
fi
fs_mounted "$mnt"
if ! grep -q " $mnt fuse" /proc/mounts; then
	fail exfat-mount "$mnt is not a FUSE mount: $(grep " $mnt " /proc/mounts)"
	exit 0
fi
ok exfat-mount

# The unit tests with cache and target on exFAT (expectations follow what
# the filesystem really does: no links, no permission bits).
mkdir -p "$mnt/unit-src" "$mnt/unit-dst"
fs_unit exfat CINSTALL_TEST_SOURCE="$mnt/unit-src" CINSTALL_TEST_TARGET="$mnt/unit-dst"

if ! fs_tree "$T/wheel"; then
	skip exfat-tree "no pip wheel in $SHARED_WHEELS or /usr/share/python-wheels"
	exit 0
fi
cp -r "$T/wheel" "$mnt/cache"
nfiles=$(find "$mnt/cache" -type f | wc -l)

# Check the filesystem really lacks both, so the fallbacks below are real.
echo x > "$mnt/probe"
if ln "$mnt/probe" "$mnt/probe-hard" 2>/dev/null || ln -s probe "$mnt/probe-sym" 2>/dev/null; then
	fail exfat-no-links "exFAT accepted a hard link or a symlink; the fallback tests mean nothing"
else
	ok exfat-no-links
fi
rm -f "$mnt/probe"

for mode in hardlink symlink auto; do
	if fs_place "$T/$mode.out" --mode $mode "$mnt/cache" "$mnt/site-$mode" &&
	   fs_result "$T/$mode.out" | grep -q "mode=copy fallbacks=1 files=$nfiles" &&
	   [ "$(fs_warnings "$T/$mode.out")" -eq 1 ] &&
	   grep -q "^warning: .*falling back to copy. Use --link-mode=copy to silence this warning" "$T/$mode.out" &&
	   diff -r "$mnt/cache" "$mnt/site-$mode" >/dev/null; then
		ok exfat-$mode-falls-back-to-copy
	else
		fail exfat-$mode-falls-back-to-copy "$(head -5 "$T/$mode.out")"
	fi
done
want_auto="cannot hardlink files into"
if grep -q "$want_auto" "$T/auto.out"; then ok exfat-auto-warning-names-hardlink; else
	fail exfat-auto-warning-names-hardlink "$(cat "$T/auto.out")"; fi

# Strict mode: a fallback is an error naming the mode and the directory.
if ! fs_place "$T/strict.out" --strict --mode hardlink "$mnt/cache" "$mnt/site-strict" &&
   grep -q "link mode hardlink is not supported in '$mnt/site-strict/" "$T/strict.out"; then
	ok exfat-strict
else
	fail exfat-strict "$(cat "$T/strict.out")"
fi

# Cache on ext4, symlinks into exFAT: refused there, so copies.
if fs_place "$T/cross.out" --mode symlink "$T/wheel" "$mnt/site-cross" &&
   fs_result "$T/cross.out" | grep -q "mode=copy fallbacks=1" &&
   [ -z "$(find "$mnt/site-cross" -type l)" ] && diff -r "$T/wheel" "$mnt/site-cross" >/dev/null; then
	ok exfat-symlink-from-ext4
else
	fail exfat-symlink-from-ext4 "$(cat "$T/cross.out")"
fi

# Through the command, cache and target on exFAT.
if fs_have_cli exfat-cli; then
	# Names differing only in case are one file here: refused (exit 3)
	# naming both, and no entry left in the cache.
	for w in casecoll caseuni; do
		"$CINSTALL" unpack --cache-dir "$mnt/ccase" "$FIXTURES/hostile/$w-1.0-py3-none-any.whl" > "$T/$w.out" 2>&1
		rc=$?
		if [ $rc -eq 3 ] && grep -q "error: $w-1.0-py3-none-any.whl: '$w/[^']*': \(name differs only in case\|another entry has the same name\)" "$T/$w.out" &&
		   [ -z "$(ls -A "$mnt/ccase/v1/wheels" 2>/dev/null)" ] && [ -z "$(ls -A "$mnt/ccase/v1/tmp" 2>/dev/null)" ]; then
			ok exfat-$w-refused
		else
			fail exfat-$w-refused "exit $rc: $(cat "$T/$w.out")"
		fi
	done
	whl=$(fs_wheel)
	for mode in hardlink symlink; do
		if fs_install "$T/cli-$mode.out" --cache-dir "$mnt/ccache" --target "$mnt/cli-$mode" \
		       --link-mode $mode "$whl" &&
		   grep -q '"link_mode": "copy", "fallbacks": 1' "$T/cli-$mode.out" &&
		   grep -q "cannot $mode files into" "$T/cli-$mode.out" &&
		   [ -f "$mnt/cli-$mode/pip/__init__.py" ] && [ -z "$(find "$mnt/cli-$mode" -type l)" ]; then
			ok exfat-cli-$mode-falls-back
		else
			fail exfat-cli-$mode-falls-back "$(cat "$T/cli-$mode.out")"
		fi
	done
fi
