/* unpack.h - wheels into verified trees: the content cache's producer. */
#ifndef CINSTALL_UNPACK_H
#define CINSTALL_UNPACK_H

#include "cinstall.h"
#include "err.h"
#include "manifest.h"

/* Put a wheel into the cache (or find it there) and load its manifest. out_entry: entry dir (files under
   <entry>/tree/); both owned by the caller (free / cinstall_manifest__free). */
int cinstall_unpack__wheel(char **out_entry, cinstall_manifest **out_manifest, cinstall_ctx *ctx, cinstall_err *err, const char *wheel_path);

/* The same, and hold the entry against removal (prune, clean) while the
   caller links from it: *out_use_fd is a file descriptor holding a shared
   lock on the entry's MANIFEST (-1 where locks are unsupported); close it
   when done.  A cached entry whose files changed since it was published
   (size, mode, or mtime newer than the manifest's seal: written through a
   hard link) is re-made from the wheel, with a warning. */
int cinstall_unpack__wheel_use(char **out_entry, cinstall_manifest **out_manifest, int *out_use_fd, cinstall_ctx *ctx,
                               cinstall_err *err, const char *wheel_path);

/* Unpack a wheel, verified the same way, into `dir` (created; files under <dir>/tree/), no cache: for
   --no-cache installs into a temporary directory on the target's filesystem. */
int cinstall_unpack__to_dir(cinstall_manifest **out_manifest, cinstall_ctx *ctx, cinstall_err *err, const char *wheel_path, const char *dir);

#endif
