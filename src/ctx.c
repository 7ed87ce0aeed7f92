/* ctx.c - contexts: options, errors, logging, per-directory tables. */
#include "ctx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "buf.h"

const char *cinstall_version(void)
{
	return CINSTALL_VERSION_STRING;
}

static char *default_cache_dir(int use_env)
{
	cinstall_buf b = CINSTALL_BUF_INIT;
	const char *v;

	if (use_env && (v = getenv("CINSTALL_CACHE_DIR")) && *v)
		return strdup(v);
	if ((v = getenv("XDG_CACHE_HOME")) && *v == '/') {
		if (cinstall_buf__printf(&b, "%s/cinstall", v) < 0)
			return NULL;
		return cinstall_buf__detach(&b);
	}
	if (!(v = getenv("HOME")) || !*v)
		v = "/tmp";
	if (cinstall_buf__printf(&b, "%s/.cache/cinstall", v) < 0)
		return NULL;
	return cinstall_buf__detach(&b);
}

int cinstall_ctx_new(cinstall_ctx **out, const cinstall_options *opts)
{
	static const cinstall_options defaults = CINSTALL_OPTIONS_INIT;
	cinstall_ctx *ctx;
	int use_env;
	const char *v;
	long n;

	if (!out)
		return CINSTALL_EINVAL;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version < 1 || opts->version > CINSTALL_OPTIONS_VERSION)
		return CINSTALL_EINVAL;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return CINSTALL_ENOMEM;
	ctx->opts = *opts;
	use_env = !(opts->flags & CINSTALL_OPT_NO_ENV);
	ctx->cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : default_cache_dir(use_env);
	if (!ctx->cache_dir) {
		free(ctx);
		return CINSTALL_ENOMEM;
	}
	ctx->opts.cache_dir = ctx->cache_dir;
	if (!ctx->opts.max_entries)
		ctx->opts.max_entries = 200000;
	if (!ctx->opts.max_total_size)
		ctx->opts.max_total_size = (uint64_t)8 << 30;
	if (!ctx->opts.max_ratio)
		ctx->opts.max_ratio = 200;
	ctx->jobs = opts->jobs;
	if (!ctx->jobs) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		ctx->jobs = n > 0 ? (unsigned int)n : 1;
	}
	ctx->no_symlinks = !!(opts->flags & CINSTALL_OPT_NO_SYMLINKS);
	if (use_env && (v = getenv("CINSTALL_NO_SYMLINKS")) && *v && strcmp(v, "0"))
		ctx->no_symlinks = 1;
	ctx->lock_timeout = opts->lock_timeout;
	if (!ctx->lock_timeout && use_env && (v = getenv("CINSTALL_LOCK_TIMEOUT")) && *v) {
		n = strtol(v, NULL, 10);
		if (n > 0)
			ctx->lock_timeout = (uint32_t)n;
	}
	if (!ctx->lock_timeout)
		ctx->lock_timeout = 600;
	/* Knobs for bench/cache.sh, which measures what dedupe and fsync cost. */
	if (use_env && (v = getenv("CINSTALL_NO_DEDUPE")) && *v && strcmp(v, "0"))
		ctx->no_dedupe = 1;
	if (use_env && (v = getenv("CINSTALL_NO_FSYNC")) && *v && strcmp(v, "0"))
		ctx->no_fsync = 1;
	/* Knob for the tests, which split small wheels to compare the results. */
	ctx->split_min = 0;
	if (use_env && (v = getenv("CINSTALL_SPLIT_MIN")) && *v) {
		n = strtol(v, NULL, 10);
		if (n > 0)
			ctx->split_min = (unsigned int)n;
	}
	pthread_mutex_init(&ctx->log_lock, NULL);
	pthread_mutex_init(&ctx->table_lock, NULL);
	cinstall_dl__init(&ctx->dl);
	*out = ctx;
	return 0;
}

void cinstall_ctx_free(cinstall_ctx *ctx)
{
	cinstall_dirflag *f, *ftmp;
	cinstall_dirlock *l, *ltmp;

	if (!ctx)
		return;
	HASH_ITER(hh, ctx->symlink_dirs, f, ftmp) {
		HASH_DEL(ctx->symlink_dirs, f);
		free(f->dir);
		free(f);
	}
	HASH_ITER(hh, ctx->dir_locks, l, ltmp) {
		HASH_DEL(ctx->dir_locks, l);
		pthread_mutex_destroy(&l->mutex);
		free(l->dir);
		free(l);
	}
	pthread_mutex_destroy(&ctx->log_lock);
	pthread_mutex_destroy(&ctx->table_lock);
	cinstall_dl__release(&ctx->dl);
	if (ctx->utf8)
		freelocale(ctx->utf8);
	free(ctx->cache_dir);
	free(ctx);
}

locale_t cinstall_ctx__utf8(cinstall_ctx *ctx)
{
	locale_t utf8;

	/* Wheels are read in C.UTF-8 (see unpack.c).  One locale for the
	 * context's life, its multibyte conversions loaded here, by one thread
	 * under the lock: the threads that unpack wheels then only read it (a
	 * locale made and freed per wheel raced inside glibc's gconv, as
	 * ThreadSanitizer saw).  Made when first needed: newlocale took ~60 us
	 * of every command, 3% of a warm install of 100 files, which reads no
	 * wheel. */
	pthread_mutex_lock(&ctx->table_lock);
	if (!ctx->utf8_made) {
		ctx->utf8_made = 1;
		ctx->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (ctx->utf8) {
			locale_t was = uselocale(ctx->utf8);
			mbstate_t st;
			wchar_t wc;
			memset(&st, 0, sizeof(st));
			(void)mbrtowc(&wc, "\xc3\xa9", 2, &st);
			uselocale(was);
		}
	}
	utf8 = ctx->utf8;
	pthread_mutex_unlock(&ctx->table_lock);
	return utf8;
}

const char *cinstall_error_message(const cinstall_ctx *ctx)
{
	return ctx ? ctx->err.msg : "";
}

int cinstall_error_errno(const cinstall_ctx *ctx)
{
	return ctx ? ctx->err.os_errno : 0;
}

int cinstall_error_last(const cinstall_ctx *ctx)
{
	return ctx ? ctx->err.code : 0;
}

const char *cinstall_cache_dir(const cinstall_ctx *ctx)
{
	return ctx ? ctx->cache_dir : NULL;
}

void cinstall_free(void *ptr)
{
	free(ptr);
}

void cinstall_ctx__log(cinstall_ctx *ctx, cinstall_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!ctx || !ctx->opts.log_cb)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ctx->log_lock);
	ctx->opts.log_cb(level, msg, ctx->opts.log_payload);
	pthread_mutex_unlock(&ctx->log_lock);
}

void cinstall_ctx__progress(cinstall_ctx *ctx, const cinstall_progress *p)
{
	if (!ctx || !ctx->opts.progress_cb)
		return;
	pthread_mutex_lock(&ctx->log_lock);
	ctx->opts.progress_cb(p, ctx->opts.progress_payload);
	pthread_mutex_unlock(&ctx->log_lock);
}

int cinstall_ctx__warn_once(cinstall_ctx *ctx, unsigned int bit)
{
	int first;

	pthread_mutex_lock(&ctx->table_lock);
	first = !(ctx->warned & bit);
	ctx->warned |= bit;
	pthread_mutex_unlock(&ctx->table_lock);
	return first;
}

int cinstall_ctx__fail(cinstall_ctx *ctx, const cinstall_err *e)
{
	if (ctx)
		cinstall_err__copy(&ctx->err, e);
	return e->code;
}

pthread_mutex_t *cinstall_ctx__dir_lock(cinstall_ctx *ctx, const char *dir)
{
	cinstall_dirlock *l;

	pthread_mutex_lock(&ctx->table_lock);
	HASH_FIND_STR(ctx->dir_locks, dir, l);
	if (!l && (l = calloc(1, sizeof(*l)))) {
		if (!(l->dir = strdup(dir))) {
			free(l);
			l = NULL;
		} else {
			pthread_mutex_init(&l->mutex, NULL);
			HASH_ADD_KEYPTR(hh, ctx->dir_locks, l->dir, strlen(l->dir), l);
		}
	}
	pthread_mutex_unlock(&ctx->table_lock);
	return l ? &l->mutex : NULL;
}
