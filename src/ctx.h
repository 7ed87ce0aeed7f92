/* ctx.h - the context's insides, shared by the library's modules. */
#ifndef CINSTALL_CTX_H
#define CINSTALL_CTX_H

#include <locale.h>
#include <pthread.h>
#include <stdint.h>

#include "cinstall.h"
#include "dl.h"
#include "err.h"
#include "uthash/uthash.h"

/* A per-directory boolean (symlink support), keyed by absolute path. */
typedef struct cinstall_dirflag {
	char *dir;
	int value;      /* 1 supported, 0 not */
	int user_set;   /* set through cinstall_symlink_support_set */
	UT_hash_handle hh;
} cinstall_dirflag;

/* A per-directory mutex serialising physical copies into that directory. */
typedef struct cinstall_dirlock {
	char *dir;
	pthread_mutex_t mutex;
	UT_hash_handle hh;
} cinstall_dirlock;

/* One-time warnings (cinstall_ctx__warn_once bits). */
enum {
	CINSTALL_WARN_LINK_FALLBACK = 1u << 0,
	CINSTALL_WARN_NO_LOCKS = 1u << 1,
	CINSTALL_WARN_WHEEL_VERSION = 1u << 2
};

struct cinstall_ctx {
	cinstall_options opts;     /* copy; opts.cache_dir points at cache_dir */
	char *cache_dir;
	unsigned int jobs;         /* resolved: >= 1 */
	int no_symlinks;           /* CINSTALL_OPT_NO_SYMLINKS or CINSTALL_NO_SYMLINKS=1 */
	uint32_t lock_timeout;     /* seconds */
	int no_dedupe;             /* CINSTALL_NO_DEDUPE=1: benchmark knob, no v1/objects */
	int no_fsync;              /* CINSTALL_NO_FSYNC=1: benchmark knob, entries published unsynced */
	unsigned int split_min;    /* split a wheel's files over threads from this many (CINSTALL_SPLIT_MIN) */
	unsigned int unpacking;    /* threads of `jobs` taken (table_lock): one by each wheel being unpacked
	                            * (from its hashing to its finished tree) and the helpers of its split
	                            * and sharing; the rest may help one wheel */
	cinstall_err err;          /* last failure of a public call */
	pthread_mutex_t log_lock;  /* serialises callbacks */
	pthread_mutex_t table_lock;/* guards the tables and warned below */
	cinstall_dirflag *symlink_dirs;
	cinstall_dirlock *dir_locks;
	unsigned int warned;
	locale_t utf8;             /* C.UTF-8, for reading wheels (unpack.c), or 0: one a context,
	                            * made by cinstall_ctx__utf8, which a thread calls before
	                            * reading this */
	int utf8_made;             /* cinstall_ctx__utf8 ran (table_lock) */
	cinstall_dl dl;            /* libarchive, libzip, libcrypto: loaded when first needed (dl.h) */
};

/* ctx->utf8, made (and its conversions loaded) on the first call, under
 * table_lock: only a command that reads a wheel pays for it (~60 us). */
locale_t cinstall_ctx__utf8(cinstall_ctx *ctx);

/* Report through the host's log callback (thread-safe; a no-op without one). */
void cinstall_ctx__log(cinstall_ctx *ctx, cinstall_log_level level, const char *fmt, ...)
	CINSTALL_PRINTF(3, 4);

/* Report progress through the host's callback (thread-safe). */
void cinstall_ctx__progress(cinstall_ctx *ctx, const cinstall_progress *p);

/* Returns 1 the first time it is called with `bit` on this context, else 0. */
int cinstall_ctx__warn_once(cinstall_ctx *ctx, unsigned int bit);

/* Store `e` as the context's last failure and return its code. */
int cinstall_ctx__fail(cinstall_ctx *ctx, const cinstall_err *e);

/* Get (creating on first use) the copy lock of directory `dir`.  The mutex
 * lives as long as the context.  Returns NULL only when out of memory. */
pthread_mutex_t *cinstall_ctx__dir_lock(cinstall_ctx *ctx, const char *dir);

#endif
