/* path.h - the one place wheel paths are judged, and safe path helpers. */
#ifndef CINSTALL_PATH_H
#define CINSTALL_PATH_H

#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Largest path and component we accept from a wheel. */
#define CINSTALL_PATH_MAX 4096
#define CINSTALL_NAME_MAX 255

/*
 * Judge a path from a wheel (zip entry or RECORD row).  It must be relative,
 * '/'-separated and normalised: refused are absolute paths, drive letters
 * ("C:"), backslashes, NUL and control characters (below 0x20 and 0x7f),
 * bytes that are not well-formed UTF-8,
 * empty, "." and ".." components, components over CINSTALL_NAME_MAX bytes
 * and paths over CINSTALL_PATH_MAX.  One trailing '/' is allowed (directory
 * entries).  On refusal returns CINSTALL_EBADWHEEL with the message
 * "<wheel>: '<path>': <rule>" (the path shown with control characters
 * escaped).  `wheel` names the wheel in messages.
 */
int cinstall_path__check(cinstall_err *err, const char *wheel, const char *path);

/* Write `path` into `out` (cap bytes) with control characters and bytes
 * that are not well-formed UTF-8 shown as \xNN, for messages (cut short,
 * never in the middle of a character, when it does not fit). */
void cinstall_path__quote(char *out, size_t cap, const char *path);

/* out = a + "/" + b (no doubled '/').  0 or CINSTALL_ENOMEM. */
int cinstall_path__join(cinstall_buf *out, const char *a, const char *b);

/* mkdir -p: create `path` and missing parents with `mode`.  Existing
 * directories are fine; an existing non-directory is CINSTALL_EIO (ENOTDIR). */
int cinstall_path__mkdirs(cinstall_err *err, const char *path, mode_t mode);

/* rm -rf that never follows symlinks (openat/unlinkat with O_NOFOLLOW).
 * A missing path is success. */
int cinstall_path__rmtree(cinstall_err *err, const char *path);

/* The last component of `path` (borrowed, inside `path`). */
const char *cinstall_path__basename(const char *path);

/* Is `path` (absolute, normalised) equal to `root` or inside it? */
int cinstall_path__is_within(const char *root, const char *path);

#endif
