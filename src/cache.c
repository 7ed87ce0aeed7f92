/* cache.c - the content cache: layout, locks, publication, and the
 * maintenance verbs (info, verify, prune, clean).  See cache.h. */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "digests.h"
#include "hash.h"
#include "path.h"
#include "sys.h"
#include "thread.h"
#include "uthash/uthash.h"


#ifdef F_OFD_SETLK
#define LOCK_CMD F_OFD_SETLK
#else
#define LOCK_CMD F_SETLK
#endif

/* Work directories of a lockless filesystem are swept after this. */
#define LOCKLESS_STALE_SECONDS (24 * 3600)

static const char cachedir_tag[] =
	"Signature: 8a477f597d28d172789f06886806bc55\n"
	"# This file is a cache directory tag created by cinstall.\n"
	"# For information about cache directory tags see https://bford.info/cachedir/\n";

static int sub(cinstall_buf *out, cinstall_ctx *ctx, const char *rel)
{
	return cinstall_path__join(out, ctx->cache_dir, rel);
}

int cinstall_cache__entry_path(cinstall_buf *out, cinstall_ctx *ctx, const char *key)
{
	cinstall_buf__truncate(out, 0);
	return cinstall_buf__printf(out, "%s/v1/wheels/%s", ctx->cache_dir, key);
}

int cinstall_cache__init(cinstall_err *err, cinstall_ctx *ctx)
{
	static const char *const dirs[] = { "v1/wheels", "v1/tmp", "v1/locks" };
	cinstall_buf p = CINSTALL_BUF_INIT, tmp = CINSTALL_BUF_INIT;
	struct stat st;
	size_t i;
	int fd = -1, error = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (sub(&p, ctx, dirs[i]) < 0)
			goto oom;
		if (stat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		if ((error = cinstall_path__mkdirs(err, p.ptr, 0755)) < 0)
			goto done;
	}
	if (sub(&p, ctx, "CACHEDIR.TAG") < 0)
		goto oom;
	if (lstat(p.ptr, &st) == 0)
		goto done;
	/* Write the tag beside and rename it in, so it is never seen half
	 * written (a unique temporary: threads of one process may race here). */
	if (cinstall_buf__printf(&tmp, "%s.XXXXXX", p.ptr) < 0)
		goto oom;
	fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0644) < 0) {
		close(fd);
		unlink(tmp.ptr);
		fd = -1;
	}
	if (fd < 0 || cinstall_sys__write_all(fd, cachedir_tag, sizeof(cachedir_tag) - 1) < 0 ||
	    cinstall_sys__close(fd) < 0 || rename(tmp.ptr, p.ptr) < 0) {
		error = cinstall_err__os(err, "cannot write '%s'", p.ptr);
		if (fd >= 0)
			unlink(tmp.ptr);
		fd = -1;
		goto done;
	}
	fd = -1;
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fd >= 0)
		close(fd);
	cinstall_buf__release(&p);
	cinstall_buf__release(&tmp);
	return error;
}

int cinstall_cache__lookup(cinstall_manifest **out, cinstall_err *err, cinstall_ctx *ctx, const char *key)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	struct stat st;
	int error;

	*out = NULL;
	if (cinstall_cache__entry_path(&p, ctx, key) < 0)
		return cinstall_err__oom(err);
	if (stat(p.ptr, &st) < 0) {
		error = cinstall_err__os(err, "cache entry '%s'", p.ptr);
		if (error == CINSTALL_ENOTFOUND || errno == ENOTDIR)
			error = err->code = CINSTALL_ENOTFOUND;
	} else {
		error = cinstall_manifest__load(out, err, p.ptr);
		if (!error && strcmp((*out)->key, key)) {
			cinstall_manifest__free(*out);
			*out = NULL;
			error = cinstall_err__set(err, CINSTALL_ECACHE, 0, "cache entry '%s': MANIFEST is for another wheel", p.ptr);
		}
	}
	cinstall_buf__release(&p);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Locks                                                                    */
/* ------------------------------------------------------------------------ */

/* Try to lock `fd` (F_WRLCK or F_RDLCK): 1 locked, 0 held by someone
 * else, -1 with errno when the filesystem cannot lock. */
static int try_lock_type(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, LOCK_CMD, &fl) == 0)
		return 1;
	if (errno == EAGAIN || errno == EACCES || errno == EINTR)
		return 0;
	return -1;
}

static int try_lock(int fd)
{
	return try_lock_type(fd, F_WRLCK);
}

static int no_locks(int e)
{
	return e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL;
}

static void warn_no_locks(cinstall_ctx *ctx, const char *path, int e)
{
	if (cinstall_ctx__warn_once(ctx, CINSTALL_WARN_NO_LOCKS))
		cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING,
		                  "cannot lock '%s' (%s): relying on atomic rename alone", path, strerror(e));
}

/* Is `fd` still the file at `path`? */
static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(unsigned int *us)
{
	struct timespec ts;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)*us * 1000;
	nanosleep(&ts, NULL);
	if (*us < 50000)
		*us *= 2;
}

int cinstall_cache__lock_key(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, const char *key)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	double deadline = now() + ctx->lock_timeout;
	unsigned int us = 1000;
	int fd = -1, r, error = 0;

	l->fd = -1;
	l->path = NULL;
	if (cinstall_buf__printf(&p, "%s/v1/locks/%s.lock", ctx->cache_dir, key) < 0)
		return cinstall_err__oom(err);
	for (;;) {
		fd = cinstall_sys__open(p.ptr, O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
		if (fd < 0) {
			error = cinstall_err__os(err, "cannot open lock '%s'", p.ptr);
			goto done;
		}
		while ((r = try_lock(fd)) == 0) {
			if (now() > deadline) {
				error = cinstall_err__set(err, CINSTALL_ELOCK, EAGAIN,
				                          "timed out after %u s waiting for lock '%s'", (unsigned)ctx->lock_timeout, p.ptr);
				goto done;
			}
			nap(&us);
		}
		if (r < 0) {
			if (!no_locks(errno)) {
				error = cinstall_err__os(err, "cannot lock '%s'", p.ptr);
				goto done;
			}
			warn_no_locks(ctx, p.ptr, errno);
			unlink(p.ptr); /* useless without locks: leave nothing behind */
			close(fd);
			fd = -1;
			goto done; /* not held: l->fd stays -1 */
		}
		if (same_file(fd, p.ptr))
			break;
		/* The holder before us unlinked it; lock the file now there. */
		close(fd);
		fd = -1;
	}
	l->fd = fd;
	l->path = cinstall_buf__detach(&p);
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	cinstall_buf__release(&p);
	return error;
}

void cinstall_cache__unlock(cinstall_cache_lock *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		if (l->path)
			unlink(l->path);
		close(l->fd);
	}
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* ------------------------------------------------------------------------ */
/* Work directories                                                         */
/* ------------------------------------------------------------------------ */

int cinstall_cache__work_new(cinstall_cache_work *w, cinstall_err *err, cinstall_ctx *ctx, const char *prefix,
                             int make_dir)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	int fd = -1, r, tries, error = 0;

	w->lock.fd = -1;
	w->lock.path = NULL;
	w->dir = NULL;
	for (tries = 0; tries < 100; tries++) {
		cinstall_buf__truncate(&p, 0);
		if (cinstall_buf__printf(&p, "%s/v1/tmp/%s.XXXXXX.lock", ctx->cache_dir, prefix) < 0)
			goto oom;
		if ((fd = mkostemps(p.ptr, 5, O_CLOEXEC)) < 0) {
			error = cinstall_err__os(err, "cannot create a lock in '%s/v1/tmp'", ctx->cache_dir);
			goto done;
		}
		r = try_lock(fd);
		if (r < 0 && !no_locks(errno)) {
			error = cinstall_err__os(err, "cannot lock '%s'", p.ptr);
			unlink(p.ptr);
			goto done;
		}
		if (r < 0) {
			warn_no_locks(ctx, p.ptr, errno);
		} else if (r == 0 || !same_file(fd, p.ptr)) {
			/* A sweep took it between create and lock: it removes it. */
			close(fd);
			fd = -1;
			continue;
		}
		/* The directory: the lock's name without ".lock". */
		if (!(w->dir = strndup(p.ptr, p.len - 5)))
			goto oom;
		if (make_dir && mkdir(w->dir, 0755) < 0) {
			int e = errno;
			free(w->dir);
			w->dir = NULL;
			unlink(p.ptr);
			close(fd);
			fd = -1;
			if (e == EEXIST)
				continue;
			errno = e;
			error = cinstall_err__os(err, "cannot create a work directory in '%s/v1/tmp'", ctx->cache_dir);
			goto done;
		}
		w->lock.fd = fd;
		w->lock.path = cinstall_buf__detach(&p);
		fd = -1;
		goto done;
	}
	error = cinstall_err__set(err, CINSTALL_EIO, EEXIST, "cannot create a work directory in '%s/v1/tmp'", ctx->cache_dir);
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fd >= 0) {
		unlink(p.ptr);
		close(fd);
	}
	cinstall_buf__release(&p);
	return error;
}

void cinstall_cache__work_release(cinstall_cache_work *w, cinstall_ctx *ctx)
{
	cinstall_err ignored = CINSTALL_ERR_INIT;

	if (!w)
		return;
	if (w->dir && cinstall_path__rmtree(&ignored, w->dir) < 0)
		cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "%s", ignored.msg);
	free(w->dir);
	w->dir = NULL;
	/* Unlink the lock even when we could not lock it (no lock support). */
	if (w->lock.fd < 0 || !w->lock.path) {
		free(w->lock.path);
		w->lock.path = NULL;
		return;
	}
	cinstall_cache__unlock(&w->lock);
}

int cinstall_cache__publish(cinstall_cache_work *w, cinstall_err *err, cinstall_ctx *ctx, const char *key)
{
	cinstall_buf dst = CINSTALL_BUF_INIT;
	int error = 0;

	if (cinstall_cache__entry_path(&dst, ctx, key) < 0)
		return cinstall_err__oom(err);
	if (rename(w->dir, dst.ptr) == 0) {
		free(w->dir);
		w->dir = NULL;
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		error = 1; /* another process published first: use theirs */
	} else {
		error = cinstall_err__os(err, "cannot publish cache entry '%s'", dst.ptr);
	}
	cinstall_buf__release(&dst);
	return error;
}

int cinstall_cache__remove_entry(cinstall_err *err, cinstall_ctx *ctx, const char *key)
{
	cinstall_cache_work w = CINSTALL_CACHE_WORK_INIT;
	cinstall_buf src = CINSTALL_BUF_INIT;
	int error;

	if (cinstall_cache__entry_path(&src, ctx, key) < 0)
		return cinstall_err__oom(err);
	if ((error = cinstall_cache__work_new(&w, err, ctx, "trash", 0)) < 0)
		goto done;
	if (rename(src.ptr, w.dir) < 0 && errno != ENOENT) {
		error = cinstall_err__os(err, "cannot remove cache entry '%s'", src.ptr);
		goto done;
	}
	error = cinstall_path__rmtree(err, w.dir);
done:
	cinstall_cache__work_release(&w, ctx);
	cinstall_buf__release(&src);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Entries in use                                                           */
/* ------------------------------------------------------------------------ */

/* Lock <entry>/MANIFEST with `type`, waiting up to the lock timeout when
 * `wait`.  1 locked (*out_fd), 0 busy (not waited for), 2 no entry or
 * the entry went away meanwhile, 3 locks unsupported (*out_fd set, not
 * locked), or an error. */
static int lock_manifest_in(int *out_fd, cinstall_err *err, cinstall_ctx *ctx, const char *dir, short type, int wait)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	double deadline = now() + ctx->lock_timeout;
	unsigned int us = 1000;
	int fd = -1, r, error = 0;

	*out_fd = -1;
	if (cinstall_path__join(&p, dir, "MANIFEST") < 0)
		return cinstall_err__oom(err);
	fd = cinstall_sys__open(p.ptr, (type == F_WRLCK ? O_RDWR : O_RDONLY) | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			error = 2;
		else
			error = cinstall_err__os(err, "cannot open '%s'", p.ptr);
		goto done;
	}
	while ((r = try_lock_type(fd, type)) == 0) {
		if (!wait) {
			error = 0;
			goto done;
		}
		if (now() > deadline) {
			error = cinstall_err__set(err, CINSTALL_ELOCK, EAGAIN, "timed out after %u s waiting for lock '%s'",
			                          (unsigned)ctx->lock_timeout, p.ptr);
			goto done;
		}
		nap(&us);
	}
	if (r < 0) {
		if (!no_locks(errno)) {
			error = cinstall_err__os(err, "cannot lock '%s'", p.ptr);
			goto done;
		}
		warn_no_locks(ctx, p.ptr, errno);
		error = 3;
	} else {
		/* Removed (renamed aside) between our open and our lock? */
		error = same_file(fd, p.ptr) ? 1 : 2;
		if (error == 2)
			goto done;
	}
	*out_fd = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	cinstall_buf__release(&p);
	return error;
}

static int lock_manifest(int *out_fd, cinstall_err *err, cinstall_ctx *ctx, const char *key, short type, int wait)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	int error;

	if (cinstall_cache__entry_path(&p, ctx, key) < 0)
		return cinstall_err__oom(err);
	error = lock_manifest_in(out_fd, err, ctx, p.ptr, type, wait);
	cinstall_buf__release(&p);
	return error;
}

int cinstall_cache__use_work(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, cinstall_cache_work *w)
{
	int fd, r;

	l->fd = -1;
	l->path = NULL;
	if ((r = lock_manifest_in(&fd, err, ctx, w->dir, F_RDLCK, 1)) < 0)
		return r;
	if (r == 2)
		return cinstall_err__set(err, CINSTALL_EIO, ENOENT, "cache work directory '%s': MANIFEST is missing", w->dir);
	l->fd = fd;
	return 0;
}

int cinstall_cache__use_entry(cinstall_cache_lock *l, cinstall_err *err, cinstall_ctx *ctx, const char *key)
{
	int fd, r;

	l->fd = -1;
	l->path = NULL;
	if ((r = lock_manifest(&fd, err, ctx, key, F_RDLCK, 1)) < 0)
		return r;
	if (r == 2)
		return 1;
	l->fd = fd; /* no path: releasing it never unlinks anything */
	return 0;
}

int cinstall_cache__remove_unused(cinstall_err *err, cinstall_ctx *ctx, const char *key, int wait)
{
	int fd = -1, r, error;

	r = lock_manifest(&fd, err, ctx, key, F_WRLCK, wait);
	if (r < 0)
		return r;
	if (r == 0)
		return 1;
	/* Held (or no locks, or no MANIFEST: nobody can be using it): the
	 * rename aside happens under the lock, so a user that locks after us
	 * finds the MANIFEST gone from the path and looks again. */
	error = cinstall_cache__remove_entry(err, ctx, key);
	if (fd >= 0)
		close(fd);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Sweeping work directories                                                */
/* ------------------------------------------------------------------------ */

/* Look at every work directory; with `remove`, delete those of dead
 * processes.  Counts leftovers (dead or orphaned) into *count. */
static int sweep(cinstall_err *err, cinstall_ctx *ctx, int remove, uint64_t *count)
{
	cinstall_buf dir = CINSTALL_BUF_INIT, p = CINSTALL_BUF_INIT, q = CINSTALL_BUF_INIT;
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int error = 0;

	if (sub(&dir, ctx, "v1/tmp") < 0)
		goto oom;
	if (!(d = opendir(dir.ptr))) {
		if (errno != ENOENT)
			error = cinstall_err__os(err, "cannot read '%s'", dir.ptr);
		goto done;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		int fd, r, dead = 0;

		if (de->d_name[0] == '.')
			continue;
		if (cinstall_path__join(&p, dir.ptr, de->d_name) < 0)
			goto oom;
		if (len > 5 && !strcmp(de->d_name + len - 5, ".lock")) {
			fd = cinstall_sys__open(p.ptr, O_RDWR | O_NOFOLLOW, 0);
			if (fd < 0)
				continue;
			r = try_lock(fd);
			if (r < 0 && no_locks(errno)) {
				dead = fstat(fd, &st) == 0 && st.st_mtime + LOCKLESS_STALE_SECONDS < time(NULL);
			} else {
				dead = r == 1 && same_file(fd, p.ptr);
			}
			if (dead) {
				(*count)++;
				if (remove) {
					cinstall_buf__truncate(&q, 0);
					if (cinstall_buf__put(&q, p.ptr, p.len - 5) < 0) {
						close(fd);
						goto oom;
					}
					if ((error = cinstall_path__rmtree(err, q.ptr)) < 0) {
						close(fd);
						goto done;
					}
					unlink(p.ptr);
				}
			}
			close(fd); /* drops the lock */
			continue;
		}
		/* A directory: a leftover when its lock file is gone. */
		if (lstat(p.ptr, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		cinstall_buf__truncate(&q, 0);
		if (cinstall_buf__printf(&q, "%s.lock", p.ptr) < 0)
			goto oom;
		if (lstat(q.ptr, &st) == 0)
			continue; /* judged through its lock */
		(*count)++;
		if (remove && (error = cinstall_path__rmtree(err, p.ptr)) < 0)
			goto done;
	}
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (d)
		closedir(d);
	cinstall_buf__release(&dir);
	cinstall_buf__release(&p);
	cinstall_buf__release(&q);
	return error;
}

int cinstall_cache__sweep(cinstall_err *err, cinstall_ctx *ctx, uint64_t *removed)
{
	uint64_t n = 0;
	int error = sweep(err, ctx, 1, &n);

	if (removed)
		*removed = n;
	return error;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */
/* ------------------------------------------------------------------------ */

/* Call fn for each name in v1/wheels (stops on a negative return). */
static int each_entry(cinstall_err *err, cinstall_ctx *ctx,
                      int (*fn)(cinstall_err *err, cinstall_ctx *ctx, const char *key, void *payload), void *payload)
{
	cinstall_buf dir = CINSTALL_BUF_INIT;
	DIR *d = NULL;
	struct dirent *de;
	int error = 0;

	if (sub(&dir, ctx, "v1/wheels") < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (!(d = opendir(dir.ptr))) {
		if (errno != ENOENT)
			error = cinstall_err__os(err, "cannot read '%s'", dir.ptr);
		goto done;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((error = fn(err, ctx, de->d_name, payload)) < 0)
			break;
	}
done:
	if (d)
		closedir(d);
	cinstall_buf__release(&dir);
	return error;
}

typedef struct info_state {
	cinstall_cache_stats *st;
} info_state;

static int info_one(cinstall_err *err, cinstall_ctx *ctx, const char *key, void *payload)
{
	info_state *s = payload;
	cinstall_manifest *m = NULL;
	cinstall_err e = CINSTALL_ERR_INIT;
	size_t i;
	int r;

	r = cinstall_cache__lookup(&m, &e, ctx, key);
	if (r == CINSTALL_ENOMEM)
		return cinstall_err__oom(err);
	if (r < 0) {
		s->st->leftovers++; /* not an entry: incomplete or damaged */
		return 0;
	}
	s->st->entries++;
	s->st->files += m->nfiles;
	for (i = 0; i < m->nfiles; i++)
		s->st->bytes += m->files[i].size;
	cinstall_manifest__free(m);
	return 0;
}

int cinstall_cache_info(cinstall_cache_stats *out, cinstall_ctx *ctx)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	info_state s;
	int error;

	if (!out || !ctx) {
		cinstall_err__set(&err, CINSTALL_EINVAL, 0, "cache info: no output or context");
		return cinstall_ctx__fail(ctx, &err);
	}
	memset(out, 0, sizeof(*out));
	s.st = out;
	if ((error = each_entry(&err, ctx, info_one, &s)) < 0 || (error = sweep(&err, ctx, 0, &out->leftovers)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}

/* ---- verify ---- */

typedef struct verify_state {
	uint64_t damaged;
	int remove;          /* prune: remove damaged entries */
	uint64_t removed;
	cinstall_sha *sha;
	unsigned char *buf;
	size_t bufsize;
} verify_state;

/* Log one damage report. */
static void damage(cinstall_ctx *ctx, const char *key, const cinstall_manifest *m, const char *path, const char *what)
{
	char q[1024];

	cinstall_path__quote(q, sizeof(q), path ? path : "");
	if (path)
		cinstall_ctx__log(ctx, CINSTALL_LOG_ERROR, "cache entry %s (%s): '%s': %s", key,
		                  m && m->wheel ? m->wheel : "?", q, what);
	else
		cinstall_ctx__log(ctx, CINSTALL_LOG_ERROR, "cache entry %s: %s", key, what);
}

/* Check one file of an entry; 1 sound, 0 damaged (reported), <0 error. */
static int verify_file(cinstall_err *err, cinstall_ctx *ctx, verify_state *s, const char *key,
                       const cinstall_manifest *m, int treefd, const cinstall_manifest_file *f)
{
	unsigned char d[CINSTALL_DIGEST_MAX];
	char b64[CINSTALL_B64_MAX], msg[512];
	struct stat st;
	uint64_t total = 0;
	ssize_t n;
	int fd, error;

	fd = cinstall_sys__openat(treefd, f->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		damage(ctx, key, m, f->path, msg);
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		damage(ctx, key, m, f->path, "not a regular file");
		close(fd);
		return 0;
	}
	if ((uint64_t)st.st_size != f->size) {
		snprintf(msg, sizeof(msg), "size is %llu, manifest says %llu", (unsigned long long)st.st_size,
		         (unsigned long long)f->size);
		damage(ctx, key, m, f->path, msg);
		close(fd);
		return 0;
	}
	if (!!(st.st_mode & S_IXUSR) != !!(f->mode & S_IXUSR)) {
		snprintf(msg, sizeof(msg), "mode is %03o, manifest says %03o", (unsigned)(st.st_mode & 0777), (unsigned)f->mode);
		damage(ctx, key, m, f->path, msg);
		close(fd);
		return 0;
	}
	if ((error = cinstall_sha__reset(s->sha, CINSTALL_HASH_SHA256, err)) < 0) {
		close(fd);
		return error;
	}
	while ((n = cinstall_sys__read_full(fd, s->buf, s->bufsize)) > 0) {
		cinstall_sha__update(s->sha, s->buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (n < 0) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		damage(ctx, key, m, f->path, msg);
		close(fd);
		return 0;
	}
	close(fd);
	cinstall_hash__b64url(b64, d, cinstall_sha__final(s->sha, d));
	if (total != f->size || memcmp(d, f->sha256, CINSTALL_SHA256_LEN)) {
		char want[CINSTALL_B64_MAX];
		cinstall_manifest__sha256_b64(want, f);
		snprintf(msg, sizeof(msg), "sha256 does not match the manifest (expected %s, got %s)", want, b64);
		damage(ctx, key, m, f->path, msg);
		return 0;
	}
	return 1;
}

/* Walk the tree for regular files the manifest does not list: 1 none, 0 some (reported). */
static int walk_extra(cinstall_ctx *ctx, const char *key, const cinstall_manifest *m, int dfd, cinstall_buf *rel,
                      int depth)
{
	DIR *d;
	struct dirent *de;
	int fd, sound = 1;
	size_t base = rel->len;

	if (depth > 256 || (fd = dup(dfd)) < 0 || !(d = fdopendir(fd))) {
		damage(ctx, key, m, rel->len ? rel->ptr : ".", "cannot read directory");
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cinstall_buf__truncate(rel, base);
		if ((base && cinstall_buf__putc(rel, '/') < 0) || cinstall_buf__puts(rel, de->d_name) < 0) {
			sound = 0;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub_fd = cinstall_sys__openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
			if (sub_fd < 0) {
				damage(ctx, key, m, rel->ptr, "cannot read directory");
				sound = 0;
				continue;
			}
			if (!walk_extra(ctx, key, m, sub_fd, rel, depth + 1))
				sound = 0;
			close(sub_fd);
		} else if (!cinstall_manifest__find(m, rel->ptr)) {
			damage(ctx, key, m, rel->ptr, S_ISREG(st.st_mode) ? "file not in the manifest" : "unexpected non-regular file");
			sound = 0;
		}
	}
	closedir(d);
	cinstall_buf__truncate(rel, base);
	return sound;
}

/* The entry's DIGESTS (digests.h): well-formed, every digest that of its
 * bytes.  1 sound (or none), 0 damaged (reported), <0 error. */
static int verify_digests(cinstall_err *err, cinstall_ctx *ctx, verify_state *s, const char *key,
                          const cinstall_manifest *m)
{
	cinstall_digests d = CINSTALL_DIGESTS_INIT;
	cinstall_buf entry = CINSTALL_BUF_INIT;
	unsigned char dig[CINSTALL_DIGEST_MAX];
	char b64[CINSTALL_B64_MAX];
	size_t i;
	int r, sound = 1;

	if (cinstall_cache__entry_path(&entry, ctx, key) < 0)
		return cinstall_err__oom(err);
	r = cinstall_digests__load(&d, entry.ptr);
	cinstall_buf__release(&entry);
	if (r == CINSTALL_ENOMEM)
		return cinstall_err__oom(err);
	if (r < 0) {
		cinstall_ctx__log(ctx, CINSTALL_LOG_ERROR, "cache entry %s (%s): DIGESTS is malformed (installs ignore it)",
		                  key, m && m->wheel ? m->wheel : "?");
		return 0;
	}
	for (i = 0; i < d.n; i++) {
		if ((r = cinstall_sha__reset(s->sha, CINSTALL_HASH_SHA256, err)) < 0)
			break;
		cinstall_sha__update(s->sha, d.items[i].data, d.items[i].len);
		cinstall_hash__b64url(b64, dig, cinstall_sha__final(s->sha, dig));
		if (strcmp(b64, d.items[i].b64)) {
			cinstall_ctx__log(ctx, CINSTALL_LOG_ERROR,
			                  "cache entry %s (%s): DIGESTS: item %zu (%zu bytes): sha256 is %s, not %s as written",
			                  key, m && m->wheel ? m->wheel : "?", i + 1, d.items[i].len, b64, d.items[i].b64);
			sound = 0;
		}
	}
	cinstall_digests__release(&d);
	return r < 0 ? r : sound;
}

static int verify_one(cinstall_err *err, cinstall_ctx *ctx, const char *key, void *payload)
{
	verify_state *s = payload;
	cinstall_manifest *m = NULL;
	cinstall_err e = CINSTALL_ERR_INIT;
	cinstall_buf tree = CINSTALL_BUF_INIT, rel = CINSTALL_BUF_INIT;
	int treefd = -1, sound = 1, r, error = 0;
	size_t i;

	r = cinstall_cache__lookup(&m, &e, ctx, key);
	if (r == CINSTALL_ENOMEM) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (r < 0) {
		damage(ctx, key, NULL, NULL, e.msg);
		sound = 0;
		goto judged;
	}
	if (cinstall_cache__entry_path(&tree, ctx, key) < 0 || cinstall_buf__puts(&tree, "/tree") < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if ((treefd = cinstall_sys__open(tree.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) < 0) {
		damage(ctx, key, m, NULL, "tree/ is missing");
		sound = 0;
		goto judged;
	}
	for (i = 0; i < m->nfiles; i++) {
		if ((r = verify_file(err, ctx, s, key, m, treefd, &m->files[i])) < 0) {
			error = r;
			goto done;
		}
		if (!r)
			sound = 0;
	}
	if (!walk_extra(ctx, key, m, treefd, &rel, 0))
		sound = 0;
	if ((r = verify_digests(err, ctx, s, key, m)) < 0) {
		error = r;
		goto done;
	}
	if (!r)
		sound = 0;
judged:
	if (!sound) {
		s->damaged++;
		if (s->remove) {
			if ((r = cinstall_cache__remove_unused(err, ctx, key, 0)) < 0) {
				error = r;
				goto done;
			}
			if (r == 1)
				cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "cache entry %s (%s): in use by an install, left in place",
				                  key, m && m->wheel ? m->wheel : "?");
			else
				s->removed++;
		}
	}
done:
	if (treefd >= 0)
		close(treefd);
	cinstall_manifest__free(m);
	cinstall_buf__release(&tree);
	cinstall_buf__release(&rel);
	return error;
}

static int verify_all(cinstall_err *err, cinstall_ctx *ctx, verify_state *s)
{
	int error;

	s->bufsize = 1 << 20;
	if (!(s->buf = malloc(s->bufsize)))
		return cinstall_err__oom(err);
	if ((error = cinstall_sha__new(&s->sha, CINSTALL_HASH_SHA256, &ctx->dl, err, ctx->cache_dir)) < 0)
		goto done;
	error = each_entry(err, ctx, verify_one, s);
done:
	cinstall_sha__free(s->sha);
	free(s->buf);
	return error;
}

int cinstall_cache_verify(uint64_t *out_damaged, cinstall_ctx *ctx)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	verify_state s;
	int error;

	if (out_damaged)
		*out_damaged = 0;
	if (!ctx)
		return CINSTALL_EINVAL;
	memset(&s, 0, sizeof(s));
	if ((error = verify_all(&err, ctx, &s)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	if (out_damaged)
		*out_damaged = s.damaged;
	if (s.damaged) {
		cinstall_err__set(&err, CINSTALL_ECACHE, 0, "%llu damaged cache %s in '%s'", (unsigned long long)s.damaged,
		                  s.damaged == 1 ? "entry" : "entries", ctx->cache_dir);
		return cinstall_ctx__fail(ctx, &err);
	}
	return 0;
}

static int run_prune_objects(cinstall_err *err, cinstall_ctx *ctx);

int cinstall_cache_prune(uint64_t *out_removed, cinstall_ctx *ctx)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	verify_state s;
	uint64_t leftovers = 0;
	int error;

	if (out_removed)
		*out_removed = 0;
	if (!ctx)
		return CINSTALL_EINVAL;
	memset(&s, 0, sizeof(s));
	s.remove = 1;
	if ((error = sweep(&err, ctx, 1, &leftovers)) < 0 || (error = verify_all(&err, ctx, &s)) < 0 ||
	    (error = run_prune_objects(&err, ctx)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	if (out_removed)
		*out_removed = leftovers + s.removed;
	return 0;
}

static int clean_one(cinstall_err *err, cinstall_ctx *ctx, const char *key, void *payload)
{
	int r;

	(void)payload;
	if ((r = cinstall_cache__remove_unused(err, ctx, key, 0)) == 1)
		cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "cache entry %s: in use by an install, left in place", key);
	return r < 0 ? r : 0;
}

int cinstall_cache_clean(cinstall_ctx *ctx)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	uint64_t n = 0;
	int error;

	if (!ctx)
		return CINSTALL_EINVAL;
	if ((error = each_entry(&err, ctx, clean_one, NULL)) < 0 || (error = sweep(&err, ctx, 1, &n)) < 0 ||
	    (error = run_prune_objects(&err, ctx)) < 0)
		return cinstall_ctx__fail(ctx, &err);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* File-level dedupe: v1/objects                                            */
/* ------------------------------------------------------------------------ */

/* Files never shared: empty ones (one inode for every empty file in every
 * environment would tie them all together), and those an install rewrites
 * instead of linking (RECORD, scripts whose shebang it changes). */
static int shareable(const cinstall_manifest *m, const cinstall_manifest_file *f)
{
	size_t n;

	if (f->size == 0)
		return 0;
	n = strlen(m->dist_info);
	if (!strncmp(f->path, m->dist_info, n) && !strcmp(f->path + n, "/RECORD"))
		return 0;
	if (m->data_dir) {
		n = strlen(m->data_dir);
		if (!strncmp(f->path, m->data_dir, n) && !strncmp(f->path + n, "/scripts/", 9))
			return 0;
	}
	return 1;
}

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

/* Does the open object hold exactly the bytes of `f`?  *mtime: its mtime. */
static int object_matches(int fd, const cinstall_manifest_file *f, cinstall_xxh *x, unsigned char *buf, size_t cap,
                          uint64_t *mtime)
{
	char hex[CINSTALL_XXH_HEX], want[CINSTALL_XXH_HEX];
	struct stat st;
	ssize_t n;

	/* Not the mode: its name holds it, and exFAT shows 0777 for every file. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size)
		return 0;
	*mtime = mtime_ns(&st);
	cinstall_xxh__reset(x);
	while ((n = cinstall_sys__read_full(fd, buf, cap)) > 0)
		cinstall_xxh__update(x, buf, (size_t)n);
	if (n < 0)
		return 0;
	cinstall_xxh__final_hex(x, hex);
	cinstall_manifest__xxh3_hex(want, f);
	return !strcmp(hex, want);
}

/* Errors of link(2) that mean "this file system will not do it". */
static int no_links(int e)
{
	return e == EPERM || e == EOPNOTSUPP || e == ENOSYS || e == EXDEV || e == EACCES;
}

static int cmp_file_path(const void *key, const void *f)
{
	return strcmp(key, ((const cinstall_manifest_file *)f)->path);
}

int cinstall_cache__dedupe(uint64_t *out_saved, cinstall_err *err, cinstall_ctx *ctx, cinstall_manifest *m,
                           const char *dir)
{
	return cinstall_cache__dedupe_paths(out_saved, err, ctx, m, dir, NULL, m->nfiles);
}

/* Dedupe the files paths[first..end) (m->files[first..end) without
 * paths) of the entry at `dir`: part `part` of a split (its own
 * temporaries).  *out_sealed: the newest mtime of an object it linked. */
static int dedupe_run(uint64_t *out_saved, uint64_t *out_sealed, cinstall_err *err, cinstall_ctx *ctx,
                      const cinstall_manifest *m, const char *dir, const char *const *paths, size_t first,
                      size_t end, unsigned int part)
{
	cinstall_buf obj = CINSTALL_BUF_INIT, file = CINSTALL_BUF_INIT;
	cinstall_xxh *x = NULL;
	unsigned char *buf = NULL;
	const size_t cap = 1 << 16;
	uint64_t saved = 0, sealed = 0, mtime = 0;
	unsigned char made[256 / 8]; /* objects/<xx> known to exist */
	char tmp[32], aside[32];     /* below dir */
	const char *name;            /* obj below v1/objects */
	size_t i, base;
	int fd = -1, dirfd = -1, treefd = -1, objfd = -1, tries, error = 0, linking = 1;

	memset(made, 0, sizeof(made));
	snprintf(tmp, sizeof(tmp), "dedupe-%u.tmp", part);
	snprintf(aside, sizeof(aside), "object-%u.tmp", part);

	*out_saved = 0;
	*out_sealed = 0;
	if ((error = cinstall_xxh__new(&x, err)) < 0)
		goto done;
	if (!(buf = malloc(cap)) || cinstall_buf__printf(&obj, "%s/v1/objects", ctx->cache_dir) < 0 ||
	    cinstall_buf__printf(&file, "%s/tree", dir) < 0)
		goto oom;
	/* Files are named below these (fewer components for the kernel to
	 * walk); messages name the whole paths. */
	if ((dirfd = cinstall_sys__open(dir, CINSTALL_O_DIRPATH, 0)) < 0 ||
	    (treefd = cinstall_sys__open(file.ptr, CINSTALL_O_DIRPATH, 0)) < 0)
		linking = 0; /* sharing saves space; the entry is whole without it */
	else if ((objfd = cinstall_sys__open(obj.ptr, CINSTALL_O_DIRPATH, 0)) < 0) {
		if (errno != ENOENT || cinstall_path__mkdirs(err, obj.ptr, 0755) < 0 ||
		    (objfd = cinstall_sys__open(obj.ptr, CINSTALL_O_DIRPATH, 0)) < 0) {
			cinstall_err__clear(err);
			linking = 0;
		}
	}
	if (cinstall_buf__putc(&obj, '/') < 0)
		goto oom;
	base = obj.len;
	for (i = first; i < end && linking; i++) {
		const cinstall_manifest_file *f = &m->files[i];
		char xh[CINSTALL_XXH_HEX];
		unsigned int xx;

		if (paths && !(f = bsearch(paths[i], m->files, m->nfiles, sizeof(*m->files), cmp_file_path)))
			continue;
		if (!shareable(m, f))
			continue;
		cinstall_manifest__xxh3_hex(xh, f);
		cinstall_buf__truncate(&obj, base);
		if (cinstall_buf__printf(&obj, "%.2s", xh) < 0)
			goto oom;
		xx = f->xxh3[0]; /* objects/<xx>: the digest's first byte */
		if (made[xx / 8] & (1u << (xx % 8)))
			;
		else if (mkdirat(objfd, obj.ptr + base, 0755) == 0 || errno == EEXIST)
			made[xx / 8] |= (unsigned char)(1u << (xx % 8));
		else
			break; /* cannot share here: keep the copies */
		if (cinstall_buf__printf(&obj, "/%s-%o", xh + 2, (unsigned)f->mode) < 0)
			goto oom;
		name = obj.ptr + base;
		for (tries = 0; linking && tries < 4; tries++) {
			/* No object yet: ours becomes it.  (Tried first: files
			 * the unpacker did not link from an object are mostly
			 * new.) */
			if (linkat(treefd, f->path, objfd, name, 0) == 0)
				break;
			if (errno != EEXIST) {
				if (no_links(errno))
					linking = 0;
				break;
			}
			fd = cinstall_sys__openat(objfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
			if (fd < 0) {
				if (errno == ENOENT)
					continue; /* pruned meanwhile */
				break;
			}
			if (!object_matches(fd, f, x, buf, cap, &mtime)) {
				/* Damaged (written through a hard link): ours replaces it. */
				close(fd);
				fd = -1;
				unlinkat(dirfd, aside, 0);
				if (linkat(treefd, f->path, dirfd, aside, 0) == 0 && renameat(dirfd, aside, objfd, name) == 0)
					cinstall_ctx__log(ctx, CINSTALL_LOG_WARNING, "cache object '%s' was damaged; replaced",
					                  obj.ptr);
				unlinkat(dirfd, aside, 0);
				break;
			}
			close(fd);
			fd = -1;
			if (linkat(objfd, name, dirfd, tmp, 0) < 0) {
				if (errno == ENOENT)
					continue; /* pruned meanwhile */
				if (errno == EEXIST) {
					unlinkat(dirfd, tmp, 0); /* cannot be: nobody else works here */
					continue;
				}
				if (no_links(errno))
					linking = 0;
				break; /* EMLINK: the object is full; keep our copy */
			}
			if (renameat(dirfd, tmp, treefd, f->path) < 0) {
				int e = errno;
				unlinkat(dirfd, tmp, 0);
				errno = e;
				error = cinstall_err__os(err, "cannot rename '%s/%s' to '%s/tree/%s'", dir, tmp, dir, f->path);
				goto done;
			}
			saved += f->size;
			/* The seal covers the files as they are now: this one is
			 * the object, whose mtime may be newer than our files'. */
			if (mtime > sealed)
				sealed = mtime;
			break;
		}
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	*out_sealed = sealed;
	*out_saved = saved;
	goto done;
oom:
	error = cinstall_err__oom(err);
done:
	if (fd >= 0)
		close(fd);
	if (objfd >= 0)
		close(objfd);
	if (treefd >= 0)
		close(treefd);
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
	cinstall_xxh__free(x);
	cinstall_buf__release(&obj);
	cinstall_buf__release(&file);
	return error;
}

int cinstall_cache__dedupe_paths(uint64_t *out_saved, cinstall_err *err, cinstall_ctx *ctx, cinstall_manifest *m,
                                 const char *dir, const char *const *paths, size_t npaths)
{
	unsigned int threads;

	return cinstall_cache__dedupe_split(out_saved, &threads, err, ctx, m, dir, paths, npaths, 0);
}

typedef struct dedupe_part {
	cinstall_ctx *ctx;
	const cinstall_manifest *m;
	const char *dir;
	const char *const *paths;
	size_t first, end;
	unsigned int part;
	uint64_t saved, sealed;
	int error, started;
	cinstall_err err;
	pthread_t thread;
} dedupe_part;

static void *dedupe_part_thread(void *arg)
{
	dedupe_part *p = arg;

	p->error = dedupe_run(&p->saved, &p->sealed, &p->err, p->ctx, p->m, p->dir, p->paths, p->first, p->end, p->part);
	return NULL;
}

int cinstall_cache__dedupe_split(uint64_t *out_saved, unsigned int *out_threads, cinstall_err *err,
                                 cinstall_ctx *ctx, cinstall_manifest *m, const char *dir, const char *const *paths,
                                 size_t npaths, unsigned int helpers)
{
	dedupe_part one, *parts = &one;
	size_t nparts = npaths / CINSTALL_DEDUPE_SPLIT_FILES, k;
	int error = 0;

	*out_saved = 0;
	memset(&one, 0, sizeof(one));
	if (nparts > 1 + (size_t)helpers)
		nparts = 1 + helpers;
	if (nparts < 2)
		nparts = 1;
	else if (!(parts = calloc(nparts, sizeof(*parts)))) {
		parts = &one;
		nparts = 1;
	}
	for (k = 0; k < nparts; k++) {
		parts[k].ctx = ctx;
		parts[k].m = m;
		parts[k].dir = dir;
		parts[k].paths = paths;
		parts[k].first = npaths * k / nparts;
		parts[k].end = npaths * (k + 1) / nparts;
		parts[k].part = (unsigned int)k;
		cinstall_err__clear(&parts[k].err);
	}
	*out_threads = (unsigned int)nparts;
	for (k = 1; k < nparts; k++)
		parts[k].started = cinstall_thread__create(&parts[k].thread, dedupe_part_thread, &parts[k]) == 0;
	dedupe_part_thread(&parts[0]);
	for (k = 1; k < nparts; k++) {
		if (parts[k].started)
			pthread_join(parts[k].thread, NULL);
		else
			dedupe_part_thread(&parts[k]); /* no thread for it */
	}
	for (k = 0; k < nparts; k++) {
		if (!error && parts[k].error < 0) {
			error = parts[k].error;
			cinstall_err__copy(err, &parts[k].err);
		}
		*out_saved += parts[k].saved;
		/* The seal covers the files as they are now: a linked object's
		 * mtime may be newer than our files'. */
		if (parts[k].sealed > m->sealed_ns)
			m->sealed_ns = parts[k].sealed;
	}
	if (parts != &one)
		free(parts);
	return error;
}

/* Remove objects no entry links any more (link count 1).  Data-safe while
 * other processes run: one that linked an object meanwhile keeps its
 * inode; one about to link finds it gone and keeps a private copy. */
static int prune_objects(cinstall_err *err, cinstall_ctx *ctx, uint64_t *count, uint64_t *bytes)
{
	cinstall_buf dir = CINSTALL_BUF_INIT;
	DIR *top = NULL, *d = NULL;
	struct dirent *de, *oe;
	struct stat st;
	int fd, error = 0;

	if (sub(&dir, ctx, "v1/objects") < 0) {
		error = cinstall_err__oom(err);
		goto done;
	}
	if (!(top = opendir(dir.ptr))) {
		if (errno != ENOENT)
			error = cinstall_err__os(err, "cannot read '%s'", dir.ptr);
		goto done;
	}
	while ((de = readdir(top))) {
		if (de->d_name[0] == '.')
			continue;
		fd = cinstall_sys__openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd < 0)
			continue;
		if (!(d = fdopendir(fd))) {
			close(fd);
			continue;
		}
		while ((oe = readdir(d))) {
			if (!strcmp(oe->d_name, ".") || !strcmp(oe->d_name, ".."))
				continue;
			if (fstatat(dirfd(d), oe->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
				continue;
			if (S_ISREG(st.st_mode) && st.st_nlink > 1)
				continue;
			if (unlinkat(dirfd(d), oe->d_name, 0) == 0) {
				(*count)++;
				*bytes += (uint64_t)st.st_size;
			}
		}
		closedir(d);
		d = NULL;
	}
done:
	if (top)
		closedir(top);
	cinstall_buf__release(&dir);
	return error;
}

static int run_prune_objects(cinstall_err *err, cinstall_ctx *ctx)
{
	uint64_t n = 0, bytes = 0;
	int error = prune_objects(err, ctx, &n, &bytes);

	if (!error && n)
		cinstall_ctx__log(ctx, CINSTALL_LOG_INFO, "removed %llu unused cache objects (%llu bytes)",
		                  (unsigned long long)n, (unsigned long long)bytes);
	return error;
}

/* ---- disk usage: each inode once ---- */

typedef struct inode_key {
	dev_t dev;
	ino_t ino;
} inode_key;

typedef struct inode_ent {
	inode_key key;
	UT_hash_handle hh;
} inode_ent;

typedef struct usage_state {
	inode_ent *seen;
	uint64_t stored;
} usage_state;

static int usage_walk(cinstall_err *err, usage_state *s, int dfd, int depth)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int fd, error = 0;

	if (depth > 256 || (fd = dup(dfd)) < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		inode_ent *e;
		inode_key k;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub_fd = cinstall_sys__openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
			if (sub_fd >= 0) {
				error = usage_walk(err, s, sub_fd, depth + 1);
				close(sub_fd);
				if (error < 0)
					break;
			}
			continue;
		}
		memset(&k, 0, sizeof(k));
		k.dev = st.st_dev;
		k.ino = st.st_ino;
		HASH_FIND(hh, s->seen, &k, sizeof(k), e);
		if (e)
			continue;
		if (!(e = calloc(1, sizeof(*e)))) {
			error = cinstall_err__oom(err);
			break;
		}
		e->key = k;
		HASH_ADD(hh, s->seen, key, sizeof(k), e);
		s->stored += (uint64_t)st.st_size;
	}
	closedir(d);
	return error;
}

static int usage_one(cinstall_err *err, cinstall_ctx *ctx, const char *key, void *payload)
{
	cinstall_buf p = CINSTALL_BUF_INIT;
	int fd, error = 0;

	if (cinstall_cache__entry_path(&p, ctx, key) < 0 || cinstall_buf__puts(&p, "/tree") < 0) {
		cinstall_buf__release(&p);
		return cinstall_err__oom(err);
	}
	if ((fd = cinstall_sys__open(p.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) >= 0) {
		error = usage_walk(err, payload, fd, 0);
		close(fd);
	}
	cinstall_buf__release(&p);
	return error;
}

int cinstall_cache_disk_usage(uint64_t *out_stored, cinstall_ctx *ctx)
{
	cinstall_err err = CINSTALL_ERR_INIT;
	usage_state s;
	inode_ent *e, *tmp;
	int error;

	if (!out_stored || !ctx) {
		cinstall_err__set(&err, CINSTALL_EINVAL, 0, "cache disk usage: no output or context");
		return cinstall_ctx__fail(ctx, &err);
	}
	*out_stored = 0;
	memset(&s, 0, sizeof(s));
	error = each_entry(&err, ctx, usage_one, &s);
	HASH_ITER(hh, s.seen, e, tmp) {
		HASH_DEL(s.seen, e);
		free(e);
	}
	if (error < 0)
		return cinstall_ctx__fail(ctx, &err);
	*out_stored = s.stored;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Sharing while unpacking                                                  */
/* ------------------------------------------------------------------------ */

struct cinstall_cache_sharer {
	cinstall_buf obj;
	size_t base;                       /* obj: "<cache>/v1/objects/" */
	int objfd;                         /* v1/objects, opened at the first file; -1 */
	int absent;                        /* v1/objects was not there at the first file */
	unsigned char *buf;
	int off;                           /* this file system refuses links */
};

#define SHARE_READ ((size_t)1 << 16)

int cinstall_cache__sharer_new(cinstall_cache_sharer **out, cinstall_err *err, cinstall_ctx *ctx)
{
	cinstall_cache_sharer *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->buf = malloc(SHARE_READ)) || cinstall_buf__printf(&s->obj, "%s/v1/objects/", ctx->cache_dir) < 0) {
		cinstall_cache__sharer_free(s);
		return cinstall_err__oom(err);
	}
	s->base = s->obj.len;
	s->objfd = -1;
	*out = s;
	return 0;
}

void cinstall_cache__sharer_free(cinstall_cache_sharer *s)
{
	if (!s)
		return;
	if (s->objfd >= 0)
		close(s->objfd);
	cinstall_buf__release(&s->obj);
	free(s->buf);
	free(s);
}

/* Does the open object hold exactly data[0..size)? */
static int object_holds(int fd, const void *data, size_t size, unsigned char *buf, uint64_t *mtime)
{
	struct stat st;
	size_t at = 0;
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return 0;
	*mtime = mtime_ns(&st);
	while ((n = cinstall_sys__read_full(fd, buf, SHARE_READ)) > 0) {
		if ((size_t)n > size - at || memcmp(buf, (const unsigned char *)data + at, (size_t)n))
			return 0;
		at += (size_t)n;
	}
	return n == 0 && at == size;
}

int cinstall_cache__share_existing(cinstall_cache_sharer *s, const char *xxh3, unsigned int mode, const void *data,
                                   size_t size, int treefd, const char *path, uint64_t *saved, uint64_t *mtime)
{
	uint64_t t = 0;
	int fd, ok;

	if (s->off || s->absent || size == 0)
		return 0;
	if (s->objfd < 0) {
		/* Not there in a new cache: no object to share either, for the
		 * rest of this wheel (one failed open, not one a file; objects
		 * that other processes make meanwhile are shared with the files
		 * after RECORD is checked, by cinstall_cache__dedupe). */
		s->obj.ptr[s->base - 1] = '\0';
		s->objfd = cinstall_sys__open(s->obj.ptr, CINSTALL_O_DIRPATH, 0);
		s->obj.ptr[s->base - 1] = '/';
		if (s->objfd < 0) {
			s->absent = 1;
			return 0;
		}
	}
	cinstall_buf__truncate(&s->obj, s->base);
	if (cinstall_buf__printf(&s->obj, "%.2s/%s-%o", xxh3, xxh3 + 2, mode) < 0)
		return 0;
	/* Named below v1/objects and the tree: fewer components to walk. */
	fd = cinstall_sys__openat(s->objfd, s->obj.ptr + s->base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	ok = object_holds(fd, data, size, s->buf, &t);
	close(fd);
	/* A damaged object is left to cinstall_cache__dedupe, which replaces
	 * it with the file we write. */
	if (!ok)
		return 0;
	if (linkat(s->objfd, s->obj.ptr + s->base, treefd, path, 0) < 0) {
		if (no_links(errno))
			s->off = 1;
		return 0; /* EMLINK: the object is full; ENOENT: pruned meanwhile */
	}
	*saved += size;
	if (t > *mtime)
		*mtime = t;
	return 1;
}
