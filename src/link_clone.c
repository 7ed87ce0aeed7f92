/* link_clone.c - the clone mode: reflinks (copy-on-write copies).
 *
 * Linux: ioctl(FICLONE) onto a new file created with O_EXCL and the
 * placed file's permission bits (a clone must not lose the executable bit).
 * Creating the file already updates its directory's mtime, so Python's
 * import caches see new modules without an extra step.
 *
 * macOS: clonefile(2) per file (compile-untested here); it keeps the
 * source's mode.  Cloning whole top-level directories in one call is left
 * for later.
 *
 * Busy filesystems answer EAGAIN (e.g. XFS while the source is being
 * written back); that is retried a few times and then reported as
 * CINSTALL_ENOTSUP with os_errno EAGAIN, which the engine may fall back from
 * even after the first file. */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif
#ifdef __APPLE__
#include <sys/attr.h>
#include <sys/clonefile.h>
#endif

#include "sys.h"

#define CLONE_TRIES 4

static int clone_error(cinstall_err *err, const cinstall_link_req *req, const char *path, int e)
{
	if (cinstall_link__unsupported_errno(e) || e == EINVAL || e == EAGAIN)
		return cinstall_err__errno(err, CINSTALL_ENOTSUP, e, "cannot clone '%s' to '%s'",
		                           req->src, path);
	return cinstall_err__errno(err, e == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, e,
	                           "cannot clone '%s' to '%s'", req->src, path);
}

#if defined(__linux__) && defined(FICLONE)
static int clone_create(cinstall_ctx *ctx, const cinstall_link_req *req, const char *path,
                        cinstall_err *err)
{
	struct timespec pause = { 0, 1000000 };
	int in, out, e, tries;

	(void)ctx;
	if ((in = cinstall_sys__openat(CINSTALL_LINK_SRC_AT(req), CINSTALL_LINK_SRC_NAME(req), O_RDONLY, 0)) < 0)
		return cinstall_err__os(err, "cannot open '%s'", req->src);
	out = cinstall_sys__openat(CINSTALL_LINK_DST_AT(req, path), CINSTALL_LINK_DST_NAME(req, path),
	                           O_WRONLY | O_CREAT | O_EXCL, (mode_t)(req->mode & 07777));
	if (out < 0) {
		e = errno;
		close(in);
		if (e == EEXIST)
			return CINSTALL_LINK__EXISTS;
		return cinstall_err__errno(err, e == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, e,
		                           "cannot create '%s'", path);
	}
	for (tries = 0;; tries++) {
		if (ioctl(out, FICLONE, in) == 0) {
			close(in);
			if (cinstall_sys__close(out) < 0) {
				e = errno;
				unlink(path);
				return cinstall_err__errno(err, CINSTALL_EIO, e, "cannot write '%s'", path);
			}
			return 0;
		}
		e = errno;
		if (e == EINTR || (e == EAGAIN && tries + 1 < CLONE_TRIES)) {
			if (e == EAGAIN) {
				nanosleep(&pause, NULL);
				pause.tv_nsec *= 4;
			}
			continue;
		}
		break;
	}
	close(in);
	close(out);
	unlink(path);
	return clone_error(err, req, path, e);
}
#elif defined(__APPLE__)
static int clone_create(cinstall_ctx *ctx, const cinstall_link_req *req, const char *path,
                        cinstall_err *err)
{
	(void)ctx;
	if (clonefile(req->src, path, CLONE_NOFOLLOW) == 0)
		return 0;
	if (errno == EEXIST)
		return CINSTALL_LINK__EXISTS;
	return clone_error(err, req, path, errno);
}
#else
static int clone_create(cinstall_ctx *ctx, const cinstall_link_req *req, const char *path,
                        cinstall_err *err)
{
	(void)ctx;
	return clone_error(err, req, path, ENOTSUP);
}
#endif

static int clone_place(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err)
{
	return cinstall_link__place_with(ctx, req, err, clone_create, NULL);
}

const struct cinstall_link_ops cinstall_link_clone_ops = {
	1, "clone", CINSTALL_LINK_CLONE, clone_place
};
