#!/bin/sh
# test/fs/xfs.sh - the link engine on XFS with reflinks: real clones
# (shared extents), auto choosing clone, hard links, and a cache on ext4
# with the target on XFS (EXDEV, fallback to copy).
. "$TOP/test/lib.sh"
. "$TOP/test/fs/fslib.inc"

fs_need_root xfs
if ! grep -qw xfs /proc/filesystems && ! modprobe xfs 2>/dev/null; then
	skip xfs "this kernel has no XFS (not in /proc/filesystems, modprobe xfs failed)"
	exit 0
fi
if ! command -v mkfs.xfs >/dev/null; then
	skip xfs "mkfs.xfs is missing (apt-get install xfsprogs)"
	exit 0
fi

mnt=$T/xfs
mkdir -p "$mnt"
truncate -s 320M "$T/xfs.img"
if ! out=$(mkfs.xfs -q -m reflink=1 "$T/xfs.img" 2>&1); then
	fail xfs-mkfs "mkfs.xfs -m reflink=1 failed: $out"
	exit 0
fi
if ! dev=$(fs_loop "$T/xfs.img"); then
	skip xfs "no loop device: $dev"
	exit 0
fi
FS_LOOPS=$dev
if ! out=$(mount -t xfs "$dev" "$mnt" 2>&1); then
	skip xfs "cannot mount XFS from $dev: $out"
	exit 0
fi
fs_mounted "$mnt"
ok xfs-mount

# The unit tests with cache and target on XFS: clone works, so the clone
# cases (EAGAIN after a first clone included) run for real.
mkdir -p "$mnt/unit-src" "$mnt/unit-dst"
fs_unit xfs CINSTALL_TEST_SOURCE="$mnt/unit-src" CINSTALL_TEST_TARGET="$mnt/unit-dst"

if ! fs_tree "$mnt/cache"; then
	skip xfs-tree "no pip wheel in $SHARED_WHEELS or /usr/share/python-wheels"
	exit 0
fi
nfiles=$(find "$mnt/cache" -type f | wc -l)
big=$(cd "$mnt/cache" && find . -type f -size +40k | head -1)

# clone: every file cloned, no fallback, extents shared with the cache.
if fs_place "$T/clone.out" --mode clone "$mnt/cache" "$mnt/site-clone" &&
   fs_result "$T/clone.out" | grep -q "mode=clone fallbacks=0 files=$nfiles" &&
   [ "$(fs_warnings "$T/clone.out")" -eq 0 ]; then
	ok xfs-clone-mode
else
	fail xfs-clone-mode "$(cat "$T/clone.out")"
fi
if fs_same_tree "$mnt/cache" "$mnt/site-clone"; then
	ok xfs-clone-tree
else
	fail xfs-clone-tree "placed tree differs from the cache (content or modes)"
fi
if [ -z "$big" ]; then
	fail xfs-clone-shared "no file over 40k in the tree"
elif filefrag -v "$mnt/site-clone/$big" 2>&1 | grep -q shared; then
	ok xfs-clone-shared
else
	fail xfs-clone-shared "filefrag -v shows no shared extent for $big: $(filefrag -v "$mnt/site-clone/$big" 2>&1 | tail -3)"
fi
a=$(stat -c %i "$mnt/cache/$big"); b=$(stat -c %i "$mnt/site-clone/$big")
if [ "$a" != "$b" ]; then ok xfs-clone-own-inode; else fail xfs-clone-own-inode "clone shares the inode"; fi

# auto picks clone here.
if fs_place "$T/auto.out" "$mnt/cache" "$mnt/site-auto" &&
   fs_result "$T/auto.out" | grep -q "mode=clone fallbacks=0"; then
	ok xfs-auto-clones
else
	fail xfs-auto-clones "$(cat "$T/auto.out")"
fi

# Placing again over the same tree replaces every file (temporary + rename).
if fs_place "$T/again.out" --mode clone --replace "$mnt/cache" "$mnt/site-clone" &&
   diff -r "$mnt/cache" "$mnt/site-clone" >/dev/null &&
   [ -z "$(find "$mnt/site-clone" -name '.*.cinstall-*')" ]; then
	ok xfs-clone-replace
else
	fail xfs-clone-replace "$(cat "$T/again.out")"
fi

# hardlink: same inodes.
if fs_place "$T/hard.out" --mode hardlink "$mnt/cache" "$mnt/site-hard" &&
   fs_result "$T/hard.out" | grep -q "mode=hardlink fallbacks=0" &&
   [ "$(stat -c %i "$mnt/site-hard/$big")" = "$a" ]; then
	ok xfs-hardlink
else
	fail xfs-hardlink "$(cat "$T/hard.out")"
fi

# Cache on ext4, target on XFS: clone and hardlink cross devices (EXDEV);
# the wheel falls back to copy with one warning saying why.
mkdir -p "$T/ext4-cache"
cp -a "$mnt/cache/." "$T/ext4-cache/"
if fs_place "$T/cross.out" "$T/ext4-cache" "$mnt/site-cross" &&
   fs_result "$T/cross.out" | grep -q "mode=copy fallbacks=1" &&
   [ "$(fs_warnings "$T/cross.out")" -eq 1 ] &&
   grep -q "cannot hardlink files into .*(Invalid cross-device link); falling back to copy" "$T/cross.out" &&
   diff -r "$T/ext4-cache" "$mnt/site-cross" >/dev/null; then
	ok xfs-cross-device-fallback
else
	fail xfs-cross-device-fallback "$(cat "$T/cross.out")"
fi
if ! fs_place "$T/strict.out" --strict --mode clone "$T/ext4-cache" "$mnt/site-strict" &&
   grep -q "link mode clone is not supported in '.*': Invalid cross-device link" "$T/strict.out"; then
	ok xfs-cross-device-strict
else
	fail xfs-cross-device-strict "$(cat "$T/strict.out")"
fi

# Through the command: cinstall install --link-mode=... with cache and
# target on XFS, then the cache on ext4.
if fs_have_cli xfs-cli; then
	whl=$(fs_wheel)
	for mode in clone auto; do
		if fs_install "$T/cli-$mode.out" --cache-dir "$mnt/ccache" --target "$mnt/cli-$mode" \
		       --link-mode $mode "$whl" &&
		   grep -q '"link_mode": "clone", "fallbacks": 0' "$T/cli-$mode.out" &&
		   filefrag -v "$mnt/cli-$mode/pip/_internal/req/req_install.py" | grep -q shared; then
			ok xfs-cli-$mode-clones
		else
			fail xfs-cli-$mode-clones "$(cat "$T/cli-$mode.out")"
		fi
	done
	if fs_install "$T/cli-cross.out" --cache-dir "$T/ccache" --target "$mnt/cli-cross" "$whl" &&
	   grep -q '"link_mode": "copy", "fallbacks": 1' "$T/cli-cross.out" &&
	   grep -q 'Invalid cross-device link); falling back to copy' "$T/cli-cross.out"; then
		ok xfs-cli-cross-device
	else
		fail xfs-cli-cross-device "$(cat "$T/cli-cross.out")"
	fi
	if ! fs_install "$T/cli-strict.out" --cache-dir "$T/ccache" --target "$mnt/cli-strict" \
	       --link-mode clone --strict-link-mode "$whl" &&
	   grep -q "link mode clone is not supported in '$mnt/cli-strict" "$T/cli-strict.out"; then
		ok xfs-cli-strict
	else
		fail xfs-cli-strict "$(cat "$T/cli-strict.out")"
	fi
fi
