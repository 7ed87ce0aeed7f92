/* link.c - the link-mode engine: the fallback policy, the shared
 * "create or replace through a temporary" step, and generated files. */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/random.h>
#endif
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "sys.h"

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const mode_names[] = { "auto", "clone", "hardlink", "symlink", "copy" };

const char *cinstall_link_mode_name(cinstall_link_mode mode)
{
	if ((unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "unknown";
}

int cinstall_link_mode_parse(cinstall_link_mode *out, const char *name)
{
	size_t i;

	if (!out || !name)
		return CINSTALL_EINVAL;
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(name, mode_names[i])) {
			*out = (cinstall_link_mode)i;
			return 0;
		}
	}
	return CINSTALL_EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Symlink support overrides                                                */
/* ------------------------------------------------------------------------ */

int cinstall_symlink_support_set(cinstall_ctx *ctx, const char *dir, int supported)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	cinstall_dirflag *f, *tmp;
	char *key;
	size_t len;

	if (!ctx)
		return CINSTALL_EINVAL;
	if (!dir || !*dir || supported < -1 || supported > 1) {
		cinstall_err__set(&err, CINSTALL_EINVAL, EINVAL,
		                  "cinstall_symlink_support_set: invalid directory or value");
		return cinstall_ctx__fail(ctx, &err);
	}
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!(key = strndup(dir, len)))
		return cinstall_ctx__fail(ctx, (cinstall_err__oom(&err), &err));

	pthread_mutex_lock(&ctx->table_lock);
	/* Probe results and inherited settings are recomputed after a change. */
	HASH_ITER(hh, ctx->symlink_dirs, f, tmp) {
		if (f->user_set != 1 || !strcmp(f->dir, key)) {
			HASH_DEL(ctx->symlink_dirs, f);
			free(f->dir);
			free(f);
		}
	}
	if (supported >= 0) {
		if (!(f = calloc(1, sizeof(*f)))) {
			pthread_mutex_unlock(&ctx->table_lock);
			free(key);
			return cinstall_ctx__fail(ctx, (cinstall_err__oom(&err), &err));
		}
		f->dir = key;
		key = NULL;
		f->value = supported;
		f->user_set = 1;
		HASH_ADD_KEYPTR(hh, ctx->symlink_dirs, f->dir, strlen(f->dir), f);
	}
	pthread_mutex_unlock(&ctx->table_lock);
	free(key);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

int cinstall_link__unsupported_errno(int e)
{
	switch (e) {
	case EXDEV:
	case EPERM:
	case ENOTSUP:
#if EOPNOTSUPP != ENOTSUP
	case EOPNOTSUPP:
#endif
	case ENOSYS:
	case ENOTTY:
		return 1;
	default:
		return 0;
	}
}

int cinstall_link__dirname(char *out, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash) {
		if (cap < 2)
			return CINSTALL_EINVAL;
		memcpy(out, ".", 2);
		return 0;
	}
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len + 1 > cap)
		return CINSTALL_EINVAL;
	memcpy(out, path, len);
	out[len] = '\0';
	return 0;
}

static uint64_t random64(void)
{
	uint64_t r = 0;
	struct timespec ts;

#ifdef __linux__
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
#endif
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	r ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&r;
	return r;
}

int cinstall_link__tmpname(char *out, size_t cap, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path) + 1 : 0;
	size_t namelen;
	int n;

	base = base ? base + 1 : path;
	namelen = strlen(base);
	/* ".<name>.cinstall-<16 hex>" must stay a valid file name. */
	if (namelen > 200)
		namelen = 200;
	n = snprintf(out, cap, "%.*s.%.*s.cinstall-%016llx", (int)dirlen, path, (int)namelen, base,
	             (unsigned long long)random64());
	return n < 0 || (size_t)n >= cap ? CINSTALL_EINVAL : 0;
}

int cinstall_link__place_with(cinstall_ctx *ctx, const cinstall_link_req *req, cinstall_err *err,
                              cinstall_link__create_fn create, cinstall_link__same_fn same)
{
	char tmp[PATH_MAX];
	int r, tries;

	if (!req->replace) {
		r = create(ctx, req, req->dst, err);
		if (r != CINSTALL_LINK__EXISTS)
			return r;
	}
	if (same && same(ctx, req))
		return 0;
	for (tries = 0;; tries++) {
		if (cinstall_link__tmpname(tmp, sizeof(tmp), req->dst) < 0)
			return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG,
			                         "'%s': path is too long", req->dst);
		r = create(ctx, req, tmp, err);
		if (r != CINSTALL_LINK__EXISTS)
			break;
		if (tries == 8)
			return cinstall_err__errno(err, CINSTALL_EIO, EEXIST,
			                           "cannot create a temporary for '%s'", req->dst);
	}
	if (r < 0)
		return r;
	if (rename(tmp, req->dst) < 0) {
		int e = errno;
		unlink(tmp);
		return cinstall_err__errno(err, e == ENOENT ? CINSTALL_ENOTFOUND : CINSTALL_EIO, e,
		                           "cannot replace '%s'", req->dst);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Generated files                                                          */
/* ------------------------------------------------------------------------ */

int cinstall_link__write_file(cinstall_err *err, cinstall_ctx *ctx, const char *dst,
                              const void *data, size_t len, uint32_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	pthread_mutex_t *lock = NULL;
	int fd = -1, error = 0, tries, created = 0;

	if (cinstall_link__dirname(dir, sizeof(dir), dst) < 0)
		return cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG, "'%s': path is too long", dst);
	if (!(lock = cinstall_ctx__dir_lock(ctx, dir)))
		return cinstall_err__oom(err);
	pthread_mutex_lock(lock);
	for (tries = 0; fd < 0; tries++) {
		if (cinstall_link__tmpname(tmp, sizeof(tmp), dst) < 0) {
			error = cinstall_err__set(err, CINSTALL_EINVAL, ENAMETOOLONG,
			                          "'%s': path is too long", dst);
			goto done;
		}
		fd = cinstall_sys__open(tmp, O_WRONLY | O_CREAT | O_EXCL, (mode_t)(mode & 07777));
		created = fd >= 0;
		if (fd < 0 && (errno != EEXIST || tries == 8)) {
			error = cinstall_err__os(err, "cannot create '%s'", tmp);
			goto done;
		}
	}
	if (cinstall_sys__write_all(fd, data, len) < 0) {
		error = cinstall_err__os(err, "cannot write '%s'", dst);
		goto done;
	}
	if (cinstall_sys__close(fd) < 0) {
		fd = -1;
		error = cinstall_err__os(err, "cannot write '%s'", dst);
		goto done;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		error = cinstall_err__os(err, "cannot replace '%s'", dst);
		goto done;
	}
	created = 0;
done:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	pthread_mutex_unlock(lock);
	return error;
}

/* ------------------------------------------------------------------------ */
/* The linker: one wheel's fallback policy                                  */
/* ------------------------------------------------------------------------ */

/* Clone's EAGAIN (the filesystem was busy) after the mode's retries. */
#define CLONE_BUSY(ops, e) ((ops)->mode == CINSTALL_LINK_CLONE && (e)->os_errno == EAGAIN)

struct cinstall_linker {
	cinstall_ctx *ctx;
	cinstall_link_mode requested;
	unsigned int flags;
	char *wheel;
	const struct cinstall_link_ops *chain[3];
	size_t nchain;
	size_t cur;          /* index in chain of the mode in use */
	int decided;         /* a file was placed with chain[cur] */
	unsigned int fallbacks;
};

int cinstall_linker__new(cinstall_linker **out, cinstall_err *err, cinstall_ctx *ctx,
                         cinstall_link_mode mode, unsigned int flags, const char *wheel)
{
	cinstall_linker *l;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))) || !(l->wheel = strdup(wheel ? wheel : "(wheel)"))) {
		free(l);
		return cinstall_err__oom(err);
	}
	l->ctx = ctx;
	l->requested = mode;
	l->flags = flags;
	switch (mode) {
	case CINSTALL_LINK_AUTO:
		l->chain[l->nchain++] = &cinstall_link_clone_ops;
		l->chain[l->nchain++] = &cinstall_link_hardlink_ops;
		break;
	case CINSTALL_LINK_CLONE:
		l->chain[l->nchain++] = &cinstall_link_clone_ops;
		break;
	case CINSTALL_LINK_HARDLINK:
		l->chain[l->nchain++] = &cinstall_link_hardlink_ops;
		break;
	case CINSTALL_LINK_SYMLINK:
		/* No symlinks at all on this context: real files, as asked, so
		 * the mode used is copy and that is no fallback. */
		if (!ctx->no_symlinks)
			l->chain[l->nchain++] = &cinstall_link_symlink_ops;
		break;
	case CINSTALL_LINK_COPY:
		break;
	default:
		free(l->wheel);
		free(l);
		return cinstall_err__set(err, CINSTALL_EINVAL, EINVAL, "%s: unknown link mode %d",
		                         wheel ? wheel : "(wheel)", (int)mode);
	}
	l->chain[l->nchain++] = &cinstall_link_copy_ops;
	*out = l;
	return 0;
}

void cinstall_linker__free(cinstall_linker *l)
{
	if (!l)
		return;
	free(l->wheel);
	free(l);
}

cinstall_link_mode cinstall_linker__mode(const cinstall_linker *l)
{
	return l->chain[l->cur]->mode;
}

unsigned int cinstall_linker__fallbacks(const cinstall_linker *l)
{
	return l->fallbacks;
}

int cinstall_linker__decided(const cinstall_linker *l)
{
	return l->decided;
}

/* Put "<wheel>: " in front of a mode's message, into `err`. */
static int wheel_error(cinstall_err *err, const char *wheel, const cinstall_err *e)
{
	return cinstall_err__set(err, e->code, e->os_errno, "%s: %s", wheel, e->msg);
}

/* Auto mode prefers clone and takes hardlink when the first file shows
 * clone is not available; that step is expected (most filesystems cannot
 * clone) and is not a fallback: no warning, not counted, not an error in
 * strict mode.  A clone that stops working later (busy) is a fallback. */
static int quiet_step(const cinstall_linker *l, const struct cinstall_link_ops *from)
{
	return l->requested == CINSTALL_LINK_AUTO && !l->decided && from->mode == CINSTALL_LINK_CLONE &&
	       l->cur + 1 < l->nchain && l->chain[l->cur + 1]->mode == CINSTALL_LINK_HARDLINK;
}

static int fall_back(cinstall_linker *l, cinstall_err *err, const cinstall_link_req *req,
                     const cinstall_err *why)
{
	const struct cinstall_link_ops *from = l->chain[l->cur], *to = l->chain[l->cur + 1];
	const char *reason = why->os_errno ? strerror(why->os_errno) : "not supported";
	char dir[PATH_MAX];

	if (cinstall_link__dirname(dir, sizeof(dir), req->dst) < 0)
		snprintf(dir, sizeof(dir), "%s", "?");
	if (quiet_step(l, from)) {
		cinstall_ctx__log(l->ctx, CINSTALL_LOG_DEBUG,
		                  "%s: cannot clone files into '%s' (%s); using hardlink", l->wheel, dir,
		                  reason);
		l->cur++;
		return 0;
	}
	if (l->flags & CINSTALL_LINKER_STRICT)
		return cinstall_err__set(err, CINSTALL_ENOTSUP, why->os_errno,
		                         "%s: link mode %s is not supported in '%s': %s "
		                         "(strict link mode forbids falling back to %s)",
		                         l->wheel, from->name, dir, reason, to->name);
	if (cinstall_ctx__warn_once(l->ctx, CINSTALL_WARN_LINK_FALLBACK))
		cinstall_ctx__log(l->ctx, CINSTALL_LOG_WARNING,
		                  "%s: cannot %s files into '%s' (%s); falling back to %s. "
		                  "Use --link-mode=copy to silence this warning",
		                  l->wheel, from->name, dir, reason, to->name);
	else
		cinstall_ctx__log(l->ctx, CINSTALL_LOG_DEBUG,
		                  "%s: cannot %s files into '%s' (%s); falling back to %s", l->wheel,
		                  from->name, dir, reason, to->name);
	l->fallbacks++;
	l->cur++;
	return 0;
}

int cinstall_linker__place(cinstall_linker *l, cinstall_err *err, const cinstall_link_req *req)
{
	cinstall_err e = CINSTALL_ERR_INIT;
	const struct cinstall_link_ops *ops;
	int r;

	for (;;) {
		ops = l->chain[l->cur];
		r = ops->place(l->ctx, req, &e);
		if (r == 0) {
			if (!l->decided)
				l->decided = 1; /* once, before a split placement's threads start */
			return 0;
		}
		if (r != CINSTALL_ENOTSUP || l->cur + 1 >= l->nchain)
			return wheel_error(err, l->wheel, &e);
		/* After a first success, only a busy clone or a directory without
		 * symlink support may still fall back. */
		if (l->decided && !CLONE_BUSY(ops, &e) && ops->mode != CINSTALL_LINK_SYMLINK) {
			/* The mode works here: this is an I/O failure of this file. */
			e.code = CINSTALL_EIO;
			return wheel_error(err, l->wheel, &e);
		}
		if ((r = fall_back(l, err, req, &e)) < 0)
			return r;
		cinstall_err__clear(&e);
	}
}

int cinstall_linker__copy(cinstall_linker *l, cinstall_err *err, const cinstall_link_req *req)
{
	cinstall_err e = CINSTALL_ERR_INIT;
	int r = cinstall_link_copy_ops.place(l->ctx, req, &e);

	return r < 0 ? wheel_error(err, l->wheel, &e) : r;
}
