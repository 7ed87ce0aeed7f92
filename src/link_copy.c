/* link_copy.c - the copy mode: copy_file_range, else read/write.
 *
 * Every physical copy holds the copy lock of its destination directory, so
 * two threads writing one path (a namespace package's __init__.py) never
 * interleave their bytes.  The destination is always a new file (O_EXCL);
 * an existing one is replaced through a temporary and rename(2). */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctx.h"
#include "sys.h"

#define COPY_CHUNK ((size_t)1 << 30)
#define RW_BUFSIZE ((size_t)256 << 10)

/* Copy the rest of `in` to `out`.  0 or -1 with errno. */
static int copy_data(int in, int out)
{
	char *buf = NULL;
	ssize_t n;
	int error = 0;

#ifdef __linux__
	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, COPY_CHUNK, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* Not possible between these files (another filesystem, an old
		 * kernel, a filesystem without it): copy through memory.  The file
		 * offsets have advanced past whatever was copied. */
		if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == ENOTSUP ||
		    errno == EINVAL || errno == EBADF || errno == ETXTBSY)
			break;
		return -1;
	}
#endif
	if (!(buf = malloc(RW_BUFSIZE))) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		n = read(in, buf, RW_BUFSIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error = -1;
			break;
		}
		if (n == 0)
			break;
		if (cinstall_sys__write_all(out, buf, (size_t)n) < 0) {
			error = -1;
			break;
		}
	}
	if (error < 0) {
		int e = errno;
		free(buf);
		errno = e;
		return -1;
	}
	free(buf);
	return 0;
}

int cinstall_link__copy_create(cinstall_ctx *ctx, const cinstall_link_req *req,
                               const char *path, cinstall_err *err)
{
	char dir[PATH_MAX];
	pthread_mutex_t *lock;
	int in = -1, out = -1, error = 0, e;

	if (cinstall_link__dirname(dir, sizeof(dir), path) < 0)
		return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long", path);
	if (!(lock = cinstall_ctx__dir_lock(ctx, dir)))
		return cinstall_err__oom(err);
	if ((in = cinstall_sys__openat(CINSTALL_LINK_SRC_AT(req), CINSTALL_LINK_SRC_NAME(req), O_RDONLY, 0)) < 0)
		return cinstall_err__os(err, "cannot open '%s'", req->src);
	pthread_mutex_lock(lock);
	out = cinstall_sys__openat(CINSTALL_LINK_DST_AT(req, path), CINSTALL_LINK_DST_NAME(req, path),
	                           O_WRONLY | O_CREAT | O_EXCL, (mode_t)(req->mode & 07777));
	if (out < 0) {
		if (errno == EEXIST)
			error = CINSTALL_LINK__EXISTS;
		else
			error = cinstall_err__os(err, "cannot create '%s'", path);
		goto done;
	}
	if (copy_data(in, out) < 0) {
		e = errno;
		close(out);
		out = -1;
		unlink(path);
		error = cinstall_err__errno(err, e == ENOMEM ? CINSTALL_ENOMEM : CINSTALL_EIO, e,
		                            "cannot copy '%s' to '%s'", req->src, path);
		goto done;
	}
	if (cinstall_sys__close(out) < 0) {
		e = errno;
		out = -1;
		unlink(path);
		error = cinstall_err__errno(err, CINSTALL_EIO, e, "cannot write '%s'", path);
		goto done;
	}
	out = -1;
done:
	if (out >= 0)
		close(out);
	pthread_mutex_unlock(lock);
	close(in);
	return error;
}

static int copy_place(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err)
{
	return cinstall_link__place_with(ctx, req, err, cinstall_link__copy_create, NULL);
}

const struct cinstall_link_ops cinstall_link_copy_ops = {
	1, "copy", CINSTALL_LINK_COPY, copy_place
};
