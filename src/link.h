/* link.h - the link-mode engine: places cached files into a target.
 *
 * Each mode is a table of operations in its own file (link_clone.c,
 * link_hardlink.c, link_symlink.c, link_copy.c).  A mode's place() returns
 * 0 when done, CINSTALL_ENOTSUP when the mode is not supported here (so the
 * engine may fall back), or another error.  The engine (link.c) owns the
 * fallback policy: the first file of each wheel decides; after a first
 * success a failure is a real error.
 */
#ifndef CINSTALL_LINK_H
#define CINSTALL_LINK_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>

#include "cinstall.h"
#include "err.h"

typedef struct cinstall_link_req {
	const char *src;      /* absolute path of the cached file */
	const char *dst;      /* absolute path to create; parent exists */
	uint32_t mode;        /* permission bits the placed file must have */
	int replace;          /* dst may exist: create a temporary and rename over it */
	/* Optional, for speed: the same files named below open directories
	 * (a name relative to src_at, dst_at), so the kernel walks fewer path
	 * components; NULL: use src, dst.  Messages always name src, dst. */
	int src_at, dst_at;
	const char *src_name, *dst_name;
} cinstall_link_req;

#define CINSTALL_LINK_REQ_INIT { NULL, NULL, 0, 0, AT_FDCWD, AT_FDCWD, NULL, NULL }

/* The (directory, name) pair naming req's source, and its destination
 * `path` (req->dst or a temporary beside it). */
#define CINSTALL_LINK_SRC_AT(req) ((req)->src_name ? (req)->src_at : AT_FDCWD)
#define CINSTALL_LINK_SRC_NAME(req) ((req)->src_name ? (req)->src_name : (req)->src)
#define CINSTALL_LINK_DST_AT(req, path) ((path) == (req)->dst && (req)->dst_name ? (req)->dst_at : AT_FDCWD)
#define CINSTALL_LINK_DST_NAME(req, path) ((path) == (req)->dst && (req)->dst_name ? (req)->dst_name : (path))

struct cinstall_link_ops {
	unsigned int version; /* 1 */
	const char *name;
	cinstall_link_mode mode;
	/* Place one file.  0, CINSTALL_ENOTSUP (fall back), or an error.
	 * `ctx` gives the copy locks and symlink tables. */
	int (*place)(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err);
};

extern const struct cinstall_link_ops cinstall_link_clone_ops;
extern const struct cinstall_link_ops cinstall_link_hardlink_ops;
extern const struct cinstall_link_ops cinstall_link_symlink_ops;
extern const struct cinstall_link_ops cinstall_link_copy_ops;

/* A linker places the files of one wheel; it remembers the mode chosen on
 * the first file.  Not shared between threads. */
typedef struct cinstall_linker cinstall_linker;

enum {
	CINSTALL_LINKER_STRICT = 1u << 0  /* a fallback is an error (--strict-link-mode) */
};

/* `wheel` names the wheel in messages and warnings. */
int cinstall_linker__new(cinstall_linker **out, cinstall_err *err, cinstall_ctx *ctx,
                         cinstall_link_mode mode, unsigned int flags, const char *wheel);

/* Place one file with the linker's mode (falling back on the first file). */
int cinstall_linker__place(cinstall_linker *l, cinstall_err *err, const cinstall_link_req *req);

/* Copy regardless of the mode (files that are rewritten, e.g. RECORD or
 * #!python scripts); holds the destination directory's copy lock. */
int cinstall_linker__copy(cinstall_linker *l, cinstall_err *err, const cinstall_link_req *req);

/* The mode used for this wheel's files (after any fallback), and how many
 * fallbacks were taken. */
cinstall_link_mode cinstall_linker__mode(const cinstall_linker *l);
unsigned int cinstall_linker__fallbacks(const cinstall_linker *l);

/* Has a file been placed with the mode (no fallback for "unsupported"
 * from here)?  Threads may call cinstall_linker__place side by side only
 * once it has. */
int cinstall_linker__decided(const cinstall_linker *l);

void cinstall_linker__free(cinstall_linker *l);

/* Write `len` bytes to `dst` as a new file with `mode`: temporary in the same
 * directory, then rename over dst (never O_TRUNC).  For generated files
 * (launchers, INSTALLER, RECORD). */
int cinstall_link__write_file(cinstall_err *err, cinstall_ctx *ctx, const char *dst,
                              const void *data, size_t len, uint32_t mode);

/* ---- Helpers shared by the engine and the mode files (internal). ---- */

/* A create function's "the path exists" answer (no error set). */
#define CINSTALL_LINK__EXISTS 1

/* Create the file req->src is placed as, at `path` (req->dst or a temporary
 * beside it), never replacing: 0, CINSTALL_LINK__EXISTS, CINSTALL_ENOTSUP or
 * an error naming the file and errno. */
typedef int (*cinstall_link__create_fn)(cinstall_ctx *ctx, const cinstall_link_req *req,
                                        const char *path, cinstall_err *err);
/* Does the existing req->dst already hold what req asks for (a hard link to
 * src, a symlink with the same target)?  NULL: never. */
typedef int (*cinstall_link__same_fn)(cinstall_ctx *ctx, const cinstall_link_req *req);

/* The placement every mode shares: create req->dst directly; when it exists
 * (or req->replace), and `same` does not accept it, create a temporary
 * `.<name>.cinstall-<random>` beside it and rename(2) it over req->dst; the
 * temporary is removed on failure. */
int cinstall_link__place_with(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err,
                              cinstall_link__create_fn create, cinstall_link__same_fn same);

/* The directory part of `path` into `out` ("." without a slash).  0, or
 * CINSTALL_EINVAL when it does not fit. */
int cinstall_link__dirname(char *out, size_t cap, const char *path);

/* A fresh temporary name `<dir>/.<name>.cinstall-<random>` for `path`.
 * 0, or CINSTALL_EINVAL when it does not fit. */
int cinstall_link__tmpname(char *out, size_t cap, const char *path);

/* Physically copy req->src to a new file `path` (O_EXCL) with req->mode,
 * holding the copy lock of path's directory.  A create function. */
int cinstall_link__copy_create(cinstall_ctx *ctx, const cinstall_link_req *req,
                               const char *path, cinstall_err *err);

/* Is `e` (an errno from link/clone/symlink) "not supported here"? */
int cinstall_link__unsupported_errno(int e);

#endif
