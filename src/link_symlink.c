/* link_symlink.c - the symlink mode.
 *
 * A link is relative (from the destination's directory to the cache file)
 * when the two paths share a top-level directory and the destination's
 * directory has no symlinked component (a relative link is resolved from the
 * real directory), absolute otherwise.
 *
 * Whether a directory takes symlinks is learned once per directory and kept
 * on the context (ctx->symlink_dirs, guarded by ctx->table_lock):
 *   value 0: no symlinks here; 1: relative links work; 2: symlinks work,
 *   but the directory's path is not canonical, so links are absolute.
 *   user_set 1: set through cinstall_symlink_support_set() for this
 *   directory and below; 2: inherited from such a setting; 0: probed.
 * A directory forced to "no" by the user, or ctx->no_symlinks, gets real
 * files (copies) without any fallback warning: that is what was asked for.
 * A directory found not to take symlinks answers CINSTALL_ENOTSUP. */
#include "link.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"

enum { DIR_NO = 0, DIR_RELATIVE = 1, DIR_ABSOLUTE = 2 };
enum { SUPPORT_PROBE, SUPPORT_FORCED_NO, SUPPORT_YES };

/* Nearest user setting for `dir` or an ancestor: -1 none, else 0/1.
 * Called with table_lock held. */
static int user_setting(cinstall_ctx *ctx, const char *dir)
{
	char buf[PATH_MAX];
	cinstall_dirflag *f;
	size_t len = strlen(dir);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, dir, len + 1);
	for (;;) {
		HASH_FIND(hh, ctx->symlink_dirs, buf, len, f);
		if (f && f->user_set == 1)
			return f->value;
		while (len > 0 && buf[len - 1] != '/')
			len--;
		if (len == 0)
			return -1;
		if (len > 1)
			len--; /* drop the slash, except the root's */
		else if (buf[1] == '\0')
			return -1; /* looked at "/" already */
		buf[len] = '\0';
	}
}

/* The directory's entry: *value (DIR_*) and whether the user forced it. */
static int dir_support(cinstall_ctx *ctx, const char *dir, int *value, int *forced)
{
	cinstall_dirflag *f, *g;
	char real[PATH_MAX];
	int setting, v;

	pthread_mutex_lock(&ctx->table_lock);
	HASH_FIND_STR(ctx->symlink_dirs, dir, f);
	if (f) {
		*value = f->value;
		*forced = f->user_set != 0;
		pthread_mutex_unlock(&ctx->table_lock);
		return 0;
	}
	setting = user_setting(ctx, dir);
	pthread_mutex_unlock(&ctx->table_lock);

	if (setting == 0) {
		v = DIR_NO;
	} else {
		/* A relative link is resolved from the real directory. */
		v = realpath(dir, real) && !strcmp(real, dir) ? DIR_RELATIVE : DIR_ABSOLUTE;
	}
	if (!(f = calloc(1, sizeof(*f))) || !(f->dir = strdup(dir))) {
		free(f);
		return CINSTALL_ENOMEM;
	}
	f->value = v;
	f->user_set = setting >= 0 ? 2 : 0;
	pthread_mutex_lock(&ctx->table_lock);
	HASH_FIND_STR(ctx->symlink_dirs, dir, g);
	if (g) {
		free(f->dir);
		free(f);
		f = g;
	} else {
		HASH_ADD_KEYPTR(hh, ctx->symlink_dirs, f->dir, strlen(f->dir), f);
	}
	*value = f->value;
	*forced = f->user_set != 0;
	pthread_mutex_unlock(&ctx->table_lock);
	return 0;
}

static void dir_unsupported(cinstall_ctx *ctx, const char *dir)
{
	cinstall_dirflag *f;

	pthread_mutex_lock(&ctx->table_lock);
	HASH_FIND_STR(ctx->symlink_dirs, dir, f);
	if (f && f->user_set != 1)
		f->value = DIR_NO;
	pthread_mutex_unlock(&ctx->table_lock);
}

/* The link text for req: relative from `dir` when `relative`, else src. */
static int link_target(char *out, size_t cap, const char *src, const char *dir, int relative)
{
	size_t common = 0, i, len;
	const char *rest;
	char *p = out;

	if (src[0] != '/' || dir[0] != '/')
		relative = 0;
	if (relative) {
		/* Longest common prefix ending on a component boundary. */
		for (i = 0; src[i] && src[i] == dir[i]; i++)
			if (src[i] == '/')
				common = i;
		if (dir[i] == '\0' && src[i] == '/')
			common = i;
		if (common == 0)
			relative = 0; /* only "/" in common: keep it absolute */
	}
	if (!relative) {
		len = strlen(src);
		if (len + 1 > cap)
			return -1;
		memcpy(out, src, len + 1);
		return 0;
	}
	/* One ".." per component of dir below the common prefix. */
	for (i = common; dir[i]; i++) {
		if (dir[i] == '/' && dir[i + 1] != '\0') {
			if ((size_t)(p - out) + 3 >= cap)
				return -1;
			memcpy(p, "../", 3);
			p += 3;
		}
	}
	rest = src + common + 1;
	len = strlen(rest);
	if ((size_t)(p - out) + len + 1 > cap)
		return -1;
	memcpy(p, rest, len + 1);
	return 0;
}

/* The target a create call uses is computed in symlink_place and passed
 * through this wrapper of the request. */
typedef struct symlink_req {
	cinstall_link_req req;
	const char *target;
} symlink_req;

static int symlink_create(cinstall_ctx *ctx, const cinstall_link_req *req, const char *path,
                          cinstall_err *err)
{
	const symlink_req *s = (const symlink_req *)req;
	int e;

	(void)ctx;
	if (symlink(s->target, path) == 0)
		return 0;
	e = errno;
	if (e == EEXIST)
		return CINSTALL_LINK__EXISTS;
	if (cinstall_link__unsupported_errno(e))
		return cinstall_err__errno(err, CINSTALL_ENOTSUP, e, "cannot symlink '%s' to '%s'",
		                           path, s->target);
	return cinstall_err__errno(err, e == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, e,
	                           "cannot symlink '%s' to '%s'", path, s->target);
}

/* An existing link with the same target is done (two processes racing). */
static int symlink_same(cinstall_ctx *ctx, const cinstall_link_req *req)
{
	const symlink_req *s = (const symlink_req *)req;
	char buf[PATH_MAX];
	size_t len = strlen(s->target);
	ssize_t n;

	(void)ctx;
	n = readlink(req->dst, buf, sizeof(buf));
	return n >= 0 && (size_t)n == len && !memcmp(buf, s->target, len);
}

static int symlink_place(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err)
{
	char dir[PATH_MAX], target[PATH_MAX];
	symlink_req s;
	int value, forced, r;

	if (ctx->no_symlinks)
		return cinstall_link_copy_ops.place(ctx, req, err);
	if (cinstall_link__dirname(dir, sizeof(dir), req->dst) < 0)
		return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long",
		                         req->dst);
	if (dir_support(ctx, dir, &value, &forced) < 0)
		return cinstall_err__oom(err);
	if (value == DIR_NO) {
		if (forced)
			return cinstall_link_copy_ops.place(ctx, req, err);
		return cinstall_err__errno(err, CINSTALL_ENOTSUP, EPERM,
		                           "cannot symlink '%s': '%s' does not take symlinks", req->dst,
		                           dir);
	}
	if (link_target(target, sizeof(target), req->src, dir, value == DIR_RELATIVE) < 0)
		return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long",
		                         req->src);
	s.req = *req;
	s.target = target;
	r = cinstall_link__place_with(ctx, &s.req, err, symlink_create, symlink_same);
	if (r == CINSTALL_ENOTSUP)
		dir_unsupported(ctx, dir);
	return r;
}

const struct cinstall_link_ops cinstall_link_symlink_ops = {
	1, "symlink", CINSTALL_LINK_SYMLINK, symlink_place
};
