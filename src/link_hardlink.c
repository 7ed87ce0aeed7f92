/* link_hardlink.c - the hardlink mode: link(2) from the cache.
 *
 * EMLINK (the inode reached the filesystem's link limit, as low as a few
 * hundred on some network filesystems) is not a failure: the cache file gets
 * a fresh inode (a copy beside it, renamed over it atomically, so readers
 * always see a whole file) and the link is made again. */
#include "link.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

/* Give req->src a fresh inode with the same content and mode. */
static int fresh_inode(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err)
{
	char tmp[PATH_MAX];
	struct stat st;
	cinstall_link_req copy = CINSTALL_LINK_REQ_INIT;
	int r, tries;

	if (stat(req->src, &st) < 0)
		return cinstall_err__os(err, "cannot stat '%s'", req->src);
	copy.src = req->src;
	copy.dst = req->src;
	copy.mode = (uint32_t)(st.st_mode & 07777);
	copy.replace = 0;
	for (tries = 0;; tries++) {
		if (cinstall_link__tmpname(tmp, sizeof(tmp), req->src) < 0)
			return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG,
			                         "'%s': path is too long", req->src);
		r = cinstall_link__copy_create(ctx, &copy, tmp, err);
		if (r != CINSTALL_LINK__EXISTS)
			break;
		if (tries == 8)
			return cinstall_err__errno(err, CINSTALL_EIO, EEXIST,
			                           "cannot create a temporary for '%s'", req->src);
	}
	if (r < 0)
		return r;
	if (rename(tmp, req->src) < 0) {
		int e = errno;
		unlink(tmp);
		return cinstall_err__errno(err, CINSTALL_EIO, e, "cannot replace '%s'", req->src);
	}
	return 0;
}

static int hardlink_create(cinstall_ctx *ctx, const cinstall_link_req *req, const char *path,
                           cinstall_err *err)
{
	int e, renewed = 0;

	for (;;) {
		if (linkat(CINSTALL_LINK_SRC_AT(req), CINSTALL_LINK_SRC_NAME(req), CINSTALL_LINK_DST_AT(req, path),
		           CINSTALL_LINK_DST_NAME(req, path), 0) == 0)
			return 0;
		e = errno;
		if (e == EEXIST)
			return CINSTALL_LINK__EXISTS;
		if (e == EMLINK && !renewed) {
			int r = fresh_inode(ctx, req, err);
			if (r < 0)
				return r;
			renewed = 1;
			continue;
		}
		break;
	}
	if (cinstall_link__unsupported_errno(e) || e == EMLINK)
		return cinstall_err__errno(err, CINSTALL_ENOTSUP, e, "cannot hard link '%s' to '%s'",
		                           req->src, path);
	return cinstall_err__errno(err, e == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, e,
	                           "cannot hard link '%s' to '%s'", req->src, path);
}

/* An existing destination that is already this cache file is done. */
static int hardlink_same(cinstall_ctx *ctx, const cinstall_link_req *req)
{
	struct stat a, b;

	(void)ctx;
	return lstat(req->dst, &b) == 0 && stat(req->src, &a) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static int hardlink_place(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err)
{
	return cinstall_link__place_with(ctx, req, err, hardlink_create, hardlink_same);
}

const struct cinstall_link_ops cinstall_link_hardlink_ops = {
	1, "hardlink", CINSTALL_LINK_HARDLINK, hardlink_place
};
