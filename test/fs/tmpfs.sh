#!/bin/sh
# test/fs/tmpfs.sh - cache on ext4 (or whatever holds $TMPDIR), target on
# a tmpfs: clone and hardlink cross devices (EXDEV), so the wheel falls back
# to copy; symlinks cross devices fine.
. "$TOP/test/lib.sh"
. "$TOP/test/fs/fslib.inc"

fs_need_root tmpfs
mnt=$T/tmpfs
mkdir -p "$mnt"
if ! out=$(mount -t tmpfs -o size=256m tmpfs "$mnt" 2>&1); then
	skip tmpfs "cannot mount a tmpfs: $out"
	exit 0
fi
fs_mounted "$mnt"
if [ "$(stat -c %d "$T")" = "$(stat -c %d "$mnt")" ]; then
	fail tmpfs-mount "the tmpfs is on the same device as $T"
	exit 0
fi
ok tmpfs-mount

# The unit tests with the target on tmpfs and the cache on $TMPDIR.
mkdir -p "$mnt/unit-dst"
fs_unit tmpfs CINSTALL_TEST_TARGET="$mnt/unit-dst"

if ! fs_tree "$T/cache"; then
	skip tmpfs-tree "no pip wheel in $SHARED_WHEELS or /usr/share/python-wheels"
	exit 0
fi
nfiles=$(find "$T/cache" -type f | wc -l)

for mode in auto clone hardlink; do
	if fs_place "$T/$mode.out" --mode $mode "$T/cache" "$mnt/site-$mode" &&
	   fs_result "$T/$mode.out" | grep -q "mode=copy fallbacks=1 files=$nfiles" &&
	   [ "$(fs_warnings "$T/$mode.out")" -eq 1 ] &&
	   grep -q "(Invalid cross-device link); falling back to copy" "$T/$mode.out" &&
	   fs_same_tree "$T/cache" "$mnt/site-$mode"; then
		ok tmpfs-$mode-exdev-fallback
	else
		fail tmpfs-$mode-exdev-fallback "$(head -5 "$T/$mode.out")"
	fi
done

if ! fs_place "$T/strict.out" --strict --mode hardlink "$T/cache" "$mnt/site-strict" &&
   grep -q "link mode hardlink is not supported in '$mnt/site-strict/.*': Invalid cross-device link" "$T/strict.out"; then
	ok tmpfs-strict
else
	fail tmpfs-strict "$(cat "$T/strict.out")"
fi

# Symlinks cross devices: relative links (both under $T) that resolve.
if fs_place "$T/sym.out" --mode symlink "$T/cache" "$mnt/site-sym" &&
   fs_result "$T/sym.out" | grep -q "mode=symlink fallbacks=0" &&
   [ -z "$(find "$mnt/site-sym" -type f)" ] &&
   [ -z "$(find "$mnt/site-sym" -type l -lname '/*')" ] &&
   diff -r "$T/cache" "$mnt/site-sym" >/dev/null; then
	ok tmpfs-symlink-relative
else
	fail tmpfs-symlink-relative "$(head -5 "$T/sym.out")"
fi

# On the tmpfs itself: copy over an installed tree made of hard links into
# the cache; the cache keeps its bytes.
cp -a "$T/cache" "$mnt/cache"
cp -al "$mnt/cache" "$mnt/linked"
cp -a "$mnt/cache" "$T/before"
if fs_place "$T/over.out" --mode copy --replace "$mnt/cache" "$mnt/linked" &&
   fs_same_tree "$T/before" "$mnt/cache" && fs_same_tree "$T/before" "$mnt/linked" &&
   [ "$(find "$mnt/linked" -type f -links 1 | wc -l)" -eq "$nfiles" ]; then
	ok tmpfs-copy-over-hardlinks
else
	fail tmpfs-copy-over-hardlinks "$(head -5 "$T/over.out")"
fi

# Through the command: cache on $TMPDIR, target on the tmpfs.
if fs_have_cli tmpfs-cli; then
	whl=$(fs_wheel)
	if fs_install "$T/cli.out" --cache-dir "$T/ccache" --target "$mnt/cli" "$whl" &&
	   grep -q '"link_mode": "copy", "fallbacks": 1' "$T/cli.out" &&
	   grep -q "Invalid cross-device link); falling back to copy. Use --link-mode=copy" "$T/cli.out"; then
		ok tmpfs-cli-exdev-fallback
	else
		fail tmpfs-cli-exdev-fallback "$(cat "$T/cli.out")"
	fi
	if fs_install "$T/cli-copy.out" --cache-dir "$T/ccache" --target "$mnt/cli-copy" \
	       --link-mode copy "$whl" &&
	   grep -q '"link_mode": "copy", "fallbacks": 0' "$T/cli-copy.out" &&
	   grep -q '"warnings": \[\]' "$T/cli-copy.out"; then
		ok tmpfs-cli-copy-silent
	else
		fail tmpfs-cli-copy-silent "$(cat "$T/cli-copy.out")"
	fi
	if ! fs_install "$T/cli-strict.out" --cache-dir "$T/ccache" --target "$mnt/cli-strict" \
	       --link-mode hardlink --strict-link-mode "$whl" &&
	   grep -q "link mode hardlink is not supported in '$mnt/cli-strict" "$T/cli-strict.out"; then
		ok tmpfs-cli-strict
	else
		fail tmpfs-cli-strict "$(cat "$T/cli-strict.out")"
	fi
fi
